package highs

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
)

// The pinned HiGHS WebAssembly build: npm package "highs" (highs-js), which
// compiles HiGHS 1.15.1 (tag v1.15.1) with its full C API exported.
const (
	NPMPackage = "highs"
	NPMVersion = "1.15.3"
	// Version is the HiGHS release inside the pinned WebAssembly build.
	Version = "1.15.1"

	tarballSHA256 = "218533577886c69023739024bb92cfc2831ba45ff1fd1fd981753c04cded9793"
	wasmSHA256    = "528be4365bea1d4188988646b244263f50320df55782e14d6af5bce7cd45c840"
	jsSHA256      = "0bd23843c9795753f2276e9901eb2a1e66288547b6bcba84fa0665dc037b5c7c"
)

// EnvWasm names the environment variable that points at highs.wasm (with
// highs.js beside it); EnvRuntime forces the WebAssembly runtime.
const (
	EnvWasm    = "CORL_HIGHS_WASM"
	EnvRuntime = "CORL_HIGHS_RUNTIME"
)

// DefaultDir returns the directory where Install puts the module and where
// it is looked for when CORL_HIGHS_WASM is not set: the user's cache
// directory, under corl/highs-<version>.
func DefaultDir() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "corl", "highs-"+NPMVersion), nil
}

// wasmPath returns where the module is expected.
func wasmPath() (string, error) {
	if p := os.Getenv(EnvWasm); p != "" {
		return p, nil
	}
	dir, err := DefaultDir()
	if err != nil {
		return "", fmt.Errorf("%w: no user cache directory (%v); set %s", ErrModuleMissing, err, EnvWasm)
	}
	return filepath.Join(dir, "highs.wasm"), nil
}

const howToGet = "run `make highs` or `corl setup` (needs npm), or set " + EnvWasm + " to a highs.wasm from npm package " + NPMPackage + "@" + NPMVersion

// module is the verified WebAssembly binary and the names its glue file maps.
type module struct {
	path string
	wasm []byte
	hash string // hex SHA-256 of wasm
	abi  abi
}

var (
	moduleOnce sync.Once
	moduleVal  *module
	moduleErr  error
)

// loadModule reads and verifies the module once per process.
func loadModule() (*module, error) {
	moduleOnce.Do(func() { moduleVal, moduleErr = readModule() })
	return moduleVal, moduleErr
}

func readModule() (*module, error) {
	path, err := wasmPath()
	if err != nil {
		return nil, err
	}
	wasm, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s not found; %s", ErrModuleMissing, path, howToGet)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v; %s", ErrModuleMissing, err, howToGet)
	}
	sum := sha256.Sum256(wasm)
	hash := hex.EncodeToString(sum[:])
	if hash != wasmSHA256 && os.Getenv("CORL_HIGHS_UNPINNED") != "1" {
		return nil, fmt.Errorf("%w: %s has SHA-256 %s, want %s (highs@%s); %s", ErrModuleCorrupt, path, hash[:16], wasmSHA256[:16], NPMVersion, howToGet)
	}
	jsPath := filepath.Join(filepath.Dir(path), "highs.js")
	js, err := os.ReadFile(jsPath)
	if err != nil {
		return nil, fmt.Errorf("%w: the glue file %s beside the module: %v; %s", ErrModuleMissing, jsPath, err, howToGet)
	}
	a, err := parseGlue(js)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrModuleCorrupt, jsPath, err)
	}
	return &module{path: path, wasm: wasm, hash: hash, abi: a}, nil
}

// abi maps the C names corl uses to the module's minified export and import
// names, read from the Emscripten glue file (highs.js).
type abi struct {
	memory  string            // exported linear memory
	ctors   string            // static constructors, run once per instance
	exports map[string]string // C name without leading underscore -> export
	imports map[string]string // minified import name -> JS function name without leading underscores
}

var (
	reExport  = regexp.MustCompile(`(\w+)=(?:Module\["\w+"\]=)?wasmExports\["([\w$]+)"\]`)
	reMemory  = regexp.MustCompile(`wasmMemory=wasmExports\["([\w$]+)"\]`)
	reCtors   = regexp.MustCompile(`wasmExports\["([\w$]+)"\]\(\)`)
	reImports = regexp.MustCompile(`var wasmImports=\{([^}]*)\}`)
)

func parseGlue(js []byte) (abi, error) {
	a := abi{exports: map[string]string{}, imports: map[string]string{}}
	for _, m := range reExport.FindAllSubmatch(js, -1) {
		a.exports[strings.TrimPrefix(string(m[1]), "_")] = string(m[2])
	}
	if m := reMemory.FindSubmatch(js); m != nil {
		a.memory = string(m[1])
	}
	if m := reCtors.FindSubmatch(js); m != nil {
		a.ctors = string(m[1])
	}
	m := reImports.FindSubmatch(js)
	if m == nil {
		return a, errors.New("no wasmImports table")
	}
	for _, kv := range bytes.Split(m[1], []byte{','}) {
		k, v, ok := bytes.Cut(kv, []byte{':'})
		if !ok {
			return a, fmt.Errorf("malformed import entry %q", kv)
		}
		a.imports[string(k)] = strings.TrimLeft(string(v), "_")
	}
	switch {
	case a.memory == "":
		return a, errors.New("no exported memory")
	case a.ctors == "":
		return a, errors.New("no constructors export")
	}
	for _, name := range cNames {
		if _, ok := a.exports[name]; !ok {
			return a, fmt.Errorf("export %s missing", name)
		}
	}
	return a, nil
}
