package main

import (
	"errors"
	"fmt"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/corl-go/corl/internal/refdata"
)

func fetchCommand() *cli.Command {
	return &cli.Command{
		Name:      "fetch",
		Usage:     "download public benchmark data (pinned upstream, SHA-256 checked) into the user cache",
		ArgsUsage: "NAME...",
		Description: "Downloads every file of each named data set into DIR/NAME (default DIR: corl/data in\n" +
			"the user cache directory, beside the HiGHS module of `corl setup`), checks its size and\n" +
			"SHA-256 against the pinned values and prints the set's directory. Files already there and\n" +
			"intact are kept, an interrupted download resumes, and a file appears under its name only\n" +
			"once verified. `corl fetch --list` shows the sets, their sizes and where they go.\n\n" +
			"A mirror serves BASE/NAME/FILE: --base-url BASE or " + refdata.EnvBaseURL + "=BASE.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "list", Usage: "list the data sets, their sizes, where they go and whether they are there"},
			&cli.StringFlag{Name: "dir", Usage: "cache root to fetch into (default: corl/data in the user cache directory)"},
			&cli.StringFlag{Name: "base-url", EnvVars: []string{refdata.EnvBaseURL}, Usage: "fetch from a mirror that serves BASE/NAME/FILE instead of upstream"},
		},
		Action: fetchAction,
	}
}

func fetchAction(c *cli.Context) error {
	o := refdata.Options{Root: c.String("dir"), BaseURL: c.String("base-url"), Log: c.App.ErrWriter}
	if err := o.Validate(); err != nil {
		return usageErr("--base-url: %v", err)
	}
	if c.Bool("list") {
		return fetchList(c, o)
	}
	if c.NArg() == 0 {
		return usageErr("name a data set to fetch (see `corl fetch --list`)")
	}
	var sets []refdata.Set
	for _, name := range c.Args().Slice() {
		s, err := refdata.Lookup(name)
		if err != nil {
			return usageErr("%v", err)
		}
		sets = append(sets, s)
	}
	for _, s := range sets {
		dir, err := refdata.Fetch(c.Context, s, o)
		if err != nil {
			if ierr := interrupted(c.Context, "verified files are kept in %s; run `corl fetch %s` again to resume", dir, s.Name); ierr != nil {
				return ierr
			}
			var ce *refdata.ChecksumError
			if errors.As(err, &ce) {
				return failedErr(fmt.Errorf("%w; the download was discarded: a mirror serving other data, or a changed upstream", err))
			}
			return failedErr(err)
		}
		fmt.Fprintln(c.App.Writer, dir)
	}
	return nil
}

func fetchList(c *cli.Context, o refdata.Options) error {
	tw := tabwriter.NewWriter(c.App.Writer, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tFILES\tSIZE\tSTATE\tWHERE")
	for _, s := range refdata.Sets {
		dir, err := refdata.Dir(o.Root, s.Name)
		if err != nil {
			return failedErr(err)
		}
		have, _ := refdata.Complete(s, dir)
		state := "not fetched"
		switch {
		case have == len(s.Files):
			state = "fetched"
		case have > 0:
			state = fmt.Sprintf("%d of %d files", have, len(s.Files))
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", s.Name, len(s.Files), humanBytes(s.Size()), state, dir)
	}
	tw.Flush()
	for _, s := range refdata.Sets {
		fmt.Fprintf(c.App.Writer, "\n%s: %s\n  source: %s\n  URLs:   %s\n  license: %s\n", s.Name, s.Description, s.Source, o.URL(s, refdata.File{Name: "FILE"}), s.License)
	}
	return nil
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
