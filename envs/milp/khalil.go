package milp

import (
	"context"
	"math"

	"github.com/corl-go/corl/solver"
	"github.com/corl-go/corl/solver/bnb"
)

// NumKhalilFeatures is the number of Khalil2016 features per candidate:
// 18 static, 54 dynamic.
const NumKhalilFeatures = 72

// Khalil2016 holds the features of Khalil et al. (2016) for each candidate,
// row-major: candidate k's are Features[k*72:(k+1)*72]. Feature k is named
// KhalilFeatureNames[k].
type Khalil2016 struct {
	Candidates []int
	Features   []float64
}

// KhalilFeatureNames names the 72 features in order. Static (per column):
// objective coefficient and its positive and negative parts; the number of
// rows holding the column, statistics (mean, std, min, max) of those rows'
// degrees; count, mean, std, min, max of the column's positive and of its
// negative coefficients. Dynamic (per node): slack min(f, 1-f) and
// ceil_dist; pseudocosts up (times 1-f), down (times f), their ratio
// (min/max), sum and product; how many up and down children were
// infeasible and which fraction of them; degree statistics of the column's
// rows counting unfixed columns at the node, and the ratios of mean, min
// and max to the root's; max and min of a_ij / |rhs_i| over positive and
// over negative coefficients; max and min of a_ij over the row's positive
// (p) and negative (n) coefficient sums, for each sign pair; for the
// active (tight) rows holding the column, sum, mean, std, max and min of
// |a_ij| under four weightings (unit, 1 / sum of |a_i|, 1 / unfixed
// columns of the row, |dual|); and the number of active rows holding the
// column, their fraction, and how many hold it with a positive and with a
// negative coefficient.
var KhalilFeatureNames = [NumKhalilFeatures]string{
	"obj_coef", "obj_coef_pos_part", "obj_coef_neg_part", "n_rows",
	"rows_deg_mean", "rows_deg_stddev", "rows_deg_min", "rows_deg_max",
	"rows_pos_coefs_count", "rows_pos_coefs_mean", "rows_pos_coefs_stddev", "rows_pos_coefs_min", "rows_pos_coefs_max",
	"rows_neg_coefs_count", "rows_neg_coefs_mean", "rows_neg_coefs_stddev", "rows_neg_coefs_min", "rows_neg_coefs_max",
	"slack", "ceil_dist", "ps_up", "ps_down", "ps_ratio", "ps_sum", "ps_product",
	"nb_up_infeas", "nb_down_infeas", "frac_up_infeas", "frac_down_infeas",
	"cdeg_mean", "cdeg_stddev", "cdeg_min", "cdeg_max", "cdeg_mean_ratio", "cdeg_min_ratio", "cdeg_max_ratio",
	"prhs_ratio_max", "prhs_ratio_min", "nrhs_ratio_max", "nrhs_ratio_min",
	"ota_pp_max", "ota_pp_min", "ota_pn_max", "ota_pn_min", "ota_np_max", "ota_np_min", "ota_nn_max", "ota_nn_min",
	"acons_sum1", "acons_mean1", "acons_stddev1", "acons_max1", "acons_min1",
	"acons_sum2", "acons_mean2", "acons_stddev2", "acons_max2", "acons_min2",
	"acons_sum3", "acons_mean3", "acons_stddev3", "acons_max3", "acons_min3",
	"acons_sum4", "acons_mean4", "acons_stddev4", "acons_max4", "acons_min4",
	"acons_nb1", "acons_nb2", "acons_nb3", "acons_nb4",
}

// Khalil2016Func extracts Khalil2016 observations; static features and row
// statistics of the root are computed once per episode.
type Khalil2016Func struct {
	static  []float64 // n x 18
	rowDeg  []float64 // nonzeros per row
	absSum  []float64 // sum of |a_ij| per row
	posSum  []float64
	negSum  []float64 // sum of negative coefficients (<= 0)
	rootDeg []float64 // unfixed columns per row at the root
	rowsOf  [][]entry // per column: its rows and coefficients
}

