package sharedtest_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/corl-go/corl/internal/refdata"
	"github.com/corl-go/corl/internal/sharedtest"
)

// With the shared directory switched off, the same data comes from the
// fetched sets in the user cache: fetched here from a mirror of the shared
// copies, into a temporary cache.
func TestFetchedSetsStandInForShared(t *testing.T) {
	want := sharedtest.Instances(t)
	mirror := sharedtest.Mirror(t)

	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir()) // the cache directory elsewhere than Linux
	t.Setenv("CORL_SHARED", "off")
	for _, s := range refdata.Sets {
		if _, err := refdata.Fetch(context.Background(), s, refdata.Options{BaseURL: mirror}); err != nil {
			t.Fatal(err)
		}
	}
	got := sharedtest.Instances(t)
	if len(got) != len(want) || len(got) != 27 {
		t.Fatalf("%d fetched instances, %d shared", len(got), len(want))
	}
	for i := range got {
		if got[i].Name != want[i].Name || got[i].Objective != want[i].Objective || filepath.Dir(got[i].File) == filepath.Dir(want[i].File) {
			t.Errorf("fetched %+v, shared %+v", got[i], want[i])
		}
		if _, err := os.Stat(got[i].File); err != nil {
			t.Error(err)
		}
	}
	if p := sharedtest.InstanceFile(t, "p0548.mps"); filepath.Dir(p) != filepath.Dir(got[0].File) {
		t.Errorf("InstanceFile %s", p)
	}
	csvs, _ := filepath.Glob(filepath.Join(sharedtest.MiniMalloc(t), "*.csv"))
	if len(csvs) != 9 {
		t.Errorf("%d MiniMalloc files", len(csvs))
	}
}
