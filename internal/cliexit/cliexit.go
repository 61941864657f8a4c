// Package cliexit holds the exit codes the corl commands share and the
// error that carries one from an action to main.
package cliexit

import (
	"errors"
	"fmt"
)

// Exit codes.
const (
	OK          = 0   // done (for solve: solved, whatever the status)
	Usage       = 1   // bad command line
	Input       = 2   // bad input: a missing or malformed file
	Failed      = 3   // the solver, the environment or the pipeline failed
	Interrupted = 130 // stopped by a signal; finished work was kept
)

// Error is an error with the exit code it ends the command with.
type Error struct {
	Code int
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Usagef blames the command line.
func Usagef(format string, args ...any) error {
	return &Error{Usage, fmt.Errorf(format, args...)}
}

// InputErr blames a file the command line names.
func InputErr(err error) error { return &Error{Input, err} }

// FailedErr blames the solver, the environment or the pipeline.
func FailedErr(err error) error { return &Error{Failed, err} }

// Code is the exit code err carries, or otherwise for an error that
// carries none.
func Code(err error, otherwise int) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return otherwise
}
