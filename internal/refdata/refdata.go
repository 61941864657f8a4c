// Package refdata downloads public benchmark data (HiGHS's test instances,
// MiniMalloc's benchmarks) from pinned upstream locations into the user
// cache, for `corl fetch` and for tests that use the data as an oracle.
//
// A data set is a list of files with sizes and SHA-256 sums pinned in
// Sets. Fetch downloads each missing file to a hidden ".NAME.part" file
// beside its final name, resumes a part left by an interrupted run with an
// HTTP range request (or restarts it when the server ignores the range),
// checks size and SHA-256, and only then renames it into place: a file
// under its final name is always whole and verified. A file already there
// with the right sum is not downloaded again.
package refdata

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// EnvBaseURL names the environment variable that points fetches at a
// mirror: a file of set S is then fetched from BASE/S/FILE.
const EnvBaseURL = "CORL_FETCH_BASE_URL"

// Set is one data set that can be fetched.
type Set struct {
	Name        string // what `corl fetch` calls it
	Description string
	Upstream    string // pinned base URL; a file is at Upstream/File.Name
	Source      string // the repository, revision and folder, in words
	License     string
	Files       []File
}

// File is one file of a set, as pinned upstream.
type File struct {
	Name   string
	Size   int64
	SHA256 string // hex
}

// Size is the total size of the set's files in bytes.
func (s Set) Size() int64 {
	var n int64
	for _, f := range s.Files {
		n += f.Size
	}
	return n
}

// Lookup returns the set called name.
func Lookup(name string) (Set, error) {
	for _, s := range Sets {
		if s.Name == name {
			return s, nil
		}
	}
	names := make([]string, len(Sets))
	for i, s := range Sets {
		names[i] = s.Name
	}
	return Set{}, fmt.Errorf("%w %q (known: %s)", ErrUnknownSet, name, strings.Join(names, ", "))
}

// CacheRoot returns where sets go by default: the user cache directory
// under corl/data (beside corl's HiGHS module).
func CacheRoot() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("refdata: no user cache directory: %w", err)
	}
	return filepath.Join(dir, "corl", "data"), nil
}

// Dir returns the directory of set name under root ("" means CacheRoot()).
func Dir(root, name string) (string, error) {
	if root == "" {
		var err error
		if root, err = CacheRoot(); err != nil {
			return "", err
		}
	}
	return filepath.Join(root, name), nil
}

// Complete reports whether every file of s is in dir with its pinned size.
// It does not hash them (Fetch does); it is the cheap check of a listing.
func Complete(s Set, dir string) (have int, bytes int64) {
	for _, f := range s.Files {
		if fi, err := os.Stat(filepath.Join(dir, f.Name)); err == nil && fi.Size() == f.Size {
			have++
			bytes += f.Size
		}
	}
	return have, bytes
}

// Options configure Fetch; the zero value fetches from upstream into the
// user cache with http.DefaultClient and logs nothing.
type Options struct {
	Root    string       // cache root; "" means CacheRoot()
	BaseURL string       // mirror base URL; "" means $CORL_FETCH_BASE_URL, then the set's Upstream
	Client  *http.Client // nil means http.DefaultClient
	Log     io.Writer    // one line per file; nil discards
}

// Validate checks the options.
func (o Options) Validate() error {
	if o.BaseURL != "" && !strings.HasPrefix(o.BaseURL, "http://") && !strings.HasPrefix(o.BaseURL, "https://") {
		return fmt.Errorf("refdata: base URL %q: want http:// or https://", o.BaseURL)
	}
	return nil
}

// URL returns where file f of set s is fetched from under o.
func (o Options) URL(s Set, f File) string {
	base := o.BaseURL
	if base == "" {
		base = os.Getenv(EnvBaseURL)
	}
	if base == "" {
		return s.Upstream + "/" + f.Name
	}
	return strings.TrimRight(base, "/") + "/" + s.Name + "/" + f.Name
}

