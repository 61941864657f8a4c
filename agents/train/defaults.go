package train

// Default sets *p to v when *p is its type's zero value: the "zero means
// the default" rule of every agent's configuration, in one place.
func Default[T comparable](p *T, v T) {
	var zero T
	if *p == zero {
		*p = v
	}
}
