package muzero

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
)

// Search runs MCTS for B games at once on flat arrays of (simulations + 1)
// nodes x actions per game: node k of game g is row g*n + k, its children
// (one per action, -1 until expanded) in child[(g*n+k)*a : ...]. Every
// simulation step asks the model once, for all games that need an
// expansion. A Search is reused across moves and is not safe for
// concurrent use.
type Search struct {
	cfg     SearchConfig
	b, n, a int

	visits   []int32   // per node: backups through it
	valueSum []float64 // per node: sum of backed-up values
	reward   []float32 // per node: reward of the transition into it
	raw      []float32 // per node: the model's value
	terminal []bool
	parent   []int32
	logits   []float32 // per node x action
	prior    []float64 // per node x action: PUCT's priors (noise at the root)
	legal    []bool    // per node x action
	child    []int32   // per node x action
	size     []int32   // per game: nodes in use

	gumbel     []float64 // per game x action
	minQ, maxQ []float64 // per game: PUCT's min-max statistics
	table      [][]int32 // sequential halving: [considered][simulation] visits
	leaf       []int32   // per game: the node to back up this step (-1 none)
	req        []Expansion
	ev         Eval
	q, p       []float64 // scratch, one row of actions
}

// Result is what a search returns per game.
type Result struct {
	Action []int     // the move chosen (-1: the root is terminal)
	Policy []float32 // games x actions: the policy target, summing to 1 over legal actions, 0 elsewhere
	Value  []float32 // the search's value of the root
	Visits []int32   // games x actions: the root's visit counts
}

// NewSearch returns a search over games x actions.
func NewSearch(cfg SearchConfig, games, actions int) (*Search, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if games < 1 {
		return nil, &ConfigError{"games", games, ">= 1"}
	}
	if actions < 1 {
		return nil, &ConfigError{"actions", actions, ">= 1"}
	}
	cfg = cfg.withDefaults()
	n := cfg.Simulations + 1
	s := &Search{cfg: cfg, b: games, n: n, a: actions,
		visits: make([]int32, games*n), valueSum: make([]float64, games*n), reward: make([]float32, games*n),
		raw: make([]float32, games*n), terminal: make([]bool, games*n), parent: make([]int32, games*n),
		logits: make([]float32, games*n*actions), prior: make([]float64, games*n*actions),
		legal: make([]bool, games*n*actions), child: make([]int32, games*n*actions), size: make([]int32, games),
		gumbel: make([]float64, games*actions), minQ: make([]float64, games), maxQ: make([]float64, games),
		leaf: make([]int32, games), q: make([]float64, actions), p: make([]float64, actions)}
	s.table = make([][]int32, cfg.MaxConsidered+1)
	for m := range s.table {
		s.table[m] = consideredVisits(m, cfg.Simulations)
	}
	return s, nil
}

// Config returns the search's configuration with defaults filled in.
func (s *Search) Config() SearchConfig { return s.cfg }

// consideredVisits is sequential halving's schedule (mctx's): the visit
// count an action must have to be chosen at each root simulation, when m
// actions are considered.
func consideredVisits(m, sims int) []int32 {
	seq := make([]int32, 0, sims+m)
	if m <= 1 {
		for i := range sims {
			seq = append(seq, int32(i))
		}
		return seq
	}
	log2m := int(math.Ceil(math.Log2(float64(m))))
	visits := make([]int32, m)
	k := m
	for len(seq) < sims {
		extra := max(1, sims/(log2m*k))
		for range extra {
			seq = append(seq, visits[:k]...)
			for i := range k {
				visits[i]++
			}
		}
		k = max(2, k/2)
	}
	return seq[:sims]
}

// Run searches from the model's roots and writes the moves, policy targets
// and values into res (resized as needed). rng drives the exploration
// noise and may be nil when Explore is off.
func (s *Search) Run(ctx context.Context, m Model, rng *rand.Rand, res *Result) error {
	if m.Actions() != s.a {
		return fmt.Errorf("muzero: model has %d actions, search %d", m.Actions(), s.a)
	}
	if s.cfg.Explore && rng == nil {
		return errors.New("muzero: Search.Run explores and needs a random source")
	}
	s.reset()
	s.ev.Resize(s.b, s.a)
	if err := m.Root(ctx, &s.ev); err != nil {
		return err
	}
	for g := range s.b {
		s.store(g, 0, -1, g)
		s.size[g] = 1
		s.rootNoise(g, rng)
	}
	for range s.cfg.Simulations {
		if err := ctx.Err(); err != nil {
			return err
		}
		s.req = s.req[:0]
		for g := range s.b {
			s.descend(g)
		}
		if len(s.req) > 0 {
			s.ev.Resize(len(s.req), s.a)
			if err := m.Recurrent(ctx, s.req, &s.ev); err != nil {
				return err
			}
			for i, r := range s.req {
				s.store(int(r.Game), int(r.Node), int(r.Parent), i)
				s.child[(int(r.Game)*s.n+int(r.Parent))*s.a+int(r.Action)] = r.Node
			}
		}
		for g := range s.b {
			s.backup(g)
		}
	}
	s.result(rng, res)
	return nil
}

