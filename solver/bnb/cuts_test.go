package bnb_test

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/corl-go/corl/solver/bnb"
	"github.com/corl-go/corl/solver/solvertest"
)

func TestParseCuts(t *testing.T) {
	for _, c := range []struct {
		in   string
		none bool
		c    bnb.Cuts
	}{
		{"", false, bnb.Cuts{}},
		{"on", false, bnb.Cuts{}},
		{"off", true, bnb.Cuts{}},
		{"nodes", false, bnb.Cuts{}},
		{"root", false, bnb.Cuts{RootOnly: true}},
		{"gomory, MIR", false, bnb.Cuts{NoCover: true, NoClique: true, NoAggCover: true}},
		{"cover,clique,nodes", false, bnb.Cuts{NoGomory: true, NoMIR: true, NoAggCover: true}},
		{"cover,root", false, bnb.Cuts{NoGomory: true, NoMIR: true, NoClique: true, NoAggCover: true, RootOnly: true}},
		{"gomory-nodes,mir,cover,clique,aggcover", false, bnb.Cuts{GomoryNodes: true}},
		{"gomory,mir,cover,clique", false, bnb.Cuts{NoAggCover: true}},
		{"AggCover", false, bnb.Cuts{NoGomory: true, NoMIR: true, NoCover: true, NoClique: true}},
		{"gomory,mir,cover,clique,aggcover,reserve", false, bnb.Cuts{Reserve: true}},
		{"clique-nodes", false, bnb.Cuts{NoGomory: true, NoMIR: true, NoCover: true, NoAggCover: true, CliqueNodes: true}},
		{"gomory-nodes,clique-nodes,mir,cover,aggcover", false, bnb.Cuts{GomoryNodes: true, CliqueNodes: true}},
		{"gomory,mir,cover,clique,aggcover,every-node", false, bnb.Cuts{EveryNode: true}},
	} {
		none, got, err := bnb.ParseCuts(c.in)
		if err != nil || none != c.none || got != c.c {
			t.Errorf("%q: %v %+v %v", c.in, none, got, err)
		}
	}
	if _, _, err := bnb.ParseCuts("gomory,lift"); err == nil || !strings.Contains(err.Error(), "lift") {
		t.Errorf("unknown name: %v", err)
	}
	if _, _, err := bnb.ParseCuts("mir,reserve,root"); err == nil || !strings.Contains(err.Error(), "reserve") {
		t.Errorf("root and reserve together: %v", err)
	}
	if _, _, err := bnb.ParseCuts("root,nodes"); err == nil {
		t.Error("root and nodes together accepted")
	}
	if _, _, err := bnb.ParseCuts("mir, root,gomory-nodes"); err == nil || !strings.Contains(err.Error(), "root") || !strings.Contains(err.Error(), "gomory-nodes") {
		t.Errorf("root and gomory-nodes together: %v", err)
	}
	if _, _, err := bnb.ParseCuts("mir,every-node,root"); err == nil || !strings.Contains(err.Error(), "every-node") {
		t.Errorf("root and every-node together: %v", err)
	}
	if _, _, err := bnb.ParseCuts("clique-nodes,root"); err == nil || !strings.Contains(err.Error(), "clique-nodes") {
		t.Errorf("root and clique-nodes together: %v", err)
	}
	for _, c := range []bnb.Cuts{{MaxRounds: -1}, {MinEfficacy: -1}, {MaxParallelism: 1.5}, {MaxPerRound: -2}, {MaxCutRows: -1}, {StallRounds: -1}, {MinProgress: math.NaN()}, {MinProgress: math.Inf(1)}, {NoClique: true, CliqueNodes: true}, {RootOnly: true, EveryNode: true}} {
		var ce *bnb.ConfigError
		if err := (bnb.Config{Cuts: c}).Validate(); !errors.As(err, &ce) || !strings.HasPrefix(ce.Field, "Config.Cuts.") {
			t.Errorf("%+v: %v", c, err)
		}
	}
}

type firstCandidate struct{}

func (firstCandidate) Select(_ context.Context, d *bnb.Decision) (int, error) {
	return d.Candidates()[0], nil
}

