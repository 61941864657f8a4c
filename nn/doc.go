// Package nn is the small neural-network library corl's agents train
// with: float32 tensors, reverse-mode automatic differentiation,
// the layers the agents need, optimizers, and checkpoints in the
// safetensors format.
//
// # Tensors and gradients
//
// A Tensor is a dense row-major float32 array on a Backend. Operations
// (MatMul, Add, ReLU, Softmax, Gather, ...) return new tensors. When an
// input needs a gradient (a parameter, or a tensor marked RequiresGrad),
// the output remembers its inputs and how to pass a gradient back; the
// graph is recorded as the forward computation runs. Backward(loss)
// visits it in reverse topological order from a one-element loss and adds
// ∂loss/∂x into the Grad of every leaf x that needs one. Gradients
// accumulate until ZeroGrad, so a mini-batch may be several Backward calls.
//
// Binary elementwise operations broadcast as NumPy does (up to 4
// dimensions); the gradient of a broadcast input is summed over the
// broadcast dimensions. Softmax and LogSoftmax take a mask (1 keeps an
// entry, 0 removes it): removed entries output 0 and receive no gradient,
// so a masked cross-entropy over the legal actions is
// CrossEntropy(logits, target, mask).
//
// # Scopes, inference and buffer reuse
//
// A Scope owns the tensors computed from the tensors it marks (Scope.In,
// Scope.InGraph); Release hands their storages back to the backend, whose
// pool (see Recycler) gives them to the next step or forward pass, so a
// loop of same-shaped steps stops allocating. A NoGrad scope also records
// no graph: networks called for decisions (a search, an evaluation) run
// the same kernels without a tape. GCNN.Inference is the fully
// preallocated runner of the GCNN's forward pass. Dense layers with their
// activation, LayerNorm, and a graph convolution's messages are single
// nodes with fused kernels.
//
// # Layers
//
// Linear (PyTorch's [out, in] weight layout), MLP, LayerNorm, Embedding,
// BipartiteConv and GCNN (the branching network of Gasse et al. 2019 over
// a MILP's variable–constraint graph), and SequenceModel (a causal
// transformer with sinusoidal positions over a trajectory). Every layer
// is a Module: Params lists its tensors under dotted names, the names
// checkpoints use.
//
// # Training
//
// SGD (momentum, weight decay), Adam and AdamW (decoupled weight decay)
// with learning-rate Schedules (Constant, StepDecay, Cosine with warm-up);
// ClipGradNorm and ClipGradValue. MuZero's value transform h(x) and its
// inverse, the two-hot support encoding (TwoHot) and its expectation
// (SupportExpectation) are here too. Losses: MSE, Huber, MSLE,
// CrossEntropy and CrossEntropyLabels.
//
// # Checkpoints
//
// Save writes the parameters as a safetensors file (readable by PyTorch's
// and Hugging Face's loaders) with the architecture name and config in its
// metadata and a SHA-256 of the data; ReadCheckpoint validates everything
// it reads and LoadInto refuses a checkpoint whose names, dtypes or shapes
// do not match the model, naming the file and tensor at fault.
//
// # Backends
//
// The Backend interface holds the kernels. CPU is float32, its matrix
// products on OpenBLAS when the library loads at run time and on gonum's
// pure-Go BLAS otherwise (CORL_NN_BLAS forces one; CPUBLAS says which),
// using every core for large kernels; CPU64 computes in float64 and is the
// reference of the conformance suite (nn/backendtest), which checks every
// operation's gradient against finite differences and every backend
// against it. A binary built with -tags cuda registers the CUDA backend of
// package cuda. Default picks CORL_NN_BACKEND if set, else cuda when
// present, else cpu. Tensors of different backends do not mix.
//
// Shapes that do not fit an operation are programmer errors and panic
// with a message naming the operation and the shapes; errors a user can
// cause (a bad checkpoint, an unknown backend name, an invalid config)
// are returned.
package nn
