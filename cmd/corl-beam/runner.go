package main

import (
	"github.com/corl-go/corl/internal/cliexit"

	"context"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/urfave/cli/v2"

	// The runners --runner names.
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/runners/dataflow"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/runners/flink"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/runners/prism"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/runners/spark"
)

// runners are the values of --runner.
var runners = []string{"prism", "flink", "spark", "dataflow"}

// beamOptions maps corl-beam's runner flags to the Beam SDK's own
// command-line options, which the SDK reads from Go's flag package.
var beamOptions = map[string]string{
	"endpoint":           "endpoint",
	"environment-type":   "environment_type",
	"environment-config": "environment_config",
	"worker-binary":      "worker_binary",
	"project":            "project",
	"region":             "region",
	"staging-location":   "staging_location",
	"temp-location":      "temp_location",
}

// runnerFlags are the flags that choose and reach the runner.
func runnerFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "runner", Value: "prism", Usage: "where the pipeline runs: " + strings.Join(runners, ", ") + " (prism runs in this process)"},
		&cli.StringFlag{Name: "endpoint", Usage: "job server `HOST:PORT` (flink, spark; prism: an external one)"},
		&cli.StringFlag{Name: "environment-type", Usage: "how workers run: LOOPBACK (in this process; the default on prism), DOCKER (the default elsewhere), PROCESS or EXTERNAL"},
		&cli.StringFlag{Name: "environment-config", Usage: "the workers' container image (DOCKER) or boot command (PROCESS)"},
		&cli.StringFlag{Name: "worker-binary", Usage: "a corl-beam built for the workers' platform (default: built from source for linux/amd64)"},
		&cli.StringFlag{Name: "project", Usage: "Dataflow: Google Cloud project"},
		&cli.StringFlag{Name: "region", Usage: "Dataflow: region"},
		&cli.StringFlag{Name: "staging-location", Usage: "Dataflow: gs:// location for the worker binary"},
		&cli.StringFlag{Name: "temp-location", Usage: "Dataflow: gs:// location for temporary files"},
		&cli.StringSliceFlag{Name: "beam-option", Usage: "any other Beam SDK option, as `NAME=VALUE` (repeatable)"},
	}
}

// local reports whether the runner's workers share this process's
// filesystem: Prism with loopback workers.
func local(c *cli.Context) bool {
	env := strings.ToLower(c.String("environment-type"))
	return c.String("runner") == "prism" && c.String("endpoint") == "" && (env == "" || env == "loopback")
}

// setBeamOptions checks --runner and passes the runner flags to the SDK.
func setBeamOptions(c *cli.Context) error {
	r := c.String("runner")
	if !slices.Contains(runners, r) {
		return cliexit.Usagef("--runner %q: want one of %s", r, strings.Join(runners, ", "))
	}
	if (r == "flink" || r == "spark") && c.String("endpoint") == "" {
		return cliexit.Usagef("--runner %s needs --endpoint, the address of its Beam job server", r)
	}
	set := func(name, value string) error {
		if flag.CommandLine.Lookup(name) == nil {
			return cliexit.Usagef("Beam option %q: the SDK has no such option", name)
		}
		if err := flag.CommandLine.Set(name, value); err != nil {
			return cliexit.Usagef("Beam option %s=%s: %v", name, value, err)
		}
		return nil
	}
	for ours, theirs := range beamOptions {
		if v := c.String(ours); v != "" {
			if err := set(theirs, v); err != nil {
				return err
			}
		}
	}
	for _, kv := range c.StringSlice("beam-option") {
		name, value, ok := strings.Cut(kv, "=")
		if !ok {
			return cliexit.Usagef("--beam-option %q: want NAME=VALUE", kv)
		}
		if err := set(strings.TrimLeft(name, "-"), value); err != nil {
			return err
		}
	}
	return nil
}

// runPipeline runs p on the chosen runner and waits for it to finish.
func runPipeline(ctx context.Context, c *cli.Context, p *beam.Pipeline) error {
	if !beam.Initialized() {
		beam.Init()
	}
	if _, err := beam.Run(ctx, c.String("runner"), p); err != nil {
		if ctx.Err() != nil {
			return &cliexit.Error{Code: cliexit.Interrupted, Err: fmt.Errorf("interrupted: %w", context.Cause(ctx))}
		}
		return cliexit.FailedErr(fmt.Errorf("pipeline on %s: %w", c.String("runner"), err))
	}
	return nil
}

// runWorker serves as a Beam SDK worker: the runner started this binary
// with the harness's flags. It exits when the runner is done with it.
func runWorker() {
	flag.Parse()
	beam.Init() // runs the harness and exits
	fmt.Fprintln(os.Stderr, "corl-beam: started with --worker but the Beam harness did not take over")
	os.Exit(cliexit.Failed)
}
