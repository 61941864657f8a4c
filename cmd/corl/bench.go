package main

import (
	"github.com/urfave/cli/v2"
)

func benchCommand() *cli.Command {
	return &cli.Command{
		Name:  "bench",
		Usage: "measure corl's components side by side and print ratio tables",
		Subcommands: []*cli.Command{
			benchSolverCommand(),
			benchNNCommand(),
		},
	}
}
