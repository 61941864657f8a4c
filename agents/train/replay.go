package train

// Replay is a first-in, first-out buffer of experience under a memory
// budget: adding an item evicts the oldest ones until the items held fit
// the budget again (the newest one is always kept). Items are numbered in
// the order they were added, so a checkpoint can record which ones the
// buffer holds (First and Len) and a resumed run refill it. The zero value
// has no budget.
type Replay[T any] struct {
	// Budget is the most bytes the items may hold (0: no limit).
	Budget int64
	items  []T
	sizes  []int64
	used   int64
	first  int
}

// Add appends an item of the given size and returns how many old items it
// evicted.
func (r *Replay[T]) Add(item T, bytes int64) (evicted int) {
	r.items = append(r.items, item)
	r.sizes = append(r.sizes, bytes)
	r.used += bytes
	for r.Budget > 0 && r.used > r.Budget && len(r.items)-evicted > 1 {
		r.used -= r.sizes[evicted]
		evicted++
	}
	if evicted > 0 {
		var zero T
		for i := range evicted {
			r.items[i] = zero // let the garbage collector have them
		}
		r.items, r.sizes = r.items[evicted:], r.sizes[evicted:]
		r.first += evicted
	}
	return evicted
}

// Len is the number of items held.
func (r *Replay[T]) Len() int { return len(r.items) }

// At returns the i-th item held, the oldest first.
func (r *Replay[T]) At(i int) T { return r.items[i] }

// Bytes is the memory the held items take, as their sizes said.
func (r *Replay[T]) Bytes() int64 { return r.used }

// First is the number of the oldest item held (items evicted so far).
func (r *Replay[T]) First() int { return r.first }

// Skip sets the number of the next item to be added to n when the buffer
// is empty: a resumed run that refills the buffer from its checkpoint's
// First starts numbering there.
func (r *Replay[T]) Skip(n int) {
	if len(r.items) == 0 {
		r.first = n
	}
}

// Anneal is a linear schedule, such as an exploration rate: start at
// t = 0, moving to end at t = over, and end after.
func Anneal(start, end, t, over float64) float64 {
	f := 1.0
	if over > 0 {
		f = min(1, t/over)
	}
	return start + (end-start)*f
}
