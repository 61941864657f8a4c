package milp

import (
	"context"
	"math"

	"github.com/corl-go/corl/solver"
	"github.com/corl-go/corl/solver/bnb"
)

// ObservationFunc extracts an observation at a focus node.
type ObservationFunc[O any] interface {
	Name() string
	// Reset is called once per episode, after the search is created.
	Reset(s *bnb.Search)
	// Extract observes the focus node. The result must not alias buffers
	// that a later Extract overwrites.
	Extract(ctx context.Context, d *bnb.Decision) (O, error)
}

// ---- NodeBipartite ----

// Column feature indices of NodeBipartite.ColFeatures (19 per column).
const (
	ColObjective = iota // c_j / ||c||
	ColTypeBinary
	ColTypeInteger
	ColTypeImplicitInteger
	ColTypeContinuous
	ColHasLowerBound
	ColHasUpperBound
	ColReducedCost // d_j / ||c||
	ColSolutionValue
	ColSolutionFrac
	ColSolutionAtLower
	ColSolutionAtUpper
	ColAge // node LPs since the column was last basic / (LPs + 5)
	ColIncumbentValue
	ColAverageIncumbentValue
	ColBasisLower
	ColBasisBasic
	ColBasisUpper
	ColBasisZero
	NumColFeatures
)

// Row feature indices of NodeBipartite.RowFeatures (5 per split row).
const (
	RowBias      = iota // rhs / ||a_i||
	RowObjCosine        // cos(a_i, c)
	RowIsTight          // the LP solution meets the side
	RowDual             // dual / (||a_i|| ||c||)
	RowAge              // node LPs since the row was last tight / (LPs + 5)
	NumRowFeatures
)

// NodeBipartite is the bipartite graph observation of Gasse et al. (2019):
// columns on one side, rows on the other, one edge per matrix entry. Each
// LP row becomes one "a x <= b" row per finite side; a ">=" side is negated
// (features and edges alike). Features are row-major: column j's are
// ColFeatures[j*NumColFeatures:(j+1)*NumColFeatures].
type NodeBipartite struct {
	ColFeatures []float64
	RowFeatures []float64
	RowOrigin   []int  // LP row of each split row
	RowNegated  []bool // the split row is the negated ">=" side
	EdgeRow     []int  // split row of each edge
	EdgeCol     []int
	EdgeValue   []float64 // a_ij / ||a_i||, negated for negated rows
	Candidates  []int
}

// NumCols and NumRows give the graph's sizes.
func (o NodeBipartite) NumCols() int { return len(o.ColFeatures) / NumColFeatures }
func (o NodeBipartite) NumRows() int { return len(o.RowFeatures) / NumRowFeatures }

// NodeBipartiteFunc extracts NodeBipartite observations. The static parts
// (edges, norms, cosines) are computed once per episode.
type NodeBipartiteFunc struct {
	cNorm   float64
	rowNorm []float64
	cosine  []float64
	origin  []int
	negated []bool
	eRow    []int
	eCol    []int
	eVal    []float64
}

var _ ObservationFunc[NodeBipartite] = (*NodeBipartiteFunc)(nil)

func (*NodeBipartiteFunc) Name() string { return "nodebipartite" }

func (f *NodeBipartiteFunc) Reset(s *bnb.Search) {
	m := s.Model()
	sgn := 1.0
	if m.Sense == solver.Maximize {
		sgn = -1
	}
	f.cNorm = 0
	for _, c := range m.Cost {
		f.cNorm += c * c
	}
	f.cNorm = math.Sqrt(f.cNorm)
	if f.cNorm == 0 {
		f.cNorm = 1
	}
	r := m.NumRows()
	norm2 := make([]float64, r)
	dot := make([]float64, r)
	for j := range m.NumCols() {
		for k := m.Start[j]; k < m.Start[j+1]; k++ {
			i, a := m.Index[k], m.Value[k]
			norm2[i] += a * a
			dot[i] += a * sgn * m.Cost[j]
		}
	}
	f.rowNorm, f.cosine = make([]float64, r), make([]float64, r)
	for i := range r {
		f.rowNorm[i] = math.Sqrt(norm2[i])
		if f.rowNorm[i] == 0 {
			f.rowNorm[i] = 1
		}
		f.cosine[i] = dot[i] / (f.rowNorm[i] * f.cNorm)
	}
	// Split rows: the <= side (upper) first, then the negated >= side.
	f.origin, f.negated = f.origin[:0], f.negated[:0]
	split := make([][2]int, r) // split row index per side, -1 if absent
	for i := range r {
		split[i] = [2]int{-1, -1}
		if !math.IsInf(m.RowUpper[i], 1) {
			split[i][0] = len(f.origin)
			f.origin, f.negated = append(f.origin, i), append(f.negated, false)
		}
		if !math.IsInf(m.RowLower[i], -1) {
			split[i][1] = len(f.origin)
			f.origin, f.negated = append(f.origin, i), append(f.negated, true)
		}
	}
	f.eRow, f.eCol, f.eVal = f.eRow[:0], f.eCol[:0], f.eVal[:0]
	for j := range m.NumCols() {
		for k := m.Start[j]; k < m.Start[j+1]; k++ {
			i, a := m.Index[k], m.Value[k]/f.rowNorm[m.Index[k]]
			if s := split[i][0]; s >= 0 {
				f.eRow, f.eCol, f.eVal = append(f.eRow, s), append(f.eCol, j), append(f.eVal, a)
			}
			if s := split[i][1]; s >= 0 {
				f.eRow, f.eCol, f.eVal = append(f.eRow, s), append(f.eCol, j), append(f.eVal, -a)
			}
		}
	}
}

