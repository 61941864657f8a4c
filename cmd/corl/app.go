package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/corl-go/corl/internal/cliexit"
)

// Exit codes (see cliexit).
const (
	exitOK          = cliexit.OK
	exitUsage       = cliexit.Usage
	exitInput       = cliexit.Input
	exitFailed      = cliexit.Failed // e.g. HiGHS not installed
	exitInterrupted = cliexit.Interrupted
)

// version is set at link time with -ldflags "-X main.version=...".
var version = "dev"

// signalContext is the one signal handling of every command. The first
// SIGINT or SIGTERM cancels the returned context: long commands stop at
// their next safe point, flush what is finished, say what was kept and exit
// with exitInterrupted (see interrupted). A second signal exits at once with
// the same code; what was finished is already on disk, what was in flight
// is lost.
func signalContext(stderr io.Writer) context.Context {
	ctx, cancel := context.WithCancelCause(context.Background())
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-ch
		cancel(fmt.Errorf("%v", sig))
		fmt.Fprintf(stderr, "\ncorl: %v: stopping at the next safe point (again to exit now)\n", sig)
		<-ch
		fmt.Fprintln(stderr, "corl: stopped now; work in flight is lost")
		os.Exit(exitInterrupted)
	}()
	return ctx
}

// interrupted returns the interruption exit when ctx was cancelled, and nil
// otherwise. kept says what was kept and how to continue, e.g. "finished
// runs are in X: continue with --resume".
func interrupted(ctx context.Context, format string, args ...any) error {
	if ctx.Err() == nil {
		return nil
	}
	return &exitError{Code: exitInterrupted, Err: fmt.Errorf("interrupted; "+format, args...)}
}

// exitError carries an exit code with a message.
type exitError = cliexit.Error

var (
	usageErr  = cliexit.Usagef
	inputErr  = cliexit.InputErr
	failedErr = cliexit.FailedErr
)

func newApp(stdout, stderr io.Writer) *cli.App {
	return &cli.App{
		Name:    "corl",
		Usage:   "reinforcement learning for combinatorial optimization, with HiGHS inside",
		Version: version,
		Description: "corl solves MILP models with HiGHS (run as WebAssembly, or natively) and its own\n" +
			"branch-and-bound, and trains agents for branching, memory mapping and coupled bandits.\n\n" +
			"Exit codes: 0 done, 1 usage error, 2 input error (file missing or malformed),\n" +
			"3 solver or environment failure (for example HiGHS not installed: run `corl setup`).",
		Writer:                 stdout,
		ErrWriter:              stderr,
		HideVersion:            true,
		UseShortOptionHandling: true,
		Commands: []*cli.Command{
			solveCommand(),
			generateCommand(),
			evalCommand(),
			trainCommand(),
			demoCommand(),
			traceCommand(),
			plotCommand(),
			setupCommand(),
			fetchCommand(),
			benchCommand(),
			versionCommand(),
		},
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return usageErr("%v", err)
		},
		CommandNotFound: func(c *cli.Context, name string) {
			fmt.Fprintf(c.App.ErrWriter, "corl: unknown command %q; see `corl help`\n", name)
		},
		ExitErrHandler: func(*cli.Context, error) {}, // run reports errors and exit codes
	}
}

// run executes the command line and returns the process's exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	app := newApp(stdout, stderr)
	notFound := false
	app.CommandNotFound = func(c *cli.Context, name string) {
		notFound = true
		fmt.Fprintf(stderr, "corl: unknown command %q; see `corl help`\n", name)
	}
	err := app.RunContext(ctx, interspersed(app, args))
	if notFound {
		return exitUsage
	}
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(stderr, "corl: %v\n", err)
	return cliexit.Code(err, exitUsage) // urfave/cli's own errors are about the command line
}
