package eval

import "math"

// ShiftedGeoMean is the shift-s geometric mean exp(mean(log(x + s))) - s,
// the usual way to average solve times and node counts: s keeps tiny
// values from dominating. It is NaN for no values or a NaN value, and
// for any x + s <= 0.
func ShiftedGeoMean(xs []float64, s float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	sum := 0.0
	for _, x := range xs {
		if !(x+s > 0) {
			return math.NaN()
		}
		sum += math.Log(x + s)
	}
	return math.Exp(sum/float64(len(xs))) - s
}

// MeanCI returns the mean of xs and the half-width of its 95% confidence
// interval under the normal approximation, 1.96 s / sqrt(n) with s the
// sample standard deviation. The half-width is NaN below two values; both
// are NaN for none.
func MeanCI(xs []float64) (mean, half float64) {
	if len(xs) == 0 {
		return math.NaN(), math.NaN()
	}
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	if len(xs) < 2 {
		return mean, math.NaN()
	}
	v := 0.0
	for _, x := range xs {
		v += (x - mean) * (x - mean)
	}
	sd := math.Sqrt(v / float64(len(xs)-1))
	return mean, 1.96 * sd / math.Sqrt(float64(len(xs)))
}

// Winners returns the policies (indices into times) that solved an
// instance fastest: every solved one whose time equals the least time
// among the solved ones, so a tie is a win for each. None won when none
// solved it. NaN times never win.
func Winners(times []float64, solved []bool) []int {
	best := math.Inf(1)
	for p, t := range times {
		if solved[p] && t < best {
			best = t
		}
	}
	var out []int
	for p, t := range times {
		if solved[p] && t == best {
			out = append(out, p)
		}
	}
	return out
}

// ObjTol is the relative tolerance within which two optima agree.
const ObjTol = 1e-6

// Disagreements marks the policies whose proved optimum differs from the
// reference, the first proved optimum in policy order, by more than ObjTol
// relative to max(1, |reference|). Only proved optima count (optimal[p]);
// a NaN optimum disagrees with any reference.
func Disagreements(objs []float64, optimal []bool) []bool {
	out := make([]bool, len(objs))
	ref, have := 0.0, false
	for p, o := range objs {
		if optimal[p] && !math.IsNaN(o) {
			ref, have = o, true
			break
		}
	}
	if !have {
		for p := range objs {
			out[p] = optimal[p] && math.IsNaN(objs[p])
		}
		return out
	}
	for p, o := range objs {
		out[p] = optimal[p] && !(math.Abs(o-ref) <= ObjTol*math.Max(1, math.Abs(ref)))
	}
	return out
}
