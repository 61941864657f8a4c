package muzero

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/corl-go/corl/envs/malloc"
	"github.com/corl-go/corl/nn"
)

// Model kinds: what the search plans with.
const (
	ModelLearned = "learned" // the network's dynamics (MuZero)
	ModelTrue    = "true"    // the game itself through Clone (AlphaZero-style)
)

// Step is one decision of a played game.
type Step struct {
	Obs    []float32 `json:"obs"`
	Legal  []bool    `json:"legal"`
	Action int       `json:"action"`
	Reward float32   `json:"reward"`
	Policy []float32 `json:"policy"` // the search's policy target
	Value  float32   `json:"value"`  // the search's root value (a learned relative network's: plus B(s) where Baseline is recorded)
	// Expert is the next move of the best complete episode the true
	// model's searches knew from here when the move was played (-1: none
	// known, as with the learned model), and Best that episode's return
	// from here (see TrainConfig.Expert and ValuesBest).
	Expert int     `json:"expert,omitempty"`
	Best   float32 `json:"best,omitempty"`
	// Priority is the replay priority (see TrainConfig.Priority).
	Priority float32 `json:"priority,omitempty"`
	// Baseline is B(s), the return of finishing the game by best fit from
	// here, recorded in self-play (SearchConfig.Explore) for a network
	// whose heads are relative to it (NetConfig.Baseline; 0 otherwise).
	Baseline float32 `json:"baseline,omitempty"`
	// Next is, per action, the return from here of that move and then
	// best fit to the end (0 for illegal actions), recorded for
	// TrainConfig.Counterfactual.
	Next []float32 `json:"next,omitempty"`
}

// Trajectory is one played game.
type Trajectory struct {
	Instance int    `json:"instance"`
	Steps    []Step `json:"steps"`
}

// Return is the sum of the rewards.
func (t *Trajectory) Return() float64 {
	s := 0.0
	for _, st := range t.Steps {
		s += float64(st.Reward)
	}
	return s
}

// netEvaluator gives the true model f(h(obs)), without autodiff; for a
// network relative to best fit (NetConfig.Baseline) the value is the
// network's plus the best-fit return from the state, B(s).
type netEvaluator struct {
	net *Network
	buf []float32
	sc  *nn.Scope
}

// nextReturns are, per action, the return from g of that move and then
// best fit to the end (0 for illegal actions): Step.Next.
func nextReturns(g *malloc.Env) ([]float32, error) {
	out := make([]float32, malloc.NumActions)
	var r BestFitRollout
	for _, a := range g.Legal() {
		_, fit, err := r.after(g, a)
		if err != nil {
			return nil, err
		}
		out[a] = float32(fit)
	}
	return out, nil
}

// bestFitReturn is B(s): the return of finishing g by best fit (alone,
// also in the edges game, where the rollout has a third rule).
func bestFitReturn(g *malloc.Env) (float32, error) {
	var r BestFitRollout
	_, _, fit, err := r.finish(g, nil, false)
	return float32(fit), err
}

func (e *netEvaluator) Evaluate(_ context.Context, games []*malloc.Env, obs []malloc.Obs, logits, values []float32) error {
	return e.evaluate(games, obs, logits, values, nil)
}

// evaluate is Evaluate; fits, where not nil, are the games' B(s) already
// known.
func (e *netEvaluator) evaluate(games []*malloc.Env, obs []malloc.Obs, logits, values []float32, fits []float64) error {
	e.buf = e.buf[:0]
	for _, o := range obs {
		e.buf = appendFeatures(e.buf, o)
	}
	if e.sc == nil {
		e.sc = nn.NoGrad()
	}
	defer e.sc.Release()
	in := e.sc.In(nn.From(e.net.be, e.buf, len(obs), e.net.Config.Obs))
	p, v := e.net.Predict(e.net.Represent(in), in)
	copy(logits, p.Data())
	e.net.Scalars(v, values)
	if e.net.relative() {
		for i, g := range games {
			if fits != nil {
				values[i] += float32(fits[i])
				continue
			}
			b, err := bestFitReturn(g)
			if err != nil {
				return err
			}
			values[i] += b
		}
	}
	return nil
}

