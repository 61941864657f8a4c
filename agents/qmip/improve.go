package qmip

import (
	"context"
	"fmt"
	"math"
)

// roundEnd reports whether episode ep (counted from 1) ends one of the
// Improve rounds the Episodes are split into.
func (t *trainer) roundEnd(ep int) bool {
	n, k := t.cfg.Episodes, t.cfg.Improve
	return k > 0 && ep*k/n > (ep-1)*k/n
}

// improve is one step of least-squares policy iteration (Lagoudakis and
// Parr's LSPI): it evaluates the current network's greedy policy π on
// every transition in the replay by LSTD-Q over the input features,
//
//	(Σ x (x − γ x′)ᵀ + ρI) w = Σ x·r + ρ·w_π,
//
// with x the input of (s, a), x′ that of (s′, π(s′)), r the reward in Q's
// units and ρ = ImproveRidge times the number of transitions, a pull
// towards π's own weights in directions the data leave free. The skip
// term becomes w and the ReLU part zero, so Q is the linear estimate of
// Q^π and its MIP, with no binary, chooses the greedy policy on it: by the
// policy improvement theorem at least as good as π where the estimate is
// accurate. π(s′) is one MIP per distinct next state, shared among the
// workers. It returns the mean squared temporal-difference error of the
// new weights against π's targets.
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
	d := NumInputsOf(t.inst, t.cfg.Features)
	a := make([]float64, d*d)
	b := make([]float64, d)
	var x, x2 []float64
	g := t.cfg.Gamma
	for _, tr := range t.st.Replay {
		x = InputOf(t.inst, t.cfg.Features, unpackStates(tr.S), tr.A, x)
		x2 = InputOf(t.inst, t.cfg.Features, unpackStates(tr.S2), cs[at[string(tr.S2)]].Action, x2)
		r := t.scale() * tr.R
		for i, xi := range x {
			if xi == 0 {
				continue
			}
			b[i] += xi * r
			row := a[i*d : (i+1)*d]
			for k, v := range x {
				row[k] += xi * v
			}
			for k, v := range x2 {
				row[k] -= g * xi * v
			}
		}
	}
	rho := t.cfg.ImproveRidge * float64(len(t.st.Replay))
	for i, w := range net.Skip {
		a[i*d+i] += rho
		b[i] += rho * w
	}
	w, err := solveDense(a, b, d)
	if err != nil {
		return 0, err
	}
	w32 := make([]float32, d)
	for i, v := range w {
		w32[i] = float32(v)
	}
	t.m.qs.Weight.Set(w32)
	for _, p := range t.m.q.Layers[len(t.m.q.Layers)-1].Params() {
		p.Value.Set(make([]float32, p.Value.Len()))
	}
	t.m.sync()
	clear(t.memo)
	se := 0.0
	for _, tr := range t.st.Replay {
		x = InputOf(t.inst, t.cfg.Features, unpackStates(tr.S), tr.A, x)
		x2 = InputOf(t.inst, t.cfg.Features, unpackStates(tr.S2), cs[at[string(tr.S2)]].Action, x2)
		e := t.scale()*tr.R + g*dot(w32, x2) - dot(w32, x)
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

// solveDense solves the d×d system a·w = b (a row-major) by Gaussian
// elimination with partial pivoting; a and b are overwritten.
func solveDense(a, b []float64, d int) ([]float64, error) {
	for c := range d {
		p := c
		for r := c + 1; r < d; r++ {
			if math.Abs(a[r*d+c]) > math.Abs(a[p*d+c]) {
				p = r
			}
		}
		if !(math.Abs(a[p*d+c]) > 1e-300) {
			return nil, fmt.Errorf("qmip: LSTD system is singular at column %d", c)
		}
		if p != c {
			for k := range d {
				a[c*d+k], a[p*d+k] = a[p*d+k], a[c*d+k]
			}
			b[c], b[p] = b[p], b[c]
		}
		piv := a[c*d+c]
		for r := c + 1; r < d; r++ {
			f := a[r*d+c] / piv
			if f == 0 {
				continue
			}
			for k := c; k < d; k++ {
				a[r*d+k] -= f * a[c*d+k]
			}
			b[r] -= f * b[c]
		}
	}
	w := make([]float64, d)
	for r := d - 1; r >= 0; r-- {
		s := b[r]
		for k := r + 1; k < d; k++ {
			s -= a[r*d+k] * w[k]
		}
		w[r] = s / a[r*d+r]
	}
	return w, nil
}
