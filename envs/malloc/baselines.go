package malloc

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/corl-go/corl/solver"
	"github.com/corl-go/corl/solver/highs"
)

// Baselines lists the baseline policies by name.
var Baselines = []string{"xla", "firstfit", "random", "mip"}

// Result is a policy's placement of an instance.
type Result struct {
	Policy   string
	Benefit  float64 // microseconds saved
	Fraction float64 // of the total benefit
	Optimal  bool    // proved optimal (mip)
	Bound    float64 // mip: upper bound on the fraction
	Seconds  float64
	Steps    int // game steps played (heuristics)
	Offsets  []int64
}

// Play runs a step policy through the game and returns its placement.
func Play(in *Instance, cfg Config, name string, choose func(g *Game) int) (Result, error) {
	g, err := New(in, cfg)
	if err != nil {
		return Result{}, err
	}
	start := time.Now()
	if _, err := g.Reset(0); err != nil {
		return Result{}, err
	}
	steps := 0
	for !g.Done() {
		if _, err := g.Step(choose(g)); err != nil {
			return Result{}, err
		}
		steps++
	}
	r := Result{Policy: name, Benefit: g.TimeSaved(), Fraction: g.Metric(), Seconds: time.Since(start).Seconds(), Steps: steps, Offsets: g.Offsets()}
	return r, in.CheckPlacement(r.Offsets)
}

// BestFit is XLA's rule inside the game: the candidate offset leaving the
// smallest free gap above the buffer (lowest offset on ties), or slow
// memory when none fits.
func BestFit(g *Game) int {
	cands := g.Candidates()
	if len(cands) == 0 {
		return SlowAction
	}
	b := g.in.Buffers[g.Current()]
	best, bestGap := 0, int64(math.MaxInt64)
	for k, off := range cands {
		if gap := g.gapAbove(off, b); gap < bestGap {
			best, bestGap = k, gap
		}
	}
	return best
}

// FirstFit takes the lowest candidate offset, or slow memory.
func FirstFit(g *Game) int {
	if len(g.Candidates()) == 0 {
		return SlowAction
	}
	return 0
}

// RunBaseline runs a named baseline: xla (XLA's order and best fit),
// firstfit (decreasing size, lowest offset), random (uniform legal
// actions, seeded) or mip (the exact optimum, within timeLimit).
func RunBaseline(ctx context.Context, in *Instance, name string, seed uint64, timeLimit time.Duration) (Result, error) {
	switch strings.ToLower(name) {
	case "xla":
		return Play(in, Config{Order: XLAOrder}, "xla", BestFit)
	case "firstfit":
		return Play(in, Config{Order: SizeOrder}, "firstfit", FirstFit)
	case "random":
		rng := rand.New(rand.NewPCG(seed, 0x6d616c6c))
		return Play(in, Config{}, "random", func(g *Game) int { return g.RandomLegal(rng) })
	case "mip":
		if timeLimit > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, timeLimit)
			defer cancel()
		}
		return SolveMIP(ctx, in)
	}
	return Result{}, fmt.Errorf("malloc: unknown baseline %q (want one of %s)", name, strings.Join(Baselines, ", "))
}