type entry struct {
	row int
	val float64
}

var _ ObservationFunc[Khalil2016] = (*Khalil2016Func)(nil)

func (*Khalil2016Func) Name() string { return "khalil2016" }

func (f *Khalil2016Func) Reset(s *bnb.Search) {
	m := s.Model()
	n, r := m.NumCols(), m.NumRows()
	sgn := 1.0
	if m.Sense == solver.Maximize {
		sgn = -1
	}
	f.rowDeg, f.absSum, f.posSum, f.negSum = make([]float64, r), make([]float64, r), make([]float64, r), make([]float64, r)
	f.rowsOf = make([][]entry, n)
	for j := range n {
		for k := m.Start[j]; k < m.Start[j+1]; k++ {
			i, a := m.Index[k], m.Value[k]
			f.rowsOf[j] = append(f.rowsOf[j], entry{i, a})
			f.rowDeg[i]++
			f.absSum[i] += math.Abs(a)
			if a > 0 {
				f.posSum[i] += a
			} else {
				f.negSum[i] += a
			}
		}
	}
	f.rootDeg = unfixedDegrees(m, m.ColLower, m.ColUpper, nil)
	f.static = make([]float64, n*18)
	var deg, pos, neg stat
	for j := range n {
		v := f.static[j*18 : (j+1)*18]
		c := sgn * m.Cost[j]
		v[0], v[1], v[2] = c, math.Max(c, 0), math.Min(c, 0)
		v[3] = float64(len(f.rowsOf[j]))
		deg.reset()
		pos.reset()
		neg.reset()
		for _, e := range f.rowsOf[j] {
			deg.add(f.rowDeg[e.row])
			if e.val > 0 {
				pos.add(e.val)
			} else {
				neg.add(e.val)
			}
		}
		copy(v[4:8], deg.meanStdMinMax())
		v[8] = float64(pos.n)
		copy(v[9:13], pos.meanStdMinMax())
		v[13] = float64(neg.n)
		copy(v[14:18], neg.meanStdMinMax())
	}
}

// unfixedDegrees counts, per row, the columns with lower < upper.
func unfixedDegrees(m *solver.Model, lo, up []float64, dst []float64) []float64 {
	if dst == nil {
		dst = make([]float64, m.NumRows())
	}
	clear(dst)
	for j := range m.NumCols() {
		if lo[j] < up[j] {
			for k := m.Start[j]; k < m.Start[j+1]; k++ {
				dst[m.Index[k]]++
			}
		}
	}
	return dst
}

