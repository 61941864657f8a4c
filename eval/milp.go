package eval

import (
	"context"
	"fmt"
	"io"
	"math"
	"text/tabwriter"
	"time"

	"github.com/corl-go/corl/solver"
	"github.com/corl-go/corl/solver/bnb"
	"github.com/corl-go/corl/solver/highs"
	"github.com/corl-go/corl/trace"
)

// HiGHS is the policy name of HiGHS's own branch-and-cut in a MILP
// evaluation.
const HiGHS = "highs"

// BrancherFactory makes a fresh brancher for each search (a learned
// policy's brancher keeps per-search state).
type BrancherFactory func() (bnb.Brancher, error)

// Resolver turns a branching policy's name into a BrancherFactory. The
// caller supplies it, so learned policies come in without this package
// knowing them; nil resolves bnb.NewRule's rule names only.
type Resolver func(name string, seed uint64) (BrancherFactory, error)

// RuleResolver resolves bnb.NewRule's rule names.
func RuleResolver(name string, seed uint64) (BrancherFactory, error) {
	if _, err := bnb.NewRule(name, seed); err != nil {
		return nil, err
	}
	return func() (bnb.Brancher, error) { return bnb.NewRule(name, seed) }, nil
}

// MILP evaluates branching policies (corl's branch-and-bound with the
// policy choosing the branching column) and HiGHS's own MIP solver (the
// policy named HiGHS) on MILP instances. The zero value runs the default
// HiGHS engine without limits.
type MILP struct {
	Engine    string     // HiGHS runtime (see highs.Config)
	TimeLimit float64    // per run, seconds (0: none)
	BnB       bnb.Config // its Observe is set per run when Steps
	Resolve   Resolver   // nil: RuleResolver
	Steps     bool       // record one trace.Step per branching decision
	Run       string     // the Run column of the rows
	// GapLimit, when above 0, ends every run at this relative gap: corl's
	// search as BnB.GapLimit and HiGHS's MIP as its mip_rel_gap; either
	// stop with a gap still open is status gap_limit, counted as solved
	// but not as a proved optimum. At 0 (the default) corl's search
	// proves optimality and HiGHS keeps its own default, mip_rel_gap
	// 1e-4, with which it reports optimal.
	GapLimit float64
	// GapStopOnly has GapLimit only stop corl's search (bnb.Config's
	// GapStopOnly): by default it also prunes the nodes within the gap, as
	// HiGHS's MIP does.
	GapStopOnly bool
}

// Validate checks the configuration.
func (c MILP) Validate() error {
	if !(c.TimeLimit >= 0) || math.IsInf(c.TimeLimit, 1) {
		return &ConfigError{"MILP.TimeLimit", c.TimeLimit, "a number of seconds >= 0 (0: none)"}
	}
	if !(c.GapLimit >= 0 && c.GapLimit < 1) {
		return &ConfigError{"MILP.GapLimit", c.GapLimit, "a relative gap in [0, 1) (0: none)"}
	}
	return c.BnB.Validate()
}

// Check validates the configuration and resolves every policy name once,
// so a bad name or a checkpoint that does not load fails before any run.
func (c MILP) Check(policies []string, seed uint64) error {
	if err := c.Validate(); err != nil {
		return err
	}
	for _, p := range policies {
		if p == HiGHS {
			continue
		}
		if _, err := c.resolver()(p, seed); err != nil {
			return err
		}
	}
	return nil
}

func (c MILP) resolver() Resolver {
	if c.Resolve == nil {
		return RuleResolver
	}
	return c.Resolve
}

