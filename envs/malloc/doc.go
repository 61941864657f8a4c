// Package malloc is the memory-mapping game (mallocGame): decide which
// tensors' buffers live in scarce fast memory, and where, to cut a
// program's execution time.
//
// # The instance
//
// Buffers have a live range [Start, End) in program steps, a Size in bytes
// and a Benefit: the modelled time saved if the buffer sits in fast memory.
// Fast memory has a Capacity and an Alignment for offsets.
//
// # The benefit model
//
// A buffer is written once and read Uses-1 times; each access moves Size
// bytes, at SlowBandwidth from slow memory or FastBandwidth from fast
// memory, so placing it saves
//
//	Benefit = Uses * Size * (1/SlowBandwidth - 1/FastBandwidth)
//
// in seconds (reported in microseconds). DefaultModel takes 1.2e12 B/s for
// the slow memory (HBM) and 12e12 B/s for the fast one (on-chip). Workloads
// that know their accesses (ONNX graphs, the synthetic generator) give
// Uses; MiniMalloc CSVs carry no uses, and their instances assume Uses = 2
// (one write, one read).
//
// # The game
//
// Buffers are presented one at a time in a fixed order (XLA's by default:
// memory-boundedness Benefit/sqrt(Size) descending, then Size descending,
// then live-range length descending; or by decreasing size). The action
// places the current buffer at one of at most MaxCandidates canonical
// offsets where it fits (no overlap in address with any placed buffer live
// at the same time, and within capacity), in increasing order, or, as the
// last action, leaves it in slow memory. Config.Offsets chooses the
// canonical offsets: TopOffsets (the default) are 0 and the tops of
// already placed buffers that overlap it in time, aligned up, the offsets
// XLA's heap simulator considers; EdgeOffsets add, for each such buffer,
// its bottom minus the current buffer's size, and the capacity minus the
// size, aligned down, so that a buffer can also rest right under one
// placed before it. The tops come first when more than MaxCandidates fit
// (the lowest of them), the edges fill the places left, so EdgeOffsets'
// candidates always include TopOffsets'. The legal actions come as a mask;
// an illegal action is refused and changes nothing.
//
// Reward: the placed buffer's benefit over the total benefit, so an
// episode's return is the fraction of the total benefit achieved; Info
// carries the absolute time saved. Clone copies the game for planning.
//
// The observation is a fixed-size vector: the current buffer's features,
// the occupancy of fast memory over its live range in OccupancyBins
// address bins, and per candidate offset its features, padded and masked.
package malloc
