package main

import (
	"cmp"
	"errors"
	"strconv"
	"strings"

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

// sbFields names each strong-branching flag's bnb.Reliability field.
var sbFields = map[string]string{
	"MinReliable": "sb-min-reliable", "MaxReliable": "sb-max-reliable", "SBIterQuot": "sb-iter-quot",
	"SBIterOfs": "sb-iter-ofs", "Lookahead": "sb-lookahead", "IterLimit": "sb-iter-limit",
}

// reliabilityFromFlags is the strong-branching budget the flags set.
func reliabilityFromFlags(c *cli.Context) bnb.Reliability {
	return bnb.Reliability{
		MinReliable: c.Int("sb-min-reliable"), MaxReliable: c.Int("sb-max-reliable"),
		SBIterQuot: c.Float64("sb-iter-quot"), SBIterOfs: c.Int64("sb-iter-ofs"),
		Lookahead: c.Int("sb-lookahead"), IterLimit: c.Int("sb-iter-limit"),
	}
}

// checkReliabilityFlags refuses, before any work, a strong-branching flag
// without --bnb or with a value bnb.Reliability.Validate refuses, naming
// the flag.
func checkReliabilityFlags(c *cli.Context) error {
	set := sbFlagSet(c)
	if set == "" {
		return nil
	}
	if !c.Bool("bnb") {
		return usageErr("--%s goes with --bnb --branching relpscost", set)
	}
	r := reliabilityFromFlags(c)
	err := r.Validate()
	var ce *bnb.ConfigError
	if !errors.As(err, &ce) {
		return err
	}
	field := strings.TrimPrefix(ce.Field, "Reliability.")
	reason := ce.Reason
	for f, flag := range sbFields {
		reason = strings.ReplaceAll(reason, f, "--"+flag)
	}
	flag := cmp.Or(sbFields[field], set)
	return usageErr("--%s %v: %s", flag, c.Value(flag), reason)
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
	*r = reliabilityFromFlags(c)
	return nil
}
