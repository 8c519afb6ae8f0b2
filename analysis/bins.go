package analysis

// maxDense bounds the bins kept in a slice: a run of a day at 100 ms bins
// fits. Bins outside [0, maxDense) — a clock that ran backwards, a log
// with nonsense times — go to a map instead, so no input can make the
// slice huge.
const maxDense = 1 << 20

// bins holds a T per bin: a slice for the bins a run fills in order, a
// map for the rest. Ingesting a record costs an index, not a map lookup.
type bins[T any] struct {
	dense  []T
	sparse map[int64]*T
}

// at returns bin k's value, valid until the next call.
func (b *bins[T]) at(k int64) *T {
	if k >= 0 && k < maxDense {
		if k >= int64(len(b.dense)) {
			b.dense = growTo(b.dense, int(k)+1)
		}
		return &b.dense[k]
	}
	if b.sparse == nil {
		b.sparse = map[int64]*T{}
	}
	v, ok := b.sparse[k]
	if !ok {
		v = new(T)
		b.sparse[k] = v
	}
	return v
}

// each calls f for every bin that used is true of.
func (b *bins[T]) each(used func(*T) bool, f func(k int64, v *T)) {
	for i := range b.dense {
		if v := &b.dense[i]; used(v) {
			f(int64(i), v)
		}
	}
	for k, v := range b.sparse {
		if used(v) {
			f(k, v)
		}
	}
}

// counts counts events by bin.
type counts struct{ bins[int] }

func (c *counts) add(bin int64) { *c.at(bin)++ }

// asMap returns the non-zero bins as a map.
func (c *counts) asMap() map[int64]int {
	m := map[int64]int{}
	c.each(func(n *int) bool { return *n != 0 }, func(k int64, n *int) { m[k] = *n })
	return m
}

// tickBins holds the outcome timeline by tick.
type tickBins struct{ bins[Bin] }

// asMap returns the ticks that counted an outcome.
func (t *tickBins) asMap() map[int64]*Bin {
	m := map[int64]*Bin{}
	t.each(func(b *Bin) bool { return b.OK+b.Throttled+b.Other > 0 }, func(k int64, b *Bin) { m[k] = b })
	return m
}

// growTo extends s with zero values to length n, at least doubling its
// capacity.
func growTo[T any](s []T, n int) []T {
	if n <= cap(s) {
		return s[:n]
	}
	g := make([]T, n, max(n, 2*cap(s)))
	copy(g, s)
	return g
}
