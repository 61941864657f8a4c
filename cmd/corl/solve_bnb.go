package main

import (
	"context"
	"encoding/json"
	"math"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/corl-go/corl/eval"
	"github.com/corl-go/corl/internal/evalcli"
	"github.com/corl-go/corl/solver"
	"github.com/corl-go/corl/solver/bnb"
	"github.com/corl-go/corl/solver/highs"
	"github.com/corl-go/corl/trace"
)

func solveBnBAction(c *cli.Context, m *solver.Model, name string) error {
	if c.IsSet("option") {
		return usageErr("--option sets HiGHS MIP options; it does not apply with --bnb")
	}
	cfg, err := bnbConfig(c)
	if err != nil {
		return err
	}
	if c.IsSet("cutoff") {
		v := c.Float64("cutoff")
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return usageErr("--cutoff %v: want a finite number", v)
		}
		cfg.Cutoff, cfg.HasCutoff = v, true
	}
	if g := c.Float64("gap-limit"); !(g >= 0 && g < 1) {
		return usageErr("--gap-limit %v: want a relative gap in [0, 1) (0: prove optimality)", g)
	} else {
		cfg.GapLimit = g
	}
	if cfg.GapStopOnly, err = evalcli.GapStopOnly(c); err != nil {
		return err
	}
	ctx := c.Context
	if c.Float64("time-limit") > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(c.Float64("time-limit")*float64(time.Second)))
		defer cancel()
	}
	newRule, err := brancherFactory(c.String("branching"), c.Uint64("seed"))
	if err != nil {
		return err
	}
	rule, err := newRule()
	if err != nil {
		return failedErr(err)
	}
	if err := applyReliabilityFlags(c, rule); err != nil {
		return err
	}
	var tw *trace.Writer[trace.Step]
	if path := c.String("trace"); path != "" {
		if tw, err = trace.Create(path); err != nil {
			return failedErr(err)
		}
		defer tw.Abort() // no-op after a successful Close
		job := eval.Job{Instance: name, Policy: c.String("branching"), Seed: c.Uint64("seed")}
		cfg.Observe = func(e bnb.Decided) error { return tw.Write(eval.DecisionStep(e, "solve", job)) }
	}
	if c.Bool("log") {
		cfg.Log = c.App.ErrWriter
	}
	lp, err := highs.New(highs.Config{Runtime: c.String("engine")})
	if err != nil {
		return failedErr(err)
	}
	defer lp.Close()
	res, err := bnb.Solve(ctx, lp, m, rule, cfg)
	if err != nil {
		return failedErr(err)
	}
	if tw != nil {
		if err := tw.Close(); err != nil {
			return failedErr(err)
		}
	}
	out := bnbResult(res, m, name, c.String("engine"))
	if path := c.String("solution"); path != "" && res.X != nil {
		if err := writeSolutionX(path, res.X, m); err != nil {
			return failedErr(err)
		}
	}
	if c.Bool("json") {
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return err
		}
	} else {
		printResult(c.App.Writer, out)
	}
	if res.Status == solver.StatusInterrupted {
		return interrupted(c.Context, "the best solution found is printed above")
	}
	return nil
}

func bnbResult(res bnb.Result, m *solver.Model, name, engine string) solveResult {
	finite := func(v float64) *float64 {
		if math.IsInf(v, 0) || math.IsNaN(v) {
			return nil
		}
		return &v
	}
	r := solveResult{
		File: name, Engine: "corl bnb, node LPs by HiGHS", Rows: m.NumRows(), Cols: m.NumCols(), Integers: m.NumIntegers(),
		Status: res.Status.String(), Objective: finite(res.Objective), DualBound: finite(res.Stats.DualBound),
		Nodes: res.Stats.Nodes, LPIterations: res.Stats.LPIterations, TimeSeconds: res.Stats.Time.Seconds(),
	}
	if engine != "" {
		r.Engine += " on " + engine
	}
	for h, st := range res.Stats.Heuristics {
		if st.Calls > 0 {
			r.Heuristics = append(r.Heuristics, heuristicResult{Name: bnb.Heuristic(h).String(), Calls: st.Calls, Successes: st.Successes,
				LPIterations: st.LPIterations, Nodes: st.Nodes, TimeSeconds: st.Time.Seconds(), TimeLimited: st.TimeLimited})
		}
	}
	if cs := res.Stats.Cuts; cs.Rounds > 0 {
		sgn := 1.0
		if m.Sense == solver.Maximize {
			sgn = -1
		}
		r.Cuts = &cutsResult{Rounds: cs.Rounds, RootLP: sgn * res.Stats.RootLPValue, RootBound: sgn * res.Stats.RootBound,
			Added: map[string]int64{}, InLP: cs.InLP, Reserve: cs.Reserve, FromReserve: cs.FromReserve, LPIterations: cs.LPIterations, TimeSeconds: cs.Time.Seconds()}
		for k, n := range cs.Added {
			r.Cuts.Added[bnb.CutKind(k).String()] = n
		}
	}
	if st := res.Stats; st.OpenNodesAtPeak > 0 {
		r.OpenNodes = &openNodesResult{PeakBytes: st.OpenNodeBytes, AtPeak: st.OpenNodesAtPeak, BytesPerNode: st.BytesPerOpenNode()}
	}
	if st := res.Stats; st.SBLPs > 0 {
		r.StrongBranching = &strongBranchingResult{LPs: st.SBLPs, LPIterations: st.SBIterations,
			RootIterations: st.RootSBIterations, TimeSeconds: st.SBTime.Seconds(), WarmStarts: st.SBWarmStarts}
	}
	for _, f := range res.Stats.Found {
		r.Found = append(r.Found, foundResult{Node: f.Node, Objective: f.Objective, By: f.By.String()})
	}
	r.GapPruned = res.Stats.GapPruned
	r.LPResolves = res.Stats.LPResolves
	r.IntegralRepairs = res.Stats.IntegralRepairs
	if rc := res.Stats.Redcost; rc != (bnb.RedcostStats{}) {
		r.Redcost = &rc
	}
	if r.Objective != nil {
		r.Gap = finite(res.Stats.Gap)
	}
	return r
}
