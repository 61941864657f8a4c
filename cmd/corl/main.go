// Command corl is the command-line interface of corl: solve MILP models
// with HiGHS, and (as the toolkit grows) train and evaluate agents.
package main

import "os"

func main() { os.Exit(run(signalContext(os.Stderr), os.Args, os.Stdout, os.Stderr)) }
