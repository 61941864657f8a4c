package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/urfave/cli/v2"
)

// Exit codes.
const (
	exitOK     = 0 // done (for solve: solved, whatever the status)
	exitUsage  = 1 // bad command line
	exitInput  = 2 // bad input: a missing or malformed file
	exitFailed = 3 // the solver or the environment failed (e.g. HiGHS not installed)

	exitInterrupted = 130 // stopped by a signal; finished work was kept
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
	return &exitError{exitInterrupted, fmt.Errorf("interrupted; "+format, args...)}
}

// exitError carries an exit code with a message.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErr(format string, args ...any) error {
	return &exitError{exitUsage, fmt.Errorf(format, args...)}
}
func inputErr(err error) error  { return &exitError{exitInput, err} }
func failedErr(err error) error { return &exitError{exitFailed, err} }

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
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return exitUsage // urfave/cli's own errors are about the command line
}
