package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	// gs:// is registered by the SDK's worker harness, which every runner
	// imports; memfs:// (in memory, one process) is for tests and trials.
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/memfs"

	"github.com/corl-go/corl/internal/atomicfile"
	"github.com/corl-go/corl/internal/cliexit"
	"github.com/corl-go/corl/internal/evalcli"
	"github.com/corl-go/corl/trace"
)

// Files are local paths or URLs of the filesystems of Beam's Go SDK. A
// local path goes through the os package, so that every file is written
// under a temporary name and renamed into place (Beam's local filesystem
// truncates and writes in place, and a part cut short by a crash would
// count as finished). A URL goes through Beam's filesystem package; an
// object store commits an object whole when its writer closes, and a
// writer whose context is cancelled commits nothing.

// schemes are the URL schemes corl-beam reads and writes; a build with
// -tags s3 adds s3 (s3.go).
var schemes = []string{"gs", "memfs"}

// schemesHelp says which names corl-beam takes, for errors.
func schemesHelp() string {
	help := "a local path, or a URL on " + strings.Join(schemeURLs(), " or ")
	if !slices.Contains(schemes, "s3") {
		help += " (s3:// in a build with -tags s3)"
	}
	return help
}

func schemeURLs() []string {
	out := make([]string, len(schemes))
	for i, s := range schemes {
		out[i] = s + "://"
	}
	return out
}

// filesHelp is the commands' paragraph on where the files flags names
// may be.
func filesHelp(flags string) string {
	s3 := "s3:// (Amazon S3) in a build with -tags s3"
	if slices.Contains(schemes, "s3") {
		s3 = "s3:// (Amazon S3, the AWS SDK's default credentials)"
	}
	return "Files: " + flags + " are local paths or URLs:\n" +
		"gs:// (Google Cloud Storage, default credentials), memfs:// (in memory, this process\n" +
		"only: tests), " + s3 + ". Another scheme is a usage\n" +
		"error. On a cluster runner, give paths every worker reaches: a bucket, or a mount at\n" +
		"the same path on every machine."
}

// isURL reports whether name has a scheme: gs://bucket/dir.
func isURL(name string) bool { return evalcli.Scheme(name) != "" }

// checkScheme is a usage error naming flag unless name is a local path or
// a URL of a registered filesystem.
func checkScheme(flag, name string) error {
	s := evalcli.Scheme(name)
	if s == "" || slices.Contains(schemes, s) {
		return nil
	}
	return cliexit.Usagef("--%s %s: no filesystem for %s:// in corl-beam; give %s", flag, name, s, schemesHelp())
}

var (
	fsMu    sync.Mutex
	fsCache = map[string]filesystem.Interface{}
)

// fsOf returns the filesystem of a URL, one per scheme and process: a
// client (Google Cloud Storage's) is made once and kept for the process.
func fsOf(name string) (filesystem.Interface, error) {
	s := evalcli.Scheme(name)
	if !slices.Contains(schemes, s) {
		return nil, fmt.Errorf("%s: no filesystem for %s:// in corl-beam", name, s)
	}
	fsMu.Lock()
	defer fsMu.Unlock()
	if f, ok := fsCache[s]; ok {
		return f, nil
	}
	f, err := newFS(name)
	if err != nil {
		return nil, err
	}
	fsCache[s] = f
	return f, nil
}

// newFS makes a filesystem; S3's and Cloud Storage's panic when they
// cannot make their client, which is an error here.
func newFS(name string) (f filesystem.Interface, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%s: %v", name, p)
		}
	}()
	return filesystem.New(context.Background(), name)
}

// joinPath is dir/name for a local directory or a URL prefix.
func joinPath(dir, name string) string {
	if isURL(dir) {
		return strings.TrimSuffix(dir, "/") + "/" + name
	}
	return filepath.Join(dir, name)
}

// absPath makes a local path absolute, so that workers find it whatever
// their working directory; a URL stays as it is.
func absPath(name string) (string, error) {
	if name == "" || isURL(name) {
		return name, nil
	}
	return filepath.Abs(name)
}

