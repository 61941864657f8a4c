package refdata_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/corl-go/corl/internal/refdata"
	"github.com/corl-go/corl/internal/sharedtest"
)

// server serves files under /SET/NAME with range support, counting requests
// and letting a test break or alter responses.
type server struct {
	*httptest.Server
	mu       sync.Mutex
	files    map[string][]byte // "set/name" -> content
	requests []string          // "path range"
	cut      map[string]int    // path -> bytes sent before the connection drops (once)
	noRange  bool              // answer every request with the whole file
}

func newServer(t *testing.T, set string, files map[string][]byte) *server {
	s := &server{files: map[string][]byte{}, cut: map[string]int{}}
	for n, b := range files {
		s.files[set+"/"+n] = b
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *server) serve(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/")
	s.mu.Lock()
	s.requests = append(s.requests, path+" "+r.Header.Get("Range"))
	b, ok := s.files[path]
	cut, cutting := s.cut[path]
	delete(s.cut, path)
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	if cutting { // promise the whole file, send part of it, drop the connection
		w.Header().Set("Content-Length", fmt.Sprint(len(b)))
		w.WriteHeader(http.StatusOK)
		w.Write(b[:cut])
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler)
	}
	if s.noRange {
		r.Header.Del("Range")
	}
	http.ServeContent(w, r, path, time.Time{}, bytes.NewReader(b))
}

func (s *server) take() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.requests
	s.requests = nil
	return r
}

func testSet(files map[string][]byte) refdata.Set {
	s := refdata.Set{Name: "toy", Upstream: "http://upstream.invalid/toy"}
	for _, n := range []string{"a.csv", "b.mps"} {
		sum := sha256.Sum256(files[n])
		s.Files = append(s.Files, refdata.File{Name: n, Size: int64(len(files[n])), SHA256: hex.EncodeToString(sum[:])})
	}
	return s
}

func toyFiles() map[string][]byte {
	return map[string][]byte{
		"a.csv": []byte("id,lower,upper,size\n0,0,3,10\n1,2,5,20\n"),
		"b.mps": bytes.Repeat([]byte("* a long comment line of an MPS file\n"), 500),
	}
}

// dirContents lists every entry of dir, hidden part files included.
func dirContents(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func checkFiles(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for n, want := range files {
		got, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: %d bytes, err %v; want the served %d bytes", n, len(got), err, len(want))
		}
	}
	if names := dirContents(t, dir); len(names) != len(files) {
		t.Errorf("directory holds %v, want exactly the %d files", names, len(files))
	}
}

func TestFetchThenIdempotent(t *testing.T) {
	files := toyFiles()
	srv := newServer(t, "toy", files)
	root := t.TempDir()
	var log bytes.Buffer
	o := refdata.Options{Root: root, BaseURL: srv.URL, Log: &log}
	dir, err := refdata.Fetch(context.Background(), testSet(files), o)
	if err != nil {
		t.Fatal(err)
	}
	if dir != filepath.Join(root, "toy") {
		t.Errorf("dir %s", dir)
	}
	checkFiles(t, dir, files)
	if got := srv.take(); len(got) != 2 {
		t.Errorf("requests %q, want one per file", got)
	}
	if !strings.Contains(log.String(), "toy/b.mps: fetched (18500 bytes, SHA-256 ok)") {
		t.Errorf("log %q", log.String())
	}
	// A second run checks the sums and asks the server nothing.
	if _, err := refdata.Fetch(context.Background(), testSet(files), o); err != nil {
		t.Fatal(err)
	}
	if got := srv.take(); len(got) != 0 {
		t.Errorf("second run made requests %q", got)
	}
	// A damaged file is fetched again.
	os.WriteFile(filepath.Join(dir, "a.csv"), []byte("damaged"), 0o644)
	if _, err := refdata.Fetch(context.Background(), testSet(files), o); err != nil {
		t.Fatal(err)
	}
	checkFiles(t, dir, files)
	if got := srv.take(); len(got) != 1 || !strings.HasPrefix(got[0], "toy/a.csv") {
		t.Errorf("requests %q, want one for a.csv", got)
	}
}

func TestFetchChecksumMismatchLeavesNothing(t *testing.T) {
	files := toyFiles()
	set := testSet(files)
	bad := bytes.Clone(files["b.mps"])
	bad[100] ^= 1 // same size, one bit off
	srv := newServer(t, "toy", map[string][]byte{"a.csv": files["a.csv"], "b.mps": bad})
	root := t.TempDir()
	dir, err := refdata.Fetch(context.Background(), set, refdata.Options{Root: root, BaseURL: srv.URL})
	var ce *refdata.ChecksumError
	if !errors.As(err, &ce) || !errors.Is(err, refdata.ErrChecksum) || ce.File != "b.mps" || !strings.Contains(err.Error(), srv.URL+"/toy/b.mps") {
		t.Fatalf("got %v, want a checksum error naming b.mps and its URL", err)
	}
	// a.csv was verified and stays; nothing of b.mps is left, not even a part.
	checkFiles(t, dir, map[string][]byte{"a.csv": files["a.csv"]})

	// A longer file is refused too, without reading past the pinned size.
	srv.files["toy/b.mps"] = append(bytes.Clone(files["b.mps"]), make([]byte, 1<<20)...)
	if _, err := refdata.Fetch(context.Background(), set, refdata.Options{Root: root, BaseURL: srv.URL}); !errors.Is(err, refdata.ErrChecksum) {
		t.Fatalf("longer file: %v", err)
	}
	checkFiles(t, dir, map[string][]byte{"a.csv": files["a.csv"]})
}

