package qmip

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/corl-go/corl/envs/bandits"
	"github.com/corl-go/corl/nn"
)

// Arch is the checkpoint architecture name of a SEQUOIA policy.
const Arch = "corl.bandits.sequoia"

// PolicyConfig is what a checkpoint records about its network and the
// instance it was trained on.
type PolicyConfig struct {
	Family      string `json:"family"`
	J           int    `json:"arms"`
	B           int    `json:"budget"`
	Seed        uint64 `json:"seed"`
	Inputs      int    `json:"inputs"`
	Hidden      []int  `json:"hidden"`
	Features    string `json:"features,omitempty"` // the input layout ("": FeaturesPlain)
	Skip        bool   `json:"skip,omitempty"`     // Q has a linear term over the input (SkipLinear)
	Fingerprint string `json:"instance"`
}

// model is the online Q-network and its target copy, each with its linear
// skip term when the run has one (qs, ts; nil otherwise).
type model struct {
	q, target *nn.MLP
	qs, ts    *nn.Linear
}

// newModel draws the networks. With a skip term, the MLPs' output layers
// start at zero, so that Q starts as the linear term alone (itself zero
// until the warm start fits it).
func newModel(b nn.Backend, rng *rand.Rand, inputs int, hidden []int, skip bool) (*model, error) {
	sizes := append(append([]int{inputs}, hidden...), 1)
	q, err := nn.NewMLP(b, rng, nn.MLPConfig{Sizes: sizes})
	if err != nil {
		return nil, err
	}
	t, err := nn.NewMLP(b, rng, nn.MLPConfig{Sizes: sizes})
	if err != nil {
		return nil, err
	}
	m := &model{q: q, target: t}
	if skip {
		m.qs = &nn.Linear{Weight: nn.New(b, 1, inputs).RequiresGrad()}
		m.ts = &nn.Linear{Weight: nn.New(b, 1, inputs).RequiresGrad()}
		for _, p := range q.Layers[len(q.Layers)-1].Params() {
			p.Value.Set(make([]float32, p.Value.Len()))
		}
	}
	m.sync()
	return m, nil
}

// online is the online network's parameters, the skip term's last.
func (m *model) online() []nn.Param { return withSkip(m.q, m.qs) }

// targetParams is the target network's, in the same order.
func (m *model) targetParams() []nn.Param { return withSkip(m.target, m.ts) }

func withSkip(m *nn.MLP, s *nn.Linear) []nn.Param {
	ps := m.Params()
	if s != nil {
		ps = append(ps, nn.Param{Name: "skip.weight", Value: s.Weight})
	}
	return ps
}

// network returns the online network (target false) or the target one:
// its MLP and its skip term (nil without one).
func (m *model) network(target bool) (*nn.MLP, *nn.Linear) {
	if target {
		return m.target, m.ts
	}
	return m.q, m.qs
}

// forward is Q of the online network (target false) or of the target one
// on a batch of inputs.
func (m *model) forward(x *nn.Tensor, target bool) *nn.Tensor {
	mlp, s := m.network(target)
	y := mlp.Forward(x)
	if s != nil {
		y = nn.Add(y, s.Forward(x))
	}
	return y
}

// params are the checkpoint's tensors: "q.*" and "target.*".
func (m *model) params() []nn.Param {
	var ps []nn.Param
	for _, p := range m.online() {
		ps = append(ps, nn.Param{Name: "q." + p.Name, Value: p.Value})
	}
	for _, p := range m.targetParams() {
		ps = append(ps, nn.Param{Name: "target." + p.Name, Value: p.Value})
	}
	return ps
}

// sync copies the online weights into the target network.
func (m *model) sync() { copyParams(m.targetParams(), m.online()) }

// copyParams copies src's values into dst, parameter by parameter.
func copyParams(dst, src []nn.Param) {
	for i, p := range src {
		dst[i].Value.Set(p.Value.Data())
	}
}

// track moves the target network by tau towards the online one, in the
// weights' float32 as the published code does, and reports whether any
// weight moved: a step smaller than a weight's rounding leaves it as it
// was, so at tau 1e-6 most steps change nothing.
func (m *model) track(tau float64) bool {
	tp := m.targetParams()
	moved := false
	for i, p := range m.online() {
		d := tp[i].Value.Data()
		for k, v := range p.Value.Data() {
			was := d[k]
			d[k] += float32(tau) * (v - d[k])
			moved = moved || d[k] != was
		}
		tp[i].Value.Set(d)
	}
	return moved
}