// Solve runs job's policy on m, a pure function of (policy, m, seed) up
// to wall times. A time limit reached is a status (time_limit), not an
// error.
func (c MILP) Solve(ctx context.Context, m *solver.Model, j Job) (Outcome, error) {
	if c.TimeLimit > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(c.TimeLimit*float64(time.Second)))
		defer cancel()
	}
	row := trace.Result{Run: c.Run, Env: "milp", Instance: j.Instance, Policy: j.Policy, Seed: int64(j.Seed)}
	if j.Policy == HiGHS {
		return c.solveHiGHS(ctx, m, row)
	}
	newRule, err := c.resolver()(j.Policy, j.Seed)
	if err != nil {
		return Outcome{}, err
	}
	rule, err := newRule()
	if err != nil {
		return Outcome{}, err
	}
	lp, err := highs.New(highs.Config{Runtime: c.Engine})
	if err != nil {
		return Outcome{}, err
	}
	defer lp.Close()
	var steps []trace.Step
	cfg := c.BnB
	if c.GapLimit > 0 {
		cfg.GapLimit, cfg.GapStopOnly = c.GapLimit, c.GapStopOnly
	}
	if c.Steps {
		cfg.Observe = func(e bnb.Decided) error {
			steps = append(steps, DecisionStep(e, c.Run, j))
			return nil
		}
	}
	res, err := bnb.Solve(ctx, lp, m, rule, cfg)
	if err != nil {
		return Outcome{}, err
	}
	row.Status, row.Nodes, row.LPIterations, row.Seconds = res.Status.String(), res.Stats.Nodes, res.Stats.LPIterations, res.Stats.Time.Seconds()
	row.Objective, row.DualBound, row.Gap = finiteOrNaN(res.Objective), res.Stats.DualBound, res.Stats.Gap
	return Outcome{Result: row, Steps: steps}, nil
}

// DecisionStep is the trace row of one branching decision: the reward is
// the number of nodes the decision's subtree added before the next
// decision (a cost), the action the column branched on.
func DecisionStep(e bnb.Decided, run string, j Job) trace.Step {
	h := e.After.HeuristicTotal()
	return trace.Step{
		Run: run, Env: "milp", Policy: j.Policy, Instance: j.Instance, Episode: j.Episode,
		Step: e.Step, Action: int64(e.Column), Reward: float64(e.After.Nodes - e.Before.Nodes), Done: e.Done,
		Seconds: (e.After.Time - e.Before.Time).Seconds(), Nodes: trace.Int(e.After.Nodes), LPIterations: trace.Int(e.After.LPIterations),
		Node: trace.Int(e.Node.ID), Depth: trace.Int(int64(e.Node.Depth)), Candidates: trace.Int(int64(e.Candidates)),
		HeuristicIncumbents: trace.Int(int64(e.After.HeuristicIncumbents)), HeuristicLPIterations: trace.Int(h.LPIterations),
		HeuristicSeconds: trace.Float(h.Time.Seconds()),
		Cuts:             trace.Int(e.After.Cuts.Total()), CutLPIterations: trace.Int(e.After.Cuts.LPIterations),
		OpenNodeBytes: trace.Int(e.After.OpenNodeBytes),
	}
}

func (c MILP) solveHiGHS(ctx context.Context, m *solver.Model, row trace.Result) (Outcome, error) {
	s, err := highs.New(highs.Config{Runtime: c.Engine})
	if err != nil {
		return Outcome{}, err
	}
	defer s.Close()
	if err := s.Load(m); err != nil {
		return Outcome{}, err
	}
	if c.GapLimit > 0 {
		if err := s.SetDoubleOption("mip_rel_gap", c.GapLimit); err != nil {
			return Outcome{}, err
		}
	}
	start := time.Now()
	st, err := s.Solve(ctx)
	if err != nil && st != solver.StatusTimeLimit {
		return Outcome{}, err
	}
	row.Seconds = time.Since(start).Seconds()
	row.Status = st.String()
	row.Objective, row.DualBound, row.Gap = math.NaN(), math.NaN(), math.NaN()
	feasible, err := s.IntInfo("primal_solution_status")
	if err != nil {
		return Outcome{}, err
	}
	if feasible == 2 { // kHighsSolutionStatusFeasible
		obj, err := s.Objective()
		if err != nil {
			return Outcome{}, err
		}
		row.Objective = finiteOrNaN(obj)
		gap, _ := s.MIPGap()
		row.Gap = finiteOrNaN(gap)
	}
	if st == solver.StatusOptimal && c.GapLimit > 0 && row.Gap > 0 {
		// HiGHS calls a stop at mip_rel_gap optimal; with a gap left
		// open under an asked-for limit it is corl's gap_limit, not a
		// proof, or its objective would be checked against proved optima.
		row.Status = solver.StatusGapLimit.String()
	}
	db, _ := s.MIPDualBound()
	row.DualBound = finiteOrNaN(db)
	row.Nodes, _ = s.MIPNodes()
	it, _ := s.SimplexIterations() // every node LP's, after a MIP solve
	row.LPIterations = int64(it)
	return Outcome{Result: row}, nil
}

