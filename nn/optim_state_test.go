package nn

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// An Adam whose state is saved and restored into a fresh optimizer (and a
// fresh copy of the network) continues exactly as the original does.
func TestAdamStateRoundTrip(t *testing.T) {
	b := CPU()
	build := func() *MLP {
		m, err := NewMLP(b, rand.New(rand.NewPCG(1, 2)), MLPConfig{Sizes: []int{3, 5, 2}})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	x := From(b, []float32{1, 2, 3, -1, 0.5, 2}, 2, 3)
	y := From(b, []float32{0.5, -1, 2, 0}, 2, 2)
	step := func(m *MLP, o *Adam) {
		ZeroGrad(m.Params())
		Backward(MSE(m.Forward(x), y))
		o.Step(m.Params())
	}
	a, oa := build(), NewAdam(0.01)
	for range 3 {
		step(a, oa)
	}
	st := oa.State(a.Params())
	if st.Steps != 3 || len(st.M) != len(a.Params()) {
		t.Fatalf("state: %d steps, %d moments", st.Steps, len(st.M))
	}
	c, oc := build(), NewAdam(0.01)
	for i, p := range c.Params() {
		p.Value.Set(a.Params()[i].Value.Data())
	}
	if err := oc.SetState(c.Params(), st); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		step(a, oa)
		step(c, oc)
	}
	for i, p := range c.Params() {
		if !slices.Equal(p.Value.Data(), a.Params()[i].Value.Data()) {
			t.Fatalf("%s differs after resuming", p.Name)
		}
	}
	bad := st
	bad.M = append([]Param{{Name: "nope", Value: st.M[0].Value}}, st.M[1:]...)
	if err := oc.SetState(c.Params(), bad); err == nil {
		t.Fatal("a moment for a missing parameter was accepted")
	}
}
