package eval

import (
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/corl-go/corl/internal/progress"
	"github.com/corl-go/corl/trace"
)

// Runner runs jobs, on one goroutine or several, keeping finished runs
// in a Store.
type Runner struct {
	// Workers is the number of runs at a time (0: 1). Each run makes its
	// own solvers, so runs share nothing; one at a time keeps timings
	// free of contention.
	Workers int
	// Store keeps finished runs and skips those it holds (nil: results
	// are only returned).
	Store *Store
	// Progress receives a progress bar, or plain lines (nil: none).
	Progress io.Writer
	// Phase names the bar ("": "evaluate").
	Phase string
}

// Validate checks the configuration.
func (r Runner) Validate() error {
	if r.Workers < 0 {
		return &ConfigError{"Runner.Workers", r.Workers, "at least 1 (0: 1)"}
	}
	return nil
}

// Run runs every job not yet in the Store with fn and returns the results
// in job order, whatever order they finished in. When ctx is cancelled it
// starts no more runs, drops the runs that the cancellation cut short,
// flushes the finished ones and returns an error wrapping ErrInterrupted
// (the results of unfinished jobs are zero). An error of fn stops the
// other runs the same way and is returned.
func (r Runner) Run(ctx context.Context, jobs []Job, fn Func) ([]trace.Result, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	results := make([]trace.Result, len(jobs))
	var todo []int
	for i, j := range jobs {
		if res, ok := r.Store.lookup(j); ok {
			results[i] = res
		} else {
			todo = append(todo, i)
		}
	}
	phase := r.Phase
	if phase == "" {
		phase = "evaluate"
	}
	bar := progress.New(orDiscard(r.Progress), phase, int64(len(jobs)))
	defer bar.Finish()
	bar.Set(int64(len(jobs) - len(todo)))

	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	next := make(chan int)
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
			stop(err)
		}
		mu.Unlock()
	}
	for range max(r.Workers, 1) {
		wg.Go(func() {
			for i := range next {
				o, err := fn(ctx, jobs[i])
				if ctx.Err() != nil {
					continue // cut short (or stopped by another run's error): not a result
				}
				if err != nil {
					fail(fmt.Errorf("%s on %s: %w", jobs[i].Policy, jobs[i].Instance, err))
					continue
				}
				if err := r.Store.add(o); err != nil {
					fail(err)
					continue
				}
				mu.Lock()
				results[i] = o.Result
				mu.Unlock()
				bar.Add(1)
				bar.Describe(fmt.Sprintf("%s %s: %s", o.Result.Instance, o.Result.Policy, o.Result.Status))
			}
		})
	}
feed:
	for _, i := range todo {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	ferr := r.Store.flushNil()
	if firstErr != nil {
		return results, firstErr
	}
	if ferr != nil {
		return results, ferr
	}
	if ctx.Err() != nil {
		return results, fmt.Errorf("%w: %w", ErrInterrupted, context.Cause(ctx))
	}
	return results, nil
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// The Store's methods as the Runner uses them: a nil Store keeps nothing.
func (s *Store) lookup(j Job) (trace.Result, bool) {
	if s == nil {
		return trace.Result{}, false
	}
	return s.Done(j)
}

func (s *Store) add(o Outcome) error {
	if s == nil {
		return nil
	}
	return s.Add(o)
}

func (s *Store) flushNil() error {
	if s == nil {
		return nil
	}
	return s.Flush()
}
