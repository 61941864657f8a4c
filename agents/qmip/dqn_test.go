package qmip

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/corl-go/corl/agents/train"
	"github.com/corl-go/corl/internal/highstest"
	"github.com/corl-go/corl/nn"
)

func smallConfig() Config {
	return Config{Family: "capacity", J: 6, B: 2, Seed: 3, Horizon: 5, Episodes: 4, Batch: 8, Replay: 60,
		TargetEvery: 5, WarmSamples: 256, WarmEpochs: 3, CheckpointEvery: 1, EvalEvery: 2, EvalEpisodes: 1, Workers: 2}
}

func weightsOf(t *testing.T, path string) map[string][]float32 {
	t.Helper()
	ck, err := nn.ReadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	pc := PolicyConfig{}
	if err := ck.Config(&pc); err != nil {
		t.Fatal(err)
	}
	p, err := LoadPolicy(path, SelectConfig{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]float32{}
	for l, ly := range p.net.Layers {
		for i, row := range ly.W {
			for _, w := range row {
				out[string(rune('a'+l))] = append(out[string(rune('a'+l))], float32(w))
			}
			out["b"+string(rune('a'+l))] = append(out["b"+string(rune('a'+l))], float32(ly.B[i]))
		}
	}
	return out
}

// A run stopped after two episodes and resumed ends with the weights of
// an uninterrupted run, whatever the number of target-MIP workers.
func TestResumeReproducesTheRun(t *testing.T) {
	highstest.Need(t)
	ctx := context.Background()
	cfg := smallConfig()
	full, err := train.Create(t.TempDir()+"/full", cfg)
	if err != nil {
		t.Fatal(err)
	}
	sumA, err := Train(ctx, full, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sumA.Updates == 0 || sumA.Solves == 0 {
		t.Fatalf("the run made no updates or solves: %+v", sumA)
	}

	dir, err := train.Create(t.TempDir()+"/cut", cfg)
	if err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	_, err = Train(cctx, dir, cfg, func(p Progress) {
		if p.Episode == 2 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("stopped run: %v", err)
	}
	cfg.Workers = 1 // the target values do not depend on who solves them
	sumB, err := Train(ctx, dir, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sumB.Updates != sumA.Updates || sumB.Steps != sumA.Steps {
		t.Fatalf("resumed run: %d updates, %d steps; uninterrupted: %d, %d", sumB.Updates, sumB.Steps, sumA.Updates, sumA.Steps)
	}
	a, b := weightsOf(t, full.Join("policy.safetensors")), weightsOf(t, dir.Join("policy.safetensors"))
	for k := range a {
		if !slices.Equal(a[k], b[k]) {
			t.Fatalf("layer %s differs after resuming", k)
		}
	}
	rowsA, _ := full.ReadTrace()
	rowsB, _ := dir.ReadTrace()
	if len(rowsA) != len(rowsB) {
		t.Fatalf("trace: %d rows uninterrupted, %d resumed", len(rowsA), len(rowsB))
	}
	for i := range rowsA {
		if rowsA[i].Phase != rowsB[i].Phase || rowsA[i].Epoch != rowsB[i].Epoch || *orZero(rowsA[i].Return) != *orZero(rowsB[i].Return) {
			t.Fatalf("trace row %d: %+v vs %+v", i, rowsA[i], rowsB[i])
		}
	}
}

func orZero(p *float64) *float64 {
	if p == nil {
		return new(float64)
	}
	return p
}
