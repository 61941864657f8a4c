package main

import (
	"fmt"
	"strings"
	"sync"

	"github.com/corl-go/corl/agents/revibranch"
	"github.com/corl-go/corl/solver/bnb"
)

// branchingHelp describes what --branching accepts.
const branchingHelp = "mostfrac, pscost, fsb, relpscost, random; gnn (the shipped set-cover policy) or gnn:PATH (a policy trained by `corl train milp`)"

// policyCache holds learned policies by path: eval asks for one per run.
var policyCache sync.Map // path -> *revibranch.Policy

// brancherFactory resolves a branching name to a maker of fresh branchers
// (one per search: a learned policy's brancher keeps per-search state).
// A bad name is a usage error; a checkpoint that cannot be loaded is an
// input error naming the file.
func brancherFactory(name string, seed uint64) (func() (bnb.Brancher, error), error) {
	kind, path, hasPath := strings.Cut(name, ":")
	if strings.EqualFold(kind, "gnn") {
		if hasPath && path == "" {
			return nil, usageErr("--branching %s: give the checkpoint's path after gnn:", name)
		}
		p, err := loadPolicy(path)
		if err != nil {
			return nil, inputErr(err)
		}
		return func() (bnb.Brancher, error) { return p.Brancher(), nil }, nil
	}
	if _, err := bnb.NewRule(name, seed); err != nil {
		return nil, usageErr("--branching: %v (or gnn, gnn:PATH)", err)
	}
	return func() (bnb.Brancher, error) { return bnb.NewRule(name, seed) }, nil
}

// loadPolicy loads a policy checkpoint once; "" is the shipped default.
func loadPolicy(path string) (*revibranch.Policy, error) {
	if p, ok := policyCache.Load(path); ok {
		return p.(*revibranch.Policy), nil
	}
	var p *revibranch.Policy
	var err error
	if path == "" {
		p, err = revibranch.DefaultPolicy()
	} else {
		p, err = revibranch.LoadPolicy(path, nil)
	}
	if err != nil {
		return nil, fmt.Errorf("branching policy: %w", err)
	}
	policyCache.Store(path, p)
	return p, nil
}