func (s *Search) reset() {
	clear(s.visits)
	clear(s.valueSum)
	for i := range s.child {
		s.child[i] = -1
	}
	for g := range s.b {
		s.minQ[g], s.maxQ[g] = math.Inf(1), math.Inf(-1)
	}
	clear(s.gumbel)
}

// store copies row i of the evaluation into node k of game g.
func (s *Search) store(g, k, parent, i int) {
	node := g*s.n + k
	s.parent[node] = int32(parent)
	s.reward[node] = s.ev.Reward[i]
	s.terminal[node] = s.ev.Terminal[i]
	s.raw[node] = s.ev.Value[i]
	if s.terminal[node] {
		s.raw[node] = 0
	}
	row := node * s.a
	copy(s.logits[row:row+s.a], s.ev.Logits[i*s.a:(i+1)*s.a])
	copy(s.legal[row:row+s.a], s.ev.Legal[i*s.a:(i+1)*s.a])
	softmaxTo(s.prior[row:row+s.a], s.logits[row:row+s.a], s.legal[row:row+s.a], nil)
}

// rootNoise draws Gumbel's root noise or mixes Dirichlet noise into PUCT's
// root priors, when exploring.
func (s *Search) rootNoise(g int, rng *rand.Rand) {
	if !s.cfg.Explore {
		return
	}
	row := g * s.n * s.a
	legal := s.legal[row : row+s.a]
	if s.cfg.Algorithm == Gumbel {
		for a := range s.a {
			s.gumbel[g*s.a+a] = -math.Log(-math.Log(openUnit(rng)))
		}
		return
	}
	noise, sum := s.q, 0.0
	for a := range s.a {
		noise[a] = 0
		if legal[a] {
			noise[a] = gammaSample(rng, s.cfg.DirichletAlpha)
			sum += noise[a]
		}
	}
	if sum == 0 {
		return
	}
	f := s.cfg.DirichletFraction
	for a := range s.a {
		if legal[a] {
			s.prior[row+a] = (1-f)*s.prior[row+a] + f*noise[a]/sum
		}
	}
}

// descend walks game g's tree from the root to a terminal node or an
// unexpanded action; the latter becomes an expansion request.
func (s *Search) descend(g int) {
	s.leaf[g] = -1
	if s.terminal[g*s.n] || !anyTrue(s.legal[g*s.n*s.a:(g*s.n+1)*s.a]) {
		return
	}
	k := 0
	for {
		node := g*s.n + k
		if s.terminal[node] {
			s.leaf[g] = int32(k)
			return
		}
		a := s.selectAction(g, k)
		c := s.child[node*s.a+a]
		if c < 0 {
			nk := s.size[g]
			s.size[g]++
			s.req = append(s.req, Expansion{Game: int32(g), Parent: int32(k), Action: int32(a), Node: nk})
			s.leaf[g] = nk
			return
		}
		k = int(c)
	}
}

// backup adds the leaf's value to every node on its path.
func (s *Search) backup(g int) {
	k := s.leaf[g]
	if k < 0 {
		return
	}
	gamma := s.cfg.Discount
	v := float64(s.raw[g*s.n+int(k)])
	for {
		node := g*s.n + int(k)
		s.valueSum[node] += v
		s.visits[node]++
		if k == 0 {
			return
		}
		r := float64(s.reward[node])
		q := r + gamma*s.valueSum[node]/float64(s.visits[node])
		s.minQ[g], s.maxQ[g] = math.Min(s.minQ[g], q), math.Max(s.maxQ[g], q)
		v = r + gamma*v
		k = s.parent[node]
	}
}

// qvalue is Q(node, a) = r + discount * V(child), for a visited child.
func (s *Search) qvalue(g, node, a int) (float64, int32) {
	c := s.child[node*s.a+a]
	if c < 0 {
		return 0, 0
	}
	cn := g*s.n + int(c)
	if s.visits[cn] == 0 {
		return 0, 0
	}
	return float64(s.reward[cn]) + s.cfg.Discount*s.valueSum[cn]/float64(s.visits[cn]), s.visits[cn]
}

