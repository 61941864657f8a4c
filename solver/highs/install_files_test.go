package highs_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/corl-go/corl/internal/highstest"
	"github.com/corl-go/corl/solver/highs"
)

// TestInstallFilesRoundTrip: the module a process loads, handed to a
// machine without one, installs there byte for byte; a damaged copy is
// refused and leaves nothing behind.
func TestInstallFilesRoundTrip(t *testing.T) {
	highstest.Need(t)
	wasm, glue, err := highs.ModuleFiles()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path, err := highs.InstallFiles(dir, wasm, glue)
	if err != nil {
		t.Fatal(err)
	}
	if path != filepath.Join(dir, "highs.wasm") {
		t.Errorf("InstallFiles = %s, want %s", path, filepath.Join(dir, "highs.wasm"))
	}
	for name, want := range map[string][]byte{"highs.wasm": wasm, "highs.js": glue} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: installed copy differs (%v)", name, err)
		}
	}
	if _, err := highs.InstallFiles(dir, wasm, glue); err != nil { // already there
		t.Errorf("second InstallFiles: %v", err)
	}

	bad := bytes.Clone(wasm)
	bad[len(bad)/2] ^= 1
	other := t.TempDir()
	if _, err := highs.InstallFiles(other, bad, glue); !errors.Is(err, highs.ErrModuleCorrupt) {
		t.Errorf("damaged module: err = %v, want ErrModuleCorrupt", err)
	}
	if _, err := highs.InstallFiles(other, wasm, glue[:len(glue)-1]); !errors.Is(err, highs.ErrModuleCorrupt) {
		t.Errorf("damaged glue file: err = %v, want ErrModuleCorrupt", err)
	}
	if entries, _ := os.ReadDir(other); len(entries) != 0 {
		t.Errorf("a refused copy left %d files", len(entries))
	}
}
