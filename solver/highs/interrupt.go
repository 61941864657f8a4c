package highs

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"time"
)

// deadlineGrace is how long past a context's deadline a running solve may
// go on before it is interrupted. A deadline is first passed to HiGHS as its
// time_limit, so HiGHS normally stops on its own; the interruption is the
// backstop.
const deadlineGrace = 2 * time.Second

// watch calls interrupt when ctx is done (after deadlineGrace when its
// deadline passed) unless stop is called first. Stop waits for the watcher
// to end, so interrupt is never called after stop returns.
func watch(ctx context.Context, interrupt func()) (stop func()) {
	done := make(chan struct{})
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		select {
		case <-done:
			return
		case <-ctx.Done():
		}
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			t := time.NewTimer(deadlineGrace)
			defer t.Stop()
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
		interrupt()
	}()
	return func() { close(done); <-exited }
}

// compiledCacheDir is where compiled modules are kept between runs.
func compiledCacheDir() (string, error) {
	if d := os.Getenv("CORL_CACHE_DIR"); d != "" {
		return filepath.Join(d, "compiled"), nil
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "corl", "compiled"), nil
}