func (s *Search) selectAction(g, k int) int {
	if s.cfg.Algorithm == PUCT {
		return s.selectPUCT(g, k)
	}
	if k == 0 {
		return s.selectGumbelRoot(g)
	}
	return s.selectGumbelInterior(g, k)
}

// selectPUCT is MuZero's rule: argmax Q_norm + P * sqrt(N) / (1 + N(a)) *
// (c1 + log((N + c2 + 1) / c2)), Q_norm = 0 for unvisited actions.
func (s *Search) selectPUCT(g, k int) int {
	node := g*s.n + k
	parentN := float64(s.visits[node])
	c := s.cfg.C1 + math.Log((parentN+s.cfg.C2+1)/s.cfg.C2)
	best, bestScore := -1, math.Inf(-1)
	for a := range s.a {
		if !s.legal[node*s.a+a] {
			continue
		}
		q, n := s.qvalue(g, node, a)
		score := s.prior[node*s.a+a] * c * math.Sqrt(parentN) / (1 + float64(n))
		if n > 0 {
			score += s.normalize(g, q)
		}
		if score > bestScore {
			best, bestScore = a, score
		}
	}
	return best
}

func (s *Search) normalize(g int, q float64) float64 {
	if s.maxQ[g] > s.minQ[g] {
		return (q - s.minQ[g]) / (s.maxQ[g] - s.minQ[g])
	}
	return q
}

