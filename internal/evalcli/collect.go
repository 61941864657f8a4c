package evalcli

import "github.com/urfave/cli/v2"

// Collect are the flags of imitation learning's expert-sample collection
// (the first phase of corl train milp).
func Collect() []cli.Flag {
	return []cli.Flag{
		&cli.IntFlag{Name: "samples", Value: 10000, Usage: "expert samples to collect"},
		&cli.Float64Flag{Name: "expert-prob", Value: 0.05, Usage: "probability of querying the expert at a node"},
		&cli.IntFlag{Name: "sb-iter-limit", Usage: "simplex iterations per strong-branching child LP (0: none)"},
		&cli.Int64Flag{Name: "episode-node-limit", Value: 20000, Usage: "nodes per collection episode at most"},
	}
}
