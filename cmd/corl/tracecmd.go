package main

import (
	"encoding/json"

	"github.com/urfave/cli/v2"

	"github.com/corl-go/corl/trace"
)

func traceCommand() *cli.Command {
	return &cli.Command{
		Name:  "trace",
		Usage: "inspect Parquet traces",
		Subcommands: []*cli.Command{{
			Name:      "summary",
			Usage:     "print rows, episodes and per-column statistics of a Parquet file",
			ArgsUsage: "FILE",
			Flags:     []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print the summary as JSON"}},
			Action: func(c *cli.Context) error {
				if c.NArg() != 1 {
					return usageErr("trace summary takes one FILE")
				}
				s, err := trace.Summarize(c.Args().First())
				if err != nil {
					return inputErr(err)
				}
				if c.Bool("json") {
					enc := json.NewEncoder(c.App.Writer)
					enc.SetIndent("", "  ")
					return enc.Encode(s)
				}
				s.Print(c.App.Writer)
				return nil
			},
		}},
	}
}
