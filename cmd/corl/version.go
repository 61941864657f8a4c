package main

import (
	"fmt"
	"runtime"

	"github.com/urfave/cli/v2"

	"github.com/corl-go/corl/internal/evalcli"
	"github.com/corl-go/corl/nn"
	"github.com/corl-go/corl/solver/highs"
)

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print the versions of corl, Go, HiGHS and the solver engine, and the networks' BLAS",
		Flags: []cli.Flag{engineFlag()},
		Action: func(c *cli.Context) error {
			w := c.App.Writer
			fmt.Fprintf(w, "corl     %s\n", version)
			fmt.Fprintf(w, "go       %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
			fmt.Fprintf(w, "engines  %v (default %s)\n", highs.Runtimes(), highs.DefaultRuntime())
			blas := nn.CPUBLAS()
			fmt.Fprintf(w, "blas     %v\n", blas)
			if blas.Err != nil {
				fmt.Fprintf(w, "         (%v)\n", blas.Err)
			}
			s, err := highs.New(highs.Config{Runtime: c.String("engine")})
			if err != nil {
				fmt.Fprintf(w, "highs    unavailable: %v\n", err)
				return nil
			}
			defer s.Close()
			v, err := s.HiGHSVersion()
			if err != nil {
				return failedErr(err)
			}
			src := fmt.Sprintf("WebAssembly build, npm %s@%s", highs.NPMPackage, highs.NPMVersion)
			if s.Runtime() == "native" {
				src = "native libhighs"
			}
			fmt.Fprintf(w, "highs    %s (%s) on %s\n", v, src, s.Runtime())
			return nil
		},
	}
}

func engineFlag() cli.Flag { return evalcli.Engine() }
