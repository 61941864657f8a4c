package bnb

// ConfigError reports a setting that Validate refuses: the field, named
// as a path from the type validated, and what it must be.
type ConfigError struct {
	Field  string // for example "Reliability.MaxReliable"
	Reason string
}

func (e *ConfigError) Error() string { return "bnb: " + e.Field + ": " + e.Reason }
