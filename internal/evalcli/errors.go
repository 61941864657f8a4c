package evalcli

import "fmt"

// Kind says what an *Error blames.
type Kind int

const (
	Usage Kind = iota + 1 // the command line: a bad flag value
	Input                 // a file the command line names: missing or malformed
)

// Error is a parsing error with its Kind.
type Error struct {
	Kind Kind
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

func usage(format string, args ...any) error {
	return &Error{Usage, fmt.Errorf(format, args...)}
}

func input(err error) error { return &Error{Input, err} }
