package malloc

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/corl-go/corl/envs"
)

// Buffer is one tensor's buffer.
type Buffer struct {
	ID         int
	Start, End int64 // live over [Start, End)
	Size       int64 // bytes
	Uses       int   // accesses (a write and its reads)
	Benefit    float64
}

// Overlaps reports whether two buffers are live at the same time.
func (b Buffer) Overlaps(c Buffer) bool { return b.Start < c.End && c.Start < b.End }

// Model is the benefit model; see the package doc.
type Model struct {
	SlowBandwidth, FastBandwidth float64 // bytes per second
}

// DefaultModel: HBM-class slow memory, on-chip fast memory ten times faster.
var DefaultModel = Model{SlowBandwidth: 1.2e12, FastBandwidth: 12e12}

// Benefit returns the microseconds saved by placing a buffer.
func (m Model) Benefit(size int64, uses int) float64 {
	return float64(uses) * float64(size) * (1/m.SlowBandwidth - 1/m.FastBandwidth) * 1e6
}

// Instance is a set of buffers and a fast memory.
type Instance struct {
	Name      string
	Buffers   []Buffer
	Capacity  int64
	Alignment int64 // offsets are multiples of it (0 or 1: any)
	Note      string
}

// Validate checks the instance.
func (in *Instance) Validate() error {
	if in.Capacity <= 0 {
		return fmt.Errorf("malloc: %s: capacity %d must be positive", in.Name, in.Capacity)
	}
	for i, b := range in.Buffers {
		switch {
		case b.Size <= 0:
			return fmt.Errorf("malloc: %s: buffer %d (id %d): size %d must be positive", in.Name, i, b.ID, b.Size)
		case b.End <= b.Start:
			return fmt.Errorf("malloc: %s: buffer %d (id %d): empty live range [%d, %d)", in.Name, i, b.ID, b.Start, b.End)
		case b.Benefit < 0 || math.IsNaN(b.Benefit):
			return fmt.Errorf("malloc: %s: buffer %d (id %d): benefit %v", in.Name, i, b.ID, b.Benefit)
		}
	}
	return nil
}

// TotalBenefit is the benefit of placing every buffer.
func (in *Instance) TotalBenefit() float64 {
	t := 0.0
	for _, b := range in.Buffers {
		t += b.Benefit
	}
	return t
}

// PeakLive is the largest total size live at one time.
func (in *Instance) PeakLive() int64 {
	type ev struct {
		t int64
		d int64
	}
	var evs []ev
	for _, b := range in.Buffers {
		evs = append(evs, ev{b.Start, b.Size}, ev{b.End, -b.Size})
	}
	slices.SortFunc(evs, func(a, b ev) int {
		if a.t != b.t {
			return int(math.Copysign(1, float64(a.t-b.t)))
		}
		return int(a.d - b.d) // ends before starts at the same time
	})
	var cur, peak int64
	for _, e := range evs {
		cur += e.d
		peak = max(peak, cur)
	}
	return peak
}

// Order is the order in which the game presents buffers.
type Order int

const (
	XLAOrder  Order = iota // memory-boundedness, then size, then live length (default)
	SizeOrder              // decreasing size, then live length
)

// order returns buffer indices in presentation order.
func (in *Instance) order(o Order) []int {
	idx := make([]int, len(in.Buffers))
	for i := range idx {
		idx[i] = i
	}
	key := func(i int) [3]float64 {
		b := in.Buffers[i]
		l := float64(b.End - b.Start)
		if o == SizeOrder {
			return [3]float64{float64(b.Size), l, 0}
		}
		return [3]float64{b.Benefit / math.Sqrt(float64(b.Size)), float64(b.Size), l}
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		ka, kb := key(a), key(b)
		for k := range ka {
			if ka[k] != kb[k] {
				if ka[k] > kb[k] {
					return -1
				}
				return 1
			}
		}
		return a - b
	})
	return idx
}

// Observation sizes.
const (
	MaxCandidates  = 16
	OccupancyBins  = 16
	bufferFeatures = 6
	// CandidateFeatures values describe each candidate offset: its start
	// and end over the capacity, the free space above it over the
	// capacity, and 1 (0 in the padding past the last candidate).
	CandidateFeatures = 4
	// CandidatesAt is where candidate k's features start in Obs.Features:
	// at CandidatesAt + k CandidateFeatures.
	CandidatesAt = bufferFeatures + OccupancyBins
	// ObsSize is the length of Obs.Features.
	ObsSize = CandidatesAt + MaxCandidates*CandidateFeatures
	// SlowAction leaves the current buffer in slow memory.
	SlowAction = MaxCandidates
	// NumActions is the size of the action space.
	NumActions = MaxCandidates + 1
)

