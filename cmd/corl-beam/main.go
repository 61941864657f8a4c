// Command corl-beam runs corl's batch work as Apache Beam pipelines: the
// evaluations of `corl eval milp` and `corl eval malloc`, and the
// expert-sample collection of `corl train milp`, spread over the cores of
// one machine (the Prism runner, started in the process, the default) or
// over a Flink, Spark or Dataflow cluster.
//
// Each element is one run, (instance, policy, seed), and runs the same
// eval functions `corl eval` runs, so the Parquet rows and tables are the
// same. corl-beam is a separate command so that Beam and its runners stay
// out of the corl binary.
package main

import (
	"os"
	"strings"
)

func main() {
	if workerMode(os.Args[1:]) {
		runWorker() // does not return
	}
	os.Exit(run(signalContext(os.Stderr), os.Args, os.Stdout, os.Stderr))
}

// workerMode reports whether the process was started by a runner as a Beam
// SDK worker (a cluster runs the binary it was given with --worker and the
// harness's endpoints), not by a user.
func workerMode(args []string) bool {
	for _, a := range args {
		if a == "--worker" || strings.HasPrefix(a, "--worker=") || a == "-worker" || strings.HasPrefix(a, "-worker=") {
			return true
		}
	}
	return false
}