// SolveMIP finds the best placement with HiGHS:
//
//	maximise sum_i Benefit_i p_i
//	subject to  o_i in [0, Capacity - Size_i]  (multiples of Alignment)
//	            for each pair i, j live at the same time, with d_ij binary:
//	              o_i + s_i <= o_j + C (1 - d_ij) + C (2 - p_i - p_j)
//	              o_j + s_j <= o_i + C d_ij       + C (2 - p_i - p_j)
//	            for each start time t: sum of s_i p_i over buffers live at t <= C
//	            p_i binary.
//
// A context deadline stops it with the best placement found (Optimal false).
func SolveMIP(ctx context.Context, in *Instance) (Result, error) {
	start := time.Now()
	n := len(in.Buffers)
	C := float64(in.Capacity)
	total := in.TotalBenefit()
	scale := 1.0 // the objective is the fraction of the total benefit
	if total > 0 {
		scale = 1 / total
	}
	var b solver.Builder
	b.SetSense(solver.Maximize)
	p, o := make([]int, n), make([]int, n)
	align := float64(max(in.Alignment, 1))
	for i, buf := range in.Buffers {
		up := 1.0
		if buf.Size > in.Capacity {
			up = 0
		}
		p[i] = b.AddCol(fmt.Sprintf("p%d", i), buf.Benefit*scale, 0, up, solver.Integer)
		room := math.Max(C-float64(buf.Size), 0)
		// offsets are integers (in units of the alignment), so the
		// placement is exact in bytes
		o[i] = b.AddCol(fmt.Sprintf("k%d", i), 0, 0, math.Floor(room/align), solver.Integer)
	}
	for i := range n {
		for j := i + 1; j < n; j++ {
			bi, bj := in.Buffers[i], in.Buffers[j]
			// A buffer larger than the fast memory is never placed (p = 0):
			// it needs no ordering rows, and its size would exceed the big M.
			if !bi.Overlaps(bj) || bi.Size > in.Capacity || bj.Size > in.Capacity {
				continue
			}
			d := b.AddCol(fmt.Sprintf("d%d_%d", i, j), 0, 0, 1, solver.Integer)
			si, sj := float64(bi.Size), float64(bj.Size)
			b.AddRow(fmt.Sprintf("a%d_%d", i, j), math.Inf(-1), 3*C-si,
				[]int{o[i], o[j], d, p[i], p[j]}, []float64{align, -align, C, C, C})
			b.AddRow(fmt.Sprintf("b%d_%d", i, j), math.Inf(-1), 2*C-sj,
				[]int{o[i], o[j], d, p[i], p[j]}, []float64{-align, align, -C, C, C})
		}
	}
	seen := map[int64]bool{}
	for _, t := range in.Buffers {
		if seen[t.Start] {
			continue
		}
		seen[t.Start] = true
		var cols []int
		var vals []float64
		for i, buf := range in.Buffers {
			if buf.Start <= t.Start && t.Start < buf.End {
				cols, vals = append(cols, p[i]), append(vals, float64(buf.Size))
			}
		}
		b.AddRow(fmt.Sprintf("live%d", t.Start), math.Inf(-1), C, cols, vals)
	}
	m, err := b.Build()
	if err != nil {
		return Result{}, err
	}
	s, err := highs.New(highs.Config{})
	if err != nil {
		return Result{}, err
	}
	defer s.Close()
	if err := s.Load(m); err != nil {
		return Result{}, err
	}
	if err := s.SetDoubleOption("mip_rel_gap", 1e-7); err != nil {
		return Result{}, err
	}
	if err := s.SetDoubleOption("mip_abs_gap", 1e-9); err != nil {
		return Result{}, err
	}
	st, err := s.Solve(ctx)
	if err != nil && st != solver.StatusTimeLimit {
		return Result{}, err
	}
	r := Result{Policy: "mip", Optimal: st == solver.StatusOptimal, Seconds: time.Since(start).Seconds()}
	if bound, err := s.MIPDualBound(); err == nil {
		r.Bound = math.Min(bound, 1)
	}
	if feasible, err := s.IntInfo("primal_solution_status"); err != nil || feasible != 2 {
		return r, err // no solution within the limit
	}
	x, err := s.Primal()
	if err != nil {
		return r, err
	}
	r.Offsets = make([]int64, n)
	for i, buf := range in.Buffers {
		r.Offsets[i] = -1
		if x[p[i]] > 0.5 {
			r.Offsets[i] = int64(math.Round(x[o[i]] * align))
			r.Benefit += buf.Benefit
		}
	}
	if total > 0 {
		r.Fraction = r.Benefit / total
	}
	if err := in.CheckPlacement(r.Offsets); err != nil {
		return r, fmt.Errorf("malloc: the MIP's placement is invalid: %w", err)
	}
	return r, nil
}