func (f *Khalil2016Func) Extract(_ context.Context, d *bnb.Decision) (Khalil2016, error) {
	st := d.State()
	m := st.Model
	cands := d.Candidates()
	pc := d.Pseudocosts()
	deg := unfixedDegrees(m, st.Lower, st.Upper, nil)
	out := Khalil2016{Candidates: append([]int(nil), cands...), Features: make([]float64, len(cands)*NumKhalilFeatures)}
	var cd, rd stat
	var ac [4]stat
	for k, j := range cands {
		v := out.Features[k*NumKhalilFeatures : (k+1)*NumKhalilFeatures]
		copy(v, f.static[j*18:(j+1)*18])
		x := st.X[j]
		fr := x - math.Floor(x)
		v[18] = math.Min(fr, 1-fr)
		v[19] = math.Ceil(x) - x
		up, dn := pc.Up(j)*(1-fr), pc.Down(j)*fr
		v[20], v[21] = up, dn
		if hi := math.Max(up, dn); hi > 0 {
			v[22] = math.Min(up, dn) / hi
		}
		v[23], v[24] = up+dn, up*dn
		infDn, infUp := pc.Infeasible(j)
		cntDn, cntUp := pc.Count(j)
		v[25], v[26] = float64(infUp), float64(infDn)
		v[27] = ratio(float64(infUp), float64(infUp+cntUp))
		v[28] = ratio(float64(infDn), float64(infDn+cntDn))
		cd.reset()
		rd.reset()
		var prMax, prMin, nrMax, nrMin = math.Inf(-1), math.Inf(1), math.Inf(-1), math.Inf(1)
		var ota [8]float64
		for q := 0; q < 8; q += 2 {
			ota[q], ota[q+1] = math.Inf(-1), math.Inf(1)
		}
		for q := range ac {
			ac[q].reset()
		}
		nbPos, nbNeg := 0, 0
		for _, e := range f.rowsOf[j] {
			i, a := e.row, e.val
			cd.add(deg[i])
			rd.add(f.rootDeg[i])
			rhs := m.RowUpper[i]
			if math.IsInf(rhs, 1) {
				rhs = m.RowLower[i]
			}
			if r := a / math.Max(math.Abs(rhs), 1e-9); a > 0 {
				prMax, prMin = math.Max(prMax, r), math.Min(prMin, r)
			} else {
				nrMax, nrMin = math.Max(nrMax, r), math.Min(nrMin, r)
			}
			// one-to-all: a over the row's positive sum and its negative sum
			sp, sn := 0, 2
			if a < 0 {
				sp, sn = 4, 6
			}
			if f.posSum[i] > 0 {
				r := a / f.posSum[i]
				ota[sp], ota[sp+1] = math.Max(ota[sp], r), math.Min(ota[sp+1], r)
			}
			if f.negSum[i] < 0 {
				r := a / -f.negSum[i]
				ota[sn], ota[sn+1] = math.Max(ota[sn], r), math.Min(ota[sn+1], r)
			}
			if st.RowBasis[i] != solver.Basic { // active (tight) row
				aa := math.Abs(a)
				ac[0].add(aa)
				ac[1].add(aa / math.Max(f.absSum[i], 1e-9))
				ac[2].add(aa / math.Max(deg[i], 1))
				ac[3].add(aa * math.Abs(st.Dual[i]))
				if a > 0 {
					nbPos++
				} else {
					nbNeg++
				}
			}
		}
		cs := cd.meanStdMinMax()
		copy(v[29:33], cs)
		rs := rd.meanStdMinMax()
		v[33], v[34], v[35] = ratio(cs[0], rs[0]), ratio(cs[2], rs[2]), ratio(cs[3], rs[3])
		v[36], v[37], v[38], v[39] = orZero(prMax), orZero(prMin), orZero(nrMax), orZero(nrMin)
		for q := range ota {
			v[40+q] = orZero(ota[q])
		}
		for q := range ac {
			ms := ac[q].meanStdMinMax()
			base := 48 + 5*q
			v[base], v[base+1], v[base+2], v[base+3], v[base+4] = ac[q].sum, ms[0], ms[1], ms[3], ms[2]
		}
		nb := float64(ac[0].n)
		v[68] = nb
		v[69] = ratio(nb, float64(len(f.rowsOf[j])))
		v[70], v[71] = float64(nbPos), float64(nbNeg)
	}
	return out, nil
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// orZero is v, or 0 where v is infinite or NaN (a feature with no value).
func orZero(v float64) float64 {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return 0
	}
	return v
}

// stat accumulates count, sum, sum of squares, min and max.
type stat struct {
	n       int
	sum, sq float64
	lo, hi  float64
}

func (s *stat) reset() { *s = stat{lo: math.Inf(1), hi: math.Inf(-1)} }

func (s *stat) add(v float64) {
	s.n++
	s.sum += v
	s.sq += v * v
	s.lo, s.hi = math.Min(s.lo, v), math.Max(s.hi, v)
}

// meanStdMinMax returns mean, standard deviation, min and max (zeros when empty).
func (s *stat) meanStdMinMax() []float64 {
	if s.n == 0 {
		return []float64{0, 0, 0, 0}
	}
	mean := s.sum / float64(s.n)
	return []float64{mean, math.Sqrt(math.Max(s.sq/float64(s.n)-mean*mean, 0)), s.lo, s.hi}
}