// Obs is the observation: a fixed-size numeric encoding and the legal mask.
type Obs struct {
	Features []float64 // ObsSize values
	Mask     [NumActions]bool
	Buffer   int     // index of the current buffer in the instance
	Offsets  []int64 // the candidate offsets, in action order
}

// StepInfo reports the step.
type StepInfo struct {
	Buffer    int     // index of the buffer decided
	Offset    int64   // its offset, -1 in slow memory
	TimeSaved float64 // microseconds saved by this placement
}

// Offsets names the canonical offsets the game offers.
type Offsets int

const (
	// TopOffsets: 0 and the tops of placed buffers live at the same time
	// (the offsets XLA's heap simulator considers; the default).
	TopOffsets Offsets = iota
	// EdgeOffsets: also, below each placed buffer live at the same time,
	// its bottom minus the buffer's size, and the capacity minus the size:
	// every offset where the buffer touches a neighbour or an end of
	// memory, so a buffer can rest under one placed before it.
	EdgeOffsets
)

// OffsetsNames are the names of the Offsets values, in order.
var OffsetsNames = []string{"tops", "edges"}

// String returns the offsets' name.
func (o Offsets) String() string {
	if o >= 0 && int(o) < len(OffsetsNames) {
		return OffsetsNames[o]
	}
	return fmt.Sprintf("Offsets(%d)", int(o))
}

// ParseOffsets returns the Offsets named s (tops or edges).
func ParseOffsets(s string) (Offsets, error) {
	if k := slices.Index(OffsetsNames, s); k >= 0 {
		return Offsets(k), nil
	}
	return 0, fmt.Errorf("malloc: offsets %q: want tops or edges", s)
}

// Config configures an Env. The zero value is XLA's order and TopOffsets.
type Config struct {
	Order   Order
	Offsets Offsets
}

// Validate checks the configuration.
func (c Config) Validate() error {
	switch {
	case c.Order != XLAOrder && c.Order != SizeOrder:
		return fmt.Errorf("malloc: Config.Order %d: want XLAOrder or SizeOrder", c.Order)
	case c.Offsets != TopOffsets && c.Offsets != EdgeOffsets:
		return fmt.Errorf("malloc: Config.Offsets %d: want TopOffsets or EdgeOffsets", c.Offsets)
	}
	return nil
}

// Env is the mallocGame on one instance.
type Env struct {
	in      *Instance
	cfg     Config
	order   []int
	total   float64
	horizon float64
	maxBen  float64

	pos    int     // next buffer in order
	offset []int64 // per buffer: offset, -1 slow, -2 undecided
	placed []int   // indices of placed buffers
	cands  []int64
	xla    []bool  // per candidate: 0 or a top, an offset XLA's heap simulator considers
	tops   []int64 // scratch
	try    []int64 // scratch
	reset  bool
	saved  float64
}

var (
	_ envs.Env[Obs, int] = (*Env)(nil)
	_ envs.Legal[int]    = (*Env)(nil)
	_ envs.Metered       = (*Env)(nil)
)

