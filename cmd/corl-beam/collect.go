package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
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
			"--expert-prob, --sb-iter-limit, --episode-node-limit and --seed (corl train milp reads\n" +
			"local shards only). The episodes' search (cuts at the root and the nodes, aggregated\n" +
			"covers, the heuristics but the pooled one: bnb's default when collections began to\n" +
			"be recorded) is recorded in DIR/samples/search.json,\n" +
			"and a collection continued into DIR keeps it; shards without that record are\n" +
			"refused; corl train milp refuses them unless its own search (--cuts, --aggcover) is\n" +
			"the one recorded. Collect, then train:\n\n" +
			"  corl-beam collect milp --set sets/sc --samples 10000 --seed 1 --out runs/sc\n" +
			"  corl train milp --agent il --set sets/sc --samples 10000 --seed 1 --out runs/sc\n\n" +
			filesHelp("--set and --out"),
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
	if err := checkOptions(c, "set", "out"); err != nil {
		return err
	}
	ctx := c.Context
	files, err := evalcli.InstanceFilesIn(setFS{ctx}, c.String("set"))
	if err != nil {
		return cliexit.InputErr(err)
	}
	if files, err = absFiles(files); err != nil {
		return cliexit.InputErr(err)
	}
	insts := make([]revibranch.Instance, len(files))
	for i, f := range files {
		m, err := readMPS(ctx, f)
		if err != nil {
			return cliexit.InputErr(err)
		}
		insts[i] = revibranch.Instance{Name: filepath.Base(f), Model: m}
	}
	engine := c.String("engine")
	cfg := revibranch.CollectConfig{Instances: insts, Samples: c.Int("samples"), ExpertProb: c.Float64("expert-prob"),
		IterLimit: c.Int("sb-iter-limit"), Seed: c.Uint64("seed"), Dir: joinPath(c.String("out"), "samples"),
		NewEngine: func() (solver.Engine, error) { return highs.New(highs.Config{Runtime: engine}) },
		Search:    bnb.Config{NodeLimit: c.Int64("episode-node-limit")}}
	if err := cfg.Validate(); err != nil {
		return cliexit.Usagef("%v", err)
	}
	if cfg.Dir, err = absPath(cfg.Dir); err != nil {
		return cliexit.InputErr(err)
	}
	if !isURL(cfg.Dir) {
		if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
			return cliexit.InputErr(err)
		}
	}
	search, err := collectSearchOf(ctx, cfg.Dir)
	if err != nil {
		return err
	}
	cfg.Search = search.Config(cfg.Search.NodeLimit)
	fn := &collectFn{Files: files, Samples: cfg.Samples, ExpertProb: cfg.ExpertProb, IterLimit: cfg.IterLimit,
		Seed: cfg.Seed, Engine: engine, NodeLimit: cfg.Search.NodeLimit, Search: search, Dir: cfg.Dir}
	if fn.HiGHS, err = shipModule(local(c)); err != nil {
		return err
	}
	stderr := c.App.ErrWriter
	n := len(insts)
	var got collected
	for round := 0; ; round++ {
		if got, err = prefixShards(ctx, cfg.Dir, insts, cfg.Samples); err != nil {
			return cliexit.FailedErr(err)
		}
		if got.Samples >= cfg.Samples || round == maxRounds {
			break
		}
		have, err := listFiles(ctx, shardPath(cfg.Dir, -1))
		if err != nil {
			return cliexit.FailedErr(err)
		}
		var todo []episodeElem
		for k := round * n; k < (round+1)*n; k++ {
			if !slices.Contains(have, shardPath(cfg.Dir, k)) {
				todo = append(todo, episodeElem{Episode: int64(k)})
			}
		}
		if len(todo) == 0 {
			continue
		}
		fmt.Fprintf(stderr, "round %d: %d episodes on %s (%d of %d samples so far)\n", round+1, len(todo), c.String("runner"), got.Samples, cfg.Samples)
		p, s := beam.NewPipelineWithRoot()
		runAll(s, fn, todo)
		if err := runPipeline(ctx, c, p); err != nil {
			fmt.Fprintf(stderr, "finished shards are kept in %s: the same command continues\n", cfg.Dir)
			return err
		}
	}
	if isURL(cfg.Dir) {
		if got.Samples < cfg.Samples {
			return cliexit.FailedErr(fmt.Errorf("%d samples after %d episodes, want %d: the episodes end before the expert is queried often enough (raise --expert-prob or use larger instances)",
				got.Samples, got.Shards, cfg.Samples))
		}
	} else {
		// Collect takes the shards in order, checks that they belong to
		// these instances, and sums their costs; it runs an episode only if
		// one is missing, as corl train milp will.
		cfg.Workers = 1
		res, err := revibranch.Collect(ctx, cfg)
		if err != nil {
			return cliexit.FailedErr(err)
		}
		got = collected{Samples: res.Samples, Shards: len(res.Shards), SBLPs: res.Stats.SBLPs, SBSeconds: res.Stats.SBSeconds}
	}
	fmt.Fprintf(c.App.Writer, "%d samples in %d shards in %s (%d strong-branching LPs, %.1f s of strong branching)\n",
		got.Samples, got.Shards, cfg.Dir, got.SBLPs, got.SBSeconds)
	return nil
}

