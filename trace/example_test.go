package trace_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/corl-go/corl/trace"
)

// Write an episode's steps to a Parquet file and read them back.
func ExampleCreate() {
	dir, err := os.MkdirTemp("", "trace-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "steps.parquet")

	w, err := trace.Create(path)
	if err != nil {
		panic(err)
	}
	for k := range 3 {
		s := trace.Step{Run: "demo", Env: "milp", Policy: "mostfrac", Episode: 0, Step: int64(k), Action: int64(10 + k),
			Reward: -1, Done: k == 2, Nodes: trace.Int(int64(2*k + 1))}
		if err := w.Write(s); err != nil {
			panic(err)
		}
	}
	if err := w.Close(); err != nil {
		panic(err)
	}

	steps, err := trace.Read(path)
	if err != nil {
		panic(err)
	}
	for _, s := range steps {
		fmt.Println(s.Step, s.Action, s.Reward, s.Done, *s.Nodes, s.LPIterations == nil)
	}
	// Output:
	// 0 10 -1 false 1 true
	// 1 11 -1 false 3 true
	// 2 12 -1 true 5 true
}
