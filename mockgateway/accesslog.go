package mockgateway

import (
	"io"
	"strings"
	"sync"
	"time"

	"github.com/ratelab/ratelab/mockgateway/limit"
	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/scenarios"
)

// addDecision records on r every bucket's view of d, and the bucket that
// refused it.
func addDecision(r *record.Request, d *limit.Decision) {
	for _, c := range d.Buckets {
		br := record.Bucket{Name: c.Bucket.Name(), Remaining: c.Remaining, Limit: c.Limit, Refused: c.Refused}
		if c.Wait > 0 {
			br.WaitNS = int64(c.Wait)
		}
		r.Buckets = append(r.Buckets, br)
	}
	if !d.Allowed {
		r.RejectedBy = d.Buckets[d.Rejected].Bucket.Name()
		r.TrueWaitNS = int64(d.Wait)
	}
}

// accessLog writes the access log. Safe for concurrent use; a nil writer
// makes every method a no-op apart from counting.
type accessLog struct {
	mu    sync.Mutex
	w     *record.Writer
	start time.Time
	seq   uint64
}

func newAccessLog(w io.Writer, start time.Time) *accessLog {
	l := &accessLog{start: start}
	if w != nil {
		l.w = record.NewWriter(w)
	}
	return l
}

func (l *accessLog) header(sc *scenarios.Scenario, seed uint64, version string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.w == nil {
		return
	}
	h := &record.AccessHeader{Schema: record.Schema, Type: record.TypeHeader, Start: l.start.UTC().Format(time.RFC3339Nano),
		Scenario: sc.Name, Seed: seed, Version: version, TimeScale: sc.TimeScale}
	for _, b := range sc.Gateway.Buckets {
		spec := record.BucketSpec{Name: b.Name, Algorithm: b.Algorithm, Scope: b.Scope, Burst: b.Burst, Namespace: b.Namespace, Key: b.Key}
		if b.Limit != nil {
			lim, _ := b.Limit.MarshalText()
			spec.Limit = string(lim)
			if b.Limit.FromTier {
				var per []string
				for _, tn := range sc.TierNames() {
					per = append(per, tn+"="+sc.Gateway.Tiers[tn][b.Name].Rate.String())
				}
				spec.Limit = "tier (" + strings.Join(per, ", ") + ")"
			}
		}
		if b.Window > 0 {
			spec.Window = b.Window.String()
		}
		h.BucketSpecs = append(h.BucketSpecs, spec)
	}
	l.w.AccessHeader(h)
}

// request assigns the next sequence number and writes r.
func (l *accessLog) request(r *record.Request, arrived, done time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seq++
	if l.w == nil {
		return
	}
	r.Seq = l.seq
	r.T = int64(arrived.Sub(l.start))
	r.LatencyNS = int64(done.Sub(arrived))
	l.w.Request(r)
}

func (l *accessLog) background(stats []limit.BucketStats, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.w == nil {
		return
	}
	b := &record.Background{Schema: record.Schema, Type: record.TypeBackground, T: int64(now.Sub(l.start))}
	for _, s := range stats {
		if s.BackgroundAdmitted+s.BackgroundRejected > 0 {
			b.Counts = append(b.Counts, record.BackgroundCount{Bucket: s.Name, Admitted: s.BackgroundAdmitted, Rejected: s.BackgroundRejected})
		}
	}
	l.w.Background(b)
}

func (l *accessLog) flush() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.w == nil {
		return nil
	}
	return l.w.Flush()
}

// Requests returns how many request records have been written.
func (s *Server) Requests() uint64 {
	s.log.mu.Lock()
	defer s.log.mu.Unlock()
	return s.log.seq
}