func appendFeatures(dst []float32, o malloc.Obs) []float32 {
	for _, f := range o.Features {
		dst = append(dst, float32(f))
	}
	return dst
}

// player plays batches of memory-mapping games with a search.
type player struct {
	net     *Network // nil: the true model with best-fit rollouts
	model   string
	search  *Search
	early   *Search // the search of the first decisions (SearchConfig.EarlySimulations; nil: search)
	choices []int   // per game: moves played with more than one legal action
	learned *Learned
	truth   *MallocTrue
	game    malloc.Config  // the game played
	follow  bool           // play the best complete episode known where it beats the tree's choice
	next    bool           // record Step.Next
	roll    BestFitRollout // the expert's check of best fit's move
	best    []episode
	res     Result
	obs     []float32
	legal   []bool
}

// episode is a game's best complete episode known so far: its moves from
// the start (the moves played are its prefix) and its return.
type episode struct {
	actions []int
	ret     float64
}

// newPlayer returns a player of games games at a time. rollout is the
// weight of best-fit rollouts in the true model's leaf values next to the
// network's (with no network, the rollouts alone).
func newPlayer(net *Network, model string, cfg SearchConfig, rollout float64, games int) (*player, error) {
	if model == "" {
		model = ModelLearned
	}
	if !(rollout >= 0 && rollout <= 1) {
		return nil, &ConfigError{"rollout weight", rollout, "in [0, 1]"}
	}
	s, err := NewSearch(cfg, games, malloc.NumActions)
	if err != nil {
		return nil, err
	}
	p := &player{net: net, model: model, search: s, roll: BestFitRollout{FirstFit: true}}
	if cfg.EarlyMoves > 0 && cfg.EarlySimulations > 0 && cfg.EarlySimulations != s.cfg.Simulations {
		e := cfg
		e.Simulations = cfg.EarlySimulations
		if p.early, err = NewSearch(e, games, malloc.NumActions); err != nil {
			return nil, err
		}
	}
	switch {
	case model == ModelTrue && net == nil:
		p.truth = NewTrue[malloc.Obs, *malloc.Env](malloc.NumActions, &BestFitRollout{FirstFit: true})
	case model == ModelTrue && rollout > 0:
		p.truth = NewTrue[malloc.Obs, *malloc.Env](malloc.NumActions, &mixedEvaluator{net: &netEvaluator{net: net}, roll: BestFitRollout{FirstFit: true}, weight: float32(rollout)})
	case model == ModelTrue:
		p.truth = NewTrue[malloc.Obs, *malloc.Env](malloc.NumActions, &netEvaluator{net: net})
	case model == ModelLearned && net != nil:
		p.learned = NewLearned(net)
	case model == ModelLearned:
		return nil, &ConfigError{"model", model, "a network for the learned model"}
	default:
		return nil, &ConfigError{"model", model, "learned or true"}
	}
	p.follow = p.truth != nil && !cfg.TreeOnly && !cfg.Explore
	return p, nil
}

// track makes the best complete episode of game i's last search its kept
// one when it beats the kept one. played are the game's moves so far and
// base its return so far.
func (p *player) track(i int, played []int, base float64) error {
	const eps = 1e-9
	b := &p.best[i]
	if ret, node := p.truth.Best(i, -1); node >= 0 && base+ret > b.ret+eps {
		return p.keep(b, i, node, played, base+ret)
	}
	return nil
}

// choose is the move game i plays after the search (track has run): the
// tree's choice a, unless the kept episode (the best complete one known
// from here, found by this search or kept from earlier moves) is better
// than the best known that starts with a; then that episode's next move.
// The kept episode always extends the moves played, so the game ends with
// at least the return of the best episode any search found.
func (p *player) choose(i, a int, played []int, base float64) (int, error) {
	const eps = 1e-9
	b := &p.best[i]
	k := len(played)
	if len(b.actions) <= k || b.actions[k] == a {
		return a, nil
	}
	if ret, node := p.truth.Best(i, a); node >= 0 && base+ret >= b.ret-eps {
		return a, p.keep(b, i, node, played, base+ret)
	}
	return b.actions[k], nil
}