// net returns the online (target false) or target network as the MIP
// encoding reads it, under the input layout features.
func (m *model) net(target bool, features string) (Net, error) {
	mlp, s := m.network(target)
	n, err := FromMLP(mlp)
	if err != nil {
		return n, err
	}
	n.Features = features
	if s != nil {
		n.Skip = make([]float64, 0, s.Weight.Len())
		for _, w := range s.Weight.Data() {
			n.Skip = append(n.Skip, float64(w))
		}
	}
	return n, n.Validate()
}

// Policy plays a trained SEQUOIA network: each step it solves the
// network's MIP over the family's constraints for the action of largest Q.
// It implements bandits.Policy.
type Policy struct {
	Config PolicyConfig
	File   string
	net    Net
	cfg    SelectConfig
	sel    *Selector

	Solves  int
	Elapsed time.Duration
}

// LoadPolicy reads a SEQUOIA checkpoint (a run's checkpoint or the final
// policy.safetensors of `corl train bandits`).
func LoadPolicy(path string, cfg SelectConfig) (*Policy, error) {
	ck, err := nn.ReadCheckpoint(path)
	if err != nil {
		return nil, err
	}
	if ck.Arch() != Arch {
		return nil, fmt.Errorf("%s: a %q checkpoint, not a SEQUOIA policy (%s)", path, ck.Arch(), Arch)
	}
	var pc PolicyConfig
	if err := ck.Config(&pc); err != nil {
		return nil, err
	}
	if err := (bandits.Config{Family: pc.Family, J: pc.J, B: pc.B}).Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if pc.Features != "" && pc.Features != FeaturesPlain && pc.Features != FeaturesProduct {
		return nil, fmt.Errorf("%s: input layout %q, want %s or %s", path, pc.Features, FeaturesPlain, FeaturesProduct)
	}
	m, err := newModel(nn.CPU(), rand.New(rand.NewPCG(0, 0)), pc.Inputs, pc.Hidden, pc.Skip)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := ck.LoadInto(m.params()); err != nil {
		return nil, err
	}
	net, err := m.net(false, pc.Features)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &Policy{Config: pc, File: path, net: net, cfg: cfg}, nil
}

// Fresh returns a copy of the loaded policy with its own HiGHS instance
// (made on its first Act), for another goroutine or episode.
func (p *Policy) Fresh() *Policy {
	return &Policy{Config: p.Config, File: p.File, net: p.net, cfg: p.cfg}
}

// Select is how the policy selects actions.
func (p *Policy) Select() SelectConfig { return p.cfg }

// Name is "sequoia".
func (p *Policy) Name() string { return "sequoia" }

// Act returns the feasible action of largest Q in o's states. The
// instance must be the one the policy was trained on.
func (p *Policy) Act(ctx context.Context, o bandits.Obs, _ *rand.Rand) (bandits.Action, error) {
	if p.sel == nil || p.sel.inst != o.Inst {
		if err := p.Check(o.Inst); err != nil {
			return bandits.Action{}, err
		}
		if p.sel != nil {
			p.sel.Close()
		}
		sel, err := NewSelector(o.Inst, p.cfg)
		if err != nil {
			return bandits.Action{}, err
		}
		p.sel = sel
	}
	c, err := p.sel.Best(ctx, p.net, o.States)
	p.Solves++
	p.Elapsed += c.Solve
	return c.Action, err
}

// Check reports whether in is the instance the policy was trained on.
func (p *Policy) Check(in *bandits.Instance) error {
	if fp := Fingerprint(in); fp != p.Config.Fingerprint {
		return fmt.Errorf("%s: trained on %s J=%d B=%d seed %d (instance %s), not on this %s J=%d B=%d instance (%s): evaluate with the family, arms, budget and seed it was trained with",
			p.File, p.Config.Family, p.Config.J, p.Config.B, p.Config.Seed, p.Config.Fingerprint, in.Family, in.J, in.B, fp)
	}
	return nil
}

// MeanSolveTime is the average MIP time per step.
func (p *Policy) MeanSolveTime() time.Duration {
	if p.Solves == 0 {
		return 0
	}
	return p.Elapsed / time.Duration(p.Solves)
}

// Close frees the policy's HiGHS instance.
func (p *Policy) Close() error {
	if p.sel != nil {
		return p.sel.Close()
	}
	return nil
}
