package highs

import (
	"os"
	"os/exec"
	"sync"
	"testing"
)

// Solvers created from many goroutines at once, first thing in a process
// (when the runtime's shared import types are still uninitialised), all
// work: wasmtime's function types initialise lazily and are not safe to
// initialise from two threads (it aborted the process, "reentrant init").
func TestConcurrentFirstSolvers(t *testing.T) {
	if os.Getenv("CORL_HIGHS_CONCURRENT_CHILD") == "1" {
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s, err := New(Config{})
				if err != nil {
					errs <- err
					return
				}
				s.Close()
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		return
	}
	newTestSolver(t, "", nil) // skips without HiGHS
	for i := range 6 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestConcurrentFirstSolvers$")
		cmd.Env = append(os.Environ(), "CORL_HIGHS_CONCURRENT_CHILD=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("process %d: %v\n%.2000s", i, err, out)
		}
	}
}