// expert is the expert move of game g (game i, after played, base its
// return so far) and the return from here of the kept episode (-1, 0:
// none kept): the kept episode's next move, or best fit's move when an
// episode through it is known to return as much (best fit then one more
// rollout is tried too). Offsets mostly tie on the returns the searches
// see, and ties broken by whichever episode happened to be kept taught
// the lowest offset; broken toward XLA's rule they teach it where
// nothing better is known.
func (p *player) expert(i int, g *malloc.Env, played []int, base float64) (int, float32, error) {
	const eps = 1e-9
	b := &p.best[i]
	if len(b.actions) <= len(played) {
		return -1, 0, nil
	}
	m, best := b.actions[len(played)], b.ret-base
	if bf := malloc.BestFit(g); bf != m {
		ret, _ := p.truth.Best(i, bf)
		if ret < best-eps {
			r, _, err := p.roll.after(g, bf)
			if err != nil {
				return 0, 0, err
			}
			ret = max(ret, r)
		}
		if ret >= best-eps {
			m = bf
		}
	}
	return m, float32(best), nil
}

// forget drops game i's kept episode when the move just played (the last
// of played) leaves it, as an exploring move can.
func (p *player) forget(i int, played []int) {
	b, k := &p.best[i], len(played)-1
	if len(b.actions) <= k || b.actions[k] != played[k] {
		b.actions, b.ret = b.actions[:0], math.Inf(-1)
	}
}

// keep makes the episode through node of game i's tree the kept one.
func (p *player) keep(b *episode, i, node int, played []int, ret float64) error {
	acts, err := p.truth.Episode(i, node, append(b.actions[:0], played...))
	if err != nil {
		return err
	}
	b.actions, b.ret = acts, ret
	return nil
}

// play plays the instances to their ends, len(ins) at a time in lockstep
// (one search over all of them per move), recording trajectories.
func (p *player) play(ctx context.Context, ins []*malloc.Instance, ids []int, rng *rand.Rand) ([]Trajectory, []*malloc.Env, error) {
	n := len(ins)
	if n != p.search.b {
		return nil, nil, fmt.Errorf("muzero: %d games for a search over %d", n, p.search.b)
	}
	games, obs := make([]*malloc.Env, n), make([]malloc.Obs, n)
	trajs := make([]Trajectory, n)
	played := make([][]int, n)
	p.best, p.choices = make([]episode, n), make([]int, n)
	for i := range p.best {
		p.best[i].ret = math.Inf(-1)
	}
	for i, in := range ins {
		g, err := malloc.New(in, p.game)
		if err != nil {
			return nil, nil, err
		}
		if obs[i], err = g.Reset(0); err != nil {
			return nil, nil, err
		}
		games[i], trajs[i].Instance = g, ids[i]
	}
	for {
		live := false
		p.obs, p.legal = p.obs[:0], p.legal[:0]
		for i, g := range games {
			live = live || !g.Done()
			p.obs = appendFeatures(p.obs, obs[i])
			for a := range malloc.NumActions {
				p.legal = append(p.legal, !g.Done() && obs[i].Mask[a])
			}
		}
		if !live {
			return trajs, games, nil
		}
		srch := p.search
		for i, g := range games {
			A := malloc.NumActions
			if p.early != nil && !g.Done() && p.choices[i] < p.search.cfg.EarlyMoves && count(p.legal[i*A:(i+1)*A]) > 1 {
				srch = p.early
			}
		}
		var m Model
		if p.learned != nil {
			if err := p.learned.SetRoots(p.obs, p.legal); err != nil {
				return nil, nil, err
			}
			m = p.learned
		} else {
			p.truth.SetRoots(games, obs)
			m = p.truth
		}
		if err := srch.Run(ctx, m, rng, &p.res); err != nil {
			return nil, nil, err
		}
		A := malloc.NumActions
		for i, g := range games {
			if g.Done() {
				continue
			}
			a, expert, best := p.res.Action[i], -1, float32(0)
			if p.truth != nil {
				if err := p.track(i, played[i], g.Metric()); err != nil {
					return nil, nil, err
				}
				var err error
				if p.search.cfg.Explore { // self-play: the targets need the expert
					if expert, best, err = p.expert(i, g, played[i], g.Metric()); err != nil {
						return nil, nil, err
					}
				}
			}
			if p.follow {
				var err error
				if a, err = p.choose(i, a, played[i], g.Metric()); err != nil {
					return nil, nil, err
				}
			}
			played[i] = append(played[i], a)
			if count(p.legal[i*A:(i+1)*A]) > 1 {
				p.choices[i]++
			}
			if p.truth != nil {
				p.forget(i, played[i])
			}
			value, base := p.res.Value[i], float32(0)
			if p.net != nil && p.net.relative() && p.search.cfg.Explore { // self-play: the targets need B(s)
				var err error
				if base, err = bestFitReturn(g); err != nil {
					return nil, nil, err
				}
				if p.learned != nil { // the learned search's values are relative to B(s)
					value += base
				}
			}
			var next []float32
			if p.next {
				var err error
				if next, err = nextReturns(g); err != nil {
					return nil, nil, err
				}
			}
			st, err := g.Step(a)
			if err != nil {
				return nil, nil, fmt.Errorf("muzero: the search chose %d: %w", a, err)
			}
			trajs[i].Steps = append(trajs[i].Steps, Step{Obs: append([]float32(nil), p.obs[i*len(obs[i].Features):(i+1)*len(obs[i].Features)]...),
				Legal: append([]bool(nil), p.legal[i*A:(i+1)*A]...), Action: a, Reward: float32(st.Reward),
				Policy: append([]float32(nil), p.res.Policy[i*A:(i+1)*A]...), Value: value, Expert: expert, Best: best, Baseline: base, Next: next})
			obs[i] = st.Obs
		}
	}
}

