package highs

import (
	"fmt"
	"os"
	"time"
)

// Startup is how long bringing up a runtime takes in a fresh process.
type Startup struct {
	Cold   time.Duration // compile the module from scratch, then one instance and Highs_create
	Cached time.Duration // load the compiled module from the on-disk cache, then the same
}

// MeasureStartup times a runtime's start-up in isolation from the process's
// own runtime, using a temporary cache directory: first empty (cold), then
// filled by the cold start (cached).
func MeasureStartup(runtime string) (Startup, error) {
	runtimesMu.Lock()
	open, ok := openers[runtime]
	runtimesMu.Unlock()
	if !ok {
		return Startup{}, fmt.Errorf("%w: %q", ErrRuntime, runtime)
	}
	m, err := loadModule()
	if err != nil && runtime != "native" {
		return Startup{}, err
	}
	dir, err := os.MkdirTemp("", "corl-startup-*")
	if err != nil {
		return Startup{}, err
	}
	defer os.RemoveAll(dir)
	once := func() (time.Duration, error) {
		start := time.Now()
		rt, err := open(dir)
		if err != nil {
			return 0, err
		}
		defer rt.close()
		in, err := rt.newInstance(m, newHost())
		if err != nil {
			return 0, err
		}
		defer in.close()
		if _, err := in.call(fnCreate); err != nil {
			return 0, err
		}
		return time.Since(start), nil
	}
	var s Startup
	if s.Cold, err = once(); err != nil {
		return s, err
	}
	s.Cached, err = once()
	return s, err
}
