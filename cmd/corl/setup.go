package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/corl-go/corl/solver/highs"
)

func setupCommand() *cli.Command {
	return &cli.Command{
		Name:  "setup",
		Usage: "fetch the pinned HiGHS WebAssembly module with npm and check its SHA-256",
		Description: fmt.Sprintf("Runs `npm pack %s@%s`, verifies the package and its files against pinned\n"+
			"SHA-256 sums and installs highs.wasm and highs.js into --dir (default: the user cache\n"+
			"directory). Point %s at another copy to use it instead.", highs.NPMPackage, highs.NPMVersion, highs.EnvWasm),
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "dir", Usage: "install directory (default: the user cache directory)"},
		},
		Action: func(c *cli.Context) error {
			path, err := highs.Install(c.Context, c.String("dir"), c.App.ErrWriter)
			if err != nil {
				return failedErr(err)
			}
			fmt.Fprintln(c.App.Writer, path)
			return nil
		},
	}
}
