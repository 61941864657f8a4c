package bnb

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
)

// NodeSelection is the order in which open nodes are processed.
type NodeSelection int

const (
	BestFirst    NodeSelection = iota // best bound, with plunging (default)
	DepthFirst                        // last created child first
	BestEstimate                      // best pseudocost estimate, with plunging
)

func (s NodeSelection) String() string {
	switch s {
	case DepthFirst:
		return "dfs"
	case BestEstimate:
		return "estimate"
	}
	return "best"
}

// ParseNodeSelection reads "best", "dfs" or "estimate".
func ParseNodeSelection(s string) (NodeSelection, error) {
	switch strings.ToLower(s) {
	case "best", "bestfirst", "best-first", "":
		return BestFirst, nil
	case "dfs", "depthfirst", "depth-first":
		return DepthFirst, nil
	case "estimate", "bestestimate", "best-estimate":
		return BestEstimate, nil
	}
	return 0, fmt.Errorf("bnb: unknown node selection %q (want best, dfs or estimate)", s)
}

// Config configures a search. The zero value means: best-first with
// plunging, no limits, simple rounding on.
type Config struct {
	NodeSelection NodeSelection
	// NodeLimit stops the search after this many nodes (0: none).
	NodeLimit int64
	// GapLimit stops the search once the relative gap is at most this (0: prove optimality).
	GapLimit float64
	// Cutoff, when HasCutoff, prunes nodes whose bound reaches it (in the
	// model's own sense: an upper bound for a minimisation).
	Cutoff    float64
	HasCutoff bool
	// NoHeuristics turns simple rounding off.
	NoHeuristics bool
	// MaxPlungeDepth bounds a dive (0: 20).
	MaxPlungeDepth int
	// Log receives one progress line every LogEvery nodes (nil: none).
	Log      io.Writer
	LogEvery int64
	// Observe, when set, is called by Run (and Solve) once per branching
	// decision, after the search has gone on to its next decision or its
	// end; an error from it stops the search and is returned. Driving the
	// step API by hand calls nothing.
	Observe func(Decided) error
}

// Validate checks the configuration.
func (c Config) Validate() error {
	switch {
	case c.NodeSelection < BestFirst || c.NodeSelection > BestEstimate:
		return fmt.Errorf("bnb: Config.NodeSelection: unknown value %d", c.NodeSelection)
	case c.NodeLimit < 0:
		return errors.New("bnb: Config.NodeLimit: must not be negative")
	case c.GapLimit < 0 || math.IsNaN(c.GapLimit):
		return errors.New("bnb: Config.GapLimit: must be a non-negative number")
	case c.HasCutoff && math.IsNaN(c.Cutoff):
		return errors.New("bnb: Config.Cutoff: NaN")
	case c.MaxPlungeDepth < 0:
		return errors.New("bnb: Config.MaxPlungeDepth: must not be negative")
	}
	return nil
}
