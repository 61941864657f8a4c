package muzero

import (
	"context"
	"fmt"

	"github.com/corl-go/corl/nn"
)

// Learned plans with a Network: the roots are represented by h, every
// expansion runs g and f once for the whole batch. Below the root the
// legal actions are unknown and every action is allowed; no state is
// terminal; a candidate head sees no candidate features there (all
// zero), and the dynamics with NetConfig.ActionFeatures reads the placed
// candidate's features from the root's observation for the root's
// expansions only (zeros below). The network runs in an nn.NoGrad scope released after each call:
// no autodiff graph, and each call reuses the previous one's buffers.
type Learned struct {
	net    *Network
	sc     *nn.Scope
	obs    []float32   // roots x Obs
	legal  []bool      // roots x Actions
	latent [][]float32 // per game: nodes x Latent
	acts   []int       // scratch
	in     []float32
	feat   []float32 // scratch: the parents' observations for NetConfig.ActionFeatures
}

var _ Model = (*Learned)(nil)

// NewLearned returns a learned model over net.
func NewLearned(net *Network) *Learned { return &Learned{net: net, sc: nn.NoGrad()} }

// SetRoots sets the root observations (games x Obs, row-major) and their
// legal actions (games x Actions).
func (m *Learned) SetRoots(obs []float32, legal []bool) error {
	c := m.net.Config
	if len(obs)%c.Obs != 0 || len(obs)/c.Obs*c.Actions != len(legal) {
		return fmt.Errorf("muzero: %d observation values and %d mask entries for observations of %d and %d actions", len(obs), len(legal), c.Obs, c.Actions)
	}
	m.obs, m.legal = append(m.obs[:0], obs...), append(m.legal[:0], legal...)
	if g := len(obs) / c.Obs; len(m.latent) != g {
		m.latent = make([][]float32, g)
	}
	return nil
}

// Actions is the size of the action space.
func (m *Learned) Actions() int { return m.net.Config.Actions }

// Root represents and evaluates the roots.
func (m *Learned) Root(_ context.Context, out *Eval) error {
	c := m.net.Config
	g := len(m.latent)
	defer m.sc.Release()
	obs := m.sc.In(nn.From(m.net.be, m.obs, g, c.Obs))
	s := m.net.Represent(obs)
	lat := s.Data()
	for i := range g {
		m.latent[i] = append(m.latent[i][:0], lat[i*c.Latent:(i+1)*c.Latent]...)
	}
	copy(out.Legal, m.legal)
	m.predict(s, obs, out)
	return nil
}

func (m *Learned) predict(s, obs *nn.Tensor, out *Eval) {
	p, v := m.net.Predict(s, obs)
	copy(out.Logits, p.Data())
	m.net.Scalars(v, out.Value)
}

// Recurrent runs the dynamics and the prediction on the batch.
func (m *Learned) Recurrent(_ context.Context, req []Expansion, out *Eval) error {
	c := m.net.Config
	m.in, m.acts, m.feat = m.in[:0], m.acts[:0], m.feat[:0]
	root := false // some expansion starts from a root
	for _, r := range req {
		root = root || r.Parent == 0
		lat := m.latent[r.Game]
		if int(r.Node)*c.Latent != len(lat) {
			return fmt.Errorf("muzero: node %d requested, game %d has %d", r.Node, r.Game, len(lat)/c.Latent)
		}
		m.in = append(m.in, lat[int(r.Parent)*c.Latent:int(r.Parent+1)*c.Latent]...)
		m.acts = append(m.acts, int(r.Action))
	}
	defer m.sc.Release()
	var obs *nn.Tensor // the roots' observations, zero rows for the other parents
	if c.ActionFeatures && root {
		for _, r := range req {
			if r.Parent == 0 {
				m.feat = append(m.feat, m.obs[int(r.Game)*c.Obs:int(r.Game+1)*c.Obs]...)
			} else {
				m.feat = append(m.feat, make([]float32, c.Obs)...)
			}
		}
		obs = m.sc.In(nn.From(m.net.be, m.feat, len(req), c.Obs))
	}
	next, rew := m.net.Dynamics(m.sc.In(nn.From(m.net.be, m.in, len(req), c.Latent)), m.acts, obs)
	lat := next.Data()
	for i, r := range req {
		m.latent[r.Game] = append(m.latent[r.Game], lat[i*c.Latent:(i+1)*c.Latent]...)
	}
	m.net.Scalars(rew, out.Reward)
	for i := range out.Legal {
		out.Legal[i] = true
	}
	m.predict(next, nil, out)
	return nil
}
