package compare

import (
	"github.com/ratelab/ratelab/api"
	"github.com/ratelab/ratelab/record"
)

// work counts what a contention study measures (the AWS architecture
// blog's backoff simulation): the writes a run sent, and when its last
// successful operation ended.
type work struct {
	writes  int
	lastEnd int64 // ns since the run's start
	isWrite map[string]bool
	truth   truth
	capped  string // the cap that ended the run, if one did
}

// Header does nothing: work needs only attempts and operations.
func (w *work) Header(*record.Header) {}

// Attempt counts a write that went on the wire.
func (w *work) Attempt(a *record.Attempt) {
	wr, ok := w.isWrite[a.Route]
	if !ok {
		id, known := api.RouteNamed(a.Route)
		wr = known && id.Route().Writes
		if w.isWrite == nil {
			w.isWrite = map[string]bool{}
		}
		w.isWrite[a.Route] = wr
	}
	if wr && !a.LocalDrop {
		w.writes++
	}
}

// Operation notes when a successful operation ended.
func (w *work) Operation(o *record.Operation) {
	if o.OK {
		w.lastEnd = max(w.lastEnd, o.EndNS)
	}
}

// Final does nothing.
func (w *work) Final(*record.Final) {}

// both passes each record to a, then b.
type both struct{ a, b record.AttemptVisitor }

func (t both) Header(h *record.Header) { t.a.Header(h); t.b.Header(h) }

func (t both) Attempt(r *record.Attempt) { t.a.Attempt(r); t.b.Attempt(r) }

func (t both) Operation(o *record.Operation) { t.a.Operation(o); t.b.Operation(o) }

func (t both) Final(f *record.Final) { t.a.Final(f); t.b.Final(f) }
