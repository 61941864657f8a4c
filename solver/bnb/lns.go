package bnb

import (
	"context"
	"math"
	"time"

	"github.com/corl-go/corl/solver"
)

// lns builds the sub-MIP of RENS or RINS and hands it to HiGHS's MIP on the
// sub-engine, with the limits Heuristics.LNSLimits chooses (and a time
// limit as a safety net) and the incumbent as cutoff. RENS
// (at the root) fixes the integer columns the LP solution has integral and
// bounds the others to the floor and ceiling of their LP value; RINS fixes
// the integer columns where the node LP solution equals the incumbent. A
// neighbourhood fixing too few integer columns is skipped. A solution is
// checked against the original model before it is offered.
func (s *Search) lns(ctx context.Context, kind Heuristic) error {
	lo := append(s.lnsLo[:0], s.rootLo...)
	up := append(s.lnsUp[:0], s.rootUp...)
	s.lnsLo, s.lnsUp = lo, up
	fixed, ints := 0, 0
	for j := range s.n {
		if !s.integer[j] {
			continue
		}
		ints++
		v := s.x[j]
		switch kind {
		case RENS:
			if r := math.Round(v); math.Abs(v-r) <= intTol {
				lo[j], up[j] = r, r
				fixed++
			} else {
				lo[j], up[j] = math.Max(lo[j], math.Floor(v)), math.Min(up[j], math.Ceil(v))
			}
		case RINS:
			if inc := s.incumbent[j]; math.Abs(v-inc) <= intTol {
				lo[j], up[j] = inc, inc
				fixed++
			}
		}
	}
	minFix := s.heur.MinFixRENS
	if kind == RINS {
		minFix = s.heur.MinFixRINS
	}
	s.rins.ran = false
	if ints == 0 || float64(fixed) < minFix*float64(ints) {
		return nil
	}
	sub, err := s.subEngine()
	if sub == nil || err != nil {
		return err
	}
	s.rins.ran = kind == RINS
	return s.timed(kind, func() error { return s.solveSubMIP(ctx, kind, sub, lo, up) })
}

// subEngine returns the engine sub-MIPs run on, made on first use; nil
// when there is none (no SubMIP and a node LP engine that cannot spawn).
func (s *Search) subEngine() (solver.Engine, error) {
	if s.subMade {
		return s.sub, nil
	}
	s.subMade = true
	switch sp, ok := s.lp.(solver.Spawner); {
	case s.heur.SubMIP != nil:
		e, err := s.heur.SubMIP()
		s.sub = e
		return e, err
	case ok:
		e, err := sp.Spawn()
		s.sub = e
		return e, err
	}
	return nil, nil
}

// Close releases what the search holds besides the node LP engine (the
// caller's): the sub-MIP engine of the neighbourhood searches. The search
// does so itself when it ends; call Close for a search left before its end.
// It is safe to call more than once.
func (s *Search) Close() error { return s.closeSub() }

// closeSub closes the sub-MIP engine, if one was made.
func (s *Search) closeSub() error {
	if s.sub == nil {
		return nil
	}
	err := s.sub.Close()
	s.sub = nil
	return err
}

func (s *Search) solveSubMIP(ctx context.Context, kind Heuristic, sub solver.Engine, lo, up []float64) error {
	st := &s.stats.Heuristics[kind]
	if err := sub.Load(s.subModelWith(lo, up)); err != nil {
		return err
	}
	if o, ok := sub.(solver.OptionSetter); ok {
		limit := s.heur.LNSTime.Seconds()
		if err := o.SetDoubleOption("time_limit", limit); err != nil {
			return err
		}
		nodes, stall, leaves := s.heur.LNSNodes, int64(math.MaxInt32), int64(math.MaxInt32)
		switch s.heur.LNSLimits {
		case LNSLimitHiGHS:
			nodes = min(nodes, math.MaxInt32) + s.stats.Nodes/20
			stall, leaves = s.heur.LNSStallNodes, s.heur.LNSLeaves
		case LNSLimitStall:
			stall = min(s.heur.LNSStallNodes, math.MaxInt32) + s.stats.Nodes/20
			if kind == RINS {
				leaves = s.heur.LNSLeaves
			}
		}
		for _, opt := range []struct {
			name string
			v    int64
		}{{"mip_max_nodes", nodes}, {"mip_max_leaves", leaves}, {"mip_max_stall_nodes", stall}} {
			if err := o.SetIntOption(opt.name, int(min(opt.v, math.MaxInt32))); err != nil {
				return err
			}
		}
		if err := s.subMIPEffort(o); err != nil {
			return err
		}
		c := s.cutoff()
		if math.IsInf(c, 1) {
			c = math.Inf(1)
		}
		if err := o.SetDoubleOption("objective_bound", c); err != nil {
			return err
		}
	}
	dl, hasDL := ctx.Deadline()
	netFirst := !hasDL || time.Until(dl) > s.heur.LNSTime
	status, err := sub.Solve(ctx)
	if status == solver.StatusTimeLimit && netFirst && ctx.Err() == nil {
		st.TimeLimited++ // the safety net, not the search's deadline
	}
	if status == solver.StatusInterrupted || status == solver.StatusTimeLimit {
		err = nil // the search sees its own context next
	}
	if err != nil {
		return err
	}
	if it, err := sub.SimplexIterations(); err == nil {
		st.LPIterations += int64(it)
	}
	if r, ok := sub.(interface{ MIPNodes() (int64, error) }); ok {
		if n, err := r.MIPNodes(); err == nil {
			st.Nodes += n
		}
	}
	if r, ok := sub.(solver.MIPReporter); ok {
		if has, err := r.HasSolution(); err != nil || !has {
			return err
		}
	} else if status != solver.StatusOptimal {
		return nil
	}
	if s.subX == nil {
		s.subX = make([]float64, s.n)
	}
	if err := sub.SolutionTo(s.subX, nil, nil, nil); err != nil {
		return err
	}
	if s.feasible(s.subX) {
		s.newIncumbent(s.subX, true)
	}
	return nil
}

