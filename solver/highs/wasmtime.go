//go:build cgo && !corl_nowasmtime

package highs

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/corl-go/corl/internal/atomicfile"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// wasmtimeVersion keys the compiled-module cache: a serialized module only
// loads into the wasmtime that wrote it.
const wasmtimeVersion = "v39.0.1"

func init() { register("wasmtime", openWasmtime) }

// wasmtimeRuntime holds one engine and the compiled module, shared by every
// instance; each instance has its own store.
type wasmtimeRuntime struct {
	engine  *wasmtime.Engine
	module  *wasmtime.Module
	imports []wasmtimeImport
	exports [numFn]string
	memName string
	ctors   string
	// defineMu serialises the definition of imports (see newInstance).
	defineMu sync.Mutex
}

type wasmtimeImport struct {
	module, name string
	ty           *wasmtime.FuncType
	impl         hostFunc
}

func openWasmtime(cacheDir string) (runtimeImpl, error) {
	m, err := loadModule()
	if err != nil {
		return nil, err
	}
	engine := wasmtime.NewEngine()
	mod, err := compileWasmtime(engine, m, cacheDir)
	if err != nil {
		engine.Close()
		return nil, err
	}
	w := &wasmtimeRuntime{engine: engine, module: mod, memName: m.abi.memory, ctors: m.abi.ctors}
	for f, c := range cNames {
		w.exports[f] = m.abi.exports[c]
	}
	for _, imp := range mod.Imports() {
		name := ""
		if imp.Name() != nil {
			name = *imp.Name()
		}
		js, ok := m.abi.imports[name]
		if !ok {
			return nil, fmt.Errorf("%w: import %s.%s not in the glue file", ErrModuleCorrupt, imp.Module(), name)
		}
		impl, ok := hostFuncs[js]
		if !ok {
			return nil, fmt.Errorf("%w: import %s (%s) not implemented", ErrModuleCorrupt, name, js)
		}
		ft := imp.Type().FuncType()
		if ft == nil {
			return nil, fmt.Errorf("%w: import %s is not a function", ErrModuleCorrupt, name)
		}
		w.imports = append(w.imports, wasmtimeImport{module: imp.Module(), name: name, ty: ft, impl: impl})
	}
	return w, nil
}

// compileWasmtime loads the compiled module from the on-disk cache, or
// compiles it (about two seconds) and caches it for the next process.
func compileWasmtime(engine *wasmtime.Engine, m *module, cacheDir string) (*wasmtime.Module, error) {
	cachePath := ""
	if cacheDir != "" {
		cachePath = filepath.Join(cacheDir, fmt.Sprintf("highs-%s-wasmtime-%s-%s-%s.cwasm", m.hash[:16], wasmtimeVersion, runtime.GOOS, runtime.GOARCH))
		if mod, err := wasmtime.NewModuleDeserializeFile(engine, cachePath); err == nil {
			return mod, nil
		}
	}
	mod, err := wasmtime.NewModule(engine, m.wasm)
	if err != nil {
		return nil, fmt.Errorf("%w: compiling with wasmtime: %v", ErrModuleCorrupt, err)
	}
	if cachePath != "" {
		if b, err := mod.Serialize(); err == nil {
			atomicfile.Write(cachePath, b) // a cache: failing to write only costs time
		}
	}
	return mod, nil
}

func (w *wasmtimeRuntime) name() string { return "wasmtime" }

func (w *wasmtimeRuntime) close() {
	w.module.Close()
	w.engine.Close()
}

type wasmtimeInstance struct {
	rt    *wasmtimeRuntime
	store *wasmtime.Store
	mem   *wasmtime.Memory
	host  *host
	fns   [numFn]*wasmtime.Func
	kinds [numFn][]wasmtime.ValKind
	args  []interface{}
}

func (w *wasmtimeRuntime) newInstance(_ *module, h *host) (instance, error) {
	store := wasmtime.NewStore(w.engine)
	in := &wasmtimeInstance{rt: w, store: store, host: h}
	linker := wasmtime.NewLinker(w.engine)
	defer linker.Close()
	// wasmtime's C API fills caches of a function type on first use
	// (its results, its engine type) without synchronisation: two
	// goroutines defining imports of the shared types at once abort the
	// process ("reentrant init"). Instance creation is short; serialise it.
	if err := w.defineImports(linker, h); err != nil {
		in.close()
		return nil, err
	}
	inst, err := linker.Instantiate(store, w.module)
	if err != nil {
		in.close()
		return nil, fmt.Errorf("highs: instantiating with wasmtime: %w", err)
	}
	if ext := inst.GetExport(store, w.memName); ext != nil {
		in.mem = ext.Memory()
	}
	if in.mem == nil {
		in.close()
		return nil, fmt.Errorf("%w: memory export %s missing", ErrModuleCorrupt, w.memName)
	}
	for f, name := range w.exports {
		fnc := inst.GetFunc(store, name)
		if fnc == nil {
			in.close()
			return nil, fmt.Errorf("%w: export %s (%s) missing", ErrModuleCorrupt, cNames[f], name)
		}
		in.fns[f] = fnc
		for _, p := range fnc.Type(store).Params() {
			in.kinds[f] = append(in.kinds[f], p.Kind())
		}
	}
	ctor := inst.GetFunc(store, w.ctors)
	if ctor == nil {
		in.close()
		return nil, fmt.Errorf("%w: constructors export %s missing", ErrModuleCorrupt, w.ctors)
	}
	if _, err := ctor.Call(store); err != nil {
		err = in.trap("constructors", err)
		in.close()
		return nil, err
	}
	return in, nil
}

