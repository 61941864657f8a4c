//go:build cgo && linux && !corl_nowasmtime

package highs

import (
	"os"
	"runtime"
	"testing"
)

// Native threads that allocate, as wasmtime's callers do, share at most
// one arena per processor: without the cap, glibc would give each of them
// its own, up to eight per core.
func TestMallocArenasCapped(t *testing.T) {
	if _, set := os.LookupEnv("MALLOC_ARENA_MAX"); set {
		t.Skip("MALLOC_ARENA_MAX is set: the user's cap applies")
	}
	n := mallocArenas(32)
	if n < 0 {
		t.Skip("not glibc")
	}
	if max := runtime.NumCPU(); n > max {
		t.Errorf("%d malloc arenas after 32 allocating threads, want at most %d (one per processor)", n, max)
	}
}
