package eval

import (
	"errors"
	"fmt"
)

// ErrInterrupted: the context was cancelled before every job finished.
// The runs that finished are kept.
var ErrInterrupted = errors.New("eval: interrupted")

// UnfinishedError: a store's directory holds the runs of an evaluation
// that did not finish, and the store was opened without resuming. Nothing
// is removed.
type UnfinishedError struct {
	Dir  string
	Runs int // finished runs in Dir
}

func (e *UnfinishedError) Error() string {
	return fmt.Sprintf("eval: %s holds %d finished runs of an evaluation that did not finish", e.Dir, e.Runs)
}

// SettingsError: a resumed evaluation's settings differ from the ones its
// finished runs were made with.
type SettingsError struct {
	Dir      string // the directory of parts, or the finished Out, that recorded them
	Name     string
	Was, Now string // "(none)": not set
	// Unset: the resumed evaluation does not set Name at all (a setting
	// recorded only when given, resumed without it).
	Unset bool
	// Missing: the record predates the setting Name, and the search it
	// stands for is not the one Now asks for (or is not known).
	Missing bool
}

func (e *SettingsError) Error() string {
	if e.Missing {
		return fmt.Sprintf("eval: %s: its runs were recorded before the setting %s, and were not made with %s %s", e.Dir, e.Name, e.Name, e.Now)
	}
	if e.Unset {
		return fmt.Sprintf("eval: %s: its runs were made with %s %s, which this evaluation does not set: give it again", e.Dir, e.Name, e.Was)
	}
	return fmt.Sprintf("eval: %s: its runs were made with %s %s, not %s", e.Dir, e.Name, e.Was, e.Now)
}

// ConfigError: a field of a configuration is out of range.
type ConfigError struct {
	Field string
	Value any
	Want  string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("eval: %s = %v: want %s", e.Field, e.Value, e.Want)
}
