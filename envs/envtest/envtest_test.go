package envtest_test

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/corl-go/corl/envs"
	"github.com/corl-go/corl/envs/envtest"
)

// walk is a small environment for the suite's own test: from position 0,
// each step moves by the action (1 or 2) and earns it as reward; the
// episode ends on reaching 6 or more. The observation is the path so far.
// Position 4 refuses 2 (it would jump over the goal's gate); -1 is never
// legal. A bug name makes it wrong in one way.
type walk struct {
	bug    string
	reset  bool
	pos    int
	path   []int
	earned float64
	resets int
}

type walkObs struct{ Path []int }

var (
	_ envs.Env[walkObs, int] = (*walk)(nil)
	_ envs.Legal[int]        = (*walk)(nil)
	_ envs.Metered           = (*walk)(nil)
)

func (w *walk) Reset(uint64) (walkObs, error) {
	w.reset, w.pos, w.earned = true, 0, 0
	w.resets++
	if w.bug != "reset-keeps-path" {
		w.path = nil
	}
	return w.obs(), nil
}

func (w *walk) obs() walkObs { return walkObs{Path: append([]int(nil), w.path...)} }

func (w *walk) done() bool { return w.pos >= 6 }

func (w *walk) Legal() []int {
	switch {
	case w.done():
		return nil
	case w.pos == 4:
		return []int{1}
	}
	return []int{1, 2}
}

func (w *walk) Step(a int) (envs.Step[walkObs], error) {
	var st envs.Step[walkObs]
	switch {
	case !w.reset:
		return st, envs.ErrNotReset
	case w.done() && w.bug != "steps-after-end":
		return st, envs.ErrEpisodeOver
	case a != 1 && (a != 2 || w.pos == 4):
		return st, &envs.IllegalActionError{Action: a, Reason: "not 1 or 2"}
	}
	w.pos += a
	w.path = append(w.path, w.pos)
	st.Reward = float64(a)
	if w.bug == "reward-drifts" && w.resets > 1 {
		st.Reward += 0.5
	}
	w.earned += st.Reward
	st.Obs, st.Terminated = w.obs(), w.done()
	return st, nil
}

func (w *walk) RewardOffset() float64 { return 0 }
func (w *walk) Metric() float64       { return w.earned }

func walkConfig(bug string, maxSteps int) envtest.Config[walkObs, int] {
	return envtest.Config[walkObs, int]{
		New: func() envs.Env[walkObs, int] { return &walk{bug: bug} },
		Illegal: func(_ walkObs, legal []int) (int, bool) {
			if len(legal) == 1 {
				return 2, true
			}
			return -1, true
		},
		DeterministicReward: true,
		MaxSteps:            maxSteps,
	}
}

// TestSuitePasses runs the suite on the correct environment.
func TestSuitePasses(t *testing.T) { envtest.Run(t, walkConfig("", 0)) }

// TestWrongEnv is the suite on a wrong environment, run as a child
// process by TestSuiteCatches (which expects it to fail).
func TestWrongEnv(t *testing.T) {
	bug := os.Getenv("CORL_ENVTEST_BUG")
	if bug == "" {
		t.Skip("run by TestSuiteCatches with CORL_ENVTEST_BUG set")
	}
	maxSteps := 0
	if bug == "long-episode" {
		maxSteps = 2 // shorter than any episode
	}
	envtest.Run(t, walkConfig(bug, maxSteps))
}

// TestSuiteCatches runs the suite on environments with one bug each (in a
// child process, since the suite fails its test) and checks that the named
// subtest fails with the expected message.
func TestSuiteCatches(t *testing.T) {
	for _, c := range []struct{ bug, subtest, msg string }{
		// Same step count, different observations after Reset.
		{"reset-keeps-path", "ResetAfterEnd", "Reset gives a different observation"},
		// Same trajectory, different rewards after Reset.
		{"reward-drifts", "ResetAfterEnd", "reward"},
		{"steps-after-end", "ResetAfterEnd", "want ErrEpisodeOver"},
		// The suite's MaxSteps cuts every episode: the checks after the end
		// cannot run, which must fail rather than pass unseen.
		{"long-episode", "ResetAfterEnd", "did not end within MaxSteps"},
	} {
		t.Run(c.bug, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestWrongEnv$", "-test.v")
			cmd.Env = append(os.Environ(), "CORL_ENVTEST_BUG="+c.bug)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("the suite passed an environment with bug %s:\n%s", c.bug, out)
			}
			fail := fmt.Sprintf("--- FAIL: TestWrongEnv/%s", c.subtest)
			if !strings.Contains(string(out), fail) || !strings.Contains(string(out), c.msg) {
				t.Errorf("bug %s: want %q with %q in:\n%s", c.bug, fail, c.msg, out)
			}
		})
	}
}
