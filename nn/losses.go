package nn

import (
	"fmt"
	"math"
)

// MSE returns the mean squared error mean((pred − target)²).
func MSE(pred, target *Tensor) *Tensor { return Mean(Square(Sub(pred, target))) }

// Huber returns the mean Huber loss of pred − target with threshold delta
// (quadratic inside, linear outside; delta = 1 is the smooth L1 loss).
func Huber(pred, target *Tensor, delta float32) *Tensor {
	return Mean(HuberElem(Sub(pred, target), delta))
}

// MSLE returns the mean squared logarithmic error
// mean((log(1+pred) − log(1+target))²); both must exceed −1.
func MSLE(pred, target *Tensor) *Tensor {
	return Mean(Square(Sub(Log1p(pred), Log1p(target))))
}

// CrossEntropy returns the mean over rows of −Σⱼ target·log softmax(logits)
// over the last axis, with an optional mask (see Softmax). target holds
// a distribution per row (a one-hot label, MCTS visit counts, a two-hot
// value encoding); it must be 0 where the mask is 0.
func CrossEntropy(logits, target, mask *Tensor) *Tensor {
	mustShape("CrossEntropy", logits.Len() == target.Len() && logits.Dim(-1) == target.Dim(-1), logits, target)
	rows, _ := rowsCols(logits)
	return Scale(Sum(Mul(target, LogSoftmax(logits, mask))), -1/float32(max(rows, 1)))
}

// CrossEntropyLabels is CrossEntropy with one class label per row.
func CrossEntropyLabels(logits *Tensor, labels []int, mask *Tensor) *Tensor {
	rows, cols := rowsCols(logits)
	if len(labels) != rows {
		panic(fmt.Sprintf("nn: CrossEntropyLabels: %d labels for %d rows", len(labels), rows))
	}
	return CrossEntropy(logits, OneHot(logits.be, labels, cols), mask)
}

// OneHot returns a [len(labels), n] tensor with a 1 at each label.
func OneHot(b Backend, labels []int, n int) *Tensor {
	v := make([]float32, len(labels)*n)
	for i, l := range labels {
		if l < 0 || l >= n {
			panic(fmt.Sprintf("nn: label %d of row %d outside [0,%d)", l, i, n))
		}
		v[i*n+l] = 1
	}
	return From(b, v, len(labels), n)
}

// TwoHot encodes each value as a distribution over the integer support
// lo, lo+1, ..., hi (MuZero's categorical value and reward heads): the two
// nearest support points share the mass so that the expectation is the
// value. Values outside [lo, hi] are clipped. Shape [len(values), hi−lo+1].
func TwoHot(b Backend, values []float32, lo, hi int) *Tensor {
	if hi <= lo {
		panic(fmt.Sprintf("nn: TwoHot support [%d,%d]", lo, hi))
	}
	n := hi - lo + 1
	v := make([]float32, len(values)*n)
	for i, x := range values {
		x := math.Min(math.Max(float64(x), float64(lo)), float64(hi))
		f := math.Floor(x)
		k := int(f) - lo
		w := x - f
		if k == n-1 {
			v[i*n+k] = 1
			continue
		}
		v[i*n+k] = float32(1 - w)
		v[i*n+k+1] = float32(w)
	}
	return From(b, v, len(values), n)
}

// SupportExpectation returns, for logits over the support lo..hi (shape
// [rows, hi−lo+1]), the expected support value under their softmax, shape
// [rows, 1]. It inverts TwoHot.
func SupportExpectation(logits *Tensor, lo, hi int) *Tensor {
	n := hi - lo + 1
	mustShape("SupportExpectation", logits.Dim(-1) == n, logits)
	support := constant(logits.be, []int{n, 1}, func(i int) float64 { return float64(lo + i) })
	return MatMul(Reshape(Softmax(logits, nil), -1, n), support)
}
