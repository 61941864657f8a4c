package highs

import (
	"fmt"

	"github.com/corl-go/corl/solver"
)

var _ solver.Tableau = (*Solver)(nil)

// BasicVariablesTo writes the variable basic in each basis position: a
// column j as j, a row i as −1−i (HiGHS's Highs_getBasicVariables). It
// needs the factorisation of the last solve: call it right after Solve.
func (s *Solver) BasicVariablesTo(dst []int) error {
	if len(dst) != s.nrow {
		return fmt.Errorf("highs: BasicVariablesTo: %d entries, want %d", len(dst), s.nrow)
	}
	fr, err := s.frame(frameSize(nil, []int{s.nrow}, 0))
	if err != nil {
		return err
	}
	p := fr.out(4 * s.nrow)
	r, err := s.call(fnGetBasicVariables, s.highs, p)
	if err := s.status(fnGetBasicVariables, r, err); err != nil {
		return err
	}
	mem := s.inst.memory()
	for k := range dst {
		dst[k] = int(int32(leU32(mem, p+4*uint64(k))))
	}
	return nil
}

// BasisInverseRowTo writes row r of the basis inverse, dense, into dst
// (HiGHS's Highs_getBasisInverseRow); like BasicVariablesTo it needs the
// factorisation of the last solve.
func (s *Solver) BasisInverseRowTo(r int, dst []float64) error {
	if len(dst) != s.nrow {
		return fmt.Errorf("highs: BasisInverseRowTo: %d entries, want %d", len(dst), s.nrow)
	}
	if r < 0 || r >= s.nrow {
		return fmt.Errorf("highs: BasisInverseRowTo: row %d out of range [0,%d)", r, s.nrow)
	}
	m := s.nrow
	fr, err := s.frame(frameSize([]int{m}, []int{1, m}, 0))
	if err != nil {
		return err
	}
	pv, pnz, pidx := fr.out(8*m), fr.out(4), fr.out(4*m)
	res, err := s.call(fnGetBasisInverseRow, s.highs, i32arg(r), pv, pnz, pidx)
	if err := s.status(fnGetBasisInverseRow, res, err); err != nil {
		return err
	}
	readF64(dst, s.inst.memory(), pv)
	return nil
}
