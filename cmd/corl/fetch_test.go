package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/corl-go/corl/internal/sharedtest"
)

func TestFetchCommandLine(t *testing.T) {
	for _, args := range [][]string{{"fetch"}, {"fetch", "nope"}, {"fetch", "--base-url", "ftp://x", "minimalloc"}} {
		if code, _, errs := corl(t, args...); code != exitUsage || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("%v: exit %d, %q; want exit 1 and one line", args, code, errs)
		}
	}
	root := t.TempDir()
	code, out, _ := corl(t, "fetch", "--list", "--dir", root)
	if code != exitOK || !strings.Contains(out, "highs-instances  27") || !strings.Contains(out, "minimalloc       9") ||
		!strings.Contains(out, "not fetched  "+filepath.Join(root, "minimalloc")) {
		t.Errorf("--list: exit %d\n%s", code, out)
	}
	// A mirror that lacks the files: exit 3, the URL named, nothing left.
	empty := httptest.NewServer(http.NotFoundHandler())
	defer empty.Close()
	code, _, errs := corl(t, "fetch", "--dir", root, "--base-url", empty.URL, "minimalloc")
	if code != exitFailed || !strings.Contains(errs, empty.URL+"/minimalloc/A.1048576.csv: 404") {
		t.Errorf("404 mirror: exit %d, %q", code, errs)
	}
	if left, _ := os.ReadDir(filepath.Join(root, "minimalloc")); len(left) != 0 {
		t.Errorf("a failed fetch left %d files", len(left))
	}
}

func TestFetchFromMirror(t *testing.T) {
	root := t.TempDir()
	t.Setenv("CORL_FETCH_BASE_URL", sharedtest.Mirror(t))
	for run := 0; run < 2; run++ { // the second run finds everything in place
		code, out, errs := corl(t, "fetch", "--dir", root, "minimalloc")
		if code != exitOK || strings.TrimSpace(out) != filepath.Join(root, "minimalloc") {
			t.Fatalf("run %d: exit %d, stdout %q, stderr %q", run, code, out, errs)
		}
		if n := strings.Count(errs, "SHA-256 ok"); (run == 0) != (n == 9) || (run == 1 && n != 0) {
			t.Errorf("run %d: %d files fetched:\n%s", run, n, errs)
		}
	}
	code, out, _ := corl(t, "fetch", "--list", "--dir", root)
	if code != exitOK || !strings.Contains(out, "fetched      "+filepath.Join(root, "minimalloc")) {
		t.Errorf("--list after fetching:\n%s", out)
	}
}