// completedQ writes sigma(completed Q) of node's actions into s.q: the
// visited actions' Q, the mixed value for the others, min-max rescaled over
// the legal actions, times (c_visit + max N) * c_scale. It returns the
// largest child visit count.
func (s *Search) completedQ(g, k int) int32 {
	node := g*s.n + k
	row := node * s.a
	legal := s.legal[row : row+s.a]
	softmaxTo(s.p, s.logits[row:row+s.a], legal, nil)
	var sumN, maxN int32
	sumP, wq := 0.0, 0.0
	for a := range s.a {
		q, n := s.qvalue(g, node, a)
		s.q[a] = q
		if n > 0 && legal[a] {
			sumN += n
			maxN = max(maxN, n)
			p := math.Max(s.p[a], math.SmallestNonzeroFloat64)
			sumP += p
			wq += p * q
		}
	}
	mixed := float64(s.raw[node])
	if sumN > 0 {
		mixed = (mixed + float64(sumN)*wq/sumP) / float64(1+sumN)
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for a := range s.a {
		if _, n := s.qvalue(g, node, a); n == 0 {
			s.q[a] = mixed
		}
		if legal[a] {
			lo, hi = math.Min(lo, s.q[a]), math.Max(hi, s.q[a])
		}
	}
	scale := (s.cfg.CVisit + float64(maxN)) * s.cfg.CScale
	for a := range s.a {
		s.q[a] = scale * (s.q[a] - lo) / math.Max(hi-lo, s.cfg.QRange)
	}
	return maxN
}

// gumbelScore is g + logits - max logits + sigma(q) for the actions with
// the wanted visit count (all legal ones when want < 0); -Inf elsewhere.
// completedQ must have filled s.q.
func (s *Search) gumbelArgmax(g int, want int32) int {
	row := g * s.n * s.a
	maxL := float32(math.Inf(-1))
	for a := range s.a {
		if s.legal[row+a] {
			maxL = max(maxL, s.logits[row+a])
		}
	}
	best, bestScore, fallback, fbScore := -1, math.Inf(-1), -1, math.Inf(-1)
	for a := range s.a {
		if !s.legal[row+a] {
			continue
		}
		score := math.Max(-1e9, s.gumbel[g*s.a+a]+float64(s.logits[row+a]-maxL)+s.q[a])
		if score > fbScore {
			fallback, fbScore = a, score
		}
		_, n := s.qvalue(g, g*s.n, a)
		if want >= 0 && n != want {
			continue
		}
		if score > bestScore {
			best, bestScore = a, score
		}
	}
	if best < 0 {
		return fallback
	}
	return best
}

// selectGumbelRoot is sequential halving over the Gumbel-top-m actions.
func (s *Search) selectGumbelRoot(g int) int {
	s.completedQ(g, 0)
	m := min(s.cfg.MaxConsidered, count(s.legal[g*s.n*s.a:(g*s.n+1)*s.a]))
	sim := s.visits[g*s.n]
	return s.gumbelArgmax(g, s.table[m][sim])
}

// selectGumbelInterior is deterministic: argmax pi'(a) - N(a) / (1 + sum N)
// with pi' = softmax(logits + sigma(completed Q)).
func (s *Search) selectGumbelInterior(g, k int) int {
	node := g*s.n + k
	row := node * s.a
	s.completedQ(g, k)
	for a := range s.a {
		s.q[a] += float64(s.logits[row+a])
	}
	softmaxTo(s.p, nil, s.legal[row:row+s.a], s.q)
	var sumN int32
	for a := range s.a {
		_, n := s.qvalue(g, node, a)
		sumN += n
	}
	best, bestScore := -1, math.Inf(-1)
	for a := range s.a {
		if !s.legal[row+a] {
			continue
		}
		_, n := s.qvalue(g, node, a)
		score := s.p[a] - float64(n)/float64(1+sumN)
		if score > bestScore {
			best, bestScore = a, score
		}
	}
	return best
}

func (s *Search) result(rng *rand.Rand, res *Result) {
	res.Action = resize(res.Action, s.b)
	res.Policy = resize(res.Policy, s.b*s.a)
	res.Value = resize(res.Value, s.b)
	res.Visits = resize(res.Visits, s.b*s.a)
	for g := range s.b {
		root := g * s.n
		res.Value[g] = float32((float64(s.raw[root]) + s.valueSum[root]) / float64(1+s.visits[root]))
		legal := s.legal[root*s.a : (root+1)*s.a]
		pol := res.Policy[g*s.a : (g+1)*s.a]
		for a := range s.a {
			_, n := s.qvalue(g, root, a)
			res.Visits[g*s.a+a] = n
		}
		if s.terminal[root] || !anyTrue(legal) {
			res.Action[g] = -1
			continue
		}
		if s.cfg.Algorithm == Gumbel {
			maxN := s.completedQ(g, 0)
			res.Action[g] = s.gumbelArgmax(g, maxN)
			for a := range s.a {
				s.q[a] += float64(s.logits[root*s.a+a])
			}
			softmaxTo(s.p, nil, legal, s.q)
			for a := range s.a {
				pol[a] = float32(s.p[a])
			}
			continue
		}
		var sum int32
		best := -1
		for a := range s.a {
			if n := res.Visits[g*s.a+a]; legal[a] {
				sum += n
				if best < 0 || n > res.Visits[g*s.a+best] {
					best = a
				}
			}
		}
		for a := range s.a {
			if legal[a] && sum > 0 {
				pol[a] = float32(res.Visits[g*s.a+a]) / float32(sum)
			}
		}
		if sum == 0 { // no simulations: the priors
			for a := range s.a {
				pol[a] = float32(s.prior[root*s.a+a])
			}
		}
		if s.cfg.Explore {
			best = sampleIndex(rng, pol, legal)
		}
		res.Action[g] = best
	}
}

// softmaxTo writes the softmax of logits (float32) or of x (float64, when
// logits is nil) over the legal entries into dst, 0 elsewhere.
func softmaxTo(dst []float64, logits []float32, legal []bool, x []float64) {
	val := func(a int) float64 {
		if logits != nil {
			return float64(logits[a])
		}
		return x[a]
	}
	mx := math.Inf(-1)
	for a := range dst {
		if legal[a] {
			mx = math.Max(mx, val(a))
		}
	}
	sum := 0.0
	for a := range dst {
		dst[a] = 0
		if legal[a] {
			dst[a] = math.Exp(val(a) - mx)
			sum += dst[a]
		}
	}
	if sum > 0 {
		for a := range dst {
			dst[a] /= sum
		}
	}
}

func sampleIndex(rng *rand.Rand, p []float32, legal []bool) int {
	u, last := rng.Float32(), -1
	for a, v := range p {
		if !legal[a] {
			continue
		}
		last = a
		if u < v {
			return a
		}
		u -= v
	}
	return last
}

func anyTrue(b []bool) bool { return count(b) > 0 }

func count(b []bool) int {
	n := 0
	for _, v := range b {
		if v {
			n++
		}
	}
	return n
}

// openUnit is uniform on (0, 1).
func openUnit(rng *rand.Rand) float64 {
	for {
		if u := rng.Float64(); u > 0 {
			return u
		}
	}
}

// gammaSample draws Gamma(alpha, 1) (Marsaglia and Tsang; alpha < 1 by
// boosting to alpha + 1).
func gammaSample(rng *rand.Rand, alpha float64) float64 {
	if alpha < 1 {
		return gammaSample(rng, alpha+1) * math.Pow(openUnit(rng), 1/alpha)
	}
	d := alpha - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := rng.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := openUnit(rng)
		if math.Log(u) < 0.5*x*x+d-d*v+d*math.Log(v) {
			return d * v
		}
	}
}
