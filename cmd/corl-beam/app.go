package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	beamlog "github.com/apache/beam/sdks/v2/go/pkg/beam/log"
	"github.com/urfave/cli/v2"

	"github.com/corl-go/corl/internal/cliexit"
)

// signalContext cancels the returned context on the first SIGINT or
// SIGTERM; a second exits at once.
func signalContext(stderr io.Writer) context.Context {
	ctx, cancel := context.WithCancelCause(context.Background())
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-ch
		cancel(fmt.Errorf("%v", sig))
		fmt.Fprintf(stderr, "\ncorl-beam: %v: cancelling the pipeline (again to exit now)\n", sig)
		<-ch
		os.Exit(cliexit.Interrupted)
	}()
	return ctx
}

func newApp(stdout, stderr io.Writer) *cli.App {
	return &cli.App{
		Name:  "corl-beam",
		Usage: "corl's evaluations and expert-sample collection as Apache Beam pipelines",
		Description: "Runs the work of `corl eval milp`, `corl eval malloc` and the collection phase of\n" +
			"`corl train milp` as Beam pipelines: one element per run (instance, policy, seed), the\n" +
			"same code and the same output files as the corl commands. The Prism runner runs in this\n" +
			"process by default; --runner flink|spark|dataflow with --endpoint (a job server) or the\n" +
			"Dataflow options send the pipeline to a cluster.",
		Writer:    stdout,
		ErrWriter: stderr,
		Commands: []*cli.Command{
			{Name: "eval", Usage: "evaluate policies on instance sets, as corl eval does", Subcommands: []*cli.Command{evalMILPCommand(), evalMallocCommand()},
				Description: filesHelp("instance sets (--set) and results (--out, --trace)")},
			{Name: "collect", Usage: "collect training samples, as corl train collects them", Subcommands: []*cli.Command{collectMILPCommand()}},
		},
		ExitErrHandler: func(*cli.Context, error) {},
	}
}

// run runs the command line and returns its exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	quietRunner()
	err := newApp(stdout, stderr).RunContext(ctx, args)
	if err == nil {
		return 0
	}
	fmt.Fprintf(stderr, "corl-beam: %v\n", err)
	var ee *cliexit.Error
	switch {
	case errors.As(err, &ee):
		return ee.Code
	case ctx.Err() != nil:
		return cliexit.Interrupted
	default:
		return cliexit.Usage // urfave/cli's own errors are about the command line
	}
}

// quietRunner keeps the runner's and the SDK's routine log lines (job
// submitted, state changes) off standard error: warnings and errors
// remain. CORL_BEAM_LOG=info or debug shows them. beam.Init installs the
// SDK's logger with this level.
func quietRunner() {
	beamlog.LogLevel = "warn"
	if l := os.Getenv("CORL_BEAM_LOG"); l == "info" || l == "debug" {
		beamlog.LogLevel = l
	}
}
