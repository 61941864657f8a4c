package solver_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/corl-go/corl/internal/sharedtest"
	"github.com/corl-go/corl/solver"
)

const allBounds = `NAME          BOUNDS
OBJSENSE
    MAX
ROWS
 N  obj
 L  c1
 G  c2
 E  c3
 E  c4
 N  free
COLUMNS
    x         obj       1.0          c1        1.0
    x         c2        2.0          free      9.0
    MARKER    'MARKER'  'INTORG'
    y         obj       2.0          c1        1.0
    z         c3        1.0
    MARKER    'MARKER'  'INTEND'
    w         c4        1.0          obj      -1.0
    v         c2        1.0
    u         c3        1.0
    t         c4        3.0
    s         c1        1.0
    r         c2        1.0
    q         c3        2.0
RHS
    RHS       obj       -2.5         c1        10
    RHS       c2        1            c3        4
    RHS       c4        5
RANGES
    RNG       c1        4            c2        3
    RNG       c3        -2           c4        2
BOUNDS
 UP BND       x         4
 LO BND       w         -1
 UP BND       w         3
 FX BND       v         2.5
 FR BND       u
 MI BND       t
 PL BND       s
 BV BND       r
 LI BND       q         -3
 UI BND       q         7
ENDATA
`

func TestReadMPSAllFeatures(t *testing.T) {
	m, err := solver.ReadMPS(strings.NewReader(allBounds), "all.mps", solver.MPSAuto)
	if err != nil {
		t.Fatal(err)
	}
	inf := math.Inf(1)
	if m.Sense != solver.Maximize || m.Offset != 2.5 || m.Name != "BOUNDS" {
		t.Errorf("sense %v offset %v name %q", m.Sense, m.Offset, m.Name)
	}
	wantCols := []string{"x", "y", "z", "w", "v", "u", "t", "s", "r", "q"}
	if !reflect.DeepEqual(m.ColNames, wantCols) {
		t.Fatalf("columns %v", m.ColNames)
	}
	type b struct{ lo, up float64 }
	wantB := []b{{0, 4}, {0, 1}, {0, 1}, {-1, 3}, {2.5, 2.5}, {-inf, inf}, {-inf, inf}, {0, inf}, {0, 1}, {-3, 7}}
	for j, w := range wantB {
		if m.ColLower[j] != w.lo || m.ColUpper[j] != w.up {
			t.Errorf("column %s: bounds [%v,%v], want [%v,%v]", wantCols[j], m.ColLower[j], m.ColUpper[j], w.lo, w.up)
		}
	}
	wantInt := []bool{false, true, true, false, false, false, false, false, true, true}
	for j, w := range wantInt {
		if (m.ColType(j) == solver.Integer) != w {
			t.Errorf("column %s integer = %v, want %v", wantCols[j], !w, w)
		}
	}
	// Rows: L 10 range 4 -> [6,10]; G 1 range 3 -> [1,4]; E 4 range -2 -> [2,4]; E 5 range 2 -> [5,7].
	wantR := []b{{6, 10}, {1, 4}, {2, 4}, {5, 7}}
	if m.NumRows() != 4 {
		t.Fatalf("%d rows, want 4 (the second N row is dropped)", m.NumRows())
	}
	for i, w := range wantR {
		if m.RowLower[i] != w.lo || m.RowUpper[i] != w.up {
			t.Errorf("row %s: [%v,%v], want [%v,%v]", m.RowNames[i], m.RowLower[i], m.RowUpper[i], w.lo, w.up)
		}
	}
	if !reflect.DeepEqual(m.Cost, []float64{1, 2, 0, -1, 0, 0, 0, 0, 0, 0}) {
		t.Errorf("cost %v", m.Cost)
	}
	if m.NumNonzeros() != 11 {
		t.Errorf("%d nonzeros, want 11", m.NumNonzeros())
	}
	roundTrip(t, m)
}

func TestNegativeUpperBoundFreesLower(t *testing.T) {
	src := "NAME\nROWS\n N obj\n L c\nCOLUMNS\n x obj 1 c 1\nBOUNDS\n UP BND x -2\nENDATA\n"
	m, err := solver.ReadMPS(strings.NewReader(src), "neg.mps", solver.MPSFree)
	if err != nil {
		t.Fatal(err)
	}
	if !math.IsInf(m.ColLower[0], -1) || m.ColUpper[0] != -2 {
		t.Errorf("bounds [%v,%v], want [-Inf,-2]", m.ColLower[0], m.ColUpper[0])
	}
	roundTrip(t, m)
}

func TestFixedFormatNamesWithSpaces(t *testing.T) {
	src := "NAME          FIXED\n" +
		"ROWS\n" +
		" N  COST\n" +
		" L  LIM 1\n" +
		"COLUMNS\n" +
		fmt.Sprintf("    %-8s  %-8s  %12s   %-8s  %12s\n", "X ONE", "COST", "1.0", "LIM 1", "1.0") +
		"RHS\n" +
		fmt.Sprintf("    %-8s  %-8s  %12s\n", "RHS", "LIM 1", "4.0") +
		"ENDATA\n"
	m, err := solver.ReadMPS(strings.NewReader(src), "fixed.mps", solver.MPSAuto)
	if err != nil {
		t.Fatal(err)
	}
	if m.ColNames[0] != "X ONE" || m.RowNames[0] != "LIM 1" || m.RowUpper[0] != 4 {
		t.Errorf("got cols %q rows %q upper %v", m.ColNames, m.RowNames, m.RowUpper)
	}
}

