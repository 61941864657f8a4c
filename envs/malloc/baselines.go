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

// Baselines returns the baseline policies' names.
func Baselines() []string { return []string{"xla", "firstfit", "random", "mip"} }

// Result is a policy's placement of an instance.
type Result struct {
	Policy   string
	Benefit  float64 // microseconds saved
	Fraction float64 // of the total benefit
	Optimal  bool    // proved optimal (mip)
	Bound    float64 // mip: upper bound on the fraction
	Seconds  float64
	// Steps are the game steps played (heuristics and searches); with
	// EdgeOffsets and a policy that follows its best episode, which plays
	// the TopOffsets game too (muzero.Policy), both games' moves.
	Steps   int
	Offsets []int64
}

// Play runs a step policy through the game and returns its placement.
func Play(in *Instance, cfg Config, name string, choose func(g *Env) int) (Result, error) {
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

// BestFit is XLA's rule inside the game: among the candidate offsets XLA's
// heap simulator considers (0 and the tops of placed buffers live at the
// same time: every candidate under TopOffsets), the one leaving the
// smallest free gap above the buffer (lowest offset on ties), or slow
// memory when none fits. The lowest fitting offset is always 0 or such a
// top, so one fits whenever any candidate does.
func BestFit(g *Env) int { return bestFit(g, true) }

// BestFitAny is best fit among all the candidate offsets, the edges of
// EdgeOffsets included (BestFit where the game has TopOffsets).
func BestFitAny(g *Env) int { return bestFit(g, false) }

// bestFit is best fit among the candidates, XLA's alone with xlaOnly.
func bestFit(g *Env, xlaOnly bool) int {
	cands := g.Candidates()
	if len(cands) == 0 {
		return SlowAction
	}
	b := g.in.Buffers[g.Current()]
	best, bestGap := 0, int64(math.MaxInt64)
	for k, off := range cands {
		if xlaOnly && !g.xla[k] {
			continue
		}
		if gap := g.gapAbove(off, b); gap < bestGap {
			best, bestGap = k, gap
		}
	}
	return best
}

// FirstFit takes the lowest candidate offset, or slow memory.
func FirstFit(g *Env) int {
	if len(g.Candidates()) == 0 {
		return SlowAction
	}
	return 0
}

// RunBaseline runs a named baseline: xla (XLA's order and best fit),
// firstfit (decreasing size, lowest offset), random (uniform legal
// actions, seeded) or mip (the exact optimum within mip's limits, started
// from the better of xla and firstfit).
func RunBaseline(ctx context.Context, in *Instance, name string, seed uint64, mip MIPConfig) (Result, error) {
	switch strings.ToLower(name) {
	case "xla":
		return playXLA(in)
	case "firstfit":
		return playFirstFit(in)
	case "random":
		rng := rand.New(rand.NewPCG(seed, 0x6d616c6c))
		return Play(in, Config{}, "random", func(g *Env) int { return g.RandomLegal(rng) })
	case "mip":
		return SolveMIP(ctx, in, mip)
	}
	return Result{}, fmt.Errorf("malloc: unknown baseline %q (want one of %s)", name, strings.Join(Baselines(), ", "))
}

// MIPConfig configures SolveMIP. The zero value solves with HiGHS to
// optimality (or the context's deadline).
type MIPConfig struct {
	// NewEngine creates the MIP engine (nil: HiGHS, default engine).
	NewEngine func() (solver.Engine, error)
	// TimeLimit bounds the solve (0: none but the context's deadline).
	TimeLimit time.Duration
	// NodeLimit bounds the branch-and-bound nodes (0: none); unlike a
	// time limit, its result does not depend on the machine's speed.
	NodeLimit int
}

// Validate checks the configuration.
func (c MIPConfig) Validate() error {
	switch {
	case c.TimeLimit < 0:
		return fmt.Errorf("malloc: MIPConfig.TimeLimit %v is negative", c.TimeLimit)
	case c.NodeLimit < 0:
		return fmt.Errorf("malloc: MIPConfig.NodeLimit %d is negative", c.NodeLimit)
	}
	return nil
}

// SolveMIP finds the best placement with a MIP engine:
//
//	maximise sum_i Benefit_i p_i
//	subject to  o_i in [0, Capacity - Size_i]  (multiples of Alignment)
//	            for each pair i, j live at the same time, with d_ij binary:
//	              o_i + s_i <= o_j + C (1 - d_ij) + C (2 - p_i - p_j)
//	              o_j + s_j <= o_i + C d_ij       + C (2 - p_i - p_j)
//	            for each start time t: sum of s_i p_i over buffers live at t <= C
//	            p_i binary.
//
// The solve starts from the better of the xla and firstfit placements, so
// a limit (time, nodes, the context's deadline) ends it with a placement at
// least as good as theirs (Optimal false). A solver failure is an error.
func SolveMIP(ctx context.Context, in *Instance, cfg MIPConfig) (Result, error) {
	if err := cfg.Validate(); err != nil {
		return Result{}, err
	}
	if cfg.NewEngine == nil {
		cfg.NewEngine = func() (solver.Engine, error) { return highs.New(highs.Config{}) }
	}
	if cfg.TimeLimit > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.TimeLimit)
		defer cancel()
	}
	start := time.Now()
	best, err := bestHeuristic(in)
	if err != nil {
		return Result{}, err
	}
	mm, err := buildMIP(in)
	if err != nil {
		return Result{}, err
	}
	e, err := cfg.NewEngine()
	if err != nil {
		return Result{}, err
	}
	defer e.Close()
	if err := e.Load(mm.model); err != nil {
		return Result{}, err
	}
	if err := mm.configure(e, cfg, best.Offsets); err != nil {
		return Result{}, err
	}
	st, err := e.Solve(ctx)
	if err != nil {
		return Result{}, err
	}
	r, err := mm.result(e, st)
	if err != nil {
		return Result{}, err
	}
	if r.Offsets == nil || r.Benefit < best.Benefit {
		// no incumbent better than the start (an engine without MIP starts)
		r.Offsets, r.Benefit, r.Fraction = best.Offsets, best.Benefit, best.Fraction
	}
	r.Seconds = time.Since(start).Seconds()
	return r, nil
}

