package qmip

import "fmt"

// ConfigError reports a Config field that Validate refuses: its name (a
// slice's with its index, as "Hidden[1]"), its value and what it must be.
type ConfigError struct {
	Field string
	Value any
	Want  string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("qmip: Config.%s = %v, want %s", e.Field, e.Value, e.Want)
}
