package datasets_test

import (
	"math"
	"testing"

	"github.com/corl-go/corl/datasets"
)

// TestKnapsackIsThePublishedScheme reads the published multiple-knapsack
// scheme (REFERENCES: Fukunaga's weakly correlated items) back from the
// generated models at every size: shapes, weights in [10, 20) (hard: [10,
// 30)), profits in [max(w-R, 1), w+R) with R the weight range's width, the
// first K-1 capacities in [0.4 W/K, 0.6 W/K) and all of them summing to
// half the total weight W.
func TestKnapsackIsThePublishedScheme(t *testing.T) {
	f, _ := datasets.Lookup("knapsack")
	for _, c := range []struct {
		size               datasets.Size
		items, knapsacks   int
		minW, maxW, spread int
	}{
		{datasets.Easy, 100, 6, 10, 19, 10},
		{datasets.Medium, 150, 8, 10, 19, 10},
		{datasets.Hard, 200, 10, 10, 29, 20},
	} {
		for seed := range uint64(5) {
			m, _, err := f.Generate(c.size, seed, nil)
			if err != nil {
				t.Fatal(err)
			}
			if m.NumCols() != c.items*c.knapsacks || m.NumRows() != c.items+c.knapsacks {
				t.Fatalf("%s: %d columns, %d rows", c.size, m.NumCols(), m.NumRows())
			}
			// Column i*K+k is item i in knapsack k; capacity rows come last.
			total := 0.0
			weight := make([]float64, c.items)
			for j := range m.NumCols() {
				i := j / c.knapsacks
				w := m.Value[m.Start[j+1]-1] // the capacity row's entry
				if w < float64(c.minW) || w > float64(c.maxW) || w != math.Trunc(w) {
					t.Fatalf("%s seed %d: item %d weight %v", c.size, seed, i, w)
				}
				p := m.Cost[j]
				if lo, hi := math.Max(w-float64(c.spread), 1), w+float64(c.spread); p < lo || p >= hi || p != math.Trunc(p) {
					t.Fatalf("%s seed %d: item %d weight %v profit %v, want [%v, %v)", c.size, seed, i, w, p, lo, hi)
				}
				if j%c.knapsacks == 0 {
					weight[i] = w
					total += w
				} else if weight[i] != w {
					t.Fatalf("item %d weighs %v and %v", i, weight[i], w)
				}
			}
			sum := 0.0
			K := float64(c.knapsacks)
			for k := range c.knapsacks {
				cp := m.RowUpper[c.items+k]
				sum += cp
				if k < c.knapsacks-1 && (cp < math.Floor(0.4*total/K) || cp >= math.Floor(0.6*total/K)) {
					t.Errorf("%s seed %d: capacity %d = %v outside [0.4, 0.6) W/K (W=%v)", c.size, seed, k, cp, total)
				}
			}
			if sum != math.Floor(total/2) {
				t.Errorf("%s seed %d: capacities sum to %v, W/2 = %v", c.size, seed, sum, total/2)
			}
		}
	}
}
