package revibranch

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/corl-go/corl/envs/milp"
	"github.com/corl-go/corl/solver"
	"github.com/corl-go/corl/solver/bnb"
	"github.com/corl-go/corl/solver/highs"
)

// Instance is a named MILP to collect samples on.
type Instance struct {
	Name  string
	Model *solver.Model
}

// CollectConfig configures sample collection. Zero values mean defaults.
type CollectConfig struct {
	Instances []Instance
	// Samples is the number of samples to collect (required).
	Samples int
	// PerEpisode caps one episode's samples (0: Samples / len(Instances),
	// rounded up), so that samples come from many instances.
	PerEpisode int
	// ExpertProb is the probability of querying the expert at a node (0: 0.05).
	ExpertProb float64
	// IterLimit bounds the simplex iterations of each strong-branching
	// child LP (0: none, exact full strong branching).
	IterLimit int
	// Workers collect episodes in parallel, one HiGHS instance each (0: GOMAXPROCS).
	Workers int
	Seed    uint64
	// Dir receives the shard files (created if missing). Shards already
	// there are kept and not collected again.
	Dir string
	// NewEngine creates an episode's LP engine (nil: HiGHS, default engine).
	NewEngine func() (solver.Engine, error)
	// Search configures each episode's tree search (a node limit bounds
	// episodes on hard instances).
	Search bnb.Config
	// Progress, if not nil, is called with the samples kept so far.
	Progress func(samples int)
}

// Validate checks the configuration.
func (c CollectConfig) Validate() error {
	switch {
	case len(c.Instances) == 0:
		return errors.New("revibranch: CollectConfig.Instances: none given")
	case c.Samples < 1:
		return fmt.Errorf("revibranch: CollectConfig.Samples = %d, want at least 1", c.Samples)
	case c.PerEpisode < 0:
		return fmt.Errorf("revibranch: CollectConfig.PerEpisode = %d, want >= 0", c.PerEpisode)
	case c.ExpertProb < 0 || c.ExpertProb > 1 || c.ExpertProb != c.ExpertProb:
		return fmt.Errorf("revibranch: CollectConfig.ExpertProb = %v, want in [0,1]", c.ExpertProb)
	case c.IterLimit < 0:
		return fmt.Errorf("revibranch: CollectConfig.IterLimit = %d, want >= 0", c.IterLimit)
	case c.Workers < 0:
		return fmt.Errorf("revibranch: CollectConfig.Workers = %d, want >= 0", c.Workers)
	case c.Dir == "":
		return errors.New("revibranch: CollectConfig.Dir is required")
	}
	return c.Search.Validate()
}

func (c CollectConfig) withDefaults() CollectConfig {
	if c.PerEpisode == 0 {
		c.PerEpisode = (c.Samples + len(c.Instances) - 1) / len(c.Instances)
	}
	if c.ExpertProb == 0 {
		c.ExpertProb = 0.05
	}
	if c.Workers == 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	if c.NewEngine == nil {
		c.NewEngine = func() (solver.Engine, error) { return highs.New(highs.Config{}) }
	}
	return c
}

// CollectResult lists the shards that make up the data set, in order, and
// what they cost.
type CollectResult struct {
	Shards  []string // paths, in shard order
	Samples int      // samples in them (at least the target; training takes the first Samples)
	Stats   ShardStats
	Resumed int // shards found on disk and not collected again
}

// ShardPath is shard k's file in dir.
func ShardPath(dir string, k int) string {
	return filepath.Join(dir, fmt.Sprintf("shard-%06d.bin.gz", k))
}

// maxRounds bounds the passes over the instances when episodes give no samples.
const maxRounds = 1000

