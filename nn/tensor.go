package nn

import (
	"fmt"
	"slices"
)

// Tensor is a dense row-major float32 array on a backend, with an optional
// gradient. A tensor produced by an operation on tensors that need
// gradients remembers how to pass its gradient back (reverse-mode
// autodiff); Backward runs that tape from a scalar loss.
//
// Tensors are immutable values for the operations in this package; only
// optimizers (through Param) and Set change data in place.
type Tensor struct {
	shape []int
	data  Storage
	be    Backend

	requiresGrad bool
	grad         *Tensor
	// For a tensor produced by an operation: its inputs and the function
	// that adds this tensor's gradient into theirs.
	inputs   []*Tensor
	backward func()
}

// New returns a zeroed tensor of the given shape on backend b.
func New(b Backend, shape ...int) *Tensor {
	n := numel(shape)
	return &Tensor{shape: slices.Clone(shape), data: b.Alloc(n), be: b}
}

// From returns a tensor holding data (copied) with the given shape. It
// panics if len(data) does not match the shape (a programmer error).
func From(b Backend, data []float32, shape ...int) *Tensor {
	if len(data) != numel(shape) {
		panic(fmt.Sprintf("nn: %d values for shape %v", len(data), shape))
	}
	t := New(b, shape...)
	b.Upload(t.data, data)
	return t
}

// Full returns a tensor with every element v.
func Full(b Backend, v float32, shape ...int) *Tensor {
	t := New(b, shape...)
	if v != 0 {
		b.Fill(t.data, 0, t.Len(), v)
	}
	return t
}

// Scalar returns a tensor of shape [1] holding v.
func Scalar(b Backend, v float32) *Tensor { return From(b, []float32{v}, 1) }

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		if d < 0 {
			panic(fmt.Sprintf("nn: negative dimension in shape %v", shape))
		}
		n *= d
	}
	return n
}

// Shape returns the tensor's dimensions (a copy).
func (t *Tensor) Shape() []int { return slices.Clone(t.shape) }

// Dim returns dimension i; negative i counts from the end.
func (t *Tensor) Dim(i int) int {
	if i < 0 {
		i += len(t.shape)
	}
	return t.shape[i]
}

// Rank is the number of dimensions.
func (t *Tensor) Rank() int { return len(t.shape) }

// Len is the number of elements.
func (t *Tensor) Len() int { return t.data.Len() }

// Backend returns the backend holding the tensor.
func (t *Tensor) Backend() Backend { return t.be }

// Storage returns the backend storage (for backends and kernels).
func (t *Tensor) Storage() Storage { return t.data }

// Data returns a copy of the values.
func (t *Tensor) Data() []float32 {
	out := make([]float32, t.Len())
	t.be.Download(out, t.data)
	return out
}

// Item returns the only value of a one-element tensor.
func (t *Tensor) Item() float32 {
	if t.Len() != 1 {
		panic(fmt.Sprintf("nn: Item of a tensor of shape %v", t.shape))
	}
	return t.Data()[0]
}

// Set overwrites the values in place (len(data) must equal Len). It is for
// loading parameters and inputs, not for tensors inside a recorded graph.
func (t *Tensor) Set(data []float32) {
	if len(data) != t.Len() {
		panic(fmt.Sprintf("nn: Set of %d values into shape %v", len(data), t.shape))
	}
	t.be.Upload(t.data, data)
}

// String shows the shape, and the values of small tensors.
func (t *Tensor) String() string {
	if t.Len() <= 16 {
		return fmt.Sprintf("Tensor%v%v", t.shape, t.Data())
	}
	return fmt.Sprintf("Tensor%v", t.shape)
}

// RequiresGrad marks a leaf tensor (a parameter or an input) as one whose
// gradient Backward computes, and returns it.
func (t *Tensor) RequiresGrad() *Tensor {
	t.requiresGrad = true
	return t
}

// NeedsGrad reports whether Backward computes a gradient for t.
func (t *Tensor) NeedsGrad() bool { return t.requiresGrad }

// Grad returns the accumulated gradient, or nil if none was computed.
func (t *Tensor) Grad() *Tensor { return t.grad }

// ZeroGrad drops the accumulated gradient.
func (t *Tensor) ZeroGrad() { t.grad = nil }

// Detach returns a tensor sharing t's values with no gradient history.
func (t *Tensor) Detach() *Tensor {
	return &Tensor{shape: t.shape, data: t.data, be: t.be}
}

// gradBuf returns t's gradient, allocating a zero one on first use.
func (t *Tensor) gradBuf() *Tensor {
	if t.grad == nil {
		t.grad = New(t.be, t.shape...)
	}
	return t.grad
}

// addGrad adds g (a buffer of t's size that nothing else will write) into
// t's gradient; when t has none yet it takes g itself, saving a copy.
func (t *Tensor) addGrad(g Storage) {
	if t.grad == nil {
		t.grad = &Tensor{shape: t.shape, data: g, be: t.be}
		return
	}
	t.be.Axpy(t.grad.data, 1, g, t.Len())
}

// result makes the output of an operation over inputs: it needs a gradient
// when any input does, and then back is recorded to propagate it.
func result(b Backend, shape []int, back func(out *Tensor), inputs ...*Tensor) *Tensor {
	out := New(b, shape...)
	for _, in := range inputs {
		if in != nil && in.requiresGrad {
			out.requiresGrad = true
			out.inputs = inputs
			out.backward = func() { back(out) }
			break
		}
	}
	return out
}

// Backward computes the gradient of the scalar loss with respect to every
// tensor it depends on that needs one, adding into gradients already there
// (call ZeroGrad, or an optimizer's ZeroGrad, between steps). It panics if
// loss has more than one element.
func Backward(loss *Tensor) {
	if loss.Len() != 1 {
		panic(fmt.Sprintf("nn: Backward of a tensor of shape %v, want one element", loss.shape))
	}
	if !loss.requiresGrad {
		return
	}
	// Topological order by depth-first search from the loss.
	var order []*Tensor
	seen := map[*Tensor]bool{}
	type frame struct {
		t *Tensor
		i int
	}
	stack := []frame{{t: loss}}
	seen[loss] = true
	for len(stack) > 0 {
		f := &stack[len(stack)-1]
		if f.i < len(f.t.inputs) {
			in := f.t.inputs[f.i]
			f.i++
			if in != nil && in.requiresGrad && !seen[in] {
				seen[in] = true
				stack = append(stack, frame{t: in})
			}
			continue
		}
		order = append(order, f.t)
		stack = stack[:len(stack)-1]
	}
	loss.be.Fill(loss.gradBuf().data, 0, 1, 1)
	for i := len(order) - 1; i >= 0; i-- {
		t := order[i]
		if t.backward == nil { // a leaf: its gradient is the result
			continue
		}
		if t.grad != nil {
			t.backward()
		}
		t.grad = nil // gradients of computed tensors (the loss too) are not kept
	}
}

func sameBackend(ts ...*Tensor) Backend {
	b := ts[0].be
	for _, t := range ts[1:] {
		if t.be != b {
			panic(fmt.Sprintf("nn: tensors on backends %s and %s", b.Name(), t.be.Name()))
		}
	}
	return b
}

func mustShape(op string, ok bool, ts ...*Tensor) {
	if ok {
		return
	}
	shapes := make([]string, len(ts))
	for i, t := range ts {
		shapes[i] = fmt.Sprint(t.shape)
	}
	panic(fmt.Sprintf("nn: %s: incompatible shapes %v", op, shapes))
}
