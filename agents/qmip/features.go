package qmip

import (
	"fmt"

	"github.com/corl-go/corl/envs/bandits"
)

// The input layouts of a Q-network (Net.Features, Config.Features).
const (
	// FeaturesPlain is SEQUOIA's input: the action, then the one-hot state.
	FeaturesPlain = "plain"
	// FeaturesProduct adds, between the two, per arm j and state k the
	// arm's activity when it is in k: u_j(a)·[s_j = k], where u_j is a_j
	// (arm families) or the share of arm j's linked interventions that
	// are on. With the state fixed each of them is linear in the action,
	// so the MIP stays a ReLU network over the action binaries; a single
	// neuron can then weigh each arm's action by its state, which an index
	// policy needs and a plain input only reaches through many neurons.
	FeaturesProduct = "product"
)

// NumInputsOf is the network's input size on an instance under a layout
// ("" is FeaturesPlain).
func NumInputsOf(in *bandits.Instance, features string) int {
	if features == FeaturesProduct {
		return NumInputs(in) + bandits.NumStates*in.J
	}
	return NumInputs(in)
}

// activityTerms calls f for each action variable k in arm j's activity
// u_j(a) = Σ_k a_k / n: arm j itself with n = 1 in the arm families, each
// of its linked interventions with n their number in interventions.
func activityTerms(in *bandits.Instance, j int, f func(k int, n float64)) {
	if in.Family != bandits.Interventions {
		f(j, 1)
		return
	}
	for _, k := range in.Links[j] {
		f(k, float64(len(in.Links[j])))
	}
}

// activity writes u_j(a) for every arm into dst.
func activity(in *bandits.Instance, a bandits.Action, dst []float64) []float64 {
	dst = append(dst[:0], make([]float64, in.J)...)
	for j := range in.J {
		activityTerms(in, j, func(k int, n float64) {
			if a.Has(k) {
				dst[j] += 1 / n
			}
		})
	}
	return dst
}

// InputOf writes the whole input of Q(states, a) under a layout.
func InputOf(in *bandits.Instance, features string, states []int, a bandits.Action, dst []float64) []float64 {
	if features != FeaturesProduct {
		return Input(in, states, a, dst)
	}
	nv, n := in.NumVars(), NumInputsOf(in, features)
	if cap(dst) < n {
		dst = make([]float64, n)
	}
	dst = dst[:n]
	Input(in, states, a, dst[:nv]) // writes the action part; the state part goes at the end
	prod := dst[nv : nv+bandits.NumStates*in.J]
	clear(prod)
	for j, u := range activity(in, a, nil) {
		prod[j*bandits.NumStates+states[j]] = u
	}
	StateFeatures(in, states, dst[nv+bandits.NumStates*in.J:])
	return dst
}

// plain returns a network over the plain input that equals net in states:
// under FeaturesProduct the product inputs, linear in the action once the
// state is fixed, are folded into the first layer's action weights. A
// plain network is returned as it is. The input size is checked.
func plain(in *bandits.Instance, net Net, states []int) (Net, error) {
	if n := NumInputsOf(in, net.Features); net.In() != n {
		return Net{}, fmt.Errorf("qmip: network takes %d inputs, the instance gives %d (%s layout)", net.In(), n, layoutName(net.Features))
	}
	if net.Features != FeaturesProduct {
		return net, nil
	}
	first := net.Layers[0]
	ly := Layer{W: make([][]float64, len(first.W)), B: first.B}
	for i, row := range first.W {
		ly.W[i] = foldRow(in, row, states)
	}
	out := Net{Layers: append([]Layer{ly}, net.Layers[1:]...)}
	if net.Skip != nil {
		out.Skip = foldRow(in, net.Skip, states)
	}
	return out, nil
}

// foldRow returns a product-layout weight row as a plain-layout one that
// gives the same sum in states: each product input's weight moves onto
// the action variables of the arm's activity.
func foldRow(in *bandits.Instance, row []float64, states []int) []float64 {
	nv, ns := in.NumVars(), bandits.NumStates*in.J
	w := make([]float64, nv+ns)
	copy(w, row[:nv])
	copy(w[nv:], row[nv+ns:])
	for j, s := range states {
		c := row[nv+j*bandits.NumStates+s]
		activityTerms(in, j, func(k int, n float64) { w[k] += c / n })
	}
	return w
}

func layoutName(f string) string {
	if f == "" {
		return FeaturesPlain
	}
	return f
}
