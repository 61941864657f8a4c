package highs

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
	"github.com/tetratelabs/wazero/sys"
)

func init() { register("wazero", openWazero) }

// wazeroRuntime compiles the module once per process (with wazero's
// on-disk compilation cache) and instantiates it anonymously per Solver.
type wazeroRuntime struct {
	rt       wazero.Runtime
	compiled wazero.CompiledModule
	exports  [numFn]string
	memName  string
	ctors    string
}

type hostKey struct{}

func openWazero(cacheDir string) (runtimeImpl, error) {
	m, err := loadModule()
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	cfg := wazero.NewRuntimeConfig()
	if cacheDir != "" {
		if cache, err := wazero.NewCompilationCacheWithDir(filepath.Join(cacheDir, "wazero")); err == nil {
			cfg = cfg.WithCompilationCache(cache)
		}
	}
	rt := wazero.NewRuntimeWithConfig(ctx, cfg)
	compiled, err := rt.CompileModule(ctx, m.wasm)
	if err != nil {
		rt.Close(ctx)
		return nil, fmt.Errorf("%w: compiling with wazero: %v", ErrModuleCorrupt, err)
	}
	// One host module serves every instance; each call's context carries the
	// instance's *host.
	var modName string
	for _, imp := range compiled.ImportedFunctions() {
		mod, name, _ := imp.Import()
		modName = mod
		js, ok := m.abi.imports[name]
		if !ok {
			rt.Close(ctx)
			return nil, fmt.Errorf("%w: import %s.%s not in the glue file", ErrModuleCorrupt, mod, name)
		}
		if _, ok := hostFuncs[js]; !ok {
			rt.Close(ctx)
			return nil, fmt.Errorf("%w: import %s (%s) not implemented", ErrModuleCorrupt, name, js)
		}
	}
	hb := rt.NewHostModuleBuilder(modName)
	for _, imp := range compiled.ImportedFunctions() {
		_, name, _ := imp.Import()
		impl := hostFuncs[m.abi.imports[name]]
		hb.NewFunctionBuilder().
			WithGoModuleFunction(wazeroHost(impl, len(imp.ResultTypes()) > 0), imp.ParamTypes(), imp.ResultTypes()).
			Export(name)
	}
	if _, err := hb.Instantiate(ctx); err != nil {
		rt.Close(ctx)
		return nil, fmt.Errorf("highs: wazero host module: %w", err)
	}
	w := &wazeroRuntime{rt: rt, compiled: compiled, memName: m.abi.memory, ctors: m.abi.ctors}
	for f, c := range cNames {
		w.exports[f] = m.abi.exports[c]
	}
	return w, nil
}

func wazeroHost(impl hostFunc, hasResult bool) api.GoModuleFunc {
	return func(ctx context.Context, mod api.Module, stack []uint64) {
		h, _ := ctx.Value(hostKey{}).(*host)
		if h == nil {
			panic("highs: host call outside a solver call")
		}
		r, err := impl(h, wazeroMem{mod.Memory()}, stack)
		if err != nil {
			panic(errTrapHost)
		}
		if hasResult {
			stack[0] = r
		}
	}
}

type wazeroMem struct{ m api.Memory }

func (w wazeroMem) bytes() []byte {
	b, _ := w.m.Read(0, w.m.Size())
	return b
}

func (w wazeroMem) grow(delta uint32) bool {
	_, ok := w.m.Grow(delta)
	return ok
}

func (w *wazeroRuntime) name() string { return "wazero" }

func (w *wazeroRuntime) close() { w.rt.Close(context.Background()) }

func (w *wazeroRuntime) newInstance(_ *module, h *host) (instance, error) {
	ctx := context.WithValue(context.Background(), hostKey{}, h)
	ctx = experimental.WithMemoryAllocator(ctx, mmapAllocator)
	mod, err := w.rt.InstantiateModule(ctx, w.compiled, wazero.NewModuleConfig().WithName("").WithStartFunctions())
	if err != nil {
		return nil, fmt.Errorf("highs: instantiating with wazero: %w", err)
	}
	in := &wazeroInstance{mod: mod, host: h, base: ctx, mem: mod.ExportedMemory(w.memName)}
	for f, name := range w.exports {
		if in.fns[f] = mod.ExportedFunction(name); in.fns[f] == nil {
			mod.Close(ctx)
			return nil, fmt.Errorf("%w: export %s (%s) missing", ErrModuleCorrupt, cNames[f], name)
		}
	}
	if in.mem == nil {
		mod.Close(ctx)
		return nil, fmt.Errorf("%w: memory export %s missing", ErrModuleCorrupt, w.memName)
	}
	ctor := mod.ExportedFunction(w.ctors)
	if ctor == nil {
		mod.Close(ctx)
		return nil, fmt.Errorf("%w: constructors export %s missing", ErrModuleCorrupt, w.ctors)
	}
	if _, err := ctor.Call(ctx); err != nil {
		mod.Close(ctx)
		return nil, in.trap("constructors", err)
	}
	return in, nil
}

type wazeroInstance struct {
	mod   api.Module
	host  *host
	base  context.Context
	mem   api.Memory
	fns   [numFn]api.Function
	stack [24]uint64
}

func (in *wazeroInstance) call(f fn, args ...uint64) (uint64, error) {
	ctx := in.base
	stack := in.stack[:max(len(args), 1)]
	copy(stack, args)
	if err := in.fns[f].CallWithStack(ctx, stack); err != nil {
		return 0, in.trap(cNames[f], err)
	}
	return stack[0], nil
}

func (in *wazeroInstance) trap(op string, err error) error {
	msg := err.Error()
	var exit *sys.ExitError
	switch {
	case in.host.trap != "":
		msg = in.host.trap
		in.host.trap = ""
	case errors.As(err, &exit):
		msg = "module exited with code " + strconv.Itoa(int(exit.ExitCode()))
	}
	return &TrapError{Op: op, Msg: msg, Backtrace: err.Error()}
}

func (in *wazeroInstance) memory() []byte {
	b, _ := in.mem.Read(0, in.mem.Size())
	return b
}

func (in *wazeroInstance) close() { in.mod.Close(in.base) }