// New returns a game on an instance.
func New(in *Instance, cfg Config) (*Env, error) {
	if in == nil {
		return nil, errors.New("malloc: nil instance")
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	g := &Env{in: in, cfg: cfg, order: in.order(cfg.Order), total: in.TotalBenefit()}
	for _, b := range in.Buffers {
		g.horizon = math.Max(g.horizon, float64(b.End))
		g.maxBen = math.Max(g.maxBen, b.Benefit)
	}
	return g, nil
}

// Reset starts an episode (the game itself is deterministic; the seed is
// unused).
func (g *Env) Reset(uint64) (Obs, error) {
	g.pos, g.saved, g.reset = 0, 0, true
	g.offset = make([]int64, len(g.in.Buffers))
	for i := range g.offset {
		g.offset[i] = -2
	}
	g.placed = g.placed[:0]
	g.candidates()
	return g.observe(), nil
}

// Done reports whether every buffer has been decided.
func (g *Env) Done() bool { return g.reset && g.pos >= len(g.order) }

// Current returns the index of the buffer to decide, or -1 when done.
func (g *Env) Current() int {
	if g.pos >= len(g.order) {
		return -1
	}
	return g.order[g.pos]
}

// Candidates returns the current candidate offsets, in action order.
func (g *Env) Candidates() []int64 { return g.cands }

func alignUp(x, a int64) int64 {
	if a <= 1 {
		return x
	}
	return (x + a - 1) / a * a
}

func alignDown(x, a int64) int64 {
	if a <= 1 {
		return x
	}
	return x / a * a
}

// candidates computes the canonical offsets where the current buffer fits.
func (g *Env) candidates() {
	g.cands = g.cands[:0]
	if g.pos >= len(g.order) {
		return
	}
	b := g.in.Buffers[g.order[g.pos]]
	var live []int // placed buffers overlapping in time
	for _, k := range g.placed {
		if g.in.Buffers[k].Overlaps(b) {
			live = append(live, k)
		}
	}
	tops := append(g.tops[:0], 0)
	for _, k := range live {
		tops = append(tops, alignUp(g.offset[k]+g.in.Buffers[k].Size, g.in.Alignment))
	}
	slices.Sort(tops)
	tops = slices.Compact(tops)
	g.tops = tops
	fits := func(off int64) bool {
		if off+b.Size > g.in.Capacity {
			return false
		}
		for _, k := range live {
			o, s := g.offset[k], g.in.Buffers[k].Size
			if off < o+s && o < off+b.Size {
				return false
			}
		}
		return true
	}
	g.xla = g.xla[:0]
	for _, off := range tops {
		if len(g.cands) == MaxCandidates {
			break
		}
		if fits(off) {
			g.cands, g.xla = append(g.cands, off), append(g.xla, true)
		}
	}
	if g.cfg.Offsets != EdgeOffsets || len(g.cands) == MaxCandidates {
		return
	}
	// The edges fill the places the tops leave, lowest first, so the
	// candidates are always a superset of TopOffsets' (BestFit and
	// FirstFit play the same moves in both games).
	try := g.try[:0]
	if top := alignDown(g.in.Capacity-b.Size, g.in.Alignment); top > 0 {
		try = append(try, top)
	}
	for _, k := range live {
		if off := alignDown(g.offset[k]-b.Size, g.in.Alignment); off > 0 {
			try = append(try, off)
		}
	}
	slices.Sort(try)
	try = slices.Compact(try)
	g.try = try
	n := len(g.cands)
	for _, off := range try {
		if len(g.cands) == MaxCandidates {
			break
		}
		if _, top := slices.BinarySearch(tops, off); !top && fits(off) {
			g.cands, g.xla = append(g.cands, off), append(g.xla, false)
		}
	}
	if len(g.cands) > n { // merge, in increasing offset
		sortCandidates(g.cands, g.xla)
	}
}

// sortCandidates sorts offsets increasing, carrying their flags along.
func sortCandidates(offs []int64, flags []bool) {
	for i := 1; i < len(offs); i++ {
		for j := i; j > 0 && offs[j] < offs[j-1]; j-- {
			offs[j], offs[j-1] = offs[j-1], offs[j]
			flags[j], flags[j-1] = flags[j-1], flags[j]
		}
	}
}

// Legal lists the legal actions: candidate indices, then SlowAction.
func (g *Env) Legal() []int {
	if g.Done() {
		return nil
	}
	out := make([]int, 0, len(g.cands)+1)
	for k := range g.cands {
		out = append(out, k)
	}
	return append(out, SlowAction)
}

// Step decides the current buffer.
func (g *Env) Step(action int) (envs.Step[Obs], error) {
	var st envs.Step[Obs]
	info, err := g.advance(action)
	if err != nil {
		return st, err
	}
	if g.total > 0 {
		st.Reward = info.TimeSaved / g.total
	}
	st.Obs, st.Terminated, st.Info = g.observe(), g.Done(), info
	return st, nil
}

// Advance is Step without the observation, for rollouts that only need
// the game's state (Metric, Candidates, Current) after the move: the same
// move, the same errors, several times cheaper.
func (g *Env) Advance(action int) error {
	_, err := g.advance(action)
	return err
}

func (g *Env) advance(action int) (StepInfo, error) {
	switch {
	case !g.reset:
		return StepInfo{}, envs.ErrNotReset
	case g.Done():
		return StepInfo{}, envs.ErrEpisodeOver
	case action != SlowAction && (action < 0 || action >= len(g.cands)):
		return StepInfo{}, &envs.IllegalActionError{Action: action, Reason: fmt.Sprintf("%d candidate offsets here; %d is slow memory", len(g.cands), SlowAction)}
	}
	i := g.order[g.pos]
	info := StepInfo{Buffer: i, Offset: -1}
	if action == SlowAction {
		g.offset[i] = -1
	} else {
		g.offset[i] = g.cands[action]
		g.placed = append(g.placed, i)
		info.Offset, info.TimeSaved = g.offset[i], g.in.Buffers[i].Benefit
		g.saved += info.TimeSaved
	}
	g.pos++
	g.candidates()
	return info, nil
}

// observe encodes the state.
func (g *Env) observe() Obs {
	o := Obs{Features: make([]float64, ObsSize), Buffer: g.Current(), Offsets: slices.Clone(g.cands)}
	if o.Buffer < 0 {
		return o
	}
	b := g.in.Buffers[o.Buffer]
	c := float64(g.in.Capacity)
	f := o.Features
	f[0] = float64(b.Size) / c
	f[1] = float64(b.End-b.Start) / g.horizon
	f[2] = b.Benefit / math.Max(g.maxBen, 1e-300)
	f[3] = float64(b.Start) / g.horizon
	f[4] = float64(b.End) / g.horizon
	f[5] = float64(len(g.order)-g.pos) / float64(len(g.order))
	// occupancy of each address bin by buffers live with b
	occ := f[bufferFeatures : bufferFeatures+OccupancyBins]
	bin := c / OccupancyBins
	for _, k := range g.placed {
		p := g.in.Buffers[k]
		if !p.Overlaps(b) {
			continue
		}
		lo, hi := float64(g.offset[k]), float64(g.offset[k]+p.Size)
		for z := range OccupancyBins {
			a, e := float64(z)*bin, float64(z+1)*bin
			if ov := math.Min(hi, e) - math.Max(lo, a); ov > 0 {
				occ[z] += ov / bin
			}
		}
	}
	for k, off := range g.cands {
		v := f[CandidatesAt+k*CandidateFeatures:]
		v[0] = float64(off) / c
		v[1] = float64(off+b.Size) / c
		v[2] = float64(g.gapAbove(off, b)) / c // free space above the buffer at this offset
		v[3] = 1
		o.Mask[k] = true
	}
	o.Mask[SlowAction] = true
	return o
}

// gapAbove returns the free address space above [off, off+size) among the
// buffers live with b (up to the capacity).
func (g *Env) gapAbove(off int64, b Buffer) int64 {
	top := off + b.Size
	next := g.in.Capacity
	for _, k := range g.placed {
		p := g.in.Buffers[k]
		if p.Overlaps(b) && g.offset[k] >= top && g.offset[k] < next {
			next = g.offset[k]
		}
	}
	return next - top
}

// Offsets returns each buffer's offset (-1 slow, -2 undecided).
func (g *Env) Offsets() []int64 { return slices.Clone(g.offset) }

// Config returns the game's configuration.
func (g *Env) Config() Config { return g.cfg }

// Instance returns the instance.
func (g *Env) Instance() *Instance { return g.in }

// TimeSaved is the microseconds saved so far.
func (g *Env) TimeSaved() float64 { return g.saved }

// RewardOffset is 0: Reset earns nothing.
func (g *Env) RewardOffset() float64 { return 0 }

// Metric is the fraction of the total benefit achieved so far.
func (g *Env) Metric() float64 {
	if g.total == 0 {
		return 0
	}
	return g.saved / g.total
}

// Clone returns an independent copy of the game in its current state.
func (g *Env) Clone() *Env {
	c := *g
	c.offset = slices.Clone(g.offset)
	c.placed = slices.Clone(g.placed)
	c.cands = slices.Clone(g.cands)
	c.xla = slices.Clone(g.xla)
	c.tops, c.try = nil, nil
	return &c
}

// CheckPlacement verifies that placed buffers live at the same time never
// overlap in address and stay within capacity.
func (in *Instance) CheckPlacement(offset []int64) error {
	for i, b := range in.Buffers {
		o := offset[i]
		if o < 0 {
			continue
		}
		if o+b.Size > in.Capacity {
			return fmt.Errorf("malloc: buffer %d at [%d, %d) exceeds capacity %d", i, o, o+b.Size, in.Capacity)
		}
		if in.Alignment > 1 && o%in.Alignment != 0 {
			return fmt.Errorf("malloc: buffer %d at %d is not aligned to %d", i, o, in.Alignment)
		}
		for j := i + 1; j < len(in.Buffers); j++ {
			c, p := in.Buffers[j], offset[j]
			if p >= 0 && b.Overlaps(c) && o < p+c.Size && p < o+b.Size {
				return fmt.Errorf("malloc: buffers %d and %d overlap in time and address", i, j)
			}
		}
	}
	return nil
}

// RandomLegal returns a uniformly random legal action.
func (g *Env) RandomLegal(rng *rand.Rand) int {
	l := g.Legal()
	return l[rng.IntN(len(l))]
}
