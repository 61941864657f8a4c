package main

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// deps lists the packages corl links (go list -deps ./cmd/corl).
func deps(t *testing.T) []string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to list the dependencies with")
	}
	out, err := exec.Command(goTool, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	return strings.Fields(string(out))
}

// TestBinaryDoesNotLinkTesting: the release binary carries no test
// helpers, so no package it links imports the testing package.
func TestBinaryDoesNotLinkTesting(t *testing.T) {
	for _, pkg := range deps(t) {
		if pkg == "testing" {
			t.Fatal("corl links the testing package; a test helper is imported by non-test code (go list -deps ./cmd/corl)")
		}
	}
}

// TestBinaryDoesNotLinkBeam: Apache Beam and its runners (tens of
// megabytes) are corl-beam's alone; no package corl links imports them.
func TestBinaryDoesNotLinkBeam(t *testing.T) {
	for _, pkg := range deps(t) {
		if strings.HasPrefix(pkg, "github.com/apache/beam/") {
			t.Fatalf("corl links %s; pipeline code belongs to cmd/corl-beam (go list -deps ./cmd/corl)", pkg)
		}
	}
}

// TestPureGoBuildIsStatic: built with CGO_ENABLED=0, corl is a static
// executable (no dynamic loader, no shared libraries), so it runs on any
// Linux, containers without a C library included. Loading OpenBLAS at run
// time is left to cgo builds for this reason.
func TestPureGoBuildIsStatic(t *testing.T) {
	if testing.Short() {
		t.Skip("builds corl")
	}
	if runtime.GOOS != "linux" {
		t.Skip("checks a Linux ELF executable")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build with")
	}
	bin := filepath.Join(t.TempDir(), "corl")
	cmd := exec.Command(goTool, "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("CGO_ENABLED=0 go build: %v\n%s", err, out)
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the CGO_ENABLED=0 binary asks for a dynamic loader")
		}
	}
	if libs, err := f.ImportedLibraries(); err != nil || len(libs) > 0 {
		t.Errorf("the CGO_ENABLED=0 binary needs shared libraries %v (%v)", libs, err)
	}
}
