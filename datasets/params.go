package datasets

import (
	"math"
	"strconv"
)

// MaxNonzeros is the sanity limit on an instance's size: parameters whose
// model (or the generator's working data, such as an auction's item-by-item
// compatibility matrix) would hold more entries than this are refused
// before anything is built. The hard defaults of every family stay below
// 1% of it.
const MaxNonzeros = 10_000_000

// paramRange is the allowed range of one parameter.
type paramRange struct {
	min, max float64
	minOpen  bool // min itself is excluded
	integer  bool
}

func (r paramRange) check(family, name string, v float64) error {
	ok := !math.IsNaN(v) && v <= r.max && (v > r.min || !r.minOpen && v == r.min)
	if ok && r.integer {
		ok = v == math.Trunc(v)
	}
	if ok {
		return nil
	}
	return &ParamError{Family: family, Name: name, Value: v, Min: r.min, Max: r.max, MinOpen: r.minOpen, Integer: r.integer}
}

func count(min, max float64) paramRange { return paramRange{min: min, max: max, integer: true} }
func span(min, max float64) paramRange  { return paramRange{min: min, max: max} }

// orderedPair refuses p[lo] > p[hi].
func orderedPair(family, lo, hi string, p map[string]float64) error {
	if p[lo] > p[hi] {
		return &ParamError{Family: family, Name: lo, Value: p[lo], Reason: "must not exceed " + hi + " = " + strconv.FormatFloat(p[hi], 'g', -1, 64)}
	}
	return nil
}

var setCoverRanges = map[string]paramRange{
	"rows": count(1, 1e6), "cols": count(1, 1e6),
	"density":  {min: 0, max: 1, minOpen: true},
	"max_cost": count(1, 1e6),
}

func setCoverSize(p map[string]float64) (string, float64) {
	return "nonzeros", max(p["rows"]*p["cols"]*p["density"], p["cols"], 2*p["rows"])
}

var auctionRanges = map[string]paramRange{
	"items": count(2, 1e6), "bids": count(1, 1e6),
	"min_value": span(0, 1e6), "max_value": span(0, 1e6),
	"value_deviation": span(0, 1), "add_item_prob": span(0, 0.95),
	"max_sub_bids": count(0, 100), "additivity": span(-1, 1),
	"budget_factor": span(0, 10), "resale_factor": span(0, 1),
}

// auctionSize is the larger of the compatibility matrix (items squared)
// and the draws of the bidders (each draws over every item, about
// 1/(1-add_item_prob) times per bundle).
func auctionSize(p map[string]float64) (string, float64) {
	bundle := min(p["items"], 1/(1-p["add_item_prob"]))
	return "matrix entries", max(p["items"]*p["items"], p["bids"]*p["items"]*bundle)
}

func auctionCheck(p map[string]float64) error {
	return orderedPair("cauction", "min_value", "max_value", p)
}

var facilityRanges = map[string]paramRange{
	"customers": count(1, 1e6), "facilities": count(1, 1e6),
	"ratio": span(1, 100), // below 1 the capacity cannot meet the demand
}

func facilitySize(p map[string]float64) (string, float64) {
	return "nonzeros", 4 * p["customers"] * p["facilities"]
}

var indsetRanges = map[string]paramRange{
	"nodes": count(1, 1e7), "affinity": count(1, 1000),
	"erdos_renyi": count(0, 1), "edge_prob": span(0, 1),
}

// indsetSize counts the edges' ends of a Barabasi-Albert graph, or the
// node pairs an Erdos-Renyi graph draws.
func indsetSize(p map[string]float64) (string, float64) {
	n := p["nodes"]
	if p["erdos_renyi"] != 0 {
		return "node pairs", n * n / 2
	}
	return "nonzeros", 2 * n * p["affinity"]
}

var knapsackRanges = map[string]paramRange{
	"items": count(1, 1e7), "knapsacks": count(1, 1e4),
	"min_weight": count(1, 1e6), "max_weight": count(1, 1e6),
}

func knapsackSize(p map[string]float64) (string, float64) {
	return "nonzeros", 2 * p["items"] * p["knapsacks"]
}

func knapsackCheck(p map[string]float64) error {
	return orderedPair("knapsack", "min_weight", "max_weight", p)
}

// Check returns the family's parameters at a size with overrides applied,
// or the first problem found, checked in name order: an unknown size
// (*UnknownSizeError), an unknown parameter (*UnknownParamError), a value
// out of range or not an integer where one is needed (*ParamError), or a
// model past MaxNonzeros (*SizeError). Every error wraps ErrBadInput.
func (f Family) Check(size Size, overrides map[string]float64) (map[string]float64, error) {
	k, err := size.scale()
	if err != nil {
		return nil, err
	}
	p := f.Params(k)
	names := keys(overrides)
	for _, name := range names {
		if _, ok := p[name]; !ok {
			return nil, &UnknownParamError{Family: f.Name, Name: name, Known: keys(p)}
		}
		p[name] = overrides[name]
	}
	for _, name := range keys(p) {
		if r, ok := f.ranges[name]; ok {
			if err := r.check(f.Name, name, p[name]); err != nil {
				return nil, err
			}
		}
	}
	if f.check != nil {
		if err := f.check(p); err != nil {
			return nil, err
		}
	}
	if f.size != nil {
		if what, est := f.size(p); est > MaxNonzeros {
			return nil, &SizeError{Family: f.Name, What: what, Estimate: est, Limit: MaxNonzeros}
		}
	}
	return p, nil
}