// gameConfig is the game of the named canonical offsets ("": tops).
func gameConfig(offsets string) (malloc.Config, error) {
	if offsets == "" {
		return malloc.Config{}, nil
	}
	o, err := malloc.ParseOffsets(offsets)
	return malloc.Config{Offsets: o}, err
}

// Policy is a trained network with the search it plays with.
type Policy struct {
	Net    *Network // nil: the true model with best-fit rollouts
	Model  string   // ModelLearned (default) or ModelTrue
	Search SearchConfig
	// Rollout is the weight in [0, 1] of best-fit rollouts in the true
	// model's leaf values, (1 - Rollout) v_net + Rollout v_rollout (0: the
	// network's value alone). Without a network the rollouts are the
	// values whatever the weight.
	Rollout float64
	// Game is the game played (zero value: XLA's order, TopOffsets).
	// With malloc.EdgeOffsets, a true-model policy that follows its best
	// episode also plays the TopOffsets game (whose moves the edges game
	// all has) and ends with the better placement, for about twice the
	// time.
	Game malloc.Config
}

// Offsets returns the canonical offsets of the game the network was
// trained in (NetConfig.Offsets; tops for a name it does not know).
func (n *Network) Offsets() malloc.Offsets {
	g, _ := gameConfig(n.Config.Offsets)
	return g.Offsets
}

// LoadPolicy reads a muzero checkpoint (a run's checkpoint or its
// policy.safetensors) to play with the given search and model, in the
// game it was trained in.
func LoadPolicy(path string, model string, search SearchConfig) (*Policy, error) {
	net, err := LoadNetwork(path)
	if err != nil {
		return nil, err
	}
	return &Policy{Net: net, Model: model, Search: search, Game: malloc.Config{Offsets: net.Offsets()}}, nil
}

