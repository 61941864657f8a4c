package qmip

import (
	"context"
	"fmt"

	"github.com/corl-go/corl/envs/bandits"
	"gonum.org/v1/gonum/mat"
)

// roundEnd reports whether episode ep (counted from 1) ends one of the
// Improve rounds the Episodes are split into.
func (t *trainer) roundEnd(ep int) bool {
	n, k := t.cfg.Episodes, t.cfg.Improve
	return k > 0 && ep*k/n > (ep-1)*k/n
}

// improve is one step of least-squares policy iteration (Lagoudakis and
// Parr's LSPI) with Q^π split over the arms: it evaluates the current
// network's greedy policy π on every transition in the replay, each arm j
// by LSTD-Q on its own expected reward r_j over its own features
// φ_j = [one-hot s_j, u_j(a)·one-hot s_j],
//
//	(Σ φ_j (φ_j − γ φ′_j)ᵀ + ρI) w_j = Σ φ_j·r_j + ρ·w_j^π,
//
// with φ′_j those of (s′, π(s′)), rewards in Q's units and ρ =
// ImproveRidge times the number of transitions, a pull towards π's own
// weights in directions the data leave free. Q^π ≈ Σ_j φ_j·w_j is linear
// in the product input: the skip term becomes it (state and product
// weights; the action's and the ReLU part zero), and the MIP, with no
// binary, plays the greedy policy on it, by the policy improvement theorem
// at least as good as π where the estimate is accurate. Fitting each arm
// on its own reward keeps the other arms' rewards out of its estimate,
// which a fit of the whole reward on all inputs carries as noise. π(s′)
// is one MIP per distinct next state, shared among the workers. It
// returns the mean squared temporal-difference error of the new Q against
// π's targets.
func (t *trainer) improve(ctx context.Context) (float64, error) {
	net, err := t.net(false)
	if err != nil {
		return 0, err
	}
	var keys []string
	at := map[string]int{}
	for _, tr := range t.st.Replay {
		if _, ok := at[string(tr.S2)]; !ok {
			at[string(tr.S2)] = len(keys)
			keys = append(keys, string(tr.S2))
		}
	}
	cs, err := t.solveAll(ctx, net, keys)
	if err != nil {
		return 0, err
	}
	for _, c := range cs {
		t.st.SolveSeconds += c.Solve.Seconds()
	}
	t.st.Solves += int64(len(keys))
	const ns, d = bandits.NumStates, 2 * bandits.NumStates
	in, g := t.inst, t.cfg.Gamma
	nv := in.NumVars()
	prod, state := nv, nv+ns*in.J // offsets of the product and state inputs
	a := make([][]float64, in.J)
	b := make([][]float64, in.J)
	for j := range in.J {
		a[j], b[j] = make([]float64, d*d), make([]float64, d)
	}
	var u, u2, p []float64
	for _, tr := range t.st.Replay {
		s, s2 := unpackStates(tr.S), unpackStates(tr.S2)
		u = activity(in, tr.A, u)
		u2 = activity(in, cs[at[string(tr.S2)]].Action, u2)
		p = in.UpProbs(tr.A, p)
		for j, arm := range in.Arms {
			// φ_j has two non-zero entries at most: s_j, and s_j+ns when active
			r := t.scale() * arm.Expected(s[j], p[j])
			x := [2]struct {
				k int
				v float64
			}{{s[j], 1}, {ns + s[j], u[j]}}
			y := [2]struct {
				k int
				v float64
			}{{s2[j], 1}, {ns + s2[j], u2[j]}}
			for _, e := range x {
				if e.v == 0 {
					continue
				}
				b[j][e.k] += e.v * r
				for _, f := range x {
					a[j][e.k*d+f.k] += e.v * f.v
				}
				for _, f := range y {
					a[j][e.k*d+f.k] -= g * e.v * f.v
				}
			}
		}
	}
	rho := t.cfg.ImproveRidge * float64(len(t.st.Replay))
	w := make([]float32, len(net.Skip))
	for j := range in.J {
		for k := range ns {
			// π's own weights: the state's, and the arm's activity in k
			// (its product input's, plus its action variable's in the arm
			// families, where u_j is that variable)
			pw := net.Skip[prod+j*ns+k]
			if in.Family != bandits.Interventions {
				pw += net.Skip[j]
			}
			for _, e := range [2]struct {
				i     int
				prior float64
			}{{k, net.Skip[state+j*ns+k]}, {ns + k, pw}} {
				a[j][e.i*d+e.i] += rho
				b[j][e.i] += rho * e.prior
			}
		}
		wj, err := solveDense(a[j], b[j], d)
		if err != nil {
			return 0, fmt.Errorf("arm %d: %w", j, err)
		}
		for k := range ns {
			w[state+j*ns+k], w[prod+j*ns+k] = float32(wj[k]), float32(wj[ns+k])
		}
	}
	t.m.qs.Weight.Set(w)
	for _, p := range t.m.q.Layers[len(t.m.q.Layers)-1].Params() {
		p.Value.Set(make([]float32, p.Value.Len()))
	}
	t.m.sync()
	clear(t.memo)
	se := 0.0
	var x, x2 []float64
	for _, tr := range t.st.Replay {
		x = InputOf(in, t.cfg.Features, unpackStates(tr.S), tr.A, x)
		x2 = InputOf(in, t.cfg.Features, unpackStates(tr.S2), cs[at[string(tr.S2)]].Action, x2)
		e := t.scale()*tr.R + g*dot(w, x2) - dot(w, x)
		se += e * e
	}
	return se / float64(max(len(t.st.Replay), 1)), nil
}

func dot(w []float32, x []float64) float64 {
	s := 0.0
	for i, v := range x {
		s += float64(w[i]) * v
	}
	return s
}

// neighbour returns a feasible action one change away from a (a member
// dropped, a variable added, or one swapped for another), drawn at random
// among up to 20 tries, else a draw of the family's sampler. Policy
// iteration explores with it: the greedy step compares π's action with
// its neighbours, so that is where Q^π must be estimated.
func (t *trainer) neighbour(a bandits.Action) bandits.Action {
	nv := t.inst.NumVars()
	for range 20 {
		b := a
		in := a.Members()
		drop, add := len(in) > 0, len(in) < nv
		switch t.rng.IntN(3) {
		case 0:
			add = false
		case 1:
			drop = false
		}
		if drop {
			i := in[t.rng.IntN(len(in))]
			b[i/64] &^= 1 << (i % 64)
		}
		if add {
			b = b.Set(t.rng.IntN(nv))
		}
		if ok, err := t.inst.Feasible(b); err == nil && ok && b != a {
			return b
		}
	}
	return t.inst.Sample(t.rng)
}

// solveDense solves the d×d system a·w = b (a row-major) by LU with
// partial pivoting; a and b are overwritten.
func solveDense(a, b []float64, d int) ([]float64, error) {
	var w mat.VecDense
	if err := w.SolveVec(mat.NewDense(d, d, a), mat.NewVecDense(d, b)); err != nil && !isCondition(err) {
		return nil, fmt.Errorf("qmip: LSTD system: %w", err)
	}
	return w.RawVector().Data, nil
}