// Collect gathers imitation samples by Gasse et al.'s protocol: episodes
// of branch-and-bound branch by pseudocost, except that at each node the
// expert (full strong branching) is queried with probability ExpertProb;
// it then branches, and its choice is recorded with the node's
// NodeBipartite observation and candidates.
//
// Episode k runs on instance k mod len(Instances) with its own random
// stream (seed, k) and writes shard k. Shards are taken in order until
// they hold Samples samples, so the data set is the same for any number
// of workers and after any interruption: a killed collection keeps every
// finished shard, and calling Collect again resumes.
func Collect(ctx context.Context, cfg CollectConfig) (CollectResult, error) {
	if err := cfg.Validate(); err != nil {
		return CollectResult{}, err
	}
	cfg = cfg.withDefaults()
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return CollectResult{}, err
	}
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var (
		mu      sync.Mutex
		counts  = map[int]int{} // finished shard -> samples
		stats   = map[int]ShardStats{}
		next    int // next shard to hand out
		prefix  int // shards 0..prefix-1 are finished
		total   int // samples in them
		resumed int
		errOnce error
	)
	enough := func() bool { return total >= cfg.Samples }
	branched := false // some episode of the prefix reached a branching decision
	// advance extends the finished prefix; call with mu held.
	advance := func() {
		for {
			n, ok := counts[prefix]
			if !ok || enough() {
				return
			}
			total += n
			branched = branched || n > 0 || stats[prefix].Nodes > 1
			prefix++
			if prefix == len(cfg.Instances) && !branched && errOnce == nil {
				errOnce = errors.New("revibranch: every instance is solved at the root, so there is no branching decision to learn from: use larger or harder instances")
			}
		}
	}
	take := func() (int, bool) {
		mu.Lock()
		defer mu.Unlock()
		for {
			if enough() || errOnce != nil || next >= maxRounds*len(cfg.Instances) {
				return 0, false
			}
			k := next
			next++
			if _, ok := counts[k]; ok {
				continue
			}
			sh, err := ReadShard(ShardPath(cfg.Dir, k))
			switch {
			case err == nil:
				if want := cfg.Instances[k%len(cfg.Instances)].Name; sh.Instance != want {
					errOnce = fmt.Errorf("revibranch: %s holds samples of %q, but episode %d is on %q now: the instances changed since the shard was written (use another directory)",
						ShardPath(cfg.Dir, k), sh.Instance, k, want)
					return 0, false
				}
				counts[k], stats[k] = len(sh.Samples), sh.Stats
				resumed++
				advance()
				if cfg.Progress != nil {
					cfg.Progress(min(total, cfg.Samples))
				}
				continue
			case !errors.Is(err, os.ErrNotExist):
				errOnce = err
				return 0, false
			}
			return k, true
		}
	}
	var wg sync.WaitGroup
	for range cfg.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k, ok := take()
				if !ok {
					return
				}
				sh, err := collectEpisode(ctx, cfg, k)
				if err == nil {
					err = WriteShard(ShardPath(cfg.Dir, k), sh)
				}
				mu.Lock()
				if err != nil {
					if errOnce == nil && ctx.Err() == nil {
						errOnce = err
					}
					mu.Unlock()
					cancel()
					return
				}
				counts[k], stats[k] = len(sh.Samples), sh.Stats
				advance()
				done := enough()
				if cfg.Progress != nil {
					cfg.Progress(min(total, cfg.Samples))
				}
				mu.Unlock()
				if done {
					cancel() // episodes past the prefix are not needed
				}
			}
		}()
	}
	wg.Wait()
	if errOnce != nil {
		return CollectResult{}, errOnce
	}
	if !enough() {
		if err := parent.Err(); err != nil {
			return CollectResult{}, err
		}
		return CollectResult{}, fmt.Errorf("revibranch: %d samples after %d episodes, want %d: the episodes end before the expert is queried often enough (raise --expert-prob or use larger instances)", total, prefix, cfg.Samples)
	}
	res := CollectResult{Samples: total, Resumed: resumed}
	for k := range prefix {
		res.Shards = append(res.Shards, ShardPath(cfg.Dir, k))
		res.Stats.add(stats[k])
	}
	return res, nil
}