// subMIPEffort sets, under LNSLimitHiGHS, two of the settings HiGHS
// gives its own sub-MIPs: pseudocosts trusted from the first observation
// and heuristic effort 0.8. The other choices leave the engine's as they
// are (HiGHS's defaults, on an engine of its own), as before them.
func (s *Search) subMIPEffort(o solver.OptionSetter) error {
	if s.heur.LNSLimits != LNSLimitHiGHS {
		return nil
	}
	if err := o.SetIntOption("mip_pscost_minreliable", 0); err != nil {
		return err
	}
	return o.SetDoubleOption("mip_heuristic_effort", 0.8)
}

// subModelWith returns the model in minimisation form with the column
// bounds lo and up, for the sub-MIP engine.
func (s *Search) subModelWith(lo, up []float64) *solver.Model {
	if s.subModel == nil {
		m := s.model.Clone()
		m.Sense = solver.Minimize
		copy(m.Cost, s.cost)
		m.Offset *= s.sgn
		s.subModel = m
	}
	copy(s.subModel.ColLower, lo)
	copy(s.subModel.ColUpper, up)
	return s.subModel
}

// offerIntegral offers x, an LP solution whose integer columns are
// integral within intTol, as an incumbent. Rounding those columns moves
// the rows' activities by up to their coefficients times intTol, and
// where that leaves a row violated by more than feasTol, the continuous
// columns are solved again, on the sub-MIP engine, with the integer
// columns fixed at their rounded values, as HiGHS does with each new
// integer-feasible solution; that solution is offered instead
// (Stats.IntegralRepairs; the repair's simplex iterations are counted
// nowhere). Without an engine to solve it on, or when that LP fails or
// errs, x is offered as it is, as before. It reports whether x was
// repaired: the solution offered is then no longer x's own value.
func (s *Search) offerIntegral(ctx context.Context, x []float64, heuristic bool) bool {
	if s.rowsFeasible(x) {
		s.newIncumbent(x, heuristic)
		return false
	}
	y, err := s.repairIntegral(ctx, x)
	if err != nil || y == nil {
		s.newIncumbent(x, heuristic)
		return false
	}
	s.stats.IntegralRepairs++
	s.newIncumbent(y, heuristic)
	return true
}

// repairIntegral solves the LP of the continuous columns with the integer
// columns fixed at x's rounded values; it returns its solution when that
// is feasible, else nil.
func (s *Search) repairIntegral(ctx context.Context, x []float64) ([]float64, error) {
	sub, err := s.subEngine()
	if err != nil || sub == nil {
		return nil, err
	}
	lo, up := append([]float64(nil), s.rootLo...), append([]float64(nil), s.rootUp...)
	for j, v := range x {
		if s.integer[j] {
			lo[j], up[j] = math.Round(v), math.Round(v)
		}
	}
	if err := sub.Load(s.subModelWith(lo, up)); err != nil {
		return nil, err
	}
	if o, ok := sub.(solver.OptionSetter); ok {
		// No cutoff (the neighbourhood searches leave theirs set): a
		// repaired solution worse than the incumbent is still a
		// solution, which newIncumbent then rejects.
		if err := o.SetDoubleOption("objective_bound", math.Inf(1)); err != nil {
			return nil, err
		}
	}
	st, err := sub.Solve(ctx)
	if st == solver.StatusInterrupted || st == solver.StatusTimeLimit {
		return nil, nil // the search sees its own context next
	}
	if err != nil || st != solver.StatusOptimal {
		return nil, err
	}
	y := make([]float64, s.n)
	if err := sub.SolutionTo(y, nil, nil, nil); err != nil {
		return nil, err
	}
	if !s.feasible(y) {
		return nil, nil
	}
	return y, nil
}

// feasible reports whether x, with its integer columns rounded, lies in
// the root bounds and satisfies every row of the model.
func (s *Search) feasible(x []float64) bool {
	for j := range s.n {
		v := x[j]
		if s.integer[j] {
			if math.Abs(v-math.Round(v)) > intTol {
				return false
			}
			v = math.Round(v)
		}
		if v < s.rootLo[j]-feasTol || v > s.rootUp[j]+feasTol {
			return false
		}
	}
	return s.rowsFeasible(x)
}

// rowsFeasible reports whether x (integer columns rounded) satisfies every
// row within feasTol, relative to the row bound's size.
func (s *Search) rowsFeasible(x []float64) bool {
	y := append(s.feasX[:0], x...)
	s.feasX = y
	for j := range s.n {
		if s.integer[j] {
			y[j] = math.Round(y[j])
		}
	}
	if s.roundAct == nil {
		s.roundAct = make([]float64, s.m)
	}
	act := s.model.RowActivitiesTo(s.roundAct, y)
	for i, a := range act {
		if a < s.model.RowLower[i]-feasTol*math.Max(1, math.Abs(s.model.RowLower[i])) ||
			a > s.model.RowUpper[i]+feasTol*math.Max(1, math.Abs(s.model.RowUpper[i])) {
			return false
		}
	}
	return true
}
