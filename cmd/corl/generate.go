package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/corl-go/corl/datasets"
)

func generateCommand() *cli.Command {
	var fams []string
	for _, n := range datasets.FamilyNames() {
		fams = append(fams, fmt.Sprintf("  %-9s %s", n, datasets.Families[n].Doc))
	}
	return &cli.Command{
		Name:      "generate",
		Usage:     "write seeded MILP instances (.mps.gz) and a manifest",
		ArgsUsage: "FAMILY",
		Description: "Writes --n instances of FAMILY into --out as <family>-<size>-<i>.mps.gz, with\n" +
			"manifest.json recording the family, size, parameters and each file's seed. The same\n" +
			"arguments give byte-identical files.\n\nFamilies:\n" + strings.Join(fams, "\n") +
			"\n  malloc    memory-mapping workloads (allocation CSVs): synthetic programs, or --onnx MODEL" +
			"\n\nExamples:\n  corl generate setcover --n 20 --size easy --seed 1 --out sets/setcover-easy" +
			"\n  corl generate malloc --n 10 --ops 200 --out sets/malloc" +
			"\n  corl generate malloc --onnx det.onnx --input-shape 1,3,640,640 --out sets/onnx",
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "n", Value: 10, Usage: "number of instances"},
			&cli.Uint64Flag{Name: "seed", Value: 0, Usage: "master seed (each file's seed derives from it)"},
			&cli.StringFlag{Name: "size", Value: "easy", Usage: "easy, medium or hard"},
			&cli.StringFlag{Name: "out", Usage: "output `DIR` (required)", Required: true},
			&cli.StringSliceFlag{Name: "param", Usage: "override a generator parameter, as `NAME=VALUE` (repeatable)"},
			&cli.IntFlag{Name: "ops", Value: 200, Usage: "malloc: operations per synthetic workload"},
			&cli.StringFlag{Name: "onnx", Usage: "malloc: convert this ONNX `MODEL` into a workload instead"},
			&cli.StringFlag{Name: "input-shape", Usage: "malloc: the ONNX model's input shape, e.g. 1,3,640,640"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() == 1 && c.Args().First() == "malloc" {
				return generateMallocAction(c)
			}
			if c.NArg() != 1 {
				return usageErr("generate takes one FAMILY (%s)", strings.Join(datasets.FamilyNames(), ", "))
			}
			fam, err := datasets.Lookup(c.Args().First())
			if err != nil {
				return usageErr("%v", err)
			}
			over := map[string]float64{}
			for _, p := range c.StringSlice("param") {
				k, v, ok := strings.Cut(p, "=")
				f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				if !ok || err != nil {
					return usageErr("--param wants NAME=NUMBER, got %q", p)
				}
				over[strings.TrimSpace(k)] = f
			}
			n := c.Int("n")
			man, err := datasets.GenerateSet(fam, datasets.Size(c.String("size")), n, c.Uint64("seed"), over, c.String("out"),
				func(done int) {
					if done == n || done%10 == 0 {
						fmt.Fprintf(c.App.ErrWriter, "generate: %d/%d\n", done, n)
					}
				})
			if err != nil {
				if strings.Contains(err.Error(), "unknown size") || strings.Contains(err.Error(), "no parameter") || strings.Contains(err.Error(), "at least 1") {
					return usageErr("%v", err)
				}
				return failedErr(err)
			}
			fmt.Fprintf(c.App.Writer, "wrote %d %s instances (%s) to %s\n", len(man.Files), man.Family, man.Size, c.String("out"))
			return nil
		},
	}
}