// CollectEpisode runs episode k of the collection cfg describes and
// returns the shard Collect would write for it, ShardPath(cfg.Dir, k).
// Episodes are independent (episode k depends only on cfg and k), so a
// distributed collection can run them anywhere, write their shards, and
// let Collect take them in order; only the instance of episode k,
// cfg.Instances[k mod len(cfg.Instances)], needs its Model.
func CollectEpisode(ctx context.Context, cfg CollectConfig, k int) (*Shard, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if k < 0 {
		return nil, fmt.Errorf("revibranch: CollectEpisode: episode %d, want >= 0", k)
	}
	return collectEpisode(ctx, cfg.withDefaults(), k)
}

// collectEpisode runs episode k and returns its samples.
func collectEpisode(ctx context.Context, cfg CollectConfig, k int) (*Shard, error) {
	inst := cfg.Instances[k%len(cfg.Instances)]
	rng := rand.New(rand.NewPCG(cfg.Seed, uint64(k)))
	lp, err := cfg.NewEngine()
	if err != nil {
		return nil, err
	}
	defer lp.Close()
	start := time.Now()
	s, err := bnb.NewSearch(ctx, lp, inst.Model, cfg.Search)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", inst.Name, err)
	}
	obs := &milp.NodeBipartiteFunc{}
	obs.Reset(s)
	sh := &Shard{Instance: inst.Name}
	var scores []float64
	var sbTime time.Duration
	d, err := s.Next(ctx)
	for err == nil && d != nil && len(sh.Samples) < cfg.PerEpisode {
		var col int
		if rng.Float64() < cfg.ExpertProb {
			t0 := time.Now()
			var o milp.NodeBipartite
			if o, err = obs.Extract(ctx, d); err != nil {
				break
			}
			if scores, err = d.StrongBranchingScoresLimit(ctx, cfg.IterLimit, scores); err != nil {
				break
			}
			sbTime += time.Since(t0)
			x := sampleOf(o, scores, d.Node)
			if sh.Graph == nil {
				sh.Graph = graphOf(o)
			}
			x.Graph = sh.Graph
			sh.Samples = append(sh.Samples, x)
			col = int(x.Candidates[x.Expert])
		} else if col, err = (bnb.PseudoCost{}).Select(ctx, d); err != nil {
			break
		}
		if err = s.Branch(col); err != nil {
			break
		}
		d, err = s.Next(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", inst.Name, err)
	}
	if ctx.Err() != nil { // cut short: not a complete episode
		return nil, ctx.Err()
	}
	st := s.Stats()
	sh.Stats = ShardStats{Nodes: st.Nodes, SBLPs: st.SBLPs, SBIterations: st.SBIterations, SBSeconds: sbTime.Seconds(), Seconds: time.Since(start).Seconds()}
	if sh.Graph == nil {
		sh.Graph = &Graph{}
	}
	return sh, nil
}

// graphOf converts an observation's static part.
func graphOf(o milp.NodeBipartite) *Graph {
	g := &Graph{NumCols: o.NumCols(), NumRows: o.NumRows(),
		EdgeRow: make([]int32, len(o.EdgeRow)), EdgeCol: make([]int32, len(o.EdgeCol)), EdgeValue: make([]float32, len(o.EdgeValue))}
	for k := range o.EdgeRow {
		g.EdgeRow[k], g.EdgeCol[k], g.EdgeValue[k] = int32(o.EdgeRow[k]), int32(o.EdgeCol[k]), float32(o.EdgeValue[k])
	}
	return g
}

// sampleOf converts an observation and the expert's scores (in the order
// of o.Candidates) into a sample whose expert choice is the best score
// (the first on ties, as full strong branching picks).
func sampleOf(o milp.NodeBipartite, scores []float64, node *bnb.Node) Sample {
	x := Sample{ColFeat: f32(o.ColFeatures), RowFeat: f32(o.RowFeatures),
		Candidates: make([]int32, len(o.Candidates)), Scores: make([]float32, len(scores))}
	if node != nil {
		x.Node, x.Depth = node.ID, int32(node.Depth)
	}
	for i, j := range o.Candidates {
		x.Candidates[i] = int32(j)
		x.Scores[i] = float32(scores[i])
		if scores[i] > scores[x.Expert] {
			x.Expert = i
		}
	}
	return x
}

func f32(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}
