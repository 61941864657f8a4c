package datasets

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"

	"github.com/corl-go/corl/solver"
)

func name(prefix string, i int) string { return prefix + strconv.Itoa(i) }

func mustBuild(b *solver.Builder) *solver.Model {
	m, err := b.Build()
	if err != nil {
		panic("datasets: generator built an invalid model: " + err.Error()) // a bug here
	}
	return m
}

// ---- set cover ----

func setCoverParams(k int) map[string]float64 {
	return map[string]float64{"rows": float64(500 * k), "cols": 1000, "density": 0.05, "max_cost": 100}
}

func buildSetCover(rng *rand.Rand, p map[string]float64) *solver.Model {
	rows, cols := int(p["rows"]), int(p["cols"])
	nnz := max(int(float64(rows*cols)*p["density"]), cols, 2*rows)
	// Column of each entry: every column once, the rest uniform.
	colOf := make([]int, nnz)
	for k := range nnz {
		if k < cols {
			colOf[k] = k
		} else {
			colOf[k] = rng.IntN(cols)
		}
	}
	rng.Shuffle(nnz, func(a, b int) { colOf[a], colOf[b] = colOf[b], colOf[a] })
	// Row of each entry: two per row first, then uniform.
	members := make([][]int, rows)
	for k, c := range colOf {
		r := k / 2
		if k >= 2*rows {
			r = rng.IntN(rows)
		}
		members[r] = append(members[r], c)
	}
	var b solver.Builder
	for j := range cols {
		b.AddCol(name("x", j), float64(1+rng.IntN(int(p["max_cost"]))), 0, 1, solver.Integer)
	}
	for i, mem := range members {
		slices.Sort(mem)
		mem = slices.Compact(mem)
		b.AddRow(name("c", i), 1, solver.Inf, mem, ones(len(mem)))
	}
	return mustBuild(&b)
}

func ones(n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = 1
	}
	return v
}

// ---- combinatorial auction ----

func auctionParams(k int) map[string]float64 {
	return map[string]float64{
		"items": float64(100 * k), "bids": 500, "min_value": 1, "max_value": 100,
		"value_deviation": 0.5, "add_item_prob": 0.65, "max_sub_bids": 5,
		"additivity": 0.2, "budget_factor": 1.5, "resale_factor": 0.5,
	}
}

type bid struct {
	items []int
	price float64
}

// auction is the market of buildAuction, which follows Leyton-Brown et
// al.'s "arbitrary relationships": items have common values and pairwise
// compatibilities; each bidder has private values, bids on a bundle grown
// from its favourite item by compatibility, and adds substitutable bundles
// of the same size within its budget, tied together by a dummy item.
type auction struct {
	rng    *rand.Rand
	p      map[string]float64
	values []float64   // common value of each item
	compat [][]float64 // compat[i][j]: how well j goes with i; rows sum to 1
	// the current bidder's
	interest, private []float64
	// scratch of next and grow
	weights  []float64
	inBundle []bool
}

// newAuction draws the items' common values and compatibilities.
func newAuction(rng *rand.Rand, p map[string]float64) *auction {
	n := int(p["items"])
	a := &auction{rng: rng, p: p, values: make([]float64, n), compat: make([][]float64, n),
		interest: make([]float64, n), private: make([]float64, n), weights: make([]float64, n), inBundle: make([]bool, n)}
	minV, maxV := p["min_value"], p["max_value"]
	for i := range a.values {
		a.values[i] = minV + (maxV-minV)*rng.Float64()
	}
	for i := range a.compat {
		a.compat[i] = make([]float64, n)
	}
	for i := range n {
		for j := i + 1; j < n; j++ {
			v := rng.Float64()
			a.compat[i][j], a.compat[j][i] = v, v
		}
	}
	for _, row := range a.compat { // normalise rows
		s := 0.0
		for _, v := range row {
			s += v
		}
		for j := range row {
			row[j] /= s
		}
	}
	return a
}

// pick draws an index with probability proportional to w.
func (a *auction) pick(w []float64) int {
	total := 0.0
	for _, x := range w {
		total += x
	}
	r := a.rng.Float64() * total
	for i, x := range w {
		if r -= x; r < 0 {
			return i
		}
	}
	for i := len(w) - 1; i >= 0; i-- {
		if w[i] > 0 {
			return i
		}
	}
	return 0
}