// Play maps an instance: one search per buffer, the move the search
// chooses (no exploration noise: the search is deterministic), the
// placement checked. seed drives nothing unless the search explores.
func (p *Policy) Play(ctx context.Context, in *malloc.Instance, seed uint64) (malloc.Result, error) {
	start := time.Now()
	cfg := p.Search
	cfg.Explore = false
	r, pl, err := p.playOne(ctx, in, seed, cfg, p.Game)
	if err != nil {
		return malloc.Result{}, err
	}
	if pl.follow {
		// The edges game holds every move of the tops game, so the tops
		// game's placement is an episode of it too; the plain search's
		// placement is one of the game the early budget plays. Keep the
		// best of them.
		games := []malloc.Config{p.Game}
		if p.Game.Offsets == malloc.EdgeOffsets {
			tops := p.Game
			tops.Offsets = malloc.TopOffsets
			games = append(games, tops)
		}
		plain := cfg
		plain.EarlySimulations, plain.EarlyMoves = 0, 0
		for k, game := range games {
			var runs []SearchConfig
			if k > 0 {
				runs = append(runs, cfg)
			}
			if pl.early != nil {
				runs = append(runs, plain)
			}
			for _, c := range runs {
				ro, _, err := p.playOne(ctx, in, seed, c, game)
				if err != nil {
					return malloc.Result{}, err
				}
				if ro.Benefit > r.Benefit {
					r.Benefit, r.Fraction, r.Offsets = ro.Benefit, ro.Fraction, ro.Offsets
				}
				r.Steps += ro.Steps
			}
		}
	}
	r.Seconds = time.Since(start).Seconds()
	return r, in.CheckPlacement(r.Offsets)
}

// playOne plays one game of in with the search cfg, returning its
// placement and the player.
func (p *Policy) playOne(ctx context.Context, in *malloc.Instance, seed uint64, cfg SearchConfig, game malloc.Config) (malloc.Result, *player, error) {
	pl, err := newPlayer(p.Net, p.Model, cfg, p.Rollout, 1)
	if err != nil {
		return malloc.Result{}, nil, err
	}
	pl.game = game
	trajs, games, err := pl.play(ctx, []*malloc.Instance{in}, []int{0}, rand.New(rand.NewPCG(seed, 0x3e20)))
	if err != nil {
		return malloc.Result{}, nil, err
	}
	g := games[0]
	return malloc.Result{Policy: "muzero", Benefit: g.TimeSaved(), Fraction: g.Metric(),
		Steps: len(trajs[0].Steps), Offsets: g.Offsets()}, pl, nil
}

// LoadNetwork reads a muzero network checkpoint; one of another
// architecture or observation size is an ErrCheckpoint naming the file.
func LoadNetwork(path string) (*Network, error) {
	ck, err := nn.ReadCheckpoint(path)
	if err != nil {
		return nil, err
	}
	if ck.Arch() != Arch {
		return nil, fmt.Errorf("%w: %s holds %q, want %q", ErrCheckpoint, path, ck.Arch(), Arch)
	}
	var c NetConfig
	if err := ck.Config(&c); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCheckpoint, path, err)
	}
	if c.Obs != malloc.ObsSize || c.Actions != malloc.NumActions {
		return nil, fmt.Errorf("%w: %s: observations %d and actions %d, the game has %d and %d", ErrCheckpoint, path, c.Obs, c.Actions, malloc.ObsSize, malloc.NumActions)
	}
	if g := mallocNet(c).Cands; (c.Head == HeadCandidates || c.ActionFeatures) && (c.Cands.N != g.N || c.Cands.Features != g.Features || c.Cands.At != g.At) {
		return nil, fmt.Errorf("%w: %s: %d candidates of %d features at %d, the game has %d of %d at %d", ErrCheckpoint, path,
			c.Cands.N, c.Cands.Features, c.Cands.At, g.N, g.Features, g.At)
	}
	if _, err := gameConfig(c.Offsets); err != nil {
		return nil, fmt.Errorf("%w: %s: offsets %q, want tops or edges", ErrCheckpoint, path, c.Offsets)
	}
	net, err := NewNetwork(nn.CPU(), rand.New(rand.NewPCG(0, 0)), c)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCheckpoint, path, err)
	}
	if err := ck.LoadInto(net.Params()); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCheckpoint, path, err)
	}
	return net, nil
}
