package policy

import (
	"fmt"
	"strings"
	"sync"

	"github.com/corl-go/corl/agents/qmip"
	"github.com/corl-go/corl/envs/bandits"
)

// BanditHelp lists the bandit policy names Bandit resolves.
var BanditHelp = strings.Join(bandits.PolicyNames(), ", ") + "; sequoia:PATH (a policy trained by 'corl train bandits')"

// banditKey names a loaded SEQUOIA policy: its file and how it selects.
type banditKey struct {
	path string
	sel  qmip.SelectConfig
}

var banditCache sync.Map // banditKey -> *qmip.Policy, the loaded prototype

// Bandit returns a fresh coupled-bandit policy by name: a baseline of
// bandits.NewPolicy, or sequoia:PATH, a SEQUOIA checkpoint (read once,
// then copied for each call, each copy with its own HiGHS instance)
// selecting actions with the default qmip.SelectConfig.
func Bandit(name string) (bandits.Policy, error) { return BanditSelect(name, qmip.SelectConfig{}) }

// BanditSelect is Bandit with sequoia:PATH policies selecting actions
// under sel (bound tightening, MIP start, gap, time limit); the baselines
// ignore it.
func BanditSelect(name string, sel qmip.SelectConfig) (bandits.Policy, error) {
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
	if err := sel.Validate(); err != nil {
		return nil, fmt.Errorf("bandit policy %s: %w", name, err)
	}
	key := banditKey{path, sel}
	if p, ok := banditCache.Load(key); ok {
		return p.(*qmip.Policy).Fresh(), nil
	}
	p, err := qmip.LoadPolicy(path, sel)
	if err != nil {
		return nil, fmt.Errorf("bandit policy: %w", err)
	}
	v, _ := banditCache.LoadOrStore(key, p)
	return v.(*qmip.Policy).Fresh(), nil
}
