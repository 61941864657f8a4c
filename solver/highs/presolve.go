package highs

import (
	"fmt"
	"sort"

	"github.com/corl-go/corl/solver"
)

// Presolve runs HiGHS's presolve on the loaded model and returns the
// reduced model, its columns named as the loaded model's were (so a
// column of the reduced model can be traced to the original by name; no
// names when the loaded model had none), and the model status presolve reached: StatusInfeasible or an unbounded
// status when it decided the model (the returned model is then nil), else
// StatusUnknown. The loaded model stays loaded; Postsolve maps a solution
// of the reduced model back to it.
func (s *Solver) Presolve() (*solver.Model, solver.Status, error) {
	if !s.loaded {
		return nil, solver.StatusError, ErrNoModel
	}
	if err := s.passColNames(); err != nil {
		return nil, solver.StatusError, err
	}
	s.host.clearTail()
	r, err := s.call(fnPresolve, s.highs)
	if err := s.status(fnPresolve, r, err); err != nil {
		return nil, solver.StatusError, err
	}
	st, err := s.modelStatus()
	if err != nil {
		return nil, solver.StatusError, err
	}
	switch st {
	case solver.StatusInfeasible, solver.StatusUnbounded, solver.StatusInfeasibleOrUnbounded:
		return nil, st, nil
	}
	count := func(f fn) (int, error) {
		v, err := s.call(f, s.highs)
		return int(int32(uint32(v))), err
	}
	n, err := count(fnGetPresolvedNumCol)
	if err != nil {
		return nil, solver.StatusError, err
	}
	m, err := count(fnGetPresolvedNumRow)
	if err != nil {
		return nil, solver.StatusError, err
	}
	nz, err := count(fnGetPresolvedNumNz)
	if err != nil {
		return nil, solver.StatusError, err
	}
	fr, err := s.frame(frameSize([]int{n, n, n, m, m, nz, 1}, []int{n + 1, nz, n, 4}, 0))
	if err != nil {
		return nil, solver.StatusError, err
	}
	pn, pm, pnz, psense := fr.out(4), fr.out(4), fr.out(4), fr.out(4)
	poff := fr.out(8)
	pcost, plo, pup, prlo, prup := fr.out(8*n), fr.out(8*n), fr.out(8*n), fr.out(8*m), fr.out(8*m)
	pstart, pindex, pvalue, pint := fr.out(4*(n+1)), fr.out(4*nz), fr.out(8*nz), fr.out(4*n)
	r, err = s.call(fnGetPresolvedLp, s.highs, i32arg(matrixColwise), pn, pm, pnz, psense, poff,
		pcost, plo, pup, prlo, prup, pstart, pindex, pvalue, pint)
	if err := s.status(fnGetPresolvedLp, r, err); err != nil {
		return nil, solver.StatusError, err
	}
	mem := s.inst.memory()
	i32 := func(p uint64, k int) int { return int(int32(leU32(mem, p+4*uint64(k)))) }
	if i32(pn, 0) != n || i32(pm, 0) != m || i32(pnz, 0) != nz {
		return nil, solver.StatusError, fmt.Errorf("highs: presolved model is %dx%d (%d nonzeros), its counts said %dx%d (%d)",
			i32(pm, 0), i32(pn, 0), i32(pnz, 0), m, n, nz)
	}
	out := &solver.Model{
		Cost: make([]float64, n), ColLower: make([]float64, n), ColUpper: make([]float64, n),
		RowLower: make([]float64, m), RowUpper: make([]float64, m),
		Start: make([]int, n+1), Index: make([]int, nz), Value: make([]float64, nz),
		Type: make([]solver.VarType, n),
	}
	if i32(psense, 0) == objMaximize {
		out.Sense = solver.Maximize
	}
	off := []float64{0}
	readF64(off, mem, poff)
	out.Offset = off[0]
	readF64(out.Cost, mem, pcost)
	readF64(out.ColLower, mem, plo)
	readF64(out.ColUpper, mem, pup)
	readF64(out.RowLower, mem, prlo)
	readF64(out.RowUpper, mem, prup)
	readF64(out.Value, mem, pvalue)
	for j := range n { // HiGHS writes n starts; the last is nz
		out.Start[j] = i32(pstart, j)
	}
	out.Start[n] = nz
	for k := range nz {
		out.Index[k] = i32(pindex, k)
	}
	for j := range n { // HiGHS may leave a column's rows unsorted; Model wants them sorted
		col := entries{out.Index[out.Start[j]:out.Start[j+1]], out.Value[out.Start[j]:out.Start[j+1]]}
		if !sort.IsSorted(col) {
			sort.Sort(col)
		}
	}
	for j := range n {
		if i32(pint, j) != 0 {
			out.Type[j] = solver.Integer
		}
	}
	if s.colNames != nil {
		if out.ColNames, err = s.presolvedColNames(n); err != nil {
			return nil, solver.StatusError, err
		}
	}
	if err := out.Validate(); err != nil {
		return nil, solver.StatusError, fmt.Errorf("highs: presolved model: %w", err)
	}
	return out, solver.StatusUnknown, nil
}

// PostsolveTo maps x, a solution of the model Presolve returned, back to
// the loaded model and writes its column values to dst (one per column of
// the loaded model). Only the primal values are postsolved.
func (s *Solver) PostsolveTo(dst, x []float64) error {
	if len(dst) != s.ncol {
		return fmt.Errorf("highs: postsolve: %d values for %d columns", len(dst), s.ncol)
	}
	fr, err := s.frame(frameSize([]int{len(x)}, nil, 0))
	if err != nil {
		return err
	}
	s.host.clearTail()
	r, err := s.call(fnPostsolve, s.highs, fr.f64(x), 0, 0)
	if err := s.status(fnPostsolve, r, err); err != nil {
		return err
	}
	return s.SolutionTo(dst, nil, nil, nil)
}

// entries sorts one column's row indices with their values.
type entries struct {
	index []int
	value []float64
}

func (e entries) Len() int           { return len(e.index) }
func (e entries) Less(a, b int) bool { return e.index[a] < e.index[b] }
func (e entries) Swap(a, b int) {
	e.index[a], e.index[b] = e.index[b], e.index[a]
	e.value[a], e.value[b] = e.value[b], e.value[a]
}

// nameBuf is HiGHS's longest name (kHighsMaximumStringLength) with its NUL.
const nameBuf = 512

// passColNames gives HiGHS the loaded model's column names, which presolve
// carries over to the reduced model.
func (s *Solver) passColNames() error {
	for j, name := range s.colNames {
		if len(name) >= nameBuf {
			return fmt.Errorf("highs: column %d's name is %d bytes, HiGHS takes at most %d", j, len(name), nameBuf-1)
		}
		fr, err := s.frame(frameSize(nil, nil, len(name)+1))
		if err != nil {
			return err
		}
		r, err := s.call(fnPassColName, s.highs, i32arg(j), fr.cstr(name))
		if err := s.status(fnPassColName, r, err); err != nil {
			return err
		}
	}
	return nil
}

func (s *Solver) presolvedColNames(n int) ([]string, error) {
	names := make([]string, n)
	fr, err := s.frame(frameSize(nil, nil, nameBuf))
	if err != nil {
		return nil, err
	}
	p := fr.out(nameBuf)
	for j := range n {
		r, err := s.call(fnGetPresolvedColName, s.highs, i32arg(j), p)
		if err := s.status(fnGetPresolvedColName, r, err); err != nil {
			return nil, err
		}
		names[j] = readCString(s.inst.memory(), p)
	}
	return names, nil
}