func playXLA(in *Instance) (Result, error) { return Play(in, Config{Order: XLAOrder}, "xla", BestFit) }

func playFirstFit(in *Instance) (Result, error) {
	return Play(in, Config{Order: SizeOrder}, "firstfit", FirstFit)
}

// bestHeuristic is the better of the xla and firstfit placements.
func bestHeuristic(in *Instance) (Result, error) {
	var best Result
	for _, play := range []func(*Instance) (Result, error){playXLA, playFirstFit} {
		r, err := play(in)
		if err != nil {
			return Result{}, err
		}
		if best.Offsets == nil || r.Benefit > best.Benefit {
			best = r
		}
	}
	return best, nil
}

// mipModel is SolveMIP's model and where its columns are.
type mipModel struct {
	in    *Instance
	model *solver.Model
	p, o  []int    // per buffer: placed (binary), offset in alignment units
	d     [][3]int // per ordered pair: i, j and its order column
	align float64
	total float64
}

func buildMIP(in *Instance) (*mipModel, error) {
	n := len(in.Buffers)
	C := float64(in.Capacity)
	mm := &mipModel{in: in, p: make([]int, n), o: make([]int, n), align: float64(max(in.Alignment, 1)), total: in.TotalBenefit()}
	scale := 1.0 // the objective is the fraction of the total benefit
	if mm.total > 0 {
		scale = 1 / mm.total
	}
	var b solver.Builder
	b.SetSense(solver.Maximize)
	for i, buf := range in.Buffers {
		up := 1.0
		if buf.Size > in.Capacity {
			up = 0
		}
		mm.p[i] = b.AddCol(fmt.Sprintf("p%d", i), buf.Benefit*scale, 0, up, solver.Integer)
		room := math.Max(C-float64(buf.Size), 0)
		// offsets are integers (in units of the alignment), so the
		// placement is exact in bytes
		mm.o[i] = b.AddCol(fmt.Sprintf("k%d", i), 0, 0, math.Floor(room/mm.align), solver.Integer)
	}
	p, o, align := mm.p, mm.o, mm.align
	for i := range n {
		for j := i + 1; j < n; j++ {
			bi, bj := in.Buffers[i], in.Buffers[j]
			// A buffer larger than the fast memory is never placed (p = 0):
			// it needs no ordering rows, and its size would exceed the big M.
			if !bi.Overlaps(bj) || bi.Size > in.Capacity || bj.Size > in.Capacity {
				continue
			}
			d := b.AddCol(fmt.Sprintf("d%d_%d", i, j), 0, 0, 1, solver.Integer)
			mm.d = append(mm.d, [3]int{i, j, d})
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
		return nil, err
	}
	mm.model = m
	return mm, nil
}

// startValues are the column values of a valid placement: d_ij = 0 puts
// buffer i below j, 1 puts j below i.
func (mm *mipModel) startValues(offsets []int64) []float64 {
	x := make([]float64, mm.model.NumCols())
	for i, off := range offsets {
		if off >= 0 {
			x[mm.p[i]] = 1
			x[mm.o[i]] = float64(off) / mm.align
		}
	}
	for _, d := range mm.d {
		if i, j := d[0], d[1]; offsets[i] >= 0 && offsets[j] >= 0 && offsets[j] < offsets[i] {
			x[d[2]] = 1
		}
	}
	return x
}

// configure sets the gaps, limits and start the engine can take.
func (mm *mipModel) configure(e solver.Engine, cfg MIPConfig, start []int64) error {
	if o, ok := e.(solver.OptionSetter); ok {
		if err := o.SetDoubleOption("mip_rel_gap", 1e-7); err != nil {
			return err
		}
		if err := o.SetDoubleOption("mip_abs_gap", 1e-9); err != nil {
			return err
		}
		if cfg.NodeLimit > 0 {
			if err := o.SetIntOption("mip_max_nodes", cfg.NodeLimit); err != nil {
				return err
			}
		}
	} else if cfg.NodeLimit > 0 {
		return fmt.Errorf("malloc: MIPConfig.NodeLimit needs an engine that takes options")
	}
	if s, ok := e.(solver.MIPStarter); ok {
		return s.SetSolution(mm.startValues(start))
	}
	return nil
}

// result reads the placement and bound the engine ended with (Offsets nil
// when it holds no solution).
func (mm *mipModel) result(e solver.Engine, st solver.Status) (Result, error) {
	r := Result{Policy: "mip", Optimal: st == solver.StatusOptimal, Bound: 1}
	has := st == solver.StatusOptimal
	if rep, ok := e.(solver.MIPReporter); ok {
		bound, err := rep.MIPDualBound()
		if err != nil {
			return r, err
		}
		if has, err = rep.HasSolution(); err != nil {
			return r, err
		}
		r.Bound = math.Min(bound, 1)
	}
	if !has {
		return r, nil
	}
	x := make([]float64, mm.model.NumCols())
	if err := e.SolutionTo(x, nil, nil, nil); err != nil {
		return r, err
	}
	r.Offsets = make([]int64, len(mm.in.Buffers))
	for i, buf := range mm.in.Buffers {
		r.Offsets[i] = -1
		if x[mm.p[i]] > 0.5 {
			r.Offsets[i] = int64(math.Round(x[mm.o[i]] * mm.align))
			r.Benefit += buf.Benefit
		}
	}
	if mm.total > 0 {
		r.Fraction = r.Benefit / mm.total
	}
	if err := mm.in.CheckPlacement(r.Offsets); err != nil {
		return r, fmt.Errorf("malloc: the MIP's placement is invalid: %w", err)
	}
	return r, nil
}
