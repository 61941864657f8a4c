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
// best-fit and first-fit rollouts and no network; both play game (its
// Offsets: the canonical offsets; the baselines keep their own games).
func Malloc(search muzero.SearchConfig, model string, rollout float64, game malloc.Config) func(name string) (eval.MallocPolicy, error) {
	return func(name string) (eval.MallocPolicy, error) {
		kind, path, hasPath := strings.Cut(name, ":")
		switch {
		case strings.EqualFold(name, "mcts"):
			return &muzero.Policy{Model: muzero.ModelTrue, Search: search, Game: game}, nil
		case !strings.EqualFold(kind, "muzero"):
			return nil, &NameError{"malloc", name, "want " + MallocHelp}
		case !hasPath || path == "":
			return nil, &NameError{"malloc", name, "give the checkpoint's path after muzero:, e.g. muzero:runs/mz/policy.safetensors"}
		}
		if n, ok := mallocCache.Load(path); ok {
			return &muzero.Policy{Net: n.(*muzero.Network), Model: model, Search: search, Rollout: rollout, Game: game}, nil
		}
		net, err := muzero.LoadNetwork(path)
		if err != nil {
			return nil, fmt.Errorf("malloc policy: %w", err)
		}
		v, _ := mallocCache.LoadOrStore(path, net)
		return &muzero.Policy{Net: v.(*muzero.Network), Model: model, Search: search, Rollout: rollout, Game: game}, nil
	}
}
