package plot

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/corl-go/corl/trace"
)

// syntheticTrain is a training trace of an imitation run: train and
// valid phases over epochs, with accuracies, and an eval phase with returns.
func syntheticTrain(epochs int) []trace.Train {
	rng := rand.New(rand.NewPCG(1, 2))
	var rows []trace.Train
	for e := range epochs {
		for _, phase := range []string{"train", "valid"} {
			loss := 2.5*math.Exp(-float64(e)/6) + 0.3 + 0.05*rng.Float64()
			if phase == "valid" {
				loss += 0.1 + 0.01*float64(e)
			}
			t1 := 0.8 * (1 - math.Exp(-float64(e)/5))
			t5 := math.Min(1, t1+0.15+0.02*rng.Float64())
			rows = append(rows, trace.Train{Run: "run-1", Agent: "revibranch", Phase: phase, Epoch: int64(e), Step: int64(100 * (e + 1)),
				Samples: int64(3200 * (e + 1)), Loss: loss, LR: 1e-3, Top1: trace.Float(t1), Top5: trace.Float(t5)})
		}
		if e%3 == 2 {
			rows = append(rows, trace.Train{Run: "run-1", Agent: "revibranch", Phase: "eval", Epoch: int64(e), Step: int64(100 * (e + 1)),
				Loss: math.NaN(), Return: trace.Float(-200 + 8*float64(e) + 5*rng.Float64())})
		}
	}
	return rows
}

// syntheticResults is an evaluation of four policies on n instances,
// with a time limit of 60 s.
func syntheticResults(n int) []trace.Result {
	rng := rand.New(rand.NewPCG(3, 4))
	policies := []struct {
		name           string
		speed, nodeMul float64
	}{{"relpscost", 1, 1}, {"pscost", 1.6, 2.2}, {"mostfrac", 3, 6}, {"gnn:runs/revibranch-setcover/checkpoints/last.safetensors", 0.9, 1.3}}
	var rows []trace.Result
	for k := range n {
		hard := math.Exp(3 * rng.Float64())
		for _, p := range policies {
			nodes := math.Ceil(hard * 40 * p.nodeMul * (0.7 + 0.6*rng.Float64()))
			secs := hard * 0.05 * p.speed * nodes / 40 * (0.8 + 0.4*rng.Float64())
			st := "optimal"
			if secs > 60 {
				st, secs = "time_limit", 60
			}
			rows = append(rows, trace.Result{Run: "eval-1", Env: "milp", Instance: fmt.Sprintf("setcover-%04d.mps.gz", k), Policy: p.name,
				Status: st, Nodes: int64(nodes), Seconds: secs, Objective: 100})
		}
	}
	return rows
}
