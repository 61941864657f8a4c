// Package policy resolves the names of branching policies, rules and
// learned ones alike, for the commands that evaluate them: a rule name of
// bnb.NewRule (mostfrac, pscost, fsb, relpscost, random), "gnn" for the
// shipped set-cover policy, or "gnn:PATH" for a checkpoint written by
// `corl train milp`.
package policy
