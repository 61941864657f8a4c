package main

import (
	"strconv"

	"github.com/urfave/cli/v2"

	"github.com/corl-go/corl/solver/bnb"
)

// The flags of relpscost's strong-branching budget (bnb.Reliability); 0
// keeps each default.
func reliabilityFlags() []cli.Flag {
	return []cli.Flag{
		&cli.IntFlag{Name: "sb-min-reliable", Usage: "with --branching relpscost: the reliability threshold's floor, reached as the strong-branching budget runs out (0: " +
			strconv.Itoa(bnb.DefaultMinReliable) + ")"},
		&cli.IntFlag{Name: "sb-max-reliable", Usage: "with --branching relpscost: pseudocost observations per direction that make a candidate reliable while the budget is unspent (0: " +
			strconv.Itoa(bnb.DefaultMaxReliable) + "); equal to --sb-min-reliable fixes the threshold"},
		&cli.Float64Flag{Name: "sb-iter-quot", Usage: "with --branching relpscost: strong branching's budget outside the root, as a share of the node LPs' simplex iterations (0: " +
			strconv.FormatFloat(bnb.DefaultSBIterQuot, 'g', -1, 64) + "; Inf: no budget)"},
		&cli.Int64Flag{Name: "sb-iter-ofs", Usage: "with --branching relpscost: the budget's fixed allowance of simplex iterations (0: " +
			strconv.Itoa(bnb.DefaultSBIterOfs) + ")"},
		&cli.IntFlag{Name: "sb-lookahead", Usage: "with --branching relpscost: stop strong branching at a node after this many candidates in a row that do not improve the best score (0: " +
			strconv.Itoa(bnb.DefaultLookahead) + ")"},
		&cli.IntFlag{Name: "sb-iter-limit", Usage: "with --branching relpscost: simplex iterations per strong-branching child LP (0: twice the node LPs' average, within 10 to 500)"},
	}
}

// sbFlagSet returns the name of a strong-branching flag that is set, or "".
func sbFlagSet(c *cli.Context) string {
	for _, f := range reliabilityFlags() {
		if name := f.Names()[0]; c.IsSet(name) {
			return name
		}
	}
	return ""
}

// checkReliabilityFlags refuses, before any work, a strong-branching flag
// without --bnb or with a bad value, naming the flag.
func checkReliabilityFlags(c *cli.Context) error {
	set := sbFlagSet(c)
	if set == "" {
		return nil
	}
	if !c.Bool("bnb") {
		return usageErr("--%s goes with --bnb --branching relpscost", set)
	}
	for _, f := range []struct {
		name string
		v    int64
	}{
		{"sb-min-reliable", int64(c.Int("sb-min-reliable"))}, {"sb-max-reliable", int64(c.Int("sb-max-reliable"))},
		{"sb-iter-ofs", c.Int64("sb-iter-ofs")}, {"sb-lookahead", int64(c.Int("sb-lookahead"))}, {"sb-iter-limit", int64(c.Int("sb-iter-limit"))},
	} {
		if f.v < 0 {
			return usageErr("--%s %d: want 0 (the default) or more", f.name, f.v)
		}
	}
	if q := c.Float64("sb-iter-quot"); !(q >= 0) {
		return usageErr("--sb-iter-quot %v: want a share of 0 (the default) or more, or Inf", q)
	}
	if lo, hi := max(c.Int("sb-min-reliable"), bnb.DefaultMinReliable), c.Int("sb-max-reliable"); hi > 0 && hi < lo {
		return usageErr("--sb-max-reliable %d is below --sb-min-reliable %d", hi, lo)
	}
	return nil
}

// applyReliabilityFlags sets rule's strong-branching budget from the
// flags checked by checkReliabilityFlags; with a rule other than
// relpscost they are refused.
func applyReliabilityFlags(c *cli.Context, rule bnb.Brancher) error {
	set := sbFlagSet(c)
	if set == "" {
		return nil
	}
	r, ok := rule.(*bnb.Reliability)
	if !ok {
		return usageErr("--%s applies to --branching relpscost only, not %s", set, c.String("branching"))
	}
	r.MinReliable, r.MaxReliable = c.Int("sb-min-reliable"), c.Int("sb-max-reliable")
	r.SBIterQuot, r.SBIterOfs = c.Float64("sb-iter-quot"), c.Int64("sb-iter-ofs")
	r.Lookahead, r.IterLimit = c.Int("sb-lookahead"), c.Int("sb-iter-limit")
	if err := r.Validate(); err != nil {
		return usageErr("--%s: %v", set, err)
	}
	return nil
}
