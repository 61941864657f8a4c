package eval

import (
	"context"

	"github.com/corl-go/corl/trace"
)

// Job is one evaluation run: a policy on an instance under a seed. Its
// result is a trace.Result with the same Instance, Policy and Seed; its
// per-decision rows, if any, are trace.Steps with the same Instance,
// Policy and Episode.
type Job struct {
	Instance string
	Policy   string
	Seed     uint64
	// Episode numbers the job's trace rows: the instance's index in its
	// set (milp, malloc) or the episode's (bandits).
	Episode int64
}

// key identifies a finished run among results.
type key struct {
	instance, policy string
	seed             int64
}

// stepKey identifies a run among trace rows.
type stepKey struct {
	instance, policy string
	episode          int64
}

func (j Job) key() key         { return key{j.Instance, j.Policy, int64(j.Seed)} }
func (j Job) stepKey() stepKey { return stepKey{j.Instance, j.Policy, j.Episode} }

func resultKey(r trace.Result) key { return key{r.Instance, r.Policy, r.Seed} }
func stepKeyOf(s trace.Step) stepKey {
	return stepKey{s.Instance, s.Policy, s.Episode}
}

// Outcome is what one run produced.
type Outcome struct {
	Result trace.Result
	Steps  []trace.Step // per decision, when asked for
}

// Func runs one job. It must depend only on the job (and what it closes
// over that does not change), so that runs can be repeated, resumed and
// spread over workers or machines with the same results.
type Func func(ctx context.Context, j Job) (Outcome, error)