// next picks an item outside the bundle by interest times mean compatibility.
func (a *auction) next(bundle []int) int {
	for i := range a.weights {
		a.weights[i] = 0
		if a.inBundle[i] {
			continue
		}
		c := 0.0
		for _, b := range bundle {
			c += a.compat[b][i]
		}
		a.weights[i] = a.interest[i] * c / float64(len(bundle))
	}
	return a.pick(a.weights)
}

// price is the bidder's value of a bundle: its private values plus the
// bundle's size to the power 1+additivity.
func (a *auction) price(bundle []int) float64 {
	s := 0.0
	for _, i := range bundle {
		s += a.private[i]
	}
	return s + math.Pow(float64(len(bundle)), 1+a.p["additivity"])
}

// grow grows a bundle from first: to size items, or with size 0 by one
// more item with probability prob each time.
func (a *auction) grow(first, size int, prob float64) []int {
	clear(a.inBundle)
	bundle := []int{first}
	a.inBundle[first] = true
	for (size > 0 && len(bundle) < size) || (size == 0 && len(bundle) < len(a.values) && a.rng.Float64() < prob) {
		it := a.next(bundle)
		a.inBundle[it] = true
		bundle = append(bundle, it)
	}
	slices.Sort(bundle)
	return bundle
}

// bidder draws a new bidder and returns its bids, at most room: the
// bundle it wants most, then substitutes of the same size within its
// budget and resale value, dearest first. It returns none when the first
// bundle's price is negative.
func (a *auction) bidder(room int) []bid {
	maxV := a.p["max_value"]
	for i := range a.interest {
		a.interest[i] = a.rng.Float64()
		a.private[i] = a.values[i] + maxV*a.p["value_deviation"]*(2*a.interest[i]-1)
	}
	bundle := a.grow(a.pick(a.interest), 0, a.p["add_item_prob"])
	pr := a.price(bundle)
	if pr < 0 {
		return nil
	}
	mine := []bid{{bundle, pr}}
	budget := a.p["budget_factor"] * pr
	resale := a.resale(bundle)
	var subs []bid
	for _, it := range bundle {
		sb := a.grow(it, len(bundle), 0)
		subs = append(subs, bid{sb, a.price(sb)})
	}
	slices.SortStableFunc(subs, func(x, y bid) int { return cmp.Compare(y.price, x.price) })
	for _, sb := range subs {
		if len(mine) >= int(a.p["max_sub_bids"])+1 || len(mine) >= room {
			break
		}
		if sb.price < 0 || sb.price > budget || a.resale(sb.items) < a.p["resale_factor"]*resale || containsBundle(mine, sb.items) {
			continue
		}
		mine = append(mine, sb)
	}
	return mine
}

// resale is a bundle's common value.
func (a *auction) resale(bundle []int) float64 {
	s := 0.0
	for _, i := range bundle {
		s += a.values[i]
	}
	return s
}

func buildAuction(rng *rand.Rand, p map[string]float64) *solver.Model {
	a := newAuction(rng, p)
	nBids := int(p["bids"])
	var bids []bid
	var bidderOf []int // dummy item of each bid, -1 for none
	dummies := 0
	for len(bids) < nBids {
		mine := a.bidder(nBids - len(bids))
		dummy := -1
		if len(mine) > 1 {
			dummy = dummies
			dummies++
		}
		for _, bd := range mine {
			bids = append(bids, bd)
			bidderOf = append(bidderOf, dummy)
		}
	}
	return auctionModel(bids, bidderOf, len(a.values), dummies)
}

// auctionModel writes the winner determination problem: a column per
// bid, a row per item and per dummy item, each sold at most once.
func auctionModel(bids []bid, bidderOf []int, nItems, dummies int) *solver.Model {
	var b solver.Builder
	b.SetSense(solver.Maximize)
	byItem := make([][]int, nItems+dummies)
	for k, bd := range bids {
		b.AddCol(name("b", k), math.Round(bd.price*1e4)/1e4, 0, 1, solver.Integer)
		for _, i := range bd.items {
			byItem[i] = append(byItem[i], k)
		}
		if d := bidderOf[k]; d >= 0 {
			byItem[nItems+d] = append(byItem[nItems+d], k)
		}
	}
	for i, bs := range byItem {
		if len(bs) > 0 {
			b.AddRow(name("i", i), math.Inf(-1), 1, bs, ones(len(bs)))
		}
	}
	return mustBuild(&b)
}

func containsBundle(bids []bid, items []int) bool {
	for _, b := range bids {
		if slices.Equal(b.items, items) {
			return true
		}
	}
	return false
}

