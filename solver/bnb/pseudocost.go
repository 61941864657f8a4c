package bnb

// Pseudocosts are the average objective gain per unit of change when a
// column is branched down or up, learnt from solved children.
type Pseudocosts struct {
	sumDown, sumUp []float64
	nDown, nUp     []int
	infDown, infUp []int // children found infeasible
	totDown, totUp float64
	cntDown, cntUp int
}

func (p *Pseudocosts) init(n int) {
	p.sumDown, p.sumUp = make([]float64, n), make([]float64, n)
	p.nDown, p.nUp = make([]int, n), make([]int, n)
	p.infDown, p.infUp = make([]int, n), make([]int, n)
}

// infeasible records a child of branching on col that was infeasible.
func (p *Pseudocosts) infeasible(col, dir int) {
	if dir < 0 {
		p.infDown[col]++
	} else {
		p.infUp[col]++
	}
}

// Infeasible returns how many down and up children of branching on column
// j were infeasible.
func (p *Pseudocosts) Infeasible(j int) (down, up int) { return p.infDown[j], p.infUp[j] }

// update records a child's objective gain for a change of frac.
func (p *Pseudocosts) update(col, dir int, gain, frac float64) {
	if frac <= 0 {
		return
	}
	g := max(gain, 0) / frac
	if dir < 0 {
		p.sumDown[col] += g
		p.nDown[col]++
		p.totDown += g
		p.cntDown++
	} else {
		p.sumUp[col] += g
		p.nUp[col]++
		p.totUp += g
		p.cntUp++
	}
}

// Down and Up return column j's pseudocosts; a column with no observation
// gets the average over all columns (1 before any observation).
func (p *Pseudocosts) Down(j int) float64 {
	if p.nDown[j] > 0 {
		return p.sumDown[j] / float64(p.nDown[j])
	}
	if p.cntDown > 0 {
		return p.totDown / float64(p.cntDown)
	}
	return 1
}

func (p *Pseudocosts) Up(j int) float64 {
	if p.nUp[j] > 0 {
		return p.sumUp[j] / float64(p.nUp[j])
	}
	if p.cntUp > 0 {
		return p.totUp / float64(p.cntUp)
	}
	return 1
}

// Count returns how many observations column j has down and up.
func (p *Pseudocosts) Count(j int) (down, up int) { return p.nDown[j], p.nUp[j] }

// Score is the product score of column j at fractionality f = v - floor(v).
func (p *Pseudocosts) Score(j int, f float64) float64 {
	return productScore(p.Down(j)*f, p.Up(j)*(1-f))
}

// productScore combines two child gains as SCIP does: max(dn, eps) * max(up, eps).
func productScore(down, up float64) float64 {
	const eps = 1e-6
	return max(down, eps) * max(up, eps)
}
