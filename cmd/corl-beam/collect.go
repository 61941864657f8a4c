package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sync"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/sdf"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/urfave/cli/v2"

	"github.com/corl-go/corl/agents/revibranch"
	"github.com/corl-go/corl/internal/cliexit"
	"github.com/corl-go/corl/internal/evalcli"
	"github.com/corl-go/corl/solver"
	"github.com/corl-go/corl/solver/bnb"
	"github.com/corl-go/corl/solver/highs"
)

func init() {
	beam.RegisterType(reflect.TypeOf((*episodeElem)(nil)).Elem())
	register.DoFn4x1[context.Context, *sdf.LockRTracker, episodeElem, func(int64), error](&collectFn{})
}

func collectMILPCommand() *cli.Command {
	return &cli.Command{
		Name:  "milp",
		Usage: "collect corl train milp's expert samples as a pipeline: one element per episode",
		Description: "Runs the collection episodes of imitation learning (branch by pseudocost, query full\n" +
			"strong branching with probability --expert-prob) on the MPS files of --set, one element\n" +
			"per episode, and writes the shards corl train milp reads into DIR/samples. Episode k\n" +
			"runs on instance k mod n with its own random stream (--seed, k), so the shards are\n" +
			"those corl train milp would collect itself; rounds of n episodes run until the shards,\n" +
			"taken in order, hold --samples samples. Train on them with the same --set, --samples,\n" +
			"--expert-prob, --sb-iter-limit, --episode-node-limit and --seed:\n\n" +
			"  corl-beam collect milp --set sets/sc --samples 10000 --seed 1 --out runs/sc\n" +
			"  corl train milp --agent il --set sets/sc --samples 10000 --seed 1 --out runs/sc",
		Flags: append(append([]cli.Flag{
			&cli.StringFlag{Name: "set", Usage: "instance `DIR`, or a text file listing MPS files one per line (required)", Required: true},
			&cli.StringFlag{Name: "out", Usage: "run `DIR` of corl train milp; shards go to DIR/samples (required)", Required: true},
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "seed of everything random in the run"},
			evalcli.Engine(),
		}, evalcli.Collect()...), runnerFlags()...),
		Action: collectMILPAction,
	}
}

// maxRounds bounds the rounds of episodes when they give too few samples
// (as revibranch.Collect bounds its passes).
const maxRounds = 1000

func collectMILPAction(c *cli.Context) error {
	if err := setBeamOptions(c); err != nil {
		return err
	}
	files, err := evalcli.InstanceFiles(c.String("set"))
	if err != nil {
		return cliexit.InputErr(err)
	}
	if files, err = absFiles(files); err != nil {
		return cliexit.InputErr(err)
	}
	insts := make([]revibranch.Instance, len(files))
	for i, f := range files {
		m, err := solver.ReadMPSFile(f)
		if err != nil {
			return cliexit.InputErr(err)
		}
		insts[i] = revibranch.Instance{Name: filepath.Base(f), Model: m}
	}
	engine := c.String("engine")
	cfg := revibranch.CollectConfig{Instances: insts, Samples: c.Int("samples"), ExpertProb: c.Float64("expert-prob"),
		IterLimit: c.Int("sb-iter-limit"), Seed: c.Uint64("seed"), Dir: filepath.Join(c.String("out"), "samples"),
		NewEngine: func() (solver.Engine, error) { return highs.New(highs.Config{Runtime: engine}) },
		Search:    bnb.Config{NodeLimit: c.Int64("episode-node-limit")}}
	if err := cfg.Validate(); err != nil {
		return cliexit.Usagef("%v", err)
	}
	if cfg.Dir, err = filepath.Abs(cfg.Dir); err != nil {
		return cliexit.InputErr(err)
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return cliexit.InputErr(err)
	}
	fn := &collectFn{Files: files, Samples: cfg.Samples, ExpertProb: cfg.ExpertProb, IterLimit: cfg.IterLimit,
		Seed: cfg.Seed, Engine: engine, NodeLimit: cfg.Search.NodeLimit, Dir: cfg.Dir}
	if fn.HiGHS, err = shipModule(local(c)); err != nil {
		return err
	}
	stderr := c.App.ErrWriter
	n := len(insts)
	for round := 0; ; round++ {
		total, err := prefixSamples(cfg.Dir, cfg.Samples)
		if err != nil {
			return cliexit.FailedErr(err)
		}
		if total >= cfg.Samples || round == maxRounds {
			break
		}
		var todo []episodeElem
		for k := round * n; k < (round+1)*n; k++ {
			if _, err := os.Stat(revibranch.ShardPath(cfg.Dir, k)); err != nil {
				todo = append(todo, episodeElem{Episode: int64(k)})
			}
		}
		if len(todo) == 0 {
			continue
		}
		fmt.Fprintf(stderr, "round %d: %d episodes on %s (%d of %d samples so far)\n", round+1, len(todo), c.String("runner"), total, cfg.Samples)
		p, s := beam.NewPipelineWithRoot()
		runAll(s, fn, todo)
		if err := runPipeline(c.Context, c, p); err != nil {
			fmt.Fprintf(stderr, "finished shards are kept in %s: the same command continues\n", cfg.Dir)
			return err
		}
	}
	// Collect takes the shards in order, checks that they belong to these
	// instances, and sums their costs; it runs an episode only if one is
	// missing, as corl train milp will.
	cfg.Workers = 1
	res, err := revibranch.Collect(c.Context, cfg)
	if err != nil {
		return cliexit.FailedErr(err)
	}
	fmt.Fprintf(c.App.Writer, "%d samples in %d shards in %s (%d strong-branching LPs, %.1f s of strong branching)\n",
		res.Samples, len(res.Shards), cfg.Dir, res.Stats.SBLPs, res.Stats.SBSeconds)
	return nil
}

