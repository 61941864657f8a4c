package qmip

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"regexp"
	"strconv"
	"testing"

	"github.com/corl-go/corl/envs/bandits"
	"github.com/corl-go/corl/internal/highstest"
)

// startLine is how HiGHS reports an accepted MIP start.
var startLine = regexp.MustCompile(`MIP start solution is feasible, objective value is (\S+)`)

// From the second choice on, HiGHS reports the previous choice as a
// feasible MIP start whose objective is the network's value of the
// previous action in the new state (a forward pass), and the chosen
// action has the Q of a selector without starts.
func TestMIPStartReachesHiGHS(t *testing.T) {
	highstest.Need(t)
	ctx := context.Background()
	for _, fam := range bandits.Families() {
		t.Run(fam, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(31, 7))
			in := instance(t, fam, 9, 3, 5)
			net := randomNet(rng, 1, NumInputs(in), 6, 5, 1)
			with, err := NewSelector(in, SelectConfig{Gap: 1e-9})
			if err != nil {
				t.Fatal(err)
			}
			defer with.Close()
			without, err := NewSelector(in, SelectConfig{Gap: 1e-9, Start: StartNone})
			if err != nil {
				t.Fatal(err)
			}
			defer without.Close()
			var log bytes.Buffer
			with.SetLog(&log)
			var prev bandits.Action
			for k := range 5 {
				states := randomStates(rng, in.J)
				log.Reset()
				c, err := with.Best(ctx, net, states)
				if err != nil {
					t.Fatal(err)
				}
				m := startLine.FindStringSubmatch(log.String())
				if c.Started != (k > 0) || (m != nil) != (k > 0) {
					t.Fatalf("choice %d: started %v, HiGHS's start line %q", k, c.Started, m)
				}
				if k > 0 && prev.Len() > 0 { // the empty action may be the comparison's, not the MIP's
					got, err := strconv.ParseFloat(m[1], 64)
					if err != nil {
						t.Fatal(err)
					}
					if want := net.Forward(Input(in, states, prev, nil), nil); math.Abs(got-want) > 1e-9*max(1, math.Abs(want)) {
						t.Fatalf("choice %d: HiGHS's start has objective %.12g, Q of the previous action %v is %.12g", k, got, prev, want)
					}
				}
				if ok, err := in.Feasible(c.Action); err != nil || !ok {
					t.Fatalf("choice %d: infeasible action %v (%v)", k, c.Action, err)
				}
				ref, err := without.Best(ctx, net, states)
				if err != nil {
					t.Fatal(err)
				}
				if ref.Started || math.Abs(c.Q-ref.Q) > 1e-6*max(1, math.Abs(ref.Q)) {
					t.Fatalf("choice %d: Q %.9g with the start, %.9g without (started %v)", k, c.Q, ref.Q, ref.Started)
				}
				prev = c.Action
			}
			with.Reset()
			if c, err := with.Best(ctx, net, randomStates(rng, in.J)); err != nil || c.Started {
				t.Fatalf("after Reset: started %v (%v)", c.Started, err)
			}
		})
	}
}

// LP-tightened bounds lie inside the propagated ones, still contain the
// pre-activations of every feasible action (the fragment's points: all
// but the empty intervention), and are strictly tighter somewhere.
func TestTightenedBoundsContainActivations(t *testing.T) {
	highstest.Need(t)
	ctx := context.Background()
	for _, fam := range bandits.Families() {
		t.Run(fam, func(t *testing.T) {
			narrower := 0
			for trial := range 4 {
				rng := rand.New(rand.NewPCG(uint64(trial), 41))
				in := instance(t, fam, 6+trial, 2+trial%2, uint64(trial))
				net := randomNet(rng, 1, NumInputs(in), 8, 6, 1)
				sel, err := NewSelector(in, SelectConfig{Tighten: TightenLP})
				if err != nil {
					t.Fatal(err)
				}
				defer sel.Close()
				actions := feasibleActions(t, in)
				for range 3 {
					states := randomStates(rng, in.J)
					tight, lps, err := sel.Bounds(ctx, net, states)
					if err != nil {
						t.Fatal(err)
					}
					prop := net.Propagate(in.NumVars(), StateFeatures(in, states, nil), MaxActionSize(in))
					for l := range prop.Lo {
						for i := range prop.Lo[l] {
							lo, hi := tight.Lo[l][i], tight.Hi[l][i]
							if lo < prop.Lo[l][i] || hi > prop.Hi[l][i] {
								t.Fatalf("layer %d neuron %d: tightened [%g, %g] leaves propagated [%g, %g]", l, i, lo, hi, prop.Lo[l][i], prop.Hi[l][i])
							}
							if lo > prop.Lo[l][i]+1e-6 || hi < prop.Hi[l][i]-1e-6 {
								narrower++
							}
						}
					}
					if lps == 0 && narrower == 0 {
						continue
					}
					for _, a := range actions {
						if a.Len() == 0 && fam == bandits.Interventions {
							continue
						}
						var acts [][]float64
						net.Forward(Input(in, states, a, nil), &acts)
						for l, z := range acts {
							for i, v := range z {
								if v < tight.Lo[l][i]-1e-9 || v > tight.Hi[l][i]+1e-9 {
									t.Fatalf("action %v, layer %d neuron %d: %g outside the tightened [%g, %g]", a, l, i, v, tight.Lo[l][i], tight.Hi[l][i])
								}
							}
						}
					}
				}
			}
			if narrower == 0 {
				t.Fatal("LP tightening narrowed no bound: the test checks nothing")
			}
		})
	}
}
