package main

import (
	"context"
	"strings"
	"testing"
)

// fuzzCommands are the command lines the fuzzer starts from. Commands that
// run for minutes when their arguments are valid whatever the context
// (bench, demo, setup) are left to the table tests.
var fuzzCommands = [][]string{
	{"solve"}, {"generate"}, {"generate", "setcover"}, {"generate", "malloc"}, {"generate", "knapsack"},
	{"eval", "milp"}, {"eval", "malloc"}, {"eval", "bandits"}, {"train", "milp"}, {"train", "bandits"},
	{"trace", "summary"}, {"plot", "train"}, {"plot", "eval"}, {"version"}, {"nope"}, {},
	{"train", "malloc"},
}

// fuzzTokens are the flags and values the fuzzer strings together.
var fuzzTokens = []string{
	"--n", "--seed", "--size", "--out", "--param", "--ops", "--onnx", "--input-shape", "--resume",
	"--time-limit", "--solution", "--trace", "--bnb", "--node-limit", "--branching", "--option", "--relax", "--json",
	"--instances", "--samples", "--epochs", "--lr", "--dim", "--workers", "--expert-prob", "--eval-time-limit",
	"--set", "--policies", "--capacity-fraction", "--mip-time-limit", "--alignment", "--format", "--help", "--x",
	"-1", "0", "1", "2", "0.5", "1e9", "-1e308", "NaN", "Inf", "", "=", "rows=-5", "items=0", "cols=0.5",
	"max_weight=0", "density=-1", "nodes=-1", "bogus=1", "rows=NaN", "easy", "giant", "out", "x.mps", "a,b", "--",
	"--agent", "--family", "--arms", "--budget", "--episodes", "--hidden", "--gamma", "--replay", "--batch-size", "sequoia", "capacity", "16,x",
	"--search", "--simulations", "--model", "--unroll", "--games", "muzero", "gumbel", "puct", "learned", "true", "muzero:x", "mcts",
}

// FuzzArgs runs corl in-process on arbitrary argument lists built from
// fuzzTokens and one free string, in an empty directory and under a
// cancelled context (so that a valid command stops at its first safe
// point): it must never panic, must exit with a documented code, and a
// usage or input error must be one line on standard error.
func FuzzArgs(f *testing.F) {
	f.Add([]byte{1, 4, 44, 3}, "set")
	f.Add([]byte{2, 3}, "set")
	f.Add([]byte{0, 9, 41}, "")
	f.Add([]byte{0, 10}, "no/such/dir/x.sol")
	f.Add([]byte{5, 3, 18, 34}, "run")
	f.Add([]byte{3, 5, 34}, "m")
	f.Add([]byte{13}, "")
	f.Add([]byte{6, 26}, "..")
	f.Add([]byte{1, 0, 35, 4, 49, 3}, "out")
	f.Add([]byte{0, 11, 12}, "t.parquet")
	f.Add([]byte{4, 3, 7, 39, 6}, "d")
	f.Add([]byte{7, 27, 29, 41}, "")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f.Fuzz(func(t *testing.T, picks []byte, free string) {
		if len(picks) == 0 || len(picks) > 16 {
			return
		}
		// keep every path inside the test's directory
		free = strings.NewReplacer("/", "_", "\\", "_", "..", "_", "\x00", "_").Replace(free)
		if len(free) > 64 {
			free = free[:64]
		}
		args := append([]string{"corl"}, fuzzCommands[int(picks[0])%len(fuzzCommands)]...)
		for i, p := range picks[1:] {
			if i == len(picks)/2 {
				args = append(args, free)
			}
			args = append(args, fuzzTokens[int(p)%len(fuzzTokens)])
		}
		t.Chdir(t.TempDir())
		var out, errb strings.Builder
		code := run(ctx, args, &out, &errb)
		switch code {
		case exitOK, exitFailed, exitInterrupted:
		case exitUsage, exitInput:
			msg := strings.TrimRight(errb.String(), "\n")
			if strings.Contains(msg, "\n") || !strings.HasPrefix(msg, "corl: ") {
				t.Fatalf("%q: exit %d with stderr %q, want one line", args, code, errb.String())
			}
		default:
			t.Fatalf("%q: exit %d", args, code)
		}
	})
}