// Cuts are rows of the node LP only: an observation shows the model's rows,
// with or without them, and the search counts the cuts it added. Driven by
// hand, the search with cuts builds the tree Solve builds.
func TestCutsHiddenFromObservations(t *testing.T) {
	m := solvertest.SetCover(rand.New(rand.NewPCG(9, 9)), 150, 300, 0.05, 100)
	for _, cfg := range []bnb.Config{{NoHeuristics: true, NodeLimit: 60, Cuts: bnb.Cuts{RootOnly: true}}, {NoHeuristics: true, NodeLimit: 60}} {
		s, err := bnb.NewSearch(context.Background(), newLP(t), m, cfg)
		if err != nil {
			t.Fatal(err)
		}
		decisions := 0
		d, err := s.Next(context.Background())
		for ; d != nil && err == nil; d, err = s.Next(context.Background()) {
			st := d.State()
			if len(st.Activity) != m.NumRows() || len(st.Dual) != m.NumRows() || len(st.RowBasis) != m.NumRows() || len(st.RowLastTight) != m.NumRows() {
				t.Fatalf("state rows: %d activities, %d duals, %d statuses, %d ages; the model has %d",
					len(st.Activity), len(st.Dual), len(st.RowBasis), len(st.RowLastTight), m.NumRows())
			}
			if err := s.Branch(d.Candidates()[0]); err != nil {
				t.Fatal(err)
			}
			decisions++
		}
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
		st := s.Stats()
		if st.Cuts.Total() == 0 || st.Cuts.Rounds == 0 || decisions == 0 {
			t.Errorf("%+v: %d cuts in %d rounds, %d decisions", cfg.Cuts, st.Cuts.Total(), st.Cuts.Rounds, decisions)
		}
		res, err := bnb.Solve(context.Background(), newLP(t), m, firstCandidate{}, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if r := res.Stats; r.Nodes != st.Nodes || r.LPIterations != st.LPIterations || r.Cuts.Added != st.Cuts.Added || r.Cuts.LPIterations != st.Cuts.LPIterations {
			t.Errorf("%+v: Solve %d nodes, %d LP iterations, cuts %v (%d iterations); by hand %d, %d, %v (%d)", cfg.Cuts,
				r.Nodes, r.LPIterations, r.Cuts.Added, r.Cuts.LPIterations, st.Nodes, st.LPIterations, st.Cuts.Added, st.Cuts.LPIterations)
		}
	}
}

// By default Gomory cuts come from the root's rounds only: the search adds
// as many as its root does; with Cuts.GomoryNodes the nodes add Gomory
// cuts too.
func TestGomoryCutsAtTheRoot(t *testing.T) {
	m := solvertest.SetCover(rand.New(rand.NewPCG(9, 9)), 150, 300, 0.05, 100)
	run := func(c bnb.Cuts, nodes int64) bnb.Stats {
		res, err := bnb.Solve(context.Background(), newLP(t), m, firstCandidate{}, bnb.Config{NoHeuristics: true, NodeLimit: nodes, Cuts: c})
		if err != nil {
			t.Fatal(err)
		}
		return res.Stats
	}
	root, def, every := run(bnb.Cuts{}, 1), run(bnb.Cuts{}, 60), run(bnb.Cuts{GomoryNodes: true}, 60)
	g := bnb.Gomory
	if root.Cuts.Added[g] == 0 || def.Cuts.Added[g] != root.Cuts.Added[g] || every.Cuts.Added[g] <= root.Cuts.Added[g] {
		t.Errorf("Gomory cuts: %d at the root, %d in 60 nodes by default, %d with GomoryNodes", root.Cuts.Added[g], def.Cuts.Added[g], every.Cuts.Added[g])
	}
}

// Config.Validate names the field of each bad setting.
func TestConfigValidateNamesField(t *testing.T) {
	for _, c := range []struct {
		cfg   bnb.Config
		field string
	}{
		{bnb.Config{NodeLimit: -1}, "Config.NodeLimit"},
		{bnb.Config{GapLimit: math.NaN()}, "Config.GapLimit"},
		{bnb.Config{HasCutoff: true, Cutoff: math.NaN()}, "Config.Cutoff"},
		{bnb.Config{HasCutoff: true, Cutoff: math.Inf(-1)}, "Config.Cutoff"},
		{bnb.Config{MaxPlungeDepth: -1}, "Config.MaxPlungeDepth"},
		{bnb.Config{Heuristics: bnb.Heuristics{DiveQuota: math.Inf(1)}}, "Config.Heuristics.DiveQuota"},
		{bnb.Config{Cuts: bnb.Cuts{Reserve: true, RootOnly: true}}, "Config.Cuts.Reserve"},
	} {
		var ce *bnb.ConfigError
		if err := c.cfg.Validate(); !errors.As(err, &ce) || ce.Field != c.field {
			t.Errorf("%s: %v", c.field, err)
		}
	}
	if err := (bnb.Config{HasCutoff: true, Cutoff: -3}).Validate(); err != nil {
		t.Errorf("a finite cutoff: %v", err)
	}
}
