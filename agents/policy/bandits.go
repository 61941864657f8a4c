package policy

import (
	"fmt"
	"strings"
	"sync"

	"github.com/corl-go/corl/agents/qmip"
	"github.com/corl-go/corl/envs/bandits"
)

// BanditHelp lists the bandit policy names Bandit resolves.
var BanditHelp = strings.Join(bandits.PolicyNames(), ", ") + "; sequoia:PATH (a policy trained by `corl train bandits`)"

var banditCache sync.Map // path -> *qmip.Policy, the loaded prototype

// Bandit returns a fresh coupled-bandit policy by name: a baseline of
// bandits.NewPolicy, or sequoia:PATH, a SEQUOIA checkpoint (read once,
// then copied for each call, each copy with its own HiGHS instance).
func Bandit(name string) (bandits.Policy, error) {
	kind, path, hasPath := strings.Cut(name, ":")
	if !strings.EqualFold(kind, "sequoia") {
		p, err := bandits.NewPolicy(name, bandits.PolicyConfig{})
		if err != nil {
			return nil, &NameError{"bandit", name, fmt.Sprintf("%v (or sequoia:PATH)", err)}
		}
		return p, nil
	}
	if !hasPath || path == "" {
		return nil, &NameError{"bandit", name, "give the checkpoint's path after sequoia:, e.g. sequoia:runs/cap/policy.safetensors"}
	}
	if p, ok := banditCache.Load(path); ok {
		return p.(*qmip.Policy).Fresh(), nil
	}
	p, err := qmip.LoadPolicy(path, qmip.SelectConfig{})
	if err != nil {
		return nil, fmt.Errorf("bandit policy: %w", err)
	}
	v, _ := banditCache.LoadOrStore(path, p)
	return v.(*qmip.Policy).Fresh(), nil
}