// ---- capacitated facility location ----

func facilityParams(k int) map[string]float64 {
	return map[string]float64{"customers": float64(100 * k), "facilities": 100, "ratio": 5}
}

func buildFacility(rng *rand.Rand, p map[string]float64) *solver.Model {
	nc, nf := int(p["customers"]), int(p["facilities"])
	cx, cy := make([]float64, nc), make([]float64, nc)
	fx, fy := make([]float64, nf), make([]float64, nf)
	for i := range nc {
		cx[i], cy[i] = rng.Float64(), rng.Float64()
	}
	for j := range nf {
		fx[j], fy[j] = rng.Float64(), rng.Float64()
	}
	demand := make([]float64, nc)
	totalDemand := 0.0
	for i := range demand {
		demand[i] = float64(5 + rng.IntN(31))
		totalDemand += demand[i]
	}
	capa := make([]float64, nf)
	fixed := make([]float64, nf)
	totalCap := 0.0
	for j := range nf {
		capa[j] = float64(10 + rng.IntN(151))
		fixed[j] = math.Trunc(float64(100+rng.IntN(11))*math.Sqrt(capa[j]) + float64(rng.IntN(91)))
		totalCap += capa[j]
	}
	for j := range capa { // total capacity = ratio x total demand
		capa[j] = math.Trunc(capa[j] * p["ratio"] * totalDemand / totalCap)
	}
	var b solver.Builder
	y := make([]int, nf)
	for j := range nf {
		y[j] = b.AddCol(name("y", j), fixed[j], 0, 1, solver.Integer)
	}
	x := make([][]int, nc)
	for i := range nc {
		x[i] = make([]int, nf)
		for j := range nf {
			d := math.Hypot(cx[i]-fx[j], cy[i]-fy[j])
			x[i][j] = b.AddCol("x"+strconv.Itoa(i)+"_"+strconv.Itoa(j), math.Round(d*10*demand[i]*1e4)/1e4, 0, 1, solver.Continuous)
		}
	}
	for i := range nc {
		b.AddRow(name("demand", i), 1, solver.Inf, x[i], ones(nf))
	}
	for j := range nf {
		cols := []int{y[j]}
		vals := []float64{-capa[j]}
		for i := range nc {
			cols = append(cols, x[i][j])
			vals = append(vals, demand[i])
		}
		b.AddRow(name("capacity", j), math.Inf(-1), 0, cols, vals)
	}
	b.AddRow("total", totalDemand, solver.Inf, y, capa)
	for i := range nc {
		for j := range nf {
			b.AddRow("tight"+strconv.Itoa(i)+"_"+strconv.Itoa(j), math.Inf(-1), 0, []int{x[i][j], y[j]}, []float64{1, -1})
		}
	}
	return mustBuild(&b)
}

// ---- maximum independent set ----

func indsetParams(k int) map[string]float64 {
	return map[string]float64{"nodes": float64(500 * k), "affinity": 4, "erdos_renyi": 0, "edge_prob": 0.01}
}

// buildIndset draws a Barabasi-Albert graph (or Erdos-Renyi when
// erdos_renyi is 1), covers its edges greedily by cliques and writes one
// row per clique.
func buildIndset(rng *rand.Rand, p map[string]float64) *solver.Model {
	n := int(p["nodes"])
	adj := make([]map[int]bool, n)
	for v := range adj {
		adj[v] = map[int]bool{}
	}
	addEdge := func(u, v int) {
		if u != v {
			adj[u][v], adj[v][u] = true, true
		}
	}
	if p["erdos_renyi"] != 0 {
		for u := range n {
			for v := u + 1; v < n; v++ {
				if rng.Float64() < p["edge_prob"] {
					addEdge(u, v)
				}
			}
		}
	} else {
		m := int(p["affinity"])
		var ends []int // each edge's two ends: sampling from it is by degree
		for u := 0; u <= m && u < n; u++ {
			for v := u + 1; v <= m && v < n; v++ {
				addEdge(u, v)
				ends = append(ends, u, v)
			}
		}
		for v := m + 1; v < n; v++ {
			targets := map[int]bool{}
			for len(targets) < m {
				targets[ends[rng.IntN(len(ends))]] = true
			}
			for _, u := range sortedKeys(targets) {
				addEdge(u, v)
				ends = append(ends, u, v)
			}
		}
	}
	cliques := cliqueCover(adj)
	var b solver.Builder
	b.SetSense(solver.Maximize)
	for v := range n {
		b.AddCol(name("x", v), 1, 0, 1, solver.Integer)
	}
	for k, c := range cliques {
		b.AddRow(name("k", k), math.Inf(-1), 1, c, ones(len(c)))
	}
	return mustBuild(&b)
}