// prefixSamples counts the samples of the shards 0, 1, ... found in dir,
// up to the first missing one or until there are want.
func prefixSamples(dir string, want int) (int, error) {
	total := 0
	for k := 0; total < want; k++ {
		sh, err := revibranch.ReadShard(revibranch.ShardPath(dir, k))
		if errors.Is(err, os.ErrNotExist) {
			return total, nil
		}
		if err != nil {
			return 0, err
		}
		total += len(sh.Samples)
	}
	return total, nil
}

// episodeElem is one element of a collection: one episode.
type episodeElem struct {
	Episode int64
}

// collectFn runs one collection episode with revibranch.CollectEpisode
// and writes its shard. Like evalFn it is splittable only so that Prism
// runs the elements of a bundle in parallel.
type collectFn struct {
	Files      []string // the instances, absolute, in set order
	Samples    int
	ExpertProb float64
	IterLimit  int
	Seed       uint64
	Engine     string
	NodeLimit  int64
	Dir        string
	HiGHS      shippedModule

	mu     sync.Mutex
	models map[int]*solver.Model
	onePosition[episodeElem]
}

func (f *collectFn) Setup() error {
	f.models = map[int]*solver.Model{}
	return f.HiGHS.install()
}

// model reads instance i once per worker.
func (f *collectFn) model(i int) (*solver.Model, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if m, ok := f.models[i]; ok {
		return m, nil
	}
	m, err := solver.ReadMPSFile(f.Files[i])
	if err != nil {
		return nil, err
	}
	f.models[i] = m
	return m, nil
}

// ProcessElement runs the episode unless its shard is there already (a
// retry rewrites the same shard by an atomic rename).
func (f *collectFn) ProcessElement(ctx context.Context, rt *sdf.LockRTracker, e episodeElem, done func(int64)) error {
	if !rt.TryClaim(int64(0)) {
		return nil
	}
	defer done(e.Episode)
	path := revibranch.ShardPath(f.Dir, int(e.Episode))
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	i := int(e.Episode) % len(f.Files)
	m, err := f.model(i)
	if err != nil {
		return err
	}
	insts := make([]revibranch.Instance, len(f.Files))
	for j, file := range f.Files {
		insts[j].Name = filepath.Base(file)
	}
	insts[i].Model = m
	engine := f.Engine
	sh, err := revibranch.CollectEpisode(ctx, revibranch.CollectConfig{Instances: insts, Samples: f.Samples, ExpertProb: f.ExpertProb,
		IterLimit: f.IterLimit, Seed: f.Seed, Dir: f.Dir, Search: bnb.Config{NodeLimit: f.NodeLimit},
		NewEngine: func() (solver.Engine, error) { return highs.New(highs.Config{Runtime: engine}) }}, int(e.Episode))
	if err != nil {
		return fmt.Errorf("episode %d: %w", e.Episode, err)
	}
	return revibranch.WriteShard(path, sh)
}