// Fetch makes dir hold every file of s, verified, and returns dir. Files
// already there with the right SHA-256 are kept; a file whose sum is wrong
// is fetched again. On cancellation or failure what is verified stays, a
// partial download stays only as a hidden part file for the next run to
// resume, and no unverified byte is ever under a final name.
func Fetch(ctx context.Context, s Set, o Options) (string, error) {
	if err := o.Validate(); err != nil {
		return "", err
	}
	dir, err := Dir(o.Root, s.Name)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("refdata: %w", err)
	}
	log := o.Log
	if log == nil {
		log = io.Discard
	}
	client := o.Client
	if client == nil {
		client = http.DefaultClient
	}
	for _, f := range s.Files {
		path := filepath.Join(dir, f.Name)
		if sum, err := fileSHA256(path); err == nil && sum == f.SHA256 {
			continue
		}
		url := o.URL(s, f)
		resumed, err := fetchFile(ctx, client, url, path, f)
		if err != nil {
			return dir, err
		}
		how := "fetched"
		if resumed > 0 {
			how = fmt.Sprintf("resumed at byte %d", resumed)
		}
		fmt.Fprintf(log, "%s/%s: %s (%d bytes, SHA-256 ok)\n", s.Name, f.Name, how, f.Size)
	}
	return dir, nil
}

// partPath is where a download of path grows until it is verified.
func partPath(path string) string {
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".part")
}

// fetchFile downloads url to path through its part file and returns the
// offset it resumed from.
func fetchFile(ctx context.Context, client *http.Client, url, path string, f File) (int64, error) {
	part := partPath(path)
	var off int64
	if fi, err := os.Stat(part); err == nil {
		off = fi.Size()
	}
	if off > f.Size { // longer than the file can be: start again
		off = 0
	}
	if off < f.Size {
		var err error
		if off, err = download(ctx, client, url, part, off, f.Size); err != nil {
			return 0, err
		}
	}
	sum, err := fileSHA256(part)
	if err != nil {
		return 0, fmt.Errorf("refdata: %w", err)
	}
	if sum != f.SHA256 && off > 0 {
		// The kept part may be what is wrong (another file's, or damaged):
		// fetch the whole file once more before refusing it.
		os.Remove(part)
		if off, err = download(ctx, client, url, part, 0, f.Size); err != nil {
			return 0, err
		}
		if sum, err = fileSHA256(part); err != nil {
			return 0, fmt.Errorf("refdata: %w", err)
		}
	}
	if sum != f.SHA256 {
		os.Remove(part)
		return 0, &ChecksumError{File: f.Name, URL: url, Got: sum, Want: f.SHA256}
	}
	if err := os.Rename(part, path); err != nil {
		return 0, fmt.Errorf("refdata: %w", err)
	}
	return off, nil
}

// download appends bytes [off, size) of url to part, asking for a range
// when off > 0; a server that answers with the whole file restarts it. It
// returns the offset the written data began at.
func download(ctx context.Context, client *http.Client, url, part string, off, size int64) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, fmt.Errorf("refdata: %w", err)
	}
	if off > 0 {
		req.Header.Set("Range", "bytes="+strconv.FormatInt(off, 10)+"-")
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, &DownloadError{URL: url, Err: err}
	}
	defer resp.Body.Close()
	flags := os.O_WRONLY | os.O_CREATE
	switch {
	case off > 0 && resp.StatusCode == http.StatusPartialContent && contentRangeStart(resp) == off:
		flags |= os.O_APPEND
	case resp.StatusCode == http.StatusOK: // the whole file: start over
		off, flags = 0, flags|os.O_TRUNC
	case off > 0 && resp.StatusCode == http.StatusRequestedRangeNotSatisfiable:
		os.Remove(part) // the part does not fit the file: start over
		return download(ctx, client, url, part, 0, size)
	default:
		return 0, &DownloadError{URL: url, Status: resp.Status}
	}
	w, err := os.OpenFile(part, flags, 0o644)
	if err != nil {
		return 0, fmt.Errorf("refdata: %w", err)
	}
	// Never more than the pinned size (plus one byte, to see a longer file).
	_, err = io.Copy(w, io.LimitReader(resp.Body, size-off+1))
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, &DownloadError{URL: url, Err: err}
	}
	return off, nil
}

// contentRangeStart parses the first byte of "Content-Range: bytes a-b/n",
// or returns -1.
func contentRangeStart(resp *http.Response) int64 {
	v, ok := strings.CutPrefix(resp.Header.Get("Content-Range"), "bytes ")
	if !ok {
		return -1
	}
	a, _, ok := strings.Cut(v, "-")
	if !ok {
		return -1
	}
	n, err := strconv.ParseInt(a, 10, 64)
	if err != nil {
		return -1
	}
	return n
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
