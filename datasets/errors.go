package datasets

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrBadInput is wrapped by every error about what a caller asked for (a
// family, size, parameter or count), as opposed to failures writing files;
// errors.Is(err, ErrBadInput) tells the two apart.
var ErrBadInput = errors.New("datasets: bad input")

// ErrSetMismatch reports a directory holding another set than the one asked
// for (another family, size, seed or parameters).
var ErrSetMismatch = errors.New("datasets: the directory holds another set")

// ParamError reports a parameter value outside its allowed range, or not
// an integer where one is needed. Min and Max bound the value (inclusive);
// MinOpen says Min itself is excluded.
type ParamError struct {
	Family  string
	Name    string
	Value   float64
	Min     float64
	Max     float64
	MinOpen bool
	Integer bool   // the parameter takes integers only
	Reason  string // what is wrong when it is not the range (e.g. "must not exceed max_weight")
}

func (e *ParamError) Error() string {
	v := strconv.FormatFloat(e.Value, 'g', -1, 64)
	if e.Reason != "" {
		return fmt.Sprintf("datasets: %s parameter %s = %s: %s", e.Family, e.Name, v, e.Reason)
	}
	kind := "a number"
	if e.Integer {
		kind = "an integer"
	}
	lo := "["
	if e.MinOpen {
		lo = "("
	}
	return fmt.Sprintf("datasets: %s parameter %s = %s: want %s in %s%s, %s]", e.Family, e.Name, v, kind, lo,
		strconv.FormatFloat(e.Min, 'g', -1, 64), strconv.FormatFloat(e.Max, 'g', -1, 64))
}

func (e *ParamError) Unwrap() error { return ErrBadInput }

// UnknownParamError reports a parameter the family does not have.
type UnknownParamError struct {
	Family string
	Name   string
	Known  []string // the family's parameters, sorted
}

func (e *UnknownParamError) Error() string {
	return fmt.Sprintf("datasets: %s has no parameter %q (have %s)", e.Family, e.Name, strings.Join(e.Known, ", "))
}

func (e *UnknownParamError) Unwrap() error { return ErrBadInput }

// UnknownFamilyError reports a family name that is not a generator.
type UnknownFamilyError struct {
	Name  string
	Known []string
}

func (e *UnknownFamilyError) Error() string {
	return fmt.Sprintf("datasets: unknown family %q (want one of %s)", e.Name, strings.Join(e.Known, ", "))
}

func (e *UnknownFamilyError) Unwrap() error { return ErrBadInput }

// UnknownSizeError reports a size that is not easy, medium or hard.
type UnknownSizeError struct{ Size Size }

func (e *UnknownSizeError) Error() string {
	return fmt.Sprintf("datasets: unknown size %q (want easy, medium or hard)", string(e.Size))
}

func (e *UnknownSizeError) Unwrap() error { return ErrBadInput }

// SizeError reports parameters that would build an instance past the
// sanity limit: Estimate of What (columns, nonzeros, generator work) is
// above Limit.
type SizeError struct {
	Family   string
	What     string
	Estimate float64
	Limit    float64
}

func (e *SizeError) Error() string {
	return fmt.Sprintf("datasets: %s with these parameters would need about %.3g %s, above the limit of %.3g; lower the sizes",
		e.Family, e.Estimate, e.What, e.Limit)
}

func (e *SizeError) Unwrap() error { return ErrBadInput }

// CountError reports a number of instances (or another count of a set,
// named by Name) below its minimum.
type CountError struct {
	Name  string
	Value int
	Min   int
}

func (e *CountError) Error() string {
	return fmt.Sprintf("datasets: %s must be at least %d, got %d", e.Name, e.Min, e.Value)
}

func (e *CountError) Unwrap() error { return ErrBadInput }
