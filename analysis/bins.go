package analysis

import (
	"maps"
	"slices"
)

// maxDense bounds the bins kept in a slice: a run of a day at 100 ms bins
// fits.
const maxDense = 1 << 20

// minDense is how many bins the slice may hold before the records justify
// it (see bins).
const minDense = 1 << 12

// denseFill is how many slice bins each record may pay for.
const denseFill = 4

// bins holds a T per bin: a slice for the bins a run fills in order, a
// map for the rest. Ingesting a record costs an index, not a map lookup.
//
// Memory follows the records, never the span of time they cover: the
// slice grows to bin k only while k < maxDense and k < minDense +
// denseFill × the records binned so far, so a log with a few records far
// apart in time keeps them in the map. Bins below 0 (a clock that ran
// backwards) and beyond the slice go to the map. No key is in both: when
// the slice grows over a bin the map holds, the bin moves to the slice.
type bins[T any] struct {
	dense  []T
	sparse map[int64]*T
	n      int64 // calls to at
}

// at returns bin k's value, valid until the next call.
func (b *bins[T]) at(k int64) *T {
	b.n++
	if uint64(k) < uint64(len(b.dense)) {
		return &b.dense[k]
	}
	if k >= 0 && k < maxDense && k < minDense+denseFill*b.n {
		b.grow(k + 1)
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

// grow extends the slice to n bins, moving in the map's bins it covers.
func (b *bins[T]) grow(n int64) {
	from := int64(len(b.dense))
	b.dense = growTo(b.dense, int(n))
	if len(b.sparse) == 0 {
		return
	}
	for k := from; k < n; k++ {
		if v, ok := b.sparse[k]; ok {
			b.dense[k] = *v
			delete(b.sparse, k)
		}
	}
}

// each calls f, in order of k, for every bin k that used is true of.
func (b *bins[T]) each(used func(*T) bool, f func(k int64, v *T)) {
	keys := slices.Sorted(maps.Keys(b.sparse))
	i := 0
	for ; i < len(keys) && keys[i] < 0; i++ {
		if v := b.sparse[keys[i]]; used(v) {
			f(keys[i], v)
		}
	}
	for k := range b.dense {
		if v := &b.dense[k]; used(v) {
			f(int64(k), v)
		}
	}
	for ; i < len(keys); i++ {
		if v := b.sparse[keys[i]]; used(v) {
			f(keys[i], v)
		}
	}
}

// counts counts events by bin.
type counts struct{ bins[int] }

func (c *counts) add(bin int64) { *c.at(bin)++ }

// get returns bin k's count without adding a bin.
func (c *counts) get(k int64) int {
	if uint64(k) < uint64(len(c.dense)) {
		return c.dense[k]
	}
	if v, ok := c.sparse[k]; ok {
		return *v
	}
	return 0
}

// eachNonZero calls f, in order of bin, for every bin that counted
// something.
func (c *counts) eachNonZero(f func(k int64, n int)) {
	c.each(func(n *int) bool { return *n != 0 }, func(k int64, n *int) { f(k, *n) })
}

// tickBins holds the outcome timeline by tick.
type tickBins struct{ bins[Bin] }

// eachUsed calls f, in order of tick, for every tick that counted an
// outcome.
func (t *tickBins) eachUsed(f func(k int64, b *Bin)) {
	t.each(func(b *Bin) bool { return b.OK+b.Throttled+b.Other > 0 }, f)
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

// floorDiv is a/b rounded down (b > 0), so bins before 0 are as wide as
// the rest.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b < 0 {
		q--
	}
	return q
}
