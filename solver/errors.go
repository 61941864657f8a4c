package solver

import (
	"errors"
	"fmt"
)

// Sentinel errors of this package; test for them with errors.Is.
var (
	// ErrSyntax reports a malformed MPS line.
	ErrSyntax = errors.New("solver: syntax error")
	// ErrUnknownName reports a row or column name that was never declared.
	ErrUnknownName = errors.New("solver: unknown name")
	// ErrUnsupported reports an MPS feature corl does not model (quadratic
	// objectives, SOS, semi-continuous variables, ...).
	ErrUnsupported = errors.New("solver: unsupported")
	// ErrTruncated reports an MPS file that ends before its ENDATA line: a
	// file cut short, which must not read as a smaller model.
	ErrTruncated = errors.New("solver: truncated input")
	// ErrGzip reports a gzipped MPS file whose stream is damaged or cut
	// short (bad header, checksum mismatch, unexpected end).
	ErrGzip = errors.New("solver: broken gzip stream")
	// ErrInvalidModel reports a model whose fields are inconsistent.
	ErrInvalidModel = errors.New("solver: invalid model")
)

// ParseError is an error in an MPS file. Line is 1-based; Field, when not
// empty, is the offending token.
type ParseError struct {
	File  string // file name, or "" when reading a stream
	Line  int    // 1-based line number
	Field string // offending token, if any
	Err   error  // underlying error, often ErrSyntax
}

func (e *ParseError) Error() string {
	file := e.File
	if file == "" {
		file = "<input>"
	}
	if e.Field != "" {
		field := e.Field
		if len(field) > 40 {
			field = field[:37] + "..."
		}
		return fmt.Sprintf("%s:%d: %q: %v", file, e.Line, field, e.Err)
	}
	return fmt.Sprintf("%s:%d: %v", file, e.Line, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// FieldError reports an inconsistent model field, such as a row index out of
// range. Index is the offending element, or -1 when the whole field is wrong.
type FieldError struct {
	Field string
	Index int
	Msg   string
}

func (e *FieldError) Error() string {
	if e.Index >= 0 {
		return fmt.Sprintf("solver: invalid model: %s[%d]: %s", e.Field, e.Index, e.Msg)
	}
	return fmt.Sprintf("solver: invalid model: %s: %s", e.Field, e.Msg)
}

func (e *FieldError) Unwrap() error { return ErrInvalidModel }
