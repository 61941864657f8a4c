package policy

import (
	"fmt"
	"strings"
	"sync"

	"github.com/corl-go/corl/agents/muzero"
	"github.com/corl-go/corl/envs/malloc"
	"github.com/corl-go/corl/eval"
)

// MallocHelp lists the memory-mapping policy names Malloc resolves.
var MallocHelp = strings.Join(malloc.Baselines(), ", ") +
	"; muzero:PATH (a network trained by 'corl train malloc'); mcts (the search on the game itself with best-fit and first-fit rollouts, no network)"

var mallocCache sync.Map // path -> *muzero.Network

// Malloc returns eval.Malloc's NewPolicy for the learned memory-mapping
// policies: muzero:PATH, a network read once and played with search over
// model (muzero.ModelLearned or muzero.ModelTrue; with the latter, leaf
// values mix in best-fit rollouts with weight rollout, see
// muzero.Policy.Rollout), and mcts, the search on the game itself with
// best-fit and first-fit rollouts and no network. offsets names the
// canonical offsets they play (see malloc.Offsets; the baselines keep
// their own games): "" plays each checkpoint's own game (the one it was
// trained in) and tops for mcts; tops or edges plays that game, and a
// checkpoint trained in the other is refused, naming both.
func Malloc(search muzero.SearchConfig, model string, rollout float64, offsets string) func(name string) (eval.MallocPolicy, error) {
	return func(name string) (eval.MallocPolicy, error) {
		var asked malloc.Config
		if offsets != "" {
			o, err := malloc.ParseOffsets(offsets)
			if err != nil {
				return nil, fmt.Errorf("malloc policy %q: %w", name, err)
			}
			asked.Offsets = o
		}
		kind, path, hasPath := strings.Cut(name, ":")
		switch {
		case strings.EqualFold(name, "mcts"):
			return &muzero.Policy{Model: muzero.ModelTrue, Search: search, Game: asked}, nil
		case !strings.EqualFold(kind, "muzero"):
			return nil, &NameError{"malloc", name, "want " + MallocHelp}
		case !hasPath || path == "":
			return nil, &NameError{"malloc", name, "give the checkpoint's path after muzero:, e.g. muzero:runs/mz/policy.safetensors"}
		}
		n, ok := mallocCache.Load(path)
		if !ok {
			net, err := muzero.LoadNetwork(path)
			if err != nil {
				return nil, fmt.Errorf("malloc policy: %w", err)
			}
			n, _ = mallocCache.LoadOrStore(path, net)
		}
		net := n.(*muzero.Network)
		game := malloc.Config{Offsets: net.Offsets()}
		if offsets != "" && asked.Offsets != game.Offsets {
			return nil, &OffsetsError{Name: name, Trained: game.Offsets, Asked: asked.Offsets}
		}
		return &muzero.Policy{Net: net, Model: model, Search: search, Rollout: rollout, Game: game}, nil
	}
}

// OffsetsError is a checkpoint asked to play a game of other canonical
// offsets than the one it was trained in.
type OffsetsError struct {
	Name           string // the policy, muzero:PATH
	Trained, Asked malloc.Offsets
}

func (e *OffsetsError) Error() string {
	return fmt.Sprintf("policy: malloc policy %q was trained in the %s game, not the %s game that --offsets %s asks for (leave --offsets out to play the checkpoint's game)",
		e.Name, e.Trained, e.Asked, e.Asked)
}
