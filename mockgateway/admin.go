package mockgateway

import (
	"net/http"
	"sync/atomic"

	"github.com/gorilla/mux"

	"github.com/ratelab/ratelab/mockgateway/limit"
)

// AdminPrefix is the reserved path prefix of the admin endpoints: health,
// stats, reset and metrics. Admin requests are neither limited nor logged.
const AdminPrefix = "/__ratelab"

// verdicts counts, per bucket of the model, the refused requests the
// bucket was reported as rejecting and those it refused itself. A request
// that several buckets of its route refuse is rejected by the first of
// them (the one its 429 reports) and refused by each; a bucket that
// admitted it counts nothing. Safe for concurrent use.
type verdicts struct {
	index    map[*limit.Bucket]int // by the model's bucket order
	rejected []atomic.Uint64
	refused  []atomic.Uint64
}

func newVerdicts(m *limit.Model) *verdicts {
	bs := m.Buckets()
	v := &verdicts{index: make(map[*limit.Bucket]int, len(bs)), rejected: make([]atomic.Uint64, len(bs)), refused: make([]atomic.Uint64, len(bs))}
	for i, b := range bs {
		v.index[b] = i
	}
	return v
}

// count adds a refused decision.
func (v *verdicts) count(d *limit.Decision) {
	for i, c := range d.Buckets {
		if !c.Refused {
			continue
		}
		j := v.index[c.Bucket]
		v.refused[j].Add(1)
		if i == d.Rejected {
			v.rejected[j].Add(1)
		}
	}
}

func (v *verdicts) reset() {
	for i := range v.rejected {
		v.rejected[i].Store(0)
		v.refused[i].Store(0)
	}
}

// bucketStats is one bucket in /__ratelab/stats: the model's counters and
// levels, with rejected and refused counted as verdicts does.
type bucketStats struct {
	Name               string           `json:"name"`
	Algorithm          string           `json:"algorithm"`
	Scope              string           `json:"scope"`
	Admitted           uint64           `json:"admitted"`
	Rejected           uint64           `json:"rejected"`
	Refused            uint64           `json:"refused"`
	BackgroundAdmitted uint64           `json:"background_admitted"`
	BackgroundRejected uint64           `json:"background_rejected"`
	Levels             []limit.KeyLevel `json:"levels"`
}

// bucketStats returns every bucket's stats now, in the model's order.
func (s *Server) bucketStats() []bucketStats {
	ms := s.model.Stats(s.clock.Now())
	out := make([]bucketStats, len(ms))
	for i, b := range ms {
		out[i] = bucketStats{Name: b.Name, Algorithm: b.Algorithm, Scope: b.Scope, Admitted: b.Admitted,
			Rejected: s.verdicts.rejected[i].Load(), Refused: s.verdicts.refused[i].Load(),
			BackgroundAdmitted: b.BackgroundAdmitted, BackgroundRejected: b.BackgroundRejected, Levels: b.Levels}
	}
	return out
}

// adminRoutes adds the admin endpoints to r; they serve the Server in
// the request's context.
func adminRoutes(r *mux.Router) {
	r.HandleFunc("/health", func(w http.ResponseWriter, req *http.Request) {
		s := serverOf(req)
		w.Header().Set("Content-Type", "application/json")
		writeJSONBody(w, map[string]string{"status": "ok", "scenario": s.sc.Name})
	}).Methods(http.MethodGet)
	r.HandleFunc("/stats", func(w http.ResponseWriter, req *http.Request) {
		s := serverOf(req)
		w.Header().Set("Content-Type", "application/json")
		writeJSONBody(w, map[string]any{"scenario": s.sc.Name, "requests": s.Requests(), "buckets": s.bucketStats()})
	}).Methods(http.MethodGet)
	r.HandleFunc("/reset", func(w http.ResponseWriter, req *http.Request) {
		s := serverOf(req)
		s.model.Reset(s.clock.Now())
		s.verdicts.reset()
		w.WriteHeader(http.StatusNoContent)
	}).Methods(http.MethodPost)
	r.HandleFunc("/metrics", func(w http.ResponseWriter, req *http.Request) { serverOf(req).promHTTP.ServeHTTP(w, req) }).Methods(http.MethodGet)
}
