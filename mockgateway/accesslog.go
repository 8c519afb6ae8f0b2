package mockgateway

import (
	"bufio"
	"encoding/json"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/ratelab/ratelab/mockgateway/limit"
	"github.com/ratelab/ratelab/scenarios"
)

// Schema is the version of the access-log record format.
const Schema = 1

// Record is one line of the access log. Type "header" opens the log,
// "request" is one per response (or dropped connection), "background"
// closes it with the load the clients could not see. Times are nanoseconds
// since the header's start.
type Record struct {
	Schema int    `json:"schema"`
	Type   string `json:"type"`

	// header
	Start     string  `json:"start,omitempty"`
	Scenario  string  `json:"scenario,omitempty"`
	Seed      uint64  `json:"seed,omitempty"`
	Version   string  `json:"version,omitempty"`
	TimeScale float64 `json:"time_scale,omitempty"`
	// BucketSpecs describes every bucket of the model (header only).
	BucketSpecs []BucketSpec `json:"bucket_specs,omitempty"`

	// request
	Seq           uint64         `json:"seq,omitempty"`
	T             int64          `json:"t"`
	LatencyNS     int64          `json:"latency_ns,omitempty"`
	Client        string         `json:"client,omitempty"`
	TokenID       string         `json:"token_id,omitempty"`
	Method        string         `json:"method,omitempty"`
	Route         string         `json:"route,omitempty"`
	Path          string         `json:"path,omitempty"`
	RemoteAddr    string         `json:"remote_addr,omitempty"`
	CorrelationID string         `json:"correlation_id,omitempty"`
	Status        int            `json:"status"`
	ErrorCode     string         `json:"error_code,omitempty"`
	Buckets       []BucketRecord `json:"buckets,omitempty"`
	RejectedBy    string         `json:"rejected_by,omitempty"`
	// RetryAfter is the Retry-After header as sent; absent when none was.
	RetryAfter string `json:"retry_after,omitempty"`
	// RetryAfterSeconds is the wait the 429 message stated.
	RetryAfterSeconds int64 `json:"retry_after_s,omitempty"`
	// TrueWaitNS is how long until this request would really have been
	// admitted by every bucket.
	TrueWaitNS int64  `json:"true_wait_ns,omitempty"`
	Fault      string `json:"fault,omitempty"`

	// background
	Background []BackgroundCount `json:"background,omitempty"`
}

// BucketRecord is one bucket's view of a request.
type BucketRecord struct {
	Name      string  `json:"name"`
	Remaining float64 `json:"remaining"`
	Limit     float64 `json:"limit"`
	WaitNS    int64   `json:"wait_ns,omitempty"`
	Refused   bool    `json:"refused,omitempty"`
}

// BucketSpec is one bucket as the scenario defines it.
type BucketSpec struct {
	Name      string `json:"name"`
	Algorithm string `json:"algorithm"`
	Scope     string `json:"scope"`
	// Limit is the rate ("180/min"), "tier" when it depends on the
	// client's tier, or a count for concurrency.
	Limit     string `json:"limit"`
	Burst     int    `json:"burst,omitempty"`
	Window    string `json:"window,omitempty"`
	Namespace string `json:"namespace,omitempty"`
	Key       string `json:"key,omitempty"`
}

// BackgroundCount is the background load one bucket absorbed.
type BackgroundCount struct {
	Bucket   string `json:"bucket"`
	Admitted uint64 `json:"admitted"`
	Rejected uint64 `json:"rejected"`
}

func (r *Record) addDecision(d *limit.Decision, tier int) {
	for _, c := range d.Buckets {
		br := BucketRecord{Name: c.Bucket.Name(), Remaining: c.Remaining, Limit: c.Limit, Refused: c.Refused}
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

// accessLog writes records as JSON Lines. Safe for concurrent use; a nil
// writer makes every method a no-op apart from counting.
type accessLog struct {
	mu    sync.Mutex
	w     *bufio.Writer
	start time.Time
	seq   uint64
	err   error
}

func newAccessLog(w io.Writer, start time.Time) *accessLog {
	l := &accessLog{start: start}
	if w != nil {
		l.w = bufio.NewWriterSize(w, 64<<10)
	}
	return l
}

func (l *accessLog) write(r *Record) {
	if l.w == nil || l.err != nil {
		return
	}
	r.Schema = Schema
	b, err := json.Marshal(r)
	if err == nil {
		b = append(b, '\n')
		_, err = l.w.Write(b)
	}
	l.err = err
}

func (l *accessLog) header(sc *scenarios.Scenario, seed uint64, version string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := &Record{Type: "header", Start: l.start.UTC().Format(time.RFC3339Nano), Scenario: sc.Name, Seed: seed, Version: version, TimeScale: sc.TimeScale}
	for _, b := range sc.Gateway.Buckets {
		spec := BucketSpec{Name: b.Name, Algorithm: b.Algorithm, Scope: b.Scope, Burst: b.Burst, Namespace: b.Namespace, Key: b.Key}
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
		r.BucketSpecs = append(r.BucketSpecs, spec)
	}
	l.write(r)
}

// request assigns the next sequence number and writes r.
func (l *accessLog) request(r *Record, arrived, done time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seq++
	r.Seq = l.seq
	r.T = int64(arrived.Sub(l.start))
	r.LatencyNS = int64(done.Sub(arrived))
	l.write(r)
}

func (l *accessLog) background(stats []limit.BucketStats, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := &Record{Type: "background", T: int64(now.Sub(l.start))}
	for _, s := range stats {
		if s.BackgroundAdmitted+s.BackgroundRejected > 0 {
			r.Background = append(r.Background, BackgroundCount{Bucket: s.Name, Admitted: s.BackgroundAdmitted, Rejected: s.BackgroundRejected})
		}
	}
	l.write(r)
}

func (l *accessLog) flush() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.w == nil {
		return nil
	}
	if err := l.w.Flush(); err != nil && l.err == nil {
		l.err = err
	}
	return l.err
}

// Requests returns how many request records have been written.
func (s *Server) Requests() uint64 {
	s.log.mu.Lock()
	defer s.log.mu.Unlock()
	return s.log.seq
}
