package policy

import (
	"errors"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/corl-go/corl/agents/muzero"
	"github.com/corl-go/corl/envs/malloc"
	"github.com/corl-go/corl/nn"
)

// saveMallocNet writes a small muzero checkpoint trained, as its config
// says, in the game of the named offsets ("": a checkpoint from before
// the field, which reads as tops).
func saveMallocNet(t *testing.T, offsets string) string {
	t.Helper()
	net, err := muzero.NewNetwork(nn.CPU(), rand.New(rand.NewPCG(1, 2)),
		muzero.NetConfig{Obs: malloc.ObsSize, Actions: malloc.NumActions, Latent: 4, Hidden: 4, Layers: 1})
	if err != nil {
		t.Fatal(err)
	}
	net.Config.Offsets = offsets
	path := filepath.Join(t.TempDir(), "policy.safetensors")
	if err := nn.Save(path, net.Params(), muzero.Arch, net.Config); err != nil {
		t.Fatal(err)
	}
	return path
}

// A checkpoint plays the game it was trained in unless --offsets names
// one, and one trained in the other game is refused, naming both; mcts
// plays tops unless told otherwise.
func TestMallocOffsetsFollowTheCheckpoint(t *testing.T) {
	old, edges := saveMallocNet(t, ""), saveMallocNet(t, "edges")
	search := muzero.SearchConfig{Simulations: 2}
	for _, c := range []struct {
		name, offsets string
		want          malloc.Offsets
		refused       bool
	}{
		{"muzero:" + old, "", malloc.TopOffsets, false},
		{"muzero:" + old, "tops", malloc.TopOffsets, false},
		{"muzero:" + old, "edges", 0, true},
		{"muzero:" + edges, "", malloc.EdgeOffsets, false},
		{"muzero:" + edges, "edges", malloc.EdgeOffsets, false},
		{"muzero:" + edges, "tops", 0, true},
		{"mcts", "", malloc.TopOffsets, false},
		{"mcts", "edges", malloc.EdgeOffsets, false},
	} {
		p, err := Malloc(search, muzero.ModelLearned, 0, c.offsets)(c.name)
		if c.refused {
			var oe *OffsetsError
			if !errors.As(err, &oe) {
				t.Errorf("%s, offsets %q: err %v, want an OffsetsError", c.name, c.offsets, err)
				continue
			}
			if msg := err.Error(); !strings.Contains(msg, "tops game") || !strings.Contains(msg, "edges game") {
				t.Errorf("%s, offsets %q: %q does not name both games", c.name, c.offsets, msg)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s, offsets %q: %v", c.name, c.offsets, err)
			continue
		}
		if got := p.(*muzero.Policy).Game.Offsets; got != c.want {
			t.Errorf("%s, offsets %q: plays %v, want %v", c.name, c.offsets, got, c.want)
		}
	}
	if _, err := Malloc(search, muzero.ModelLearned, 0, "")("muzero:" + saveMallocNet(t, "bottoms")); !errors.Is(err, muzero.ErrCheckpoint) {
		t.Errorf("a checkpoint of unknown offsets: err %v, want ErrCheckpoint", err)
	}
}
