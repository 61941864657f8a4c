package refdata

import (
	"errors"
	"fmt"
	"net/url"
)

// ErrUnknownSet reports a set name that is not in Sets.
var ErrUnknownSet = errors.New("refdata: unknown data set")

// ErrChecksum reports a downloaded file whose SHA-256 differs from the pinned one.
var ErrChecksum = errors.New("refdata: checksum mismatch")

// ErrDownload reports a failed HTTP request.
var ErrDownload = errors.New("refdata: download failed")

// ChecksumError is a downloaded file whose SHA-256 is not the pinned one;
// the download was deleted.
type ChecksumError struct {
	File, URL string
	Got, Want string
}

func (e *ChecksumError) Error() string {
	return fmt.Sprintf("refdata: %s from %s has SHA-256 %s, want %s (discarded)", e.File, e.URL, e.Got, e.Want)
}

func (e *ChecksumError) Unwrap() error { return ErrChecksum }

// DownloadError is a failed request: an HTTP status other than 200/206, or
// a transport error.
type DownloadError struct {
	URL    string
	Status string // set when the server answered
	Err    error  // set when the transport failed
}

func (e *DownloadError) Error() string {
	if e.Status != "" {
		return fmt.Sprintf("refdata: GET %s: %s", e.URL, e.Status)
	}
	err := e.Err
	var ue *url.Error // it repeats the URL
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return fmt.Sprintf("refdata: GET %s: %v", e.URL, err)
}

// Unwrap returns ErrDownload and the transport error, so errors.Is finds
// context.Canceled on an interrupted download.
func (e *DownloadError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrDownload, e.Err}
	}
	return []error{ErrDownload}
}