// openFile opens a file for reading.
func openFile(ctx context.Context, name string) (io.ReadCloser, error) {
	if !isURL(name) {
		return os.Open(name)
	}
	f, err := fsOf(name)
	if err != nil {
		return nil, err
	}
	r, err := f.OpenRead(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return r, nil
}

// readWith opens a file and reads it with read, which is given the file's
// name for its errors.
func readWith[T any](ctx context.Context, name string, read func(io.Reader, string) (T, error)) (T, error) {
	r, err := openFile(ctx, name)
	if err != nil {
		var zero T
		return zero, err
	}
	defer r.Close()
	return read(r, name)
}

// readFile reads a whole file.
func readFile(ctx context.Context, name string) ([]byte, error) {
	return readWith(ctx, name, func(r io.Reader, name string) ([]byte, error) {
		b, err := io.ReadAll(r)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return b, nil
	})
}

// writeFile writes a whole file, which appears complete or not at all.
func writeFile(ctx context.Context, name string, data []byte) error {
	if !isURL(name) {
		return atomicfile.Write(name, data)
	}
	f, err := fsOf(name)
	if err != nil {
		return err
	}
	w, err := f.OpenWrite(ctx, name)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if _, err := w.Write(data); err != nil {
		w.Close()
		return fmt.Errorf("%s: %w", name, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// listFiles lists the files matching a glob whose wildcards are in its
// last element only, sorted.
func listFiles(ctx context.Context, glob string) ([]string, error) {
	if !isURL(glob) {
		return filepath.Glob(glob)
	}
	f, err := fsOf(glob)
	if err != nil {
		return nil, err
	}
	out, err := f.List(ctx, glob)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", glob, err)
	}
	slices.Sort(out)
	return out, nil
}

// exists reports whether the file name is there. On a URL it lists the
// name, since object stores report a missing object each in its own words.
func exists(ctx context.Context, name string) (bool, error) {
	if !isURL(name) {
		_, err := os.Stat(name)
		if errors.Is(err, fs.ErrNotExist) {
			return false, nil
		}
		return err == nil, err
	}
	found, err := listFiles(ctx, name)
	return slices.Contains(found, name), err
}

// removeFile removes a file.
func removeFile(ctx context.Context, name string) error {
	if !isURL(name) {
		return os.Remove(name)
	}
	f, err := fsOf(name)
	if err != nil {
		return err
	}
	rm, ok := f.(filesystem.Remover)
	if !ok {
		return fmt.Errorf("%s: the filesystem cannot remove files", name)
	}
	return rm.Remove(ctx, name)
}

// writeRows writes rows as a Parquet file.
func writeRows[T any](ctx context.Context, name string, rows []T) error {
	if !isURL(name) {
		return trace.WriteFile(name, rows)
	}
	b, err := trace.Marshal(rows)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return writeFile(ctx, name, b)
}

// readRows reads the rows of a Parquet file.
func readRows[T any](ctx context.Context, name string) ([]T, error) {
	if !isURL(name) {
		return trace.ReadOf[T](name)
	}
	b, err := readFile(ctx, name)
	if err != nil {
		return nil, err
	}
	return trace.Unmarshal[T](name, b)
}

// setFS is evalcli.FS over local paths and URLs: the instance sets.
type setFS struct{ ctx context.Context }

var _ evalcli.FS = setFS{}

func (s setFS) Open(name string) (io.ReadCloser, error) { return openFile(s.ctx, name) }

// IsDir: a URL is a file if an object has its name, and a directory if
// objects are under it.
func (s setFS) IsDir(name string) (bool, error) {
	if !isURL(name) {
		return evalcli.OS.IsDir(name)
	}
	if ok, err := exists(s.ctx, name); ok || err != nil {
		return false, err
	}
	under, err := s.Files(name)
	if err != nil {
		return false, err
	}
	if len(under) == 0 {
		return false, fmt.Errorf("%s: %w", name, fs.ErrNotExist)
	}
	return true, nil
}

func (s setFS) Files(dir string) ([]string, error) {
	if !isURL(dir) {
		return evalcli.OS.Files(dir)
	}
	return listFiles(s.ctx, joinPath(dir, "*"))
}
