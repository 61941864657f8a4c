package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"

	"github.com/corl-go/corl/datasets"
	"github.com/corl-go/corl/eval"
	"github.com/corl-go/corl/internal/cliexit"
	"github.com/corl-go/corl/internal/evalcli"
	"github.com/corl-go/corl/internal/highstest"
	"github.com/corl-go/corl/trace"
)

// memDir is a directory of the in-memory filesystem for one test: the
// filesystem is one per process, shared by the tests and Prism's loopback
// workers.
func memDir(t *testing.T) string {
	return "memfs://" + strings.ReplaceAll(t.Name(), "/", "-")
}

// toMem copies local files into the in-memory directory dir.
func toMem(t *testing.T, dir string, files ...string) {
	t.Helper()
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := writeFile(context.Background(), joinPath(dir, filepath.Base(f)), b); err != nil {
			t.Fatal(err)
		}
	}
}

// TestEvalMILPOnMemfs: with the instances and every output on memfs://,
// corl-beam eval milp gives corl eval milp's rows on the same generated
// set (read from a local directory), and leaves no parts behind.
func TestEvalMILPOnMemfs(t *testing.T) {
	highstest.Need(t)
	ctx := context.Background()
	dir := t.TempDir()
	set := filepath.Join(dir, "set")
	names := setcoverSet(t, set, 3)
	mem := memDir(t)
	for _, n := range names {
		toMem(t, mem+"/set", filepath.Join(set, n))
	}
	// Without cuts, which close these small models at the root: no decision to trace.
	flags := []string{"--branching", "pscost,mostfrac", "--highs", "--cuts", "off"}
	runCorl(t, append([]string{"eval", "milp", "--set", set, "--out", filepath.Join(dir, "local.parquet")}, flags...)...)
	out, traceOut := mem+"/out/results.parquet", mem+"/out/trace.parquet"
	code, stdout, stderr := runBeam(t, append([]string{"eval", "milp", "--set", mem + "/set", "--out", out, "--trace", traceOut}, flags...)...)
	if code != 0 {
		t.Fatalf("corl-beam eval milp: exit %d\n%s", code, stderr)
	}
	local := readResults(t, filepath.Join(dir, "local.parquet"))
	beam, err := readRows[trace.Result](ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	if len(local) != 3*len(names) || len(beam) != len(local) {
		t.Fatalf("rows: corl eval %d, corl-beam %d, want %d", len(local), len(beam), 3*len(names))
	}
	for i, l := range local {
		b := beam[i]
		if b.Instance != l.Instance || b.Policy != l.Policy || b.Seed != l.Seed || b.Status != l.Status ||
			!sameFloat(b.Objective, l.Objective) || b.Nodes != l.Nodes || b.LPIterations != l.LPIterations {
			t.Errorf("row %d: corl-beam %s %s %s objective %v nodes %d LP iterations %d; corl eval %s %s %s %v %d %d", i,
				b.Instance, b.Policy, b.Status, b.Objective, b.Nodes, b.LPIterations, l.Instance, l.Policy, l.Status, l.Objective, l.Nodes, l.LPIterations)
		}
	}
	if steps, err := readRows[trace.Step](ctx, traceOut); err != nil || len(steps) == 0 {
		t.Errorf("the decision trace on memfs: %d rows, %v", len(steps), err)
	}
	if left, err := listFiles(ctx, out+".beam-parts/*"); err != nil || len(left) != 0 {
		t.Errorf("parts left on memfs: %v %v", left, err)
	}
	if !strings.Contains(stdout, fmt.Sprintf("%d/%d", len(names), len(names))) {
		t.Errorf("the table does not count %d of %d solved:\n%s", len(names), len(names), stdout)
	}
}

// TestEvalMallocOnMemfs: the memory-mapping twin reads a memfs:// set and
// writes a memfs:// --out with corl eval malloc's rows.
func TestEvalMallocOnMemfs(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	set := filepath.Join(dir, "set")
	if _, err := datasets.GenerateMallocSet(ctx, 30, datasets.SetConfig{Dir: set, N: 2, Seed: 4}); err != nil {
		t.Fatal(err)
	}
	files, err := datasets.AllocationFiles(set)
	if err != nil {
		t.Fatal(err)
	}
	mem := memDir(t)
	toMem(t, mem+"/set", files...)
	flags := []string{"--policies", "xla,firstfit", "--seed", "3"}
	runCorl(t, append([]string{"eval", "malloc", "--set", set, "--out", filepath.Join(dir, "local.parquet")}, flags...)...)
	if code, _, stderr := runBeam(t, append([]string{"eval", "malloc", "--set", mem + "/set", "--out", mem + "/r.parquet"}, flags...)...); code != 0 {
		t.Fatalf("corl-beam eval malloc: exit %d\n%s", code, stderr)
	}
	local := readResults(t, filepath.Join(dir, "local.parquet"))
	beam, err := readRows[trace.Result](ctx, mem+"/r.parquet")
	if err != nil {
		t.Fatal(err)
	}
	if len(local) != 4 || len(beam) != len(local) {
		t.Fatalf("rows: corl eval %d, corl-beam %d, want 4", len(local), len(beam))
	}
	for i, l := range local {
		if b := beam[i]; b.Instance != l.Instance || b.Policy != l.Policy || b.Status != l.Status || !sameFloat(b.Objective, l.Objective) {
			t.Errorf("row %d: corl-beam %+v\ncorl eval %+v", i, b, l)
		}
	}
}

// TestPartsOnMemfs: on a remote filesystem a retried run leaves one row,
// the runs still to do are found by listing the parts, and the parts go
// at the end, meta.json with them.
func TestPartsOnMemfs(t *testing.T) {
	ctx := context.Background()
	dir := memDir(t) + "/r.parquet.beam-parts"
	if _, err := openParts(ctx, dir, false, partsMeta{Run: "eval-1", Jobs: "abc"}); err != nil {
		t.Fatal(err)
	}
	var ee *cliexit.Error
	if _, err := openParts(ctx, dir, false, partsMeta{Run: "eval-2", Jobs: "abc"}); !errors.As(err, &ee) || ee.Code != cliexit.Usage {
		t.Errorf("reopened without --resume: %v, want a usage error", err)
	}
	if run, err := openParts(ctx, dir, true, partsMeta{Run: "eval-2", Jobs: "abc"}); err != nil || run != "eval-1" {
		t.Errorf("resumed: run %q, %v; want the first run's name", run, err)
	}
	elems := []runElem{{Index: 0, Instance: "a"}, {Index: 1, Instance: "b"}, {Index: 12, Instance: "c"}}
	for _, nodes := range []int64{5, 7} { // a retried element
		if err := writePart(ctx, dir, 12, eval.Outcome{Result: trace.Result{Instance: "c", Status: "optimal", Nodes: nodes}}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := writePart(ctx, dir, 0, eval.Outcome{Result: errorRow("milp", "eval-1", elems[0])}, errors.New("a.mps:3: bad")); err != nil {
		t.Fatal(err)
	}
	todo, err := missing(ctx, dir, elems)
	if err != nil || len(todo) != 1 || todo[0].Index != 1 {
		t.Fatalf("missing = %v, %v; want job 1 only", todo, err)
	}
	rows, _, failed, err := readParts(ctx, dir, []runElem{elems[0], elems[2]}, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[1].Nodes != 7 || len(failed) != 1 || failed[0].Err != "a.mps:3: bad" {
		t.Errorf("rows %+v, failed %v: want job 12's retry and job 0's error", rows, failed)
	}
	if err := removeParts(ctx, dir); err != nil {
		t.Fatal(err)
	}
	if left, err := listFiles(ctx, dir+"/*"); err != nil || len(left) != 0 {
		t.Errorf("after removeParts: %v, %v", left, err)
	}
}

// TestUnknownSchemeIsUsage: a URL of a filesystem corl-beam does not have
// is a usage error naming the flag, before any work.
func TestUnknownSchemeIsUsage(t *testing.T) {
	set := t.TempDir()
	for _, c := range []struct {
		flag string
		args []string
	}{
		{"--set", []string{"eval", "milp", "--set", "hdfs://nn/sets/sc"}},
		{"--out", []string{"eval", "milp", "--set", set, "--out", "hdfs://nn/r.parquet"}},
		{"--trace", []string{"eval", "milp", "--set", set, "--trace", "ftp://h/t.parquet"}},
		{"--set", []string{"eval", "malloc", "--set", "hdfs://nn/malloc"}},
		{"--out", []string{"collect", "milp", "--set", set, "--out", "hdfs://nn/run"}},
	} {
		code, _, stderr := runBeam(t, c.args...)
		if code != cliexit.Usage || !strings.Contains(stderr, c.flag+" ") || !strings.Contains(stderr, "memfs://") {
			t.Errorf("%v: exit %d, want %d and a message naming %s and the schemes:\n%s", c.args, code, cliexit.Usage, c.flag, stderr)
		}
	}
}

// TestSchemesRegistered: every scheme corl-beam names has a filesystem
// in the binary.
func TestSchemesRegistered(t *testing.T) {
	for _, s := range schemes {
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Errorf("%s:// is not registered: %v", s, p)
				}
			}()
			filesystem.ValidateScheme(s + "://bucket/x")
		}()
	}
}

// TestSetOnMemfs: a set on memfs:// is listed as a local one is, as a
// directory or as a list file whose relative names are relative to it.
func TestSetOnMemfs(t *testing.T) {
	ctx := context.Background()
	mem := memDir(t)
	for _, n := range []string{"b.mps", "a.mps.gz", "notes.txt", "sub/c.mps"} {
		if err := writeFile(ctx, mem+"/set/"+n, []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	if err := writeFile(ctx, mem+"/list.txt", []byte("# two\nset/b.mps\n\ngs://bucket/x.mps\n")); err != nil {
		t.Fatal(err)
	}
	fsys := setFS{ctx}
	got, err := evalcli.InstanceFilesIn(fsys, mem+"/set")
	if want := []string{mem + "/set/a.mps.gz", mem + "/set/b.mps"}; err != nil || !slices.Equal(got, want) {
		t.Errorf("directory: %v, %v; want %v", got, err, want)
	}
	got, err = evalcli.InstanceFilesIn(fsys, mem+"/list.txt")
	if want := []string{mem + "/set/b.mps", "gs://bucket/x.mps"}; err != nil || !slices.Equal(got, want) {
		t.Errorf("list: %v, %v; want %v", got, err, want)
	}
	if _, err := evalcli.InstanceFilesIn(fsys, mem+"/nothing"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a missing set: %v, want ErrNotExist", err)
	}
}

// TestHelpNamesSchemes: the help of the commands that take files says
// which schemes they take.
func TestHelpNamesSchemes(t *testing.T) {
	for _, args := range [][]string{{"eval", "--help"}, {"eval", "milp", "--help"}, {"eval", "malloc", "--help"}, {"collect", "milp", "--help"}} {
		code, stdout, _ := runBeam(t, args...)
		for _, s := range append(schemeURLs(), "s3://") {
			if code != 0 || !strings.Contains(stdout, s) {
				t.Errorf("%v: exit %d, no %s in the help:\n%s", args, code, s, stdout)
			}
		}
	}
}