func sortedKeys(m map[int]bool) []int {
	out := make([]int, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// cliqueCover covers every edge by a clique, greedily: start at the node
// with the most uncovered edges, add its uncovered neighbours that are
// adjacent to every member, most-uncovered first.
func cliqueCover(adj []map[int]bool) [][]int {
	n := len(adj)
	uncovered := make([]map[int]bool, n)
	for v := range adj {
		uncovered[v] = map[int]bool{}
		for u := range adj[v] {
			uncovered[v][u] = true
		}
	}
	var cliques [][]int
	for {
		start, best := -1, 0
		for v := range n {
			if d := len(uncovered[v]); d > best {
				start, best = v, d
			}
		}
		if start < 0 {
			return cliques
		}
		clique := []int{start}
		cands := sortedKeys(uncovered[start])
		slices.SortStableFunc(cands, func(a, b int) int { return len(uncovered[b]) - len(uncovered[a]) })
		for _, c := range cands {
			ok := true
			for _, m := range clique {
				if !adj[c][m] {
					ok = false
					break
				}
			}
			if ok {
				clique = append(clique, c)
			}
		}
		for _, a := range clique {
			for _, b := range clique {
				delete(uncovered[a], b)
			}
		}
		slices.Sort(clique)
		cliques = append(cliques, clique)
	}
}

// ---- multiple knapsack ----

// knapsackParams follows the multiple-knapsack sets of the learning-to-branch
// literature (REFERENCES): 100 items in 6 knapsacks (easy), 150 in 8
// (medium), 200 in 10 (hard); weights 10..19 (10..29 for hard). The weight
// bounds are inclusive.
func knapsackParams(k int) map[string]float64 {
	items, knapsacks, maxWeight := 100, 6, 19
	switch {
	case k >= 4:
		items, knapsacks, maxWeight = 200, 10, 29
	case k >= 2:
		items, knapsacks = 150, 8
	}
	return map[string]float64{"items": float64(items), "knapsacks": float64(knapsacks), "min_weight": 10, "max_weight": float64(maxWeight)}
}

// buildKnapsack draws Fukunaga's "weakly correlated" items: weights w
// uniform in [min_weight, max_weight], profits uniform in
// [max(w-R, 1), w+R-1] with R = max_weight-min_weight+1 the width of the
// weight range; the first K-1 capacities uniform in [0.4 W/K, 0.6 W/K) with
// W the total weight, and the last one the rest of W/2 (at least 0), so the
// capacities sum to about half the total weight.
func buildKnapsack(rng *rand.Rand, p map[string]float64) *solver.Model {
	n, K := int(p["items"]), int(p["knapsacks"])
	lo, hi := int(p["min_weight"]), int(p["max_weight"])
	spread := hi - lo + 1
	w, pr := make([]float64, n), make([]float64, n)
	total := 0
	for i := range n {
		wi := lo + rng.IntN(spread)
		plo, phi := max(wi-spread, 1), wi+spread // profit in [plo, phi)
		w[i], pr[i] = float64(wi), float64(plo+rng.IntN(phi-plo))
		total += wi
	}
	caps := make([]float64, K)
	clo, chi := 4*total/(10*K), 6*total/(10*K) // floor(0.4 W/K), floor(0.6 W/K)
	rest := total / 2
	for k := range K - 1 {
		c := clo
		if chi > clo {
			c += rng.IntN(chi - clo)
		}
		caps[k] = float64(c)
		rest -= c
	}
	caps[K-1] = float64(max(rest, 0))
	var b solver.Builder
	b.SetSense(solver.Maximize)
	x := make([][]int, n)
	for i := range n {
		x[i] = make([]int, K)
		for k := range K {
			x[i][k] = b.AddCol("x"+strconv.Itoa(i)+"_"+strconv.Itoa(k), pr[i], 0, 1, solver.Integer)
		}
	}
	for i := range n {
		b.AddRow(name("item", i), math.Inf(-1), 1, x[i], ones(K))
	}
	for k := range K {
		cols := make([]int, n)
		for i := range n {
			cols[i] = x[i][k]
		}
		b.AddRow(name("cap", k), math.Inf(-1), caps[k], cols, w)
	}
	return mustBuild(&b)
}
