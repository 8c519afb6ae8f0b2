package client

import (
	"errors"
	"sync"
)

// ErrRequestCap is returned, and nothing is sent, when a client's Budget
// is spent.
var ErrRequestCap = errors.New("client: request cap reached")

// Budget caps the requests clients send: every login, listing page and
// attempt takes one before it goes on the wire. Safe for concurrent use
// and shared by the clients of a run; a nil *Budget is unlimited.
type Budget struct {
	mu    sync.Mutex
	limit int
	used  int
}

// NewBudget returns a budget of limit requests.
func NewBudget(limit int) *Budget { return &Budget{limit: limit} }

// SetLimit changes the limit; requests already taken stay taken.
func (b *Budget) SetLimit(limit int) {
	b.mu.Lock()
	b.limit = limit
	b.mu.Unlock()
}

// Used returns how many requests have been taken.
func (b *Budget) Used() int {
	if b == nil {
		return 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}

// take takes one request, or reports false when the budget is spent.
func (b *Budget) take() bool {
	if b == nil {
		return true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.used >= b.limit {
		return false
	}
	b.used++
	return true
}
