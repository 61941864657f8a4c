package main

import (
	"github.com/urfave/cli/v2"

	"github.com/corl-go/corl/agents/policy"
	"github.com/corl-go/corl/eval"
	"github.com/corl-go/corl/internal/evalcli"
	"github.com/corl-go/corl/solver/bnb"
)

// branchingHelp describes what --branching accepts.
const branchingHelp = policy.Help

// brancherFactory resolves a branching name (see agents/policy): a bad
// name is a usage error, a checkpoint that cannot be loaded an input
// error naming the file.
func brancherFactory(name string, seed uint64) (eval.BrancherFactory, error) {
	f, err := evalcli.Brancher(name, seed)
	return f, err
}

// bnbFlags are the flags of corl's own branch-and-bound.
func bnbFlags() []cli.Flag { return evalcli.BnB() }

func bnbConfig(c *cli.Context) (bnb.Config, error) {
	cfg, err := evalcli.BnBConfig(c)
	return cfg, err
}
