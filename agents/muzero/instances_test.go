package muzero

import (
	"errors"
	"reflect"
	"testing"

	"github.com/corl-go/corl/datasets"
)

// WorkloadInstances of the program kind are SyntheticInstances'; with a
// mix, the odd-numbered instances get the second capacity fraction of their
// own peak live size and the even ones the first.
func TestWorkloadInstances(t *testing.T) {
	a, err := SyntheticInstances(3, 4, 20, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	b, err := WorkloadInstances("", 3, 4, 20, 0.5, 0)
	if err != nil || !reflect.DeepEqual(a, b) {
		t.Fatalf("the program kind differs from SyntheticInstances: %v", err)
	}
	insts, err := WorkloadInstances(datasets.WorkloadIntervals, 3, 6, 50, 0.5, 0.25)
	if err != nil {
		t.Fatal(err)
	}
	for i, in := range insts {
		frac := 0.5
		if i%2 == 1 {
			frac = 0.25
		}
		if want := int64(frac * float64(in.PeakLive())); in.Capacity != want || len(in.Buffers) != 50 {
			t.Errorf("instance %d: capacity %d, %d buffers; want %d (%v of the peak), 50", i, in.Capacity, len(in.Buffers), want, frac)
		}
		for _, x := range in.Buffers {
			if x.Uses != 2 || x.Benefit <= 0 {
				t.Fatalf("instance %d: buffer %+v", i, x)
			}
		}
	}
	var ce *ConfigError
	if _, err := WorkloadInstances("graphs", 3, 1, 20, 0.5, 0); !errors.As(err, &ce) || ce.Field != "workload" {
		t.Errorf("an unknown kind: %v", err)
	}
	if _, err := WorkloadInstances("", 3, 1, 20, 0.5, 1.5); !errors.As(err, &ce) || ce.Field != "capacity mix" {
		t.Errorf("a mix of 1.5: %v", err)
	}
}
