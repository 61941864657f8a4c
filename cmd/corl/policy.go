package main

import (
	"errors"

	"github.com/urfave/cli/v2"

	"github.com/corl-go/corl/agents/policy"
	"github.com/corl-go/corl/eval"
	"github.com/corl-go/corl/solver/bnb"
)

// branchingHelp describes what --branching accepts.
const branchingHelp = policy.Help

// brancherFactory resolves a branching name (see agents/policy): a bad
// name is a usage error, a checkpoint that cannot be loaded an input
// error naming the file.
func brancherFactory(name string, seed uint64) (eval.BrancherFactory, error) {
	f, err := policy.Branching(name, seed)
	if errors.Is(err, policy.ErrName) {
		return nil, usageErr("--branching: %v", err)
	}
	if err != nil {
		return nil, inputErr(err)
	}
	return f, nil
}

// bnbFlags are the flags of corl's own branch-and-bound.
func bnbFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "node-selection", Value: "best", Usage: "best (best-first with plunging), dfs or estimate"},
		&cli.Int64Flag{Name: "node-limit", Usage: "stop after this many nodes (status node_limit; 0: none)"},
		&cli.StringFlag{Name: "presolve", Value: "off", Usage: "on: search HiGHS's presolved model (solution and trace in the model's columns); off"},
		&cli.StringFlag{Name: "heuristics", Value: "all", Usage: "primal heuristics: all, none, or a list of rounding, diving, rens, rins"},
		&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "seed of the random branching rule"},
	}
}

func bnbConfig(c *cli.Context) (bnb.Config, error) {
	sel, err := bnb.ParseNodeSelection(c.String("node-selection"))
	if err != nil {
		return bnb.Config{}, usageErr("--node-selection: %v", err)
	}
	cfg := bnb.Config{NodeSelection: sel, NodeLimit: c.Int64("node-limit")}
	if cfg.NodeLimit < 0 {
		return cfg, usageErr("--node-limit %d: want 0 (none) or more", cfg.NodeLimit)
	}
	switch p := c.String("presolve"); p {
	case "on":
		cfg.Presolve = true
	case "off", "":
	default:
		return cfg, usageErr("--presolve %q: want on or off", p)
	}
	if cfg.NoHeuristics, cfg.Heuristics, err = bnb.ParseHeuristics(c.String("heuristics")); err != nil {
		return cfg, usageErr("--heuristics: %v", err)
	}
	if err := cfg.Validate(); err != nil {
		return cfg, usageErr("%v", err)
	}
	return cfg, nil
}