func TestParseErrorsNameFileAndLine(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		line      int
		want      error
	}{
		{"unknown row", "NAME\nROWS\n N obj\nCOLUMNS\n x obj 1 nope 2\n", 5, solver.ErrUnknownName},
		{"bad number", "NAME\nROWS\n N obj\n L c\nCOLUMNS\n x c 1x\n", 6, solver.ErrSyntax},
		{"bad row type", "NAME\nROWS\n Q c\n", 3, solver.ErrSyntax},
		{"unknown section", "NAME\nROWS\n N obj\nFOO\n", 4, solver.ErrSyntax},
		{"bad bound", "NAME\nROWS\n N obj\nCOLUMNS\n x obj 1\nBOUNDS\n XX BND x 1\n", 7, solver.ErrSyntax},
		{"unknown column", "NAME\nROWS\n N obj\nCOLUMNS\n x obj 1\nBOUNDS\n UP BND y 1\n", 7, solver.ErrUnknownName},
		{"sos", "NAME\nROWS\n N obj\nSOS\n", 4, solver.ErrUnsupported},
		{"no rows", "hello world\n", 1, solver.ErrSyntax},
		{"duplicate entry", "NAME\nROWS\n N obj\n L c\nCOLUMNS\n x c 1\n x c 2\n", 7, solver.ErrSyntax},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := solver.ReadMPS(strings.NewReader(tc.src), "bad.mps", solver.MPSFree)
			var pe *solver.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *ParseError", err)
			}
			if pe.Line != tc.line || pe.File != "bad.mps" || !errors.Is(err, tc.want) {
				t.Errorf("got %v (line %d), want line %d and %v", err, pe.Line, tc.line, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "bad.mps:") {
				t.Errorf("message %q does not start with the file name", err)
			}
		})
	}
}

func TestGzipRead(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(allBounds))
	zw.Close()
	m, err := solver.ReadMPS(&buf, "all.mps.gz", solver.MPSAuto)
	if err != nil {
		t.Fatal(err)
	}
	if m.NumCols() != 10 {
		t.Errorf("%d columns", m.NumCols())
	}
}

func TestWriteMPSFileGzipAndRoundTrip(t *testing.T) {
	m, err := solver.ReadMPS(strings.NewReader(allBounds), "all.mps", solver.MPSAuto)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "all.mps.gz")
	if err := solver.WriteMPSFile(path, m); err != nil {
		t.Fatal(err)
	}
	got, err := solver.ReadMPSFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got.Name, m.Name = "", ""
	if !reflect.DeepEqual(got, m) {
		t.Errorf("gzip round trip changed the model")
	}
}

func TestSharedInstancesRoundTrip(t *testing.T) {
	for _, in := range sharedtest.Instances(t) {
		t.Run(in.Name, func(t *testing.T) {
			m, err := solver.ReadMPSFile(in.File)
			if in.Kind == "bad-input" {
				var pe *solver.ParseError
				if !errors.As(err, &pe) || pe.Line < 1 {
					t.Fatalf("garbage accepted or error without a line: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.NumRows() != in.Rows || m.NumCols() != in.Cols || m.NumIntegers() != in.Integers {
				t.Errorf("size %dx%d with %d integers, want %dx%d with %d", m.NumRows(), m.NumCols(), m.NumIntegers(), in.Rows, in.Cols, in.Integers)
			}
			roundTrip(t, m)
		})
	}
}

func roundTrip(t *testing.T, m *solver.Model) {
	t.Helper()
	var buf bytes.Buffer
	if err := solver.WriteMPS(&buf, m); err != nil {
		t.Fatal(err)
	}
	got, err := solver.ReadMPS(bytes.NewReader(buf.Bytes()), "roundtrip.mps", solver.MPSFree)
	if err != nil {
		t.Fatalf("re-reading written MPS: %v\n%s", err, buf.String())
	}
	want := m.Clone()
	if want.Name == "" {
		want.Name = "corl"
	}
	if want.ObjName == "" {
		want.ObjName = "obj"
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("read-write-read changed the model:\n got %+v\nwant %+v", got, want)
	}
}

func FuzzReadMPS(f *testing.F) {
	f.Add(allBounds)
	f.Add("NAME\nROWS\n N obj\n L c\nCOLUMNS\n x obj 1 c 1\nRHS\n R c 3\nENDATA\n")
	f.Add(allBounds[:len(allBounds)/2])       // cut mid-section
	f.Add(allBounds + "junk after the end\n") // trailing data
	var z bytes.Buffer                        // gzipped, whole and cut
	zw := gzip.NewWriter(&z)
	zw.Write([]byte(allBounds))
	zw.Close()
	f.Add(z.String())
	f.Add(z.String()[:z.Len()/2])
	f.Fuzz(func(t *testing.T, src string) {
		m, err := solver.ReadMPS(strings.NewReader(src), "fuzz.mps", solver.MPSAuto)
		if err != nil {
			var pe *solver.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *ParseError", err)
			}
			return
		}
		// Only a whole file reads: plain text must hold its ENDATA line.
		if !strings.HasPrefix(src, "\x1f\x8b") && !strings.Contains(strings.ToUpper(src), "ENDATA") {
			t.Fatalf("accepted a file without ENDATA: %q", src)
		}
		// Whatever parses must survive a round trip when its names are plain.
		for _, n := range append(append([]string{m.ObjName}, m.ColNames...), m.RowNames...) {
			if n == "" || strings.ContainsAny(n, " \t'\"") || strings.ToUpper(n) == "MARKER" {
				return
			}
		}
		var buf bytes.Buffer
		if err := solver.WriteMPS(&buf, m); err != nil {
			t.Fatal(err)
		}
		if _, err := solver.ReadMPS(&buf, "again.mps", solver.MPSFree); err != nil {
			t.Fatalf("written model does not read back: %v", err)
		}
	})
}
