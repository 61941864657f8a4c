package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/corl-go/corl/internal/cliexit"
	"github.com/corl-go/corl/solver/highs"
)

// shippedModule carries the verified HiGHS WebAssembly module from the
// launching machine to the workers inside the pipeline, so that a cluster
// worker needs no install: Setup writes it into the worker's user cache
// once, after checking it against the pinned SHA-256 sums
// (highs.InstallFiles). It is left empty when the workers share the
// launcher's machine (Prism with loopback workers).
type shippedModule struct {
	Wasm []byte
	Glue []byte
}

// shipModule returns the module to ship, or none for local workers.
func shipModule(local bool) (shippedModule, error) {
	if local {
		return shippedModule{}, nil
	}
	wasm, glue, err := highs.ModuleFiles()
	if err != nil {
		return shippedModule{}, cliexit.FailedErr(fmt.Errorf("the HiGHS module to send to the workers: %w", err))
	}
	return shippedModule{Wasm: wasm, Glue: glue}, nil
}

// install puts the shipped module where the worker's HiGHS looks for it,
// unless the worker was pointed at its own copy (highs.EnvWasm).
func (m shippedModule) install() error {
	if len(m.Wasm) == 0 || os.Getenv(highs.EnvWasm) != "" {
		return nil
	}
	dir, err := highs.DefaultDir()
	if err != nil {
		if dir, err = os.MkdirTemp("", "corl-highs-"); err != nil {
			return err
		}
	}
	path, err := highs.InstallFiles(dir, m.Wasm, m.Glue)
	if errors.Is(err, os.ErrPermission) { // a read-only home: use a private copy
		if dir, err = os.MkdirTemp("", "corl-highs-"); err == nil {
			path, err = highs.InstallFiles(dir, m.Wasm, m.Glue)
		}
	}
	if err != nil {
		return fmt.Errorf("corl-beam: installing the shipped HiGHS module: %w", err)
	}
	if dir != mustDefaultDir() {
		return os.Setenv(highs.EnvWasm, path)
	}
	return nil
}

func mustDefaultDir() string {
	d, _ := highs.DefaultDir()
	return d
}
