package evalcli

import (
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// FS is where an evaluation's instance files are read from. OS is the
// local filesystem, which corl uses; corl-beam passes one that also
// reaches the remote filesystems of Beam's SDK (names with a scheme,
// gs://bucket/dir).
type FS interface {
	// Open opens a file for reading.
	Open(name string) (io.ReadCloser, error)
	// IsDir reports whether name is a directory; a name that does not
	// exist is an error wrapping fs.ErrNotExist.
	IsDir(name string) (bool, error)
	// Files lists the files directly in the directory dir, by their full
	// names (directories excluded).
	Files(dir string) ([]string, error)
}

// OS is the local filesystem.
var OS FS = osFS{}

type osFS struct{}

func (osFS) Open(name string) (io.ReadCloser, error) { return os.Open(name) }

func (osFS) IsDir(name string) (bool, error) {
	info, err := os.Stat(name)
	if err != nil {
		return false, err
	}
	return info.IsDir(), nil
}

func (osFS) Files(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if !e.IsDir() {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	return out, nil
}

// Scheme returns the scheme of a name such as gs://bucket/file ("gs"),
// or "" for a local path.
func Scheme(name string) string {
	if i := strings.Index(name, "://"); i > 0 {
		return name[:i]
	}
	return ""
}

// resolve makes a path that a list file names relative to the list's
// directory, unless it is absolute or has a scheme.
func resolve(list, p string) string {
	if filepath.IsAbs(p) || Scheme(p) != "" {
		return p
	}
	if s := Scheme(list); s != "" {
		rest := strings.TrimPrefix(list, s+"://")
		return s + "://" + path.Join(path.Dir(rest), p)
	}
	return filepath.Join(filepath.Dir(list), p)
}
