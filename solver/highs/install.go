package highs

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/corl-go/corl/internal/atomicfile"
)

// Install fetches the pinned HiGHS WebAssembly build with `npm pack`,
// checks the tarball's and the files' SHA-256 and writes highs.wasm and
// highs.js into dir ("" means DefaultDir()). Progress goes to log. An
// already valid installation is left alone.
func Install(ctx context.Context, dir string, log io.Writer) (string, error) {
	if dir == "" {
		var err error
		if dir, err = DefaultDir(); err != nil {
			return "", err
		}
	}
	if log == nil {
		log = io.Discard
	}
	wasmFile := filepath.Join(dir, "highs.wasm")
	if fileHash(wasmFile) == wasmSHA256 && fileHash(filepath.Join(dir, "highs.js")) == jsSHA256 {
		fmt.Fprintf(log, "HiGHS %s (npm %s@%s) already installed in %s\n", Version, NPMPackage, NPMVersion, dir)
		return wasmFile, nil
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return "", fmt.Errorf("highs: npm is needed to fetch %s@%s: %w", NPMPackage, NPMVersion, err)
	}
	tmp, err := os.MkdirTemp("", "corl-highs-*")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	fmt.Fprintf(log, "fetching %s@%s with npm pack\n", NPMPackage, NPMVersion)
	cmd := exec.CommandContext(ctx, npm, "pack", "--silent", "--pack-destination", tmp, NPMPackage+"@"+NPMVersion)
	cmd.Dir = tmp
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("highs: npm pack %s@%s: %v: %s", NPMPackage, NPMVersion, err, bytes.TrimSpace(stderr.Bytes()))
	}
	tgz := filepath.Join(tmp, NPMPackage+"-"+NPMVersion+".tgz")
	data, err := os.ReadFile(tgz)
	if err != nil {
		return "", fmt.Errorf("highs: npm pack left no %s: %w", filepath.Base(tgz), err)
	}
	if h := sha256Hex(data); h != tarballSHA256 {
		return "", fmt.Errorf("%w: %s has SHA-256 %s, want %s", ErrModuleCorrupt, filepath.Base(tgz), h, tarballSHA256)
	}
	files, err := untar(data, map[string]string{
		"package/build/highs.wasm": wasmSHA256,
		"package/build/highs.js":   jsSHA256,
		"package/LICENSE":          "",
	})
	if err != nil {
		return "", err
	}
	if err := writeFiles(dir, files); err != nil {
		return "", err
	}
	fmt.Fprintf(log, "installed HiGHS %s WebAssembly module in %s\n", Version, dir)
	return wasmFile, nil
}

// writeFiles writes files (by base name) into dir, each by an atomic rename.
func writeFiles(dir string, files map[string][]byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, b := range files {
		if err := atomicfile.Write(filepath.Join(dir, filepath.Base(name)), b); err != nil {
			return err
		}
	}
	return nil
}

// ModuleFiles returns the verified module this process loads (see
// EnvWasm) and its glue file, so that they can be handed to a machine
// that has no copy, which installs them with InstallFiles.
func ModuleFiles() (wasm, glue []byte, err error) {
	m, err := loadModule()
	if err != nil {
		return nil, nil, err
	}
	jsPath := filepath.Join(filepath.Dir(m.path), "highs.js")
	glue, err = os.ReadFile(jsPath)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: the glue file %s beside the module: %v; %s", ErrModuleMissing, jsPath, err, howToGet)
	}
	return m.wasm, glue, nil
}

// InstallFiles checks a module and its glue file, as ModuleFiles returns
// them, against the pinned build's SHA-256 sums and writes them into dir
// ("" means DefaultDir()), where a process finds them. An already valid
// installation is left alone; files that are not the pinned build are
// refused with ErrModuleCorrupt and nothing is written.
func InstallFiles(dir string, wasm, glue []byte) (string, error) {
	if dir == "" {
		var err error
		if dir, err = DefaultDir(); err != nil {
			return "", err
		}
	}
	wasmFile := filepath.Join(dir, "highs.wasm")
	if h := sha256Hex(wasm); h != wasmSHA256 {
		return "", fmt.Errorf("%w: the module handed over has SHA-256 %s, want %s (highs@%s)", ErrModuleCorrupt, h[:16], wasmSHA256[:16], NPMVersion)
	}
	if h := sha256Hex(glue); h != jsSHA256 {
		return "", fmt.Errorf("%w: the glue file handed over has SHA-256 %s, want %s (highs@%s)", ErrModuleCorrupt, h[:16], jsSHA256[:16], NPMVersion)
	}
	if fileHash(wasmFile) == wasmSHA256 && fileHash(filepath.Join(dir, "highs.js")) == jsSHA256 {
		return wasmFile, nil
	}
	return wasmFile, writeFiles(dir, map[string][]byte{"highs.wasm": wasm, "highs.js": glue})
}

func untar(tgz []byte, want map[string]string) (map[string][]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(tgz))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrModuleCorrupt, err)
	}
	tr := tar.NewReader(zr)
	out := map[string][]byte{}
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrModuleCorrupt, err)
		}
		sum, ok := want[hdr.Name]
		if !ok {
			continue
		}
		b, err := io.ReadAll(io.LimitReader(tr, 64<<20))
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrModuleCorrupt, err)
		}
		if sum != "" && sha256Hex(b) != sum {
			return nil, fmt.Errorf("%w: %s does not match its pinned SHA-256", ErrModuleCorrupt, hdr.Name)
		}
		out[hdr.Name] = b
	}
	for name, sum := range want {
		if _, ok := out[name]; !ok && sum != "" {
			return nil, fmt.Errorf("%w: %s missing from the package", ErrModuleCorrupt, name)
		}
	}
	return out, nil
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func fileHash(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return sha256Hex(b)
}
