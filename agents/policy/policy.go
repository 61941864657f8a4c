package policy

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/corl-go/corl/agents/revibranch"
	"github.com/corl-go/corl/eval"
	"github.com/corl-go/corl/solver/bnb"
)

// Help describes the names Branching accepts.
const Help = "mostfrac, pscost, fsb, relpscost, random; gnn (the shipped set-cover policy) or gnn:PATH (a policy trained by 'corl train milp'); revibranch:PATH (a Q-network trained by 'corl train milp --agent revibranch')"

// ErrName: a branching name that names no rule or policy.
var ErrName = errors.New("policy: unknown branching name")

// NameError: a bad policy name (errors.Is ErrName). Kind says which
// environment's policies the name was looked up among.
type NameError struct {
	Kind   string // "branching", "malloc" or "bandit"
	Name   string
	Reason string
}

func (e *NameError) Error() string {
	return fmt.Sprintf("policy: %s policy %q: %s", e.Kind, e.Name, e.Reason)
}
func (e *NameError) Is(target error) bool { return target == ErrName }

// cache holds learned policies by path: an evaluation asks for one per run.
var cache sync.Map // path -> *revibranch.Policy

// Branching resolves a branching name to a maker of fresh branchers, one
// per search (a learned policy's brancher keeps per-search state). A bad
// name is a *NameError; a checkpoint that cannot be loaded is revibranch's
// error naming the file. It is an eval.Resolver.
func Branching(name string, seed uint64) (eval.BrancherFactory, error) {
	kind, path, hasPath := strings.Cut(name, ":")
	if strings.EqualFold(kind, "gnn") {
		if hasPath && path == "" {
			return nil, &NameError{"branching", name, "give the checkpoint's path after gnn:"}
		}
		p, err := load(path)
		if err != nil {
			return nil, err
		}
		return func() (bnb.Brancher, error) { return p.Brancher(), nil }, nil
	}
	if strings.EqualFold(kind, "revibranch") {
		if path == "" {
			return nil, &NameError{"branching", name, "give the checkpoint's path after revibranch:"}
		}
		q, err := loadQ(path)
		if err != nil {
			return nil, err
		}
		return func() (bnb.Brancher, error) { return q.Brancher(), nil }, nil
	}
	f, err := eval.RuleResolver(name, seed)
	if err != nil {
		return nil, &NameError{"branching", name, fmt.Sprintf("%v (or gnn, gnn:PATH, revibranch:PATH)", err)}
	}
	return f, nil
}

var _ eval.Resolver = Branching

var qCache sync.Map // path -> *revibranch.QNet

// loadQ loads a ReviBranch Q-network checkpoint once.
func loadQ(path string) (*revibranch.QNet, error) {
	if q, ok := qCache.Load(path); ok {
		return q.(*revibranch.QNet), nil
	}
	q, err := revibranch.LoadQNet(path, nil)
	if err != nil {
		return nil, fmt.Errorf("branching policy: %w", err)
	}
	v, _ := qCache.LoadOrStore(path, q)
	return v.(*revibranch.QNet), nil
}

// load loads a policy checkpoint once; "" is the shipped default.
func load(path string) (*revibranch.Policy, error) {
	if p, ok := cache.Load(path); ok {
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
	v, _ := cache.LoadOrStore(path, p) // a concurrent load may have won
	return v.(*revibranch.Policy), nil
}
