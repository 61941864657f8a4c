package main

import "github.com/urfave/cli/v2"

func collectMILPCommand() *cli.Command {
	return &cli.Command{Name: "milp", Action: func(*cli.Context) error { return usageErr("not yet") }}
}
