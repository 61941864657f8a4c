// Package atomicfile writes files so that readers never see a partial one
// and an existing file is only replaced by a complete new one: data goes
// to a temporary file in the same directory, renamed into place on Commit.
package atomicfile

import (
	"os"
	"path/filepath"
)

// File is a file being written; its content appears at its path on Commit.
type File struct {
	*os.File
	path string
	done bool
}

// Create starts writing path.
func Create(path string) (*File, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return nil, err
	}
	return &File{File: tmp, path: path}, nil
}

// Commit closes the file and moves it to its path (mode 0644).
func (f *File) Commit() error {
	if f.done {
		return nil
	}
	f.done = true
	err := f.Chmod(0o644)
	if cerr := f.File.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), f.path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// Abort discards the file; it does nothing after Commit.
func (f *File) Abort() {
	if !f.done {
		f.done = true
		f.File.Close()
		os.Remove(f.Name())
	}
}

// Write writes data to path atomically.
func Write(path string, data []byte) error {
	f, err := Create(path)
	if err != nil {
		return err
	}
	if _, err := f.File.Write(data); err != nil {
		f.Abort()
		return err
	}
	return f.Commit()
}
