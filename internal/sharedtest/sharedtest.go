// Package sharedtest locates the shared reference data (instances with known
// optima, allocation traces, transit networks) that lives beside a checkout
// in ../shared, for tests that use it as an external oracle.
//
// A test that needs it skips when it is absent, unless CORL_REQUIRE_SHARED=1
// says it must be there.
package sharedtest

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Dir returns the shared data directory, or skips t (fails it under
// CORL_REQUIRE_SHARED=1) when there is none.
func Dir(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("CORL_SHARED"); d != "" {
		return d
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			shared := filepath.Join(filepath.Dir(dir), "shared")
			if _, err := os.Stat(filepath.Join(shared, "instances", "expected.tsv")); err == nil {
				return shared
			}
			break
		}
		if filepath.Dir(dir) == dir {
			break
		}
	}
	if os.Getenv("CORL_REQUIRE_SHARED") == "1" {
		t.Fatal("shared reference data not found beside the checkout (../shared) and CORL_REQUIRE_SHARED=1")
	}
	t.Skip("shared reference data (../shared) not present")
	return ""
}

// Instance is one line of instances/expected.tsv.
type Instance struct {
	File      string // path to the MPS file
	Name      string // base name, e.g. "afiro.mps"
	Kind      string // "LP", "MILP" or "bad-input"
	Status    string // "optimal", "infeasible" or "error"
	Objective float64
	Rows      int
	Cols      int
	Integers  int
}

// Instances reads instances/expected.tsv.
func Instances(t testing.TB) []Instance {
	t.Helper()
	dir := filepath.Join(Dir(t), "instances")
	f, err := os.Open(filepath.Join(dir, "expected.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []Instance
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		if line == 1 || strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		c := strings.Split(sc.Text(), "\t")
		for len(c) < 7 {
			c = append(c, "")
		}
		in := Instance{File: filepath.Join(dir, "mps", c[0]), Name: c[0], Kind: c[1], Status: c[2]}
		if c[3] != "" {
			if in.Objective, err = strconv.ParseFloat(c[3], 64); err != nil {
				t.Fatalf("expected.tsv:%d: %v", line, err)
			}
		}
		in.Rows, _ = strconv.Atoi(c[4])
		in.Cols, _ = strconv.Atoi(c[5])
		in.Integers, _ = strconv.Atoi(c[6])
		out = append(out, in)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
