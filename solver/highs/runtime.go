package highs

import (
	"fmt"
	"os"
	"sort"
	"sync"
)

// instance is one instantiated HiGHS module in some WebAssembly runtime (or,
// for the native engine, an emulation of one). All C API marshalling is
// shared: arguments are raw 64-bit values (i32 zero-extended, f64 by its
// bits) and arrays live in the instance's linear memory.
type instance interface {
	// call runs an export. An error means the call trapped.
	call(f fn, args ...uint64) (uint64, error)
	// memory returns the current linear memory; it is invalidated by any call.
	memory() []byte
	close()
}

// runtimeImpl creates instances of the module in one runtime.
type runtimeImpl interface {
	name() string
	newInstance(m *module, h *host) (instance, error)
	close()
}

// opener brings up a runtime; cacheDir is where compiled modules are kept
// ("" means no cache).
type opener func(cacheDir string) (runtimeImpl, error)

var (
	runtimesMu sync.Mutex
	runtimes   = map[string]func() (runtimeImpl, error){}
	openers    = map[string]opener{}
	// preference orders runtimes: the first registered one present wins.
	preference = []string{"wasmtime", "wazero", "native"}
)

// register makes a runtime available; called from init in build-tagged files.
// The process-wide runtime is opened once, with the user's cache directory.
func register(name string, open opener) {
	runtimesMu.Lock()
	defer runtimesMu.Unlock()
	var once sync.Once
	var rt runtimeImpl
	var err error
	openers[name] = open
	runtimes[name] = func() (runtimeImpl, error) {
		once.Do(func() {
			dir, _ := compiledCacheDir() // no cache directory: compile every time
			rt, err = open(dir)
		})
		return rt, err
	}
}

// Runtimes lists the engines compiled into this binary: "wasmtime" (with
// cgo), "wazero" (always) and "native" (build tag highs_native).
func Runtimes() []string {
	runtimesMu.Lock()
	defer runtimesMu.Unlock()
	var out []string
	for _, n := range preference {
		if _, ok := runtimes[n]; ok {
			out = append(out, n)
		}
	}
	return out
}

// DefaultRuntime returns the runtime a Solver uses when none is asked for:
// CORL_HIGHS_RUNTIME if set, else wasmtime when compiled in (cgo), else wazero.
func DefaultRuntime() string {
	if r := os.Getenv(EnvRuntime); r != "" {
		return r
	}
	for _, n := range Runtimes() {
		if n != "native" {
			return n
		}
	}
	return "wazero"
}

func openRuntime(name string) (runtimeImpl, error) {
	if name == "" {
		name = DefaultRuntime()
	}
	runtimesMu.Lock()
	open, ok := runtimes[name]
	runtimesMu.Unlock()
	if !ok {
		avail := Runtimes()
		sort.Strings(avail)
		return nil, fmt.Errorf("%w: %q is not compiled into this binary (have %v)", ErrRuntime, name, avail)
	}
	return open()
}