func TestFetchResumesAnInterruptedDownload(t *testing.T) {
	files := toyFiles()
	srv := newServer(t, "toy", files)
	srv.cut["toy/b.mps"] = 7000
	root := t.TempDir()
	o := refdata.Options{Root: root, BaseURL: srv.URL}
	dir, err := refdata.Fetch(context.Background(), testSet(files), o)
	if !errors.Is(err, refdata.ErrDownload) {
		t.Fatalf("cut connection: got %v", err)
	}
	// Nothing partial under a final name: only the hidden part file.
	if names := dirContents(t, dir); strings.Join(names, " ") != ".b.mps.part a.csv" {
		t.Fatalf("after the cut the directory holds %v", names)
	}
	srv.take()
	if _, err := refdata.Fetch(context.Background(), testSet(files), o); err != nil {
		t.Fatal(err)
	}
	checkFiles(t, dir, files)
	if got := srv.take(); len(got) != 1 || got[0] != "toy/b.mps bytes=7000-" {
		t.Errorf("requests %q, want one range request from byte 7000", got)
	}
}

func TestFetchRestartsWhenResumingFails(t *testing.T) {
	files := toyFiles()
	for _, tc := range []struct {
		name    string
		part    []byte
		noRange bool
	}{
		{"server ignores ranges", files["b.mps"][:5000], true},
		{"stale part", bytes.Repeat([]byte("x"), 5000), false},
		{"part longer than the file", bytes.Repeat([]byte("x"), 20000), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t, "toy", files)
			srv.noRange = tc.noRange
			root := t.TempDir()
			dir := filepath.Join(root, "toy")
			os.MkdirAll(dir, 0o755)
			os.WriteFile(filepath.Join(dir, ".b.mps.part"), tc.part, 0o644)
			if _, err := refdata.Fetch(context.Background(), testSet(files), refdata.Options{Root: root, BaseURL: srv.URL}); err != nil {
				t.Fatal(err)
			}
			checkFiles(t, dir, files)
		})
	}
}

func TestFetchCancelledAndNotFound(t *testing.T) {
	files := toyFiles()
	srv := newServer(t, "toy", files)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	root := t.TempDir()
	dir, err := refdata.Fetch(ctx, testSet(files), refdata.Options{Root: root, BaseURL: srv.URL})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: got %v", err)
	}
	if names := dirContents(t, dir); len(names) != 0 {
		t.Errorf("cancelled fetch left %v", names)
	}
	delete(srv.files, "toy/a.csv")
	_, err = refdata.Fetch(context.Background(), testSet(files), refdata.Options{Root: root, BaseURL: srv.URL})
	var de *refdata.DownloadError
	if !errors.As(err, &de) || !strings.Contains(err.Error(), "404") || !strings.Contains(err.Error(), "/toy/a.csv") {
		t.Errorf("missing file: got %v", err)
	}
}

func TestBaseURLFromEnvironment(t *testing.T) {
	files := toyFiles()
	srv := newServer(t, "toy", files)
	t.Setenv(refdata.EnvBaseURL, srv.URL+"/")
	if _, err := refdata.Fetch(context.Background(), testSet(files), refdata.Options{Root: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	if err := (refdata.Options{BaseURL: "ftp://x"}).Validate(); err == nil {
		t.Error("an ftp base URL was accepted")
	}
	t.Setenv(refdata.EnvBaseURL, "")
	set := testSet(files)
	if u := (refdata.Options{}).URL(set, set.Files[0]); u != "http://upstream.invalid/toy/a.csv" {
		t.Errorf("upstream URL %s", u)
	}
}

func TestCatalog(t *testing.T) {
	names := map[string]bool{}
	for _, s := range refdata.Sets {
		if names[s.Name] {
			t.Errorf("set %s twice", s.Name)
		}
		names[s.Name] = true
		if !strings.HasPrefix(s.Upstream, "https://") || len(s.Files) == 0 {
			t.Errorf("%s: upstream %q, %d files", s.Name, s.Upstream, len(s.Files))
		}
		seen := map[string]bool{}
		for _, f := range s.Files {
			if seen[f.Name] || len(f.SHA256) != 64 || f.Size <= 0 || strings.ContainsAny(f.Name, `/\`) {
				t.Errorf("%s: bad entry %+v", s.Name, f)
			}
			seen[f.Name] = true
		}
	}
	if _, err := refdata.Lookup("nope"); !errors.Is(err, refdata.ErrUnknownSet) || !strings.Contains(err.Error(), "highs-instances") {
		t.Errorf("unknown set: %v", err)
	}
}

// The pinned sums are those of the reference copies beside the checkout,
// and the whole catalog fetches from a mirror laid out as documented.
func TestCatalogMatchesSharedCopies(t *testing.T) {
	mirror := sharedtest.Mirror(t)
	for _, s := range refdata.Sets {
		if n, _ := filepath.Glob(filepath.Join(sharedtest.SetDir(t, s.Name), "*")); len(n) != len(s.Files) {
			t.Errorf("%s: %d files pinned, %d in the reference copy", s.Name, len(s.Files), len(n))
		}
	}
	root := t.TempDir()
	for _, s := range refdata.Sets {
		dir, err := refdata.Fetch(context.Background(), s, refdata.Options{Root: root, BaseURL: mirror})
		if err != nil {
			t.Fatal(err)
		}
		if have, size := refdata.Complete(s, dir); have != len(s.Files) || size != s.Size() {
			t.Errorf("%s: %d of %d files, %d of %d bytes", s.Name, have, len(s.Files), size, s.Size())
		}
	}
}
