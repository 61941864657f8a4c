package solver

import (
	"math"
	"slices"
	"strconv"
)

// Sense is the direction of optimisation.
type Sense int8

const (
	Minimize Sense = iota // the zero value
	Maximize
)

func (s Sense) String() string {
	if s == Maximize {
		return "maximize"
	}
	return "minimize"
}

// VarType is a column's integrality.
type VarType uint8

const (
	Continuous VarType = iota // the zero value
	Integer
)

func (t VarType) String() string {
	if t == Integer {
		return "integer"
	}
	return "continuous"
}

// Inf is positive infinity, the bound of an unbounded side.
var Inf = math.Inf(1)

// Model is a mixed-integer linear program; see the package documentation for
// the problem it states in terms of its fields.
type Model struct {
	Name    string
	ObjName string // name of the objective row in MPS files; "" means "obj"
	Sense   Sense
	Offset  float64 // constant term of the objective

	ColNames []string // optional: nil or one per column
	Cost     []float64
	ColLower []float64
	ColUpper []float64
	Type     []VarType // nil means every column is continuous

	RowNames []string // optional: nil or one per row
	RowLower []float64
	RowUpper []float64

	// The constraint matrix by column (CSC).
	Start []int
	Index []int
	Value []float64
}

// NumCols returns the number of columns (variables).
func (m *Model) NumCols() int { return len(m.Cost) }

// NumRows returns the number of rows (constraints).
func (m *Model) NumRows() int { return len(m.RowLower) }

// NumNonzeros returns the number of stored matrix entries.
func (m *Model) NumNonzeros() int { return len(m.Value) }

// NumIntegers returns the number of integer columns.
func (m *Model) NumIntegers() int {
	n := 0
	for _, t := range m.Type {
		if t == Integer {
			n++
		}
	}
	return n
}

// IsMIP reports whether any column is integer.
func (m *Model) IsMIP() bool { return m.NumIntegers() > 0 }

// ColType returns column j's type.
func (m *Model) ColType(j int) VarType {
	if m.Type == nil {
		return Continuous
	}
	return m.Type[j]
}

// ColName returns column j's name, or a generated "C<j>" when it has none.
func (m *Model) ColName(j int) string {
	if m.ColNames != nil && m.ColNames[j] != "" {
		return m.ColNames[j]
	}
	return "C" + itoa(j)
}

// RowName returns row i's name, or a generated "R<i>" when it has none.
func (m *Model) RowName(i int) string {
	if m.RowNames != nil && m.RowNames[i] != "" {
		return m.RowNames[i]
	}
	return "R" + itoa(i)
}

// Clone returns a deep copy of m.
func (m *Model) Clone() *Model {
	c := *m
	c.ColNames = slices.Clone(m.ColNames)
	c.Cost = slices.Clone(m.Cost)
	c.ColLower = slices.Clone(m.ColLower)
	c.ColUpper = slices.Clone(m.ColUpper)
	c.Type = slices.Clone(m.Type)
	c.RowNames = slices.Clone(m.RowNames)
	c.RowLower = slices.Clone(m.RowLower)
	c.RowUpper = slices.Clone(m.RowUpper)
	c.Start = slices.Clone(m.Start)
	c.Index = slices.Clone(m.Index)
	c.Value = slices.Clone(m.Value)
	return &c
}

// ObjectiveValue returns Offset + Cost·x.
func (m *Model) ObjectiveValue(x []float64) float64 {
	v := m.Offset
	for j, c := range m.Cost {
		v += c * x[j]
	}
	return v
}

// RowActivitiesTo writes A·x into dst, which must have NumRows() entries, and returns it.
func (m *Model) RowActivitiesTo(dst, x []float64) []float64 {
	clear(dst)
	for j := range m.NumCols() {
		for k := m.Start[j]; k < m.Start[j+1]; k++ {
			dst[m.Index[k]] += m.Value[k] * x[j]
		}
	}
	return dst
}

// Validate checks that the fields are consistent: lengths agree, the matrix
// is well-formed CSC with in-range, strictly increasing row indices and
// finite values, and no bound is NaN or infinite on the wrong side. Lower
// bounds above upper bounds are allowed (such a model is infeasible).
func (m *Model) Validate() error {
	n, r := len(m.Cost), len(m.RowLower)
	for _, f := range []struct {
		name string
		got  int
		want int
		opt  bool
	}{
		{"ColLower", len(m.ColLower), n, false},
		{"ColUpper", len(m.ColUpper), n, false},
		{"Type", len(m.Type), n, true},
		{"ColNames", len(m.ColNames), n, true},
		{"RowUpper", len(m.RowUpper), r, false},
		{"RowNames", len(m.RowNames), r, true},
		{"Start", len(m.Start), n + 1, false},
		{"Value", len(m.Value), len(m.Index), false},
	} {
		if f.got != f.want && !(f.opt && f.got == 0) {
			return &FieldError{Field: f.name, Index: -1, Msg: "has " + itoa(f.got) + " entries, want " + itoa(f.want)}
		}
	}
	if math.IsNaN(m.Offset) || math.IsInf(m.Offset, 0) {
		return &FieldError{Field: "Offset", Index: -1, Msg: "not finite"}
	}
	for j, c := range m.Cost {
		if math.IsNaN(c) || math.IsInf(c, 0) {
			return &FieldError{Field: "Cost", Index: j, Msg: "not finite"}
		}
	}
	if err := checkBounds("Col", m.ColLower, m.ColUpper); err != nil {
		return err
	}
	if err := checkBounds("Row", m.RowLower, m.RowUpper); err != nil {
		return err
	}
	if m.Start[0] != 0 {
		return &FieldError{Field: "Start", Index: 0, Msg: "must be 0"}
	}
	if m.Start[n] != len(m.Index) {
		return &FieldError{Field: "Start", Index: n, Msg: "must equal len(Index) = " + itoa(len(m.Index))}
	}
	for j := range n {
		if m.Start[j+1] < m.Start[j] {
			return &FieldError{Field: "Start", Index: j + 1, Msg: "decreases"}
		}
		prev := -1
		for k := m.Start[j]; k < m.Start[j+1]; k++ {
			i := m.Index[k]
			if i < 0 || i >= r {
				return &FieldError{Field: "Index", Index: k, Msg: "row " + itoa(i) + " out of range [0," + itoa(r) + ")"}
			}
			if i <= prev {
				return &FieldError{Field: "Index", Index: k, Msg: "row indices of column " + itoa(j) + " not strictly increasing"}
			}
			prev = i
			if v := m.Value[k]; math.IsNaN(v) || math.IsInf(v, 0) {
				return &FieldError{Field: "Value", Index: k, Msg: "not finite"}
			}
		}
	}
	for j, t := range m.Type {
		if t > Integer {
			return &FieldError{Field: "Type", Index: j, Msg: "unknown variable type"}
		}
	}
	return nil
}

func checkBounds(kind string, lower, upper []float64) error {
	for j := range lower {
		lo, up := lower[j], upper[j]
		switch {
		case math.IsNaN(lo) || math.IsInf(lo, 1):
			return &FieldError{Field: kind + "Lower", Index: j, Msg: "must be finite or -Inf"}
		case math.IsNaN(up) || math.IsInf(up, -1):
			return &FieldError{Field: kind + "Upper", Index: j, Msg: "must be finite or +Inf"}
		}
	}
	return nil
}

func itoa(i int) string { return strconv.Itoa(i) }