func (f *NodeBipartiteFunc) Extract(_ context.Context, d *bnb.Decision) (NodeBipartite, error) {
	st := d.State()
	m := st.Model
	n := m.NumCols()
	lps := float64(st.LPs) + 5
	col := make([]float64, n*NumColFeatures)
	for j := range n {
		v := col[j*NumColFeatures : (j+1)*NumColFeatures]
		v[ColObjective] = st.Cost[j] / f.cNorm
		switch {
		case !st.Integer[j]:
			v[ColTypeContinuous] = 1
		case st.RootLower[j] == 0 && st.RootUpper[j] == 1:
			v[ColTypeBinary] = 1
		default:
			v[ColTypeInteger] = 1
		}
		lo, up, x := st.Lower[j], st.Upper[j], st.X[j]
		v[ColHasLowerBound] = b2f(!math.IsInf(lo, -1))
		v[ColHasUpperBound] = b2f(!math.IsInf(up, 1))
		v[ColReducedCost] = st.ReducedCost[j] / f.cNorm
		v[ColSolutionValue] = x
		v[ColSolutionFrac] = x - math.Floor(x)
		if v[ColSolutionFrac] < 1e-6 || v[ColSolutionFrac] > 1-1e-6 {
			v[ColSolutionFrac] = 0
		}
		v[ColSolutionAtLower] = b2f(!math.IsInf(lo, -1) && math.Abs(x-lo) <= 1e-6)
		v[ColSolutionAtUpper] = b2f(!math.IsInf(up, 1) && math.Abs(x-up) <= 1e-6)
		v[ColAge] = float64(st.LPs-st.ColLastBasic[j]) / lps
		if st.Incumbent != nil {
			v[ColIncumbentValue] = st.Incumbent[j]
			v[ColAverageIncumbentValue] = st.IncumbentSum[j] / float64(st.Incumbents)
		}
		switch st.ColBasis[j] {
		case solver.AtLower:
			v[ColBasisLower] = 1
		case solver.Basic:
			v[ColBasisBasic] = 1
		case solver.AtUpper:
			v[ColBasisUpper] = 1
		case solver.AtZero, solver.Nonbasic:
			v[ColBasisZero] = 1
		}
	}
	row := make([]float64, len(f.origin)*NumRowFeatures)
	for s, i := range f.origin {
		v := row[s*NumRowFeatures : (s+1)*NumRowFeatures]
		rhs, sign := m.RowUpper[i], 1.0
		if f.negated[s] {
			rhs, sign = -m.RowLower[i], -1
		}
		v[RowBias] = rhs / f.rowNorm[i]
		v[RowObjCosine] = sign * f.cosine[i]
		v[RowIsTight] = b2f(math.Abs(sign*st.Activity[i]-rhs) <= 1e-6*math.Max(1, math.Abs(rhs)))
		v[RowDual] = sign * st.Dual[i] / (f.rowNorm[i] * f.cNorm)
		v[RowAge] = float64(st.LPs-st.RowLastTight[i]) / lps
	}
	return NodeBipartite{
		ColFeatures: col, RowFeatures: row, RowOrigin: f.origin, RowNegated: f.negated,
		EdgeRow: f.eRow, EdgeCol: f.eCol, EdgeValue: f.eVal,
		Candidates: append([]int(nil), d.Candidates()...),
	}, nil
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// ---- StrongBranchingScores and Pseudocosts ----

// StrongBranchingScores observes the full strong branching product score of
// every candidate (NaN for other columns). It solves two LPs per candidate,
// each with at most IterLimit simplex iterations (0: no limit).
type StrongBranchingScores struct {
	IterLimit int
}

func (StrongBranchingScores) Name() string      { return "strongbranchingscores" }
func (StrongBranchingScores) Reset(*bnb.Search) {}
func (o StrongBranchingScores) Extract(ctx context.Context, d *bnb.Decision) ([]float64, error) {
	scores, err := d.StrongBranchingScoresLimit(ctx, o.IterLimit, nil)
	if err != nil {
		return nil, err
	}
	out := nanVector(d.State().Model.NumCols())
	for k, j := range d.Candidates() {
		out[j] = scores[k]
	}
	return out, nil
}

// Pseudocosts observes the pseudocost product score of every candidate
// (NaN for other columns).
type Pseudocosts struct{}

func (Pseudocosts) Name() string      { return "pseudocosts" }
func (Pseudocosts) Reset(*bnb.Search) {}
func (Pseudocosts) Extract(_ context.Context, d *bnb.Decision) ([]float64, error) {
	out := nanVector(d.State().Model.NumCols())
	pc := d.Pseudocosts()
	for _, j := range d.Candidates() {
		out[j] = pc.Score(j, d.Fractionality(j))
	}
	return out, nil
}

func nanVector(n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = math.NaN()
	}
	return v
}
