package train

import (
	"encoding"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/corl-go/corl/nn"
	"github.com/corl-go/corl/trace"
)

// A kill between the trace and the checkpoint must leave a trace that holds
// every row the newest checkpoint covers: SaveState writes the trace first.
// Here the checkpoint's write fails (its directory is a file), as a kill
// would stop it, and the trace already holds the round's rows.
func TestSaveStateWritesTheTraceBeforeTheCheckpoint(t *testing.T) {
	d, err := Create(t.TempDir(), map[string]int{"seed": 1})
	if err != nil {
		t.Fatal(err)
	}
	w := nn.New(nn.CPU(), 2)
	weights := []nn.Param{{Name: "w", Value: w}}
	opt := nn.NewAdam(1e-3)
	pcg := rand.NewPCG(1, 2)
	rngs := map[string]encoding.BinaryMarshaler{"run": pcg}
	rows := []trace.Train{{Agent: "a", Phase: "train", Epoch: 0}}
	if err := d.SaveState(1, 1, struct{}{}, rngs, weights, "test", nil, opt, rows); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(d.Join("checkpoints")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(d.Join("checkpoints"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	rows = append(rows, trace.Train{Agent: "a", Phase: "train", Epoch: 1})
	if err := d.SaveState(2, 2, struct{}{}, rngs, weights, "test", nil, opt, rows); err == nil {
		t.Fatal("checkpoint into a file: no error")
	}
	got, err := d.ReadTrace()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[1].Epoch != 1 {
		t.Fatalf("trace after a checkpoint that failed: %d rows, want the round's 2", len(got))
	}
}
