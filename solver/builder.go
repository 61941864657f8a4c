package solver

import (
	"cmp"
	"fmt"
	"slices"
)

// Builder assembles a Model column by column and row by row. The zero value
// is ready to use and builds a minimisation.
//
//	var b solver.Builder
//	x := b.AddCol("x", 1, 0, solver.Inf, solver.Integer)
//	y := b.AddCol("y", 2, 0, 4, solver.Continuous)
//	b.AddRow("c", 3, solver.Inf, []int{x, y}, []float64{1, 1})
//	m, err := b.Build()
type Builder struct {
	m    Model
	trip []triplet
	err  error
}

type triplet struct {
	row, col int
	val      float64
}

// SetName sets the model's name.
func (b *Builder) SetName(name string) { b.m.Name = name }

// SetSense sets the direction of optimisation.
func (b *Builder) SetSense(s Sense) { b.m.Sense = s }

// SetOffset sets the objective's constant term.
func (b *Builder) SetOffset(c float64) { b.m.Offset = c }

// AddCol adds a column and returns its index.
func (b *Builder) AddCol(name string, cost, lower, upper float64, t VarType) int {
	j := len(b.m.Cost)
	b.m.ColNames = append(b.m.ColNames, name)
	b.m.Cost = append(b.m.Cost, cost)
	b.m.ColLower = append(b.m.ColLower, lower)
	b.m.ColUpper = append(b.m.ColUpper, upper)
	b.m.Type = append(b.m.Type, t)
	return j
}

// SetCost changes column j's objective coefficient (for callers that add
// columns through another component, such as an environment's MIP fragment).
func (b *Builder) SetCost(j int, cost float64) { b.m.Cost[j] = cost }

// NumCols returns the number of columns added so far.
func (b *Builder) NumCols() int { return len(b.m.Cost) }

// AddRow adds the row lower <= sum_k val[k] x[cols[k]] <= upper and returns
// its index. Columns must already exist; a repeated column is an error
// reported by Build.
func (b *Builder) AddRow(name string, lower, upper float64, cols []int, vals []float64) int {
	i := len(b.m.RowLower)
	b.m.RowNames = append(b.m.RowNames, name)
	b.m.RowLower = append(b.m.RowLower, lower)
	b.m.RowUpper = append(b.m.RowUpper, upper)
	if len(cols) != len(vals) && b.err == nil {
		b.err = fmt.Errorf("%w: row %d (%s): %d columns but %d values", ErrInvalidModel, i, name, len(cols), len(vals))
	}
	for k := range min(len(cols), len(vals)) {
		b.trip = append(b.trip, triplet{i, cols[k], vals[k]})
	}
	return i
}

// Build returns the model and validates it. The Builder may be reused after
// Reset.
func (b *Builder) Build() (*Model, error) {
	if b.err != nil {
		return nil, b.err
	}
	m := b.m.Clone()
	n := m.NumCols()
	for _, t := range b.trip {
		if t.col < 0 || t.col >= n {
			return nil, &FieldError{Field: "column", Index: t.col, Msg: fmt.Sprintf("row %d refers to a column that does not exist (have %d)", t.row, n)}
		}
	}
	trip := slices.Clone(b.trip)
	slices.SortStableFunc(trip, func(a, c triplet) int {
		return cmp.Or(cmp.Compare(a.col, c.col), cmp.Compare(a.row, c.row))
	})
	m.Start = make([]int, n+1)
	m.Index = make([]int, 0, len(trip))
	m.Value = make([]float64, 0, len(trip))
	for k, t := range trip {
		if k > 0 && trip[k-1].col == t.col && trip[k-1].row == t.row {
			return nil, &FieldError{Field: "row", Index: t.row, Msg: fmt.Sprintf("column %d appears twice", t.col)}
		}
		m.Start[t.col+1]++
		m.Index = append(m.Index, t.row)
		m.Value = append(m.Value, t.val)
	}
	for j := range n {
		m.Start[j+1] += m.Start[j]
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return m, nil
}

// Reset empties the Builder.
func (b *Builder) Reset() { *b = Builder{} }
