package nn

import (
	"errors"
	"fmt"
)

var (
	// ErrUnknownBackend is returned for a backend name nobody registered.
	ErrUnknownBackend = errors.New("nn: unknown backend")
	// ErrCheckpoint is wrapped by every checkpoint format error.
	ErrCheckpoint = errors.New("nn: bad checkpoint")
	// ErrMismatch is wrapped when a checkpoint does not fit a model: a
	// missing or extra tensor, or a wrong dtype or shape.
	ErrMismatch = errors.New("nn: checkpoint does not match model")
)

// CheckpointError locates a checkpoint problem: the file, and the tensor or
// header field concerned.
type CheckpointError struct {
	File  string
	Field string // tensor name or header field; empty for the whole file
	Err   error
}

func (e *CheckpointError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("%s: %v", e.File, e.Err)
	}
	return fmt.Sprintf("%s: %s: %v", e.File, e.Field, e.Err)
}

func (e *CheckpointError) Unwrap() error { return e.Err }
