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

	// Storage management (see Scope): the scope owning the storage, extra
	// storages released with it, whether the storage is another tensor's
	// (a view, never released through this tensor), whether Detach shared
	// it (then never released), and whether an input took the gradient's
	// buffer during Backward (then not recycled).
	scope     *Scope
	extra     []Storage
	spare     Storage // the gradient buffer ZeroGrad dropped, for the next
	view      bool
	pinned    bool
	gradTaken bool
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

// ZeroGrad drops the accumulated gradient. Its buffer is kept for the
// next one, so a step allocates no parameter gradients: a Grad tensor
// read before ZeroGrad shows the next gradient once one is computed (copy
// it with Data to keep it).
func (t *Tensor) ZeroGrad() {
	if t.grad != nil {
		t.spare = t.grad.data
	}
	t.grad = nil
}

// Detach returns a tensor sharing t's values with no gradient history.
// The values outlive t's scope: releasing it keeps t's storage.
func (t *Tensor) Detach() *Tensor {
	t.pinned = true
	return &Tensor{shape: t.shape, data: t.data, be: t.be}
}

// gradBuf returns t's gradient, making a zero one on first use (in the
// buffer ZeroGrad kept, if any).
func (t *Tensor) gradBuf() *Tensor {
	if t.grad == nil && t.spare != nil {
		t.be.Fill(t.spare, 0, t.spare.Len(), 0)
		t.grad, t.spare = &Tensor{shape: t.shape, data: t.spare, be: t.be}, nil
	}
	if t.grad == nil {
		t.grad = New(t.be, t.shape...)
	}
	return t.grad
}

// result makes the zeroed output of an operation over inputs: it needs a
// gradient when any input does (see Scope for NoGrad), and then back is
// recorded to propagate it; it belongs to the scope of its inputs.
func result(b Backend, shape []int, back func(out *Tensor), inputs ...*Tensor) *Tensor {
	return record(New(b, shape...), back, inputs)
}

// resultRaw is result for an operation that overwrites every element of
// its output: the storage may come from the backend's pool uncleared.
func resultRaw(b Backend, shape []int, back func(out *Tensor), inputs ...*Tensor) *Tensor {
	out := &Tensor{shape: slices.Clone(shape), data: allocRaw(b, numel(shape)), be: b}
	return record(out, back, inputs)
}

// record links out to its inputs as result describes.
func record(out *Tensor, back func(out *Tensor), inputs []*Tensor) *Tensor {
	var sc *Scope
	graph, leaf, noGrad := false, false, false
	for _, in := range inputs {
		if in == nil {
			continue
		}
		if in.scope != nil {
			if sc == nil {
				sc = in.scope
			}
			noGrad = noGrad || in.scope.noGrad
		}
		if in.requiresGrad {
			if in.backward != nil {
				graph = true
			} else {
				leaf = true
			}
		}
	}
	if graph || leaf && !noGrad {
		out.requiresGrad = true
		out.inputs = inputs
		out.backward = func() { back(out) }
	}
	if sc != nil {
		sc.own(out)
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
			if !t.gradTaken { // spent: back to the pool
				recycle(t.be, t.grad.data)
			}
		}
		t.grad, t.gradTaken = nil, false // gradients of computed tensors (the loss too) are not kept
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