// collectSearchOf reads the search recorded in the shards' directory dir,
// or for a new collection records the default one. Shards without a
// record were made by a corl-beam that recorded none, with a search not
// known here: refused.
func collectSearchOf(ctx context.Context, dir string) (evalcli.CollectSearch, error) {
	path := joinPath(dir, evalcli.CollectSearchFile)
	found, err := exists(ctx, path)
	if err != nil {
		return evalcli.CollectSearch{}, cliexit.InputErr(err)
	}
	if found {
		b, err := readFile(ctx, path)
		if err != nil {
			return evalcli.CollectSearch{}, cliexit.InputErr(err)
		}
		var s evalcli.CollectSearch
		if err := json.Unmarshal(b, &s); err != nil {
			return evalcli.CollectSearch{}, cliexit.InputErr(fmt.Errorf("%s: %w", path, err))
		}
		return s, nil
	}
	have, err := listFiles(ctx, shardPath(dir, -1))
	if err != nil {
		return evalcli.CollectSearch{}, cliexit.InputErr(err)
	}
	if len(have) > 0 {
		return evalcli.CollectSearch{}, cliexit.Usagef("%s holds shards but no %s: they were collected by a corl-beam that did not record its search, which this one cannot continue; use another --out, or remove the shards to start over", dir, evalcli.CollectSearchFile)
	}
	b, _ := json.MarshalIndent(evalcli.DefaultCollectSearch, "", "  ")
	if err := writeFile(ctx, path, append(b, '\n')); err != nil {
		return evalcli.CollectSearch{}, cliexit.FailedErr(err)
	}
	return evalcli.DefaultCollectSearch, nil
}

// shardPath is episode k's shard in dir, a local directory or a URL (as
// revibranch.ShardPath names it); k < 0 gives a glob of every shard.
func shardPath(dir string, k int) string {
	if k < 0 {
		return joinPath(dir, "shard-*.bin.gz")
	}
	return joinPath(dir, filepath.Base(revibranch.ShardPath("", k)))
}

// collected sums the shards 0, 1, ... of a collection.
type collected struct {
	Samples, Shards int
	SBLPs           int64
	SBSeconds       float64
}

// prefixShards sums the shards 0, 1, ... found in dir, up to the first
// missing one or until they hold want samples; a shard of another
// instance than its episode's is an error.
func prefixShards(ctx context.Context, dir string, insts []revibranch.Instance, want int) (collected, error) {
	var got collected
	have, err := listFiles(ctx, shardPath(dir, -1))
	if err != nil {
		return got, err
	}
	for k := 0; got.Samples < want && slices.Contains(have, shardPath(dir, k)); k++ {
		sh, err := readShard(ctx, shardPath(dir, k))
		if err != nil {
			return got, err
		}
		if name := insts[k%len(insts)].Name; sh.Instance != name {
			return got, fmt.Errorf("%s holds samples of %q, but episode %d is on %q: the instances changed since the shard was written (use another --out)",
				shardPath(dir, k), sh.Instance, k, name)
		}
		got.Samples += len(sh.Samples)
		got.Shards++
		got.SBLPs += sh.Stats.SBLPs
		got.SBSeconds += sh.Stats.SBSeconds
	}
	return got, nil
}

func readShard(ctx context.Context, name string) (*revibranch.Shard, error) {
	return readWith(ctx, name, revibranch.ReadShardFrom)
}

// writeShard writes a shard, which appears whole or not at all.
func writeShard(ctx context.Context, name string, sh *revibranch.Shard) error {
	if !isURL(name) {
		return revibranch.WriteShard(name, sh)
	}
	var b bytes.Buffer
	if err := revibranch.WriteShardTo(&b, name, sh); err != nil {
		return err
	}
	return writeFile(ctx, name, b.Bytes())
}

// episodeElem is one element of a collection: one episode.
type episodeElem struct {
	Episode int64
}

// collectFn runs one collection episode with revibranch.CollectEpisode
// and writes its shard. Like evalFn it is splittable only so that Prism
// runs the elements of a bundle in parallel.
type collectFn struct {
	Files      []string // the instances, absolute paths or URLs, in set order
	Samples    int
	ExpertProb float64
	IterLimit  int
	Seed       uint64
	Engine     string
	NodeLimit  int64
	Search     evalcli.CollectSearch
	Dir        string // of the shards: a local path or a URL
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
func (f *collectFn) model(ctx context.Context, i int) (*solver.Model, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if m, ok := f.models[i]; ok {
		return m, nil
	}
	m, err := readMPS(ctx, f.Files[i])
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
	path := shardPath(f.Dir, int(e.Episode))
	if done, err := exists(ctx, path); done || err != nil {
		return err
	}
	i := int(e.Episode) % len(f.Files)
	m, err := f.model(ctx, i)
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
		IterLimit: f.IterLimit, Seed: f.Seed, Dir: f.Dir, Search: f.Search.Config(f.NodeLimit),
		NewEngine: func() (solver.Engine, error) { return highs.New(highs.Config{Runtime: engine}) }}, int(e.Episode))
	if err != nil {
		return fmt.Errorf("episode %d: %w", e.Episode, err)
	}
	return writeShard(ctx, path, sh)
}
