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
	// ErrDevice is wrapped by every device failure a backend raises inside
	// a kernel or an allocation; Guard turns them into errors.
	ErrDevice = errors.New("nn: device failure")
	// ErrNoBLAS is wrapped when OpenBLAS cannot be loaded.
	ErrNoBLAS = errors.New("nn: OpenBLAS not available")
	// ErrUnknownBLAS is returned for a CORL_NN_BLAS value naming no library.
	ErrUnknownBLAS = errors.New("nn: unknown BLAS")
	// ErrOutOfMemory is wrapped when a backend cannot allocate storage.
	ErrOutOfMemory = errors.New("nn: out of memory")
)

// AllocError is the failure of Backend.Alloc: Backend could not allocate
// Elems elements. It wraps ErrDevice, ErrOutOfMemory and the backend's
// own error.
type AllocError struct {
	Backend string
	Elems   int
	Err     error
}

func (e *AllocError) Error() string {
	return fmt.Sprintf("nn: %s backend: cannot allocate %d elements: %v", e.Backend, e.Elems, e.Err)
}

func (e *AllocError) Unwrap() []error { return []error{ErrDevice, ErrOutOfMemory, e.Err} }

// Guard runs f and returns its error, or the device failure a backend
// raised while f ran (an error wrapping ErrDevice, such as an *AllocError
// for memory the device does not have). Backend methods return no errors,
// so they raise device failures by panicking; a training step run under
// Guard gets them as errors it can act on (a smaller batch, a checkpoint
// and a clean exit). Other panics go on.
func Guard(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(error); ok && errors.Is(e, ErrDevice) {
				err = e
				return
			}
			panic(r)
		}
	}()
	return f()
}

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
