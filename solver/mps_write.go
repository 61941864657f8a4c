package solver

import (
	"bufio"
	"compress/gzip"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/corl-go/corl/internal/atomicfile"
)

// WriteMPSFile writes m as free MPS to path, gzipped when path ends in ".gz".
// The file is written to a temporary name and renamed into place, so an
// existing file is never left half-written.
func WriteMPSFile(path string, m *Model) error {
	f, err := atomicfile.Create(path)
	if err != nil {
		return err
	}
	defer f.Abort() // no-op after Commit
	var w io.Writer = f
	var zw *gzip.Writer
	if strings.HasSuffix(path, ".gz") {
		zw, _ = gzip.NewWriterLevel(f, gzip.BestCompression)
		zw.Name = "" // byte-identical output for identical models
		w = zw
	}
	if err := WriteMPS(w, m); err != nil {
		return err
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			return err
		}
	}
	return f.Commit()
}

// WriteMPS writes m in free MPS format. Numbers are written with the fewest
// digits that read back to the same float64, so ReadMPS(WriteMPS(m)) gives
// back m. Names must not contain white space; missing names are generated.
func WriteMPS(w io.Writer, m *Model) error {
	if err := m.Validate(); err != nil {
		return err
	}
	if err := checkNames(m); err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	obj := m.ObjName
	if obj == "" {
		obj = "obj"
	}
	name := m.Name
	if name == "" {
		name = "corl"
	}
	bw.WriteString("NAME " + name + "\n")
	if m.Sense == Maximize {
		bw.WriteString("OBJSENSE\n    MAX\n")
	}
	bw.WriteString("ROWS\n N  " + obj + "\n")
	rng := make([]float64, m.NumRows())
	rhs := make([]float64, m.NumRows())
	for i := range m.NumRows() {
		kind, r, rg := rowKind(m.RowLower[i], m.RowUpper[i])
		rhs[i], rng[i] = r, rg
		bw.WriteString(" " + kind + "  " + m.RowName(i) + "\n")
	}
	bw.WriteString("COLUMNS\n")
	inInt := false
	for j := range m.NumCols() {
		isInt := m.ColType(j) == Integer
		if isInt != inInt {
			tag := "'INTEND'"
			if isInt {
				tag = "'INTORG'"
			}
			bw.WriteString("    MARKER  'MARKER'  " + tag + "\n")
			inInt = isInt
		}
		col := m.ColName(j)
		wrote := false
		if m.Cost[j] != 0 {
			bw.WriteString("    " + col + "  " + obj + "  " + num(m.Cost[j]) + "\n")
			wrote = true
		}
		for k := m.Start[j]; k < m.Start[j+1]; k++ {
			bw.WriteString("    " + col + "  " + m.RowName(m.Index[k]) + "  " + num(m.Value[k]) + "\n")
			wrote = true
		}
		if !wrote { // declare an empty column
			bw.WriteString("    " + col + "  " + obj + "  0\n")
		}
	}
	if inInt {
		bw.WriteString("    MARKER  'MARKER'  'INTEND'\n")
	}
	bw.WriteString("RHS\n")
	if m.Offset != 0 {
		bw.WriteString("    RHS  " + obj + "  " + num(-m.Offset) + "\n")
	}
	for i, r := range rhs {
		if r != 0 {
			bw.WriteString("    RHS  " + m.RowName(i) + "  " + num(r) + "\n")
		}
	}
	header := false
	for i, r := range rng {
		if r != 0 {
			if !header {
				bw.WriteString("RANGES\n")
				header = true
			}
			bw.WriteString("    RNG  " + m.RowName(i) + "  " + num(r) + "\n")
		}
	}
	bw.WriteString("BOUNDS\n")
	for j := range m.NumCols() {
		writeBounds(bw, m.ColName(j), m.ColLower[j], m.ColUpper[j], m.ColType(j) == Integer)
	}
	bw.WriteString("ENDATA\n")
	return bw.Flush()
}

// rowKind chooses the MPS row type, RHS and range for [lo, up]; a free row
// becomes an L row with an infinite RHS so that it survives a round trip.
func rowKind(lo, up float64) (kind string, rhs, rng float64) {
	loInf, upInf := math.IsInf(lo, -1), math.IsInf(up, 1)
	switch {
	case loInf && upInf:
		return "L", math.Inf(1), 0
	case loInf:
		return "L", up, 0
	case upInf:
		return "G", lo, 0
	case lo == up:
		return "E", lo, 0
	}
	// G row with range r reads back as [lo, lo+r]: pick r so that lo+r == up.
	r := up - lo
	for _, c := range []float64{r, math.Nextafter(r, math.Inf(1)), math.Nextafter(r, 0)} {
		if lo+c == up {
			return "G", lo, c
		}
	}
	return "G", lo, r
}

func writeBounds(bw *bufio.Writer, col string, lo, up float64, isInt bool) {
	loInf, upInf := math.IsInf(lo, -1), math.IsInf(up, 1)
	line := func(kind, v string) {
		bw.WriteString(" " + kind + " BND  " + col)
		if v != "" {
			bw.WriteString("  " + v)
		}
		bw.WriteByte('\n')
	}
	switch {
	case loInf && upInf:
		line("FR", "")
		return
	case !loInf && lo == up:
		line("FX", num(lo))
		return
	}
	// Integer columns always get explicit bounds (markers alone mean [0, 1]),
	// and so does a zero lower bound under a negative upper bound (alone, a
	// negative UP bound means a lower bound of -Inf).
	if loInf {
		line("MI", "")
	} else if lo != 0 || isInt || up < 0 {
		line("LO", num(lo))
	}
	if !upInf {
		line("UP", num(up))
	} else if isInt {
		line("PL", "")
	}
}

// checkNames rejects names that free MPS cannot hold.
func checkNames(m *Model) error {
	bad := func(s string) bool { return strings.ContainsAny(s, " \t\r\n") }
	if bad(m.ObjName) {
		return &FieldError{Field: "ObjName", Index: -1, Msg: "contains white space, which free MPS cannot hold"}
	}
	for _, f := range []struct {
		name  string
		names []string
	}{{"ColNames", m.ColNames}, {"RowNames", m.RowNames}} {
		for i, n := range f.names {
			if bad(n) {
				return &FieldError{Field: f.name, Index: i, Msg: "contains white space, which free MPS cannot hold"}
			}
		}
	}
	return nil
}

func num(v float64) string {
	if math.IsInf(v, 0) {
		if v > 0 {
			return "1e+30"
		}
		return "-1e+30"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
