// Package sharedtest locates the reference data (instances with known
// optima, allocation traces, transit networks) that tests use as an
// external oracle: the shared directory beside a checkout (../shared, or
// $CORL_SHARED) when there is one, otherwise the public sets `corl fetch`
// puts in the user cache.
//
// A test that needs data skips when it is absent, unless
// CORL_REQUIRE_SHARED=1 says it must be there. CORL_SHARED=DIR names the
// shared directory; CORL_SHARED=off ignores it (the fetched sets only).
package sharedtest

import (
	"bufio"
	"bytes"
	_ "embed"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/corl-go/corl/internal/refdata"
)

// expectedTSV is the published outcome of every highs-instances file, the
// same table as instances/expected.tsv of the shared directory.
//
//go:embed expected.tsv
var expectedTSV []byte

// Dir returns the shared data directory, or skips t (fails it under
// CORL_REQUIRE_SHARED=1) when there is none. Prefer Instances, InstanceFile and
// MiniMalloc, which also find the fetched sets; Dir is for data that only
// the shared directory holds.
func Dir(t testing.TB) string {
	t.Helper()
	if d, ok := sharedDir(); ok {
		return d
	}
	missing(t, "the shared reference data (../shared)")
	return ""
}

// sharedDir finds $CORL_SHARED or ../shared beside the module root;
// CORL_SHARED=off ignores the shared directory, so only fetched sets count.
func sharedDir() (string, bool) {
	if d := os.Getenv("CORL_SHARED"); d == "off" {
		return "", false
	} else if d != "" {
		return d, true
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			shared := filepath.Join(filepath.Dir(dir), "shared")
			if _, err := os.Stat(filepath.Join(shared, "instances", "expected.tsv")); err == nil {
				return shared, true
			}
			return "", false
		}
		if filepath.Dir(dir) == dir {
			return "", false
		}
	}
}

// fetched returns the directory of set name in the user cache when every
// file of it is there.
func fetched(name string) (string, bool) {
	s, err := refdata.Lookup(name)
	if err != nil {
		return "", false
	}
	dir, err := refdata.Dir("", name)
	if err != nil {
		return "", false
	}
	have, _ := refdata.Complete(s, dir)
	return dir, have == len(s.Files)
}

// locate returns the shared sub-directory sub when the shared directory
// exists, else the fetched set, else skips (or fails) t.
func locate(t testing.TB, sub, set string) string {
	t.Helper()
	if d, ok := sharedDir(); ok {
		return filepath.Join(d, sub)
	}
	if d, ok := fetched(set); ok {
		return d
	}
	missing(t, "reference data "+set+" (neither ../shared nor `corl fetch "+set+"` in the user cache)")
	return ""
}

func missing(t testing.TB, what string) {
	t.Helper()
	if os.Getenv("CORL_REQUIRE_SHARED") == "1" {
		t.Fatal(what + " not found and CORL_REQUIRE_SHARED=1")
	}
	t.Skip(what + " not present")
}

// MiniMalloc returns the directory of MiniMalloc's challenging benchmark
// CSVs (A.1048576.csv ... I.1048576.csv).
func MiniMalloc(t testing.TB) string {
	t.Helper()
	return locate(t, filepath.Join("malloc", "minimalloc"), "minimalloc")
}

// InstanceFile returns the path of one highs-instances file, e.g. "p0548.mps".
func InstanceFile(t testing.TB, name string) string {
	t.Helper()
	return filepath.Join(locate(t, filepath.Join("instances", "mps"), "highs-instances"), name)
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

// SetDir returns the directory holding the files of the fetchable set
// name ("highs-instances" or "minimalloc").
func SetDir(t testing.TB, name string) string {
	t.Helper()
	switch name {
	case "highs-instances":
		return locate(t, filepath.Join("instances", "mps"), name)
	case "minimalloc":
		return MiniMalloc(t)
	}
	t.Fatalf("sharedtest: no reference copy of set %q", name)
	return ""
}

// Mirror serves every fetchable set the way a `corl fetch` mirror does
// (BASE/NAME/FILE) from a local server, and returns BASE.
func Mirror(t testing.TB) string {
	t.Helper()
	mux := http.NewServeMux()
	for _, s := range refdata.Sets {
		mux.Handle("/"+s.Name+"/", http.StripPrefix("/"+s.Name+"/", http.FileServer(http.Dir(SetDir(t, s.Name)))))
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

// Instances returns every highs-instances file with its published outcome:
// instances/expected.tsv of the shared directory, or the same table
// embedded here for a fetched set.
func Instances(t testing.TB) []Instance {
	t.Helper()
	mps := locate(t, filepath.Join("instances", "mps"), "highs-instances")
	var table io.Reader = bytes.NewReader(expectedTSV)
	if shared, ok := sharedDir(); ok {
		f, err := os.Open(filepath.Join(shared, "instances", "expected.tsv"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		table = f
	}
	var out []Instance
	sc := bufio.NewScanner(table)
	for line := 1; sc.Scan(); line++ {
		if line == 1 || strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		c := strings.Split(sc.Text(), "\t")
		for len(c) < 7 {
			c = append(c, "")
		}
		in := Instance{File: filepath.Join(mps, c[0]), Name: c[0], Kind: c[1], Status: c[2]}
		if c[3] != "" {
			var err error
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