func finiteOrNaN(v float64) float64 {
	if math.IsInf(v, 0) {
		return math.NaN()
	}
	return v
}

// MILPRow is one policy's line of the MILP table.
type MILPRow struct {
	Policy    string  `json:"policy"`
	Solved    int     `json:"solved"`
	Instances int     `json:"instances"`
	TimeSGM   float64 `json:"time_sgm_seconds"`
	NodesSGM  float64 `json:"nodes_sgm"`
	Wins      int     `json:"wins"`
	TotalTime float64 `json:"total_seconds"`
	Disagree  int     `json:"disagreements"` // instances whose proved optimum differs from the first policy's that proved one
}

// SummarizeMILP makes the table of results, given per instance and per
// policy in the order of policies. Times and nodes are 1-shifted
// geometric means over all instances (unsolved ones at their limit);
// wins count the instances a policy solved fastest, ties winning for each.
func SummarizeMILP(policies []string, results [][]trace.Result) []MILPRow {
	rows := make([]MILPRow, len(policies))
	times := make([][]float64, len(policies))
	nodes := make([][]float64, len(policies))
	for p, name := range policies {
		rows[p].Policy = name
	}
	for _, inst := range results {
		secs := make([]float64, len(inst))
		objs := make([]float64, len(inst))
		solved := make([]bool, len(inst))
		optimal := make([]bool, len(inst))
		for p, r := range inst {
			rows[p].Instances++
			rows[p].TotalTime += r.Seconds
			times[p] = append(times[p], r.Seconds)
			nodes[p] = append(nodes[p], float64(r.Nodes))
			secs[p], objs[p], solved[p], optimal[p] = r.Seconds, r.Objective, r.Solved(), r.Status == "optimal"
			if solved[p] {
				rows[p].Solved++
			}
		}
		for _, p := range Winners(secs, solved) {
			rows[p].Wins++
		}
		for p, d := range Disagreements(objs, optimal) {
			if d {
				rows[p].Disagree++
			}
		}
	}
	for p := range rows {
		rows[p].TimeSGM = ShiftedGeoMean(times[p], 1)
		rows[p].NodesSGM = ShiftedGeoMean(nodes[p], 1)
	}
	return rows
}

// Group cuts results given in job order into consecutive groups of n:
// per instance for InstanceJobs (n policies), per policy for BanditJobs (n
// episodes).
func Group(results []trace.Result, n int) [][]trace.Result {
	var out [][]trace.Result
	for i := 0; n > 0 && i+n <= len(results); i += n {
		out = append(out, results[i:i+n])
	}
	return out
}

// InstanceJobs lists the jobs of a MILP or malloc evaluation, instance-major: for each
// instance, each policy, under one seed.
func InstanceJobs(instances, policies []string, seed uint64) []Job {
	jobs := make([]Job, 0, len(instances)*len(policies))
	for i, inst := range instances {
		for _, p := range policies {
			jobs = append(jobs, Job{Instance: inst, Policy: p, Seed: seed, Episode: int64(i)})
		}
	}
	return jobs
}

// PrintMILP writes the table for n instances.
func PrintMILP(w io.Writer, rows []MILPRow, n int) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "policy\tsolved\ttime sgm (s)\tnodes sgm\twins\ttotal time (s)\t")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%d/%d\t%.3f\t%.1f\t%d\t%.2f\t\n", r.Policy, r.Solved, n, r.TimeSGM, r.NodesSGM, r.Wins, r.TotalTime)
	}
	tw.Flush()
	for _, r := range rows {
		if r.Disagree > 0 {
			fmt.Fprintf(w, "warning: %s's optimum differs from the other policies' on %d instances\n", r.Policy, r.Disagree)
		}
	}
	fmt.Fprintln(w, "sgm: 1-shifted geometric mean over all instances (unsolved ones at their limit); wins: fastest to a proof, ties win for each; highs nodes are HiGHS's own B&C nodes")
}
