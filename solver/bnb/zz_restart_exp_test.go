package bnb

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/corl-go/corl/internal/highstest"
	"github.com/corl-go/corl/solver"
)

func TestZZRestartExperiment(t *testing.T) {
	path := os.Getenv("EXP_FILE")
	if path == "" {
		t.Skip()
	}
	m, err := solver.ReadMPSFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rule := os.Getenv("EXP_RULE")
	lp := highstest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	start := time.Now()
	cfg := Config{Redcost: RedcostRoot, GapLimit: 1e-4}
	s, err := NewSearch(ctx, lp, m, cfg)
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.Next(ctx)
	if err != nil || d == nil {
		t.Fatal(err, d)
	}
	nint, fixed := 0, 0
	m2 := m.Clone()
	for j := range s.n {
		if s.integer[j] {
			nint++
			if s.globLo[j] == s.globUp[j] && s.rootLo[j] < s.rootUp[j] {
				fixed++
			}
		}
		m2.ColLower[j], m2.ColUpper[j] = s.globLo[j], s.globUp[j]
	}
	x, inc := s.Incumbent()
	t.Logf("root %.1fs fixed %d/%d int, inc %v, cuts %d, stats nodes %d", time.Since(start).Seconds(), fixed, nint, inc, s.pool.len(), s.stats.Nodes)
	_ = x
	lp2 := highstest.New(t)
	r, _ := NewRule(rule, 1)
	cfg2 := Config{Presolve: true, GapLimit: 1e-4, Cutoff: inc, HasCutoff: true, Heuristics: Heuristics{NoRENS: true}}
	res, err := Solve(ctx, lp2, m2, r, cfg2)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("total %.1fs status %v obj %v dual %v nodes %d", time.Since(start).Seconds(), res.Status, res.Objective, res.Stats.DualBound, res.Stats.Nodes)
}
