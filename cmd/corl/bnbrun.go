package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/corl-go/corl/solver"
	"github.com/corl-go/corl/solver/bnb"
	"github.com/corl-go/corl/solver/highs"
	"github.com/corl-go/corl/trace"
)

// bnbFlags are the flags of corl's own branch-and-bound.
func bnbFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "node-selection", Value: "best", Usage: "best (best-first with plunging), dfs or estimate"},
		&cli.Int64Flag{Name: "node-limit", Usage: "stop after this many nodes (status node_limit)"},
		&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "seed of the random branching rule"},
	}
}

func bnbConfig(c *cli.Context) (bnb.Config, error) {
	sel, err := bnb.ParseNodeSelection(c.String("node-selection"))
	if err != nil {
		return bnb.Config{}, usageErr("%v", err)
	}
	cfg := bnb.Config{NodeSelection: sel, NodeLimit: c.Int64("node-limit")}
	if err := cfg.Validate(); err != nil {
		return cfg, usageErr("%v", err)
	}
	return cfg, nil
}

// bnbRun solves m with corl's branch-and-bound and a named rule, writing
// one trace row per branching decision when tw is not nil.
type bnbRun struct {
	engine   string
	rule     string // the branching rule or policy name (see brancherFactory)
	seed     uint64
	cfg      bnb.Config
	tw       *trace.Writer[trace.Step]
	run      string
	instance string
	episode  int64
}

func (r bnbRun) solve(ctx context.Context, m *solver.Model, log io.Writer) (bnb.Result, error) {
	newRule, err := brancherFactory(r.rule, r.seed)
	if err != nil {
		return bnb.Result{}, err
	}
	rule, err := newRule()
	if err != nil {
		return bnb.Result{}, failedErr(err)
	}
	lp, err := highs.New(highs.Config{Runtime: r.engine})
	if err != nil {
		return bnb.Result{}, failedErr(err)
	}
	defer lp.Close()
	cfg := r.cfg
	cfg.Log = log
	s, err := bnb.NewSearch(ctx, lp, m, cfg)
	if err != nil {
		return bnb.Result{}, failedErr(err)
	}
	d, err := s.Next(ctx)
	for step := int64(0); d != nil; step++ {
		t0 := time.Now()
		before := s.Stats()
		col, err := rule.Select(ctx, d)
		if err != nil {
			return bnb.Result{}, failedErr(err)
		}
		node, ncand := d.Node, len(d.Candidates())
		if err := s.Branch(col); err != nil {
			return bnb.Result{}, failedErr(fmt.Errorf("rule %s: %w", r.rule, err))
		}
		if d, err = s.Next(ctx); err != nil {
			return bnb.Result{}, failedErr(err)
		}
		if r.tw != nil {
			st := s.Stats()
			row := trace.Step{
				Run: r.run, Env: "milp", Policy: r.rule, Instance: r.instance, Episode: r.episode,
				Step: step, Action: int64(col), Reward: float64(st.Nodes - before.Nodes), Done: d == nil,
				Seconds: time.Since(t0).Seconds(), Nodes: trace.Int(st.Nodes), LPIterations: trace.Int(st.LPIterations),
				Node: trace.Int(node.ID), Depth: trace.Int(int64(node.Depth)), Candidates: trace.Int(int64(ncand)),
			}
			if err := r.tw.Write(row); err != nil {
				return bnb.Result{}, failedErr(err)
			}
		}
	}
	if err != nil {
		return bnb.Result{}, failedErr(err)
	}
	x, obj := s.Incumbent()
	return bnb.Result{Status: s.Status(), Objective: obj, X: x, Stats: s.Stats()}, nil
}