func rawVal(v wasmtime.Val) uint64 {
	switch v.Kind() {
	case wasmtime.KindI32:
		return uint64(uint32(v.I32()))
	case wasmtime.KindI64:
		return uint64(v.I64())
	case wasmtime.KindF32:
		return uint64(math.Float32bits(v.F32()))
	case wasmtime.KindF64:
		return math.Float64bits(v.F64())
	}
	return 0
}

func fromRaw(k wasmtime.ValKind, r uint64) wasmtime.Val {
	switch k {
	case wasmtime.KindI64:
		return wasmtime.ValI64(int64(r))
	case wasmtime.KindF64:
		return wasmtime.ValF64(math.Float64frombits(r))
	case wasmtime.KindF32:
		return wasmtime.ValF32(math.Float32frombits(uint32(r)))
	}
	return wasmtime.ValI32(int32(uint32(r)))
}

type wasmtimeMem struct {
	caller *wasmtime.Caller
	mem    *wasmtime.Memory
}

func (m wasmtimeMem) bytes() []byte { return m.mem.UnsafeData(m.caller) }

func (m wasmtimeMem) grow(delta uint32) bool {
	_, err := m.mem.Grow(m.caller, uint64(delta))
	return err == nil
}

func (in *wasmtimeInstance) call(f fn, args ...uint64) (uint64, error) {
	kinds := in.kinds[f]
	if len(args) != len(kinds) {
		panic(fmt.Sprintf("highs: %s called with %d arguments, want %d", cNames[f], len(args), len(kinds)))
	}
	in.args = in.args[:0]
	for k, a := range args {
		switch kinds[k] {
		case wasmtime.KindF64:
			in.args = append(in.args, math.Float64frombits(a))
		case wasmtime.KindI64:
			in.args = append(in.args, int64(a))
		default:
			in.args = append(in.args, int32(uint32(a)))
		}
	}
	r, err := in.fns[f].Call(in.store, in.args...)
	if err != nil {
		return 0, in.trap(cNames[f], err)
	}
	switch v := r.(type) {
	case int32:
		return uint64(uint32(v)), nil
	case int64:
		return uint64(v), nil
	case float64:
		return math.Float64bits(v), nil
	}
	return 0, nil
}

func (in *wasmtimeInstance) trap(op string, err error) error {
	msg := err.Error()
	var trap *wasmtime.Trap
	if errors.As(err, &trap) {
		msg = trap.Message()
	}
	if in.host.trap != "" {
		msg = in.host.trap
		in.host.trap = ""
	}
	return &TrapError{Op: op, Msg: msg, Backtrace: err.Error()}
}

func (in *wasmtimeInstance) memory() []byte { return in.mem.UnsafeData(in.store) }

func (in *wasmtimeInstance) close() {
	if in.store != nil {
		in.store.Close()
		in.store = nil
	}
}

// defineImports defines the host functions in linker, one goroutine at a time.
func (w *wasmtimeRuntime) defineImports(linker *wasmtime.Linker, h *host) error {
	w.defineMu.Lock()
	defer w.defineMu.Unlock()
	for _, imp := range w.imports {
		impl := imp.impl
		nres := len(imp.ty.Results())
		resKind := wasmtime.KindI32
		if nres > 0 {
			resKind = imp.ty.Results()[0].Kind()
		}
		err := linker.FuncNew(imp.module, imp.name, imp.ty, func(c *wasmtime.Caller, args []wasmtime.Val) ([]wasmtime.Val, *wasmtime.Trap) {
			var buf [8]uint64
			raw := buf[:len(args)]
			for k, a := range args {
				raw[k] = rawVal(a)
			}
			r, err := impl(h, wasmtimeMem{caller: c, mem: c.GetExport(w.memName).Memory()}, raw)
			if err != nil {
				return nil, wasmtime.NewTrap(h.trap)
			}
			if nres == 0 {
				return nil, nil
			}
			return []wasmtime.Val{fromRaw(resKind, r)}, nil
		})
		if err != nil {
			return fmt.Errorf("highs: defining import %s: %w", imp.name, err)
		}
	}
	return nil
}
