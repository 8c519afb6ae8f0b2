package analysis

// maxDense bounds the bins kept in a slice: a run of a day at 100 ms bins
// fits. Bins outside [0, maxDense) — a clock that ran backwards, a log
// with nonsense times — go to a map instead, so no input can make the
// slice huge.
const maxDense = 1 << 20

// counts counts events by bin: a slice for the bins a run fills in order,
// a map for the rest. Ingesting a record costs an index, not a map lookup.
type counts struct {
	dense  []int
	sparse map[int64]int
}

func (c *counts) add(bin int64) {
	if bin >= 0 && bin < maxDense {
		if bin >= int64(len(c.dense)) {
			c.dense = growTo(c.dense, int(bin)+1)
		}
		c.dense[bin]++
		return
	}
	if c.sparse == nil {
		c.sparse = map[int64]int{}
	}
	c.sparse[bin]++
}

// asMap returns the non-zero bins as a map.
func (c *counts) asMap() map[int64]int {
	m := make(map[int64]int, len(c.sparse))
	for b, n := range c.dense {
		if n != 0 {
			m[int64(b)] = n
		}
	}
	for b, n := range c.sparse {
		m[b] = n
	}
	return m
}

// tickBins holds the outcome timeline by tick, the same way.
type tickBins struct {
	dense  []Bin
	sparse map[int64]*Bin
}

func (t *tickBins) at(tk int64) *Bin {
	if tk >= 0 && tk < maxDense {
		if tk >= int64(len(t.dense)) {
			t.dense = growTo(t.dense, int(tk)+1)
		}
		return &t.dense[tk]
	}
	if t.sparse == nil {
		t.sparse = map[int64]*Bin{}
	}
	b, ok := t.sparse[tk]
	if !ok {
		b = &Bin{}
		t.sparse[tk] = b
	}
	return b
}

// asMap returns the ticks that counted an outcome.
func (t *tickBins) asMap() map[int64]*Bin {
	m := make(map[int64]*Bin, len(t.sparse))
	for i := range t.dense {
		if b := &t.dense[i]; b.OK+b.Throttled+b.Other > 0 {
			m[int64(i)] = b
		}
	}
	for k, b := range t.sparse {
		m[k] = b
	}
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
