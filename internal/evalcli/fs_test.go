package evalcli

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/corl-go/corl/datasets"
)

// TestInstanceFilesOnOS: a directory lists as datasets.InstanceFiles
// lists it, and a list file's relative names are relative to the list.
func TestInstanceFilesOnOS(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"b.mps", "a.mps.gz", "c.txt", "sub/d.mps"} {
		p := filepath.Join(dir, "set", n)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := datasets.InstanceFiles(filepath.Join(dir, "set"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := InstanceFiles(filepath.Join(dir, "set")); err != nil || !slices.Equal(got, want) {
		t.Errorf("directory: %v, %v; datasets.InstanceFiles %v", got, err, want)
	}
	list := filepath.Join(dir, "list.txt")
	if err := os.WriteFile(list, []byte("# set\nset/b.mps\n/abs/x.mps\ngs://bucket/y.mps\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := InstanceFiles(list)
	if want := []string{filepath.Join(dir, "set", "b.mps"), "/abs/x.mps", "gs://bucket/y.mps"}; err != nil || !slices.Equal(got, want) {
		t.Errorf("list: %v, %v; want %v", got, err, want)
	}
}

func TestResolve(t *testing.T) {
	for _, c := range []struct{ list, p, want string }{
		{"gs://bucket/dir/list.txt", "a.mps", "gs://bucket/dir/a.mps"},
		{"gs://bucket/dir/list.txt", "../b/a.mps", "gs://bucket/b/a.mps"},
		{"memfs://list.txt", "set/a.mps", "memfs://set/a.mps"},
		{"gs://bucket/list.txt", "s3://other/a.mps", "s3://other/a.mps"},
		{"/data/list.txt", "a.mps", "/data/a.mps"},
	} {
		if got := resolve(c.list, c.p); got != c.want {
			t.Errorf("resolve(%q, %q) = %q, want %q", c.list, c.p, got, c.want)
		}
	}
}
