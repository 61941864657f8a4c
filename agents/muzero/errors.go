package muzero

import (
	"errors"
	"fmt"
)

// Sentinel errors.
var (
	// ErrConfig: a configuration field out of range (see ConfigError).
	ErrConfig = errors.New("muzero: bad configuration")
	// ErrCheckpoint: a checkpoint that is not a muzero network, or one of
	// other sizes than the game's.
	ErrCheckpoint = errors.New("muzero: checkpoint does not fit")
)

// ConfigError names a configuration field and what it should be.
type ConfigError struct {
	Field string
	Value any
	Want  string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("muzero: %s = %v, want %s", e.Field, e.Value, e.Want)
}

func (e *ConfigError) Unwrap() error { return ErrConfig }
