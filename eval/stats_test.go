package eval

import (
	"math"
	"slices"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-12*math.Max(1, math.Abs(b)) }

// Hand-computed: sgm(0, 3; 1) = sqrt(1*4) - 1 = 1; sgm(1, 7, 31; 1) =
// cbrt(2*8*32) - 1 = 8 - 1 = 7; sgm(9; 1) = 9; sgm(2, 8; 0) = 4;
// sgm(0, 0; 10) = 0.
func TestShiftedGeoMean(t *testing.T) {
	for _, c := range []struct {
		xs   []float64
		s    float64
		want float64
	}{
		{[]float64{0, 3}, 1, 1},
		{[]float64{1, 7, 31}, 1, 7},
		{[]float64{9}, 1, 9},
		{[]float64{2, 8}, 0, 4},
		{[]float64{0, 0}, 10, 0},
		{[]float64{99, 0, 3}, 1, math.Cbrt(100*1*4) - 1},
	} {
		if g := ShiftedGeoMean(c.xs, c.s); !near(g, c.want) {
			t.Errorf("sgm(%v; %v) = %v, want %v", c.xs, c.s, g, c.want)
		}
	}
	for _, xs := range [][]float64{nil, {1, math.NaN()}, {-2, 3}} {
		if g := ShiftedGeoMean(xs, 1); !math.IsNaN(g) {
			t.Errorf("sgm(%v; 1) = %v, want NaN", xs, g)
		}
	}
}

// Hand-computed: 2, 4: mean 3, sd sqrt(2), half-width 1.96 sqrt(2)/sqrt(2)
// = 1.96. 1, 2, 3, 4: mean 2.5, variance 5/3, half 1.96 sqrt(5/3)/2.
func TestMeanCI(t *testing.T) {
	if m, h := MeanCI([]float64{2, 4}); !near(m, 3) || !near(h, 1.96) {
		t.Errorf("MeanCI(2, 4) = %v ± %v, want 3 ± 1.96", m, h)
	}
	if m, h := MeanCI([]float64{1, 2, 3, 4}); !near(m, 2.5) || !near(h, 1.96*math.Sqrt(5.0/3)/2) {
		t.Errorf("MeanCI(1..4) = %v ± %v", m, h)
	}
	if m, h := MeanCI([]float64{5, 5, 5}); m != 5 || h != 0 {
		t.Errorf("MeanCI(5, 5, 5) = %v ± %v, want 5 ± 0", m, h)
	}
	if m, h := MeanCI([]float64{7}); m != 7 || !math.IsNaN(h) {
		t.Errorf("MeanCI(7) = %v ± %v, want 7 ± NaN", m, h)
	}
	if m, h := MeanCI(nil); !math.IsNaN(m) || !math.IsNaN(h) {
		t.Errorf("MeanCI() = %v ± %v, want NaN", m, h)
	}
	if m, _ := MeanCI([]float64{1, math.NaN()}); !math.IsNaN(m) {
		t.Errorf("a NaN value gives mean %v", m)
	}
}

func TestWinners(t *testing.T) {
	for _, c := range []struct {
		times  []float64
		solved []bool
		want   []int
	}{
		{[]float64{3, 1, 2}, []bool{true, true, true}, []int{1}},
		{[]float64{3, 1, 2}, []bool{true, false, true}, []int{2}},            // unsolved never wins
		{[]float64{2, 1, 2, 1}, []bool{true, true, true, true}, []int{1, 3}}, // a tie wins for each
		{[]float64{1, 1}, []bool{false, false}, nil},
		{[]float64{math.NaN(), 4}, []bool{true, true}, []int{1}},
	} {
		if got := Winners(c.times, c.solved); !slices.Equal(got, c.want) {
			t.Errorf("Winners(%v, %v) = %v, want %v", c.times, c.solved, got, c.want)
		}
	}
}

func TestDisagreements(t *testing.T) {
	for _, c := range []struct {
		objs    []float64
		optimal []bool
		want    []bool
	}{
		{[]float64{10, 10 + 1e-9, 10}, []bool{true, true, true}, []bool{false, false, false}},
		{[]float64{10, 11, 10}, []bool{true, true, true}, []bool{false, true, false}},
		{[]float64{12, 10, 11}, []bool{false, true, true}, []bool{false, false, true}},              // the reference is the first proved
		{[]float64{1e9, 1e9 + 1, 1e9 + 2000}, []bool{true, true, true}, []bool{false, false, true}}, // relative tolerance
		{[]float64{math.NaN(), 5, math.NaN()}, []bool{true, true, false}, []bool{true, false, false}},
		{[]float64{1, 2}, []bool{false, false}, []bool{false, false}},
	} {
		if got := Disagreements(c.objs, c.optimal); !slices.Equal(got, c.want) {
			t.Errorf("Disagreements(%v, %v) = %v, want %v", c.objs, c.optimal, got, c.want)
		}
	}
}
