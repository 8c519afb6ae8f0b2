package mockgateway

import (
	"net/http"
	"strconv"
	"sync"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"
)

// AdminPrefix is the reserved path prefix of the admin endpoints: health,
// stats, reset and metrics. Admin requests are neither limited nor logged.
const AdminPrefix = "/__ratelab"

type metrics struct {
	mu         sync.Mutex
	byStatus   map[routeStatus]prometheus.Counter // cached children of requests
	byBucket   map[string]prometheus.Counter      // and of rejections
	reg        *prometheus.Registry
	requests   *prometheus.CounterVec
	rejections *prometheus.CounterVec
	retryAfter prometheus.Histogram
	trueWait   prometheus.Histogram
}

func newMetrics() *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ratelab_gateway_requests_total",
		Help: "Requests answered, by route and status."}, []string{"route", "status"})
	m.rejections = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ratelab_gateway_rejections_total",
		Help: "429s, by the bucket reported as refusing."}, []string{"bucket"})
	m.retryAfter = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "ratelab_gateway_retry_after_seconds",
		Help: "Retry-After seconds stated in 429s.", Buckets: []float64{0, 1, 2, 5, 10, 30, 60, 300}})
	m.trueWait = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "ratelab_gateway_true_wait_seconds",
		Help: "True wait until a refused request would have been admitted.", Buckets: prometheus.ExponentialBuckets(0.01, 3, 10)})
	m.reg.MustRegister(m.requests, m.rejections, m.retryAfter, m.trueWait)
	return m
}

type routeStatus struct {
	route  string
	status int
}

func (m *metrics) observe(rc *reqCtx) {
	k := routeStatus{rc.pattern, rc.w.status}
	m.mu.Lock()
	c, ok := m.byStatus[k]
	if !ok {
		if m.byStatus == nil {
			m.byStatus = map[routeStatus]prometheus.Counter{}
		}
		c = m.requests.WithLabelValues(rc.pattern, strconv.Itoa(rc.w.status))
		m.byStatus[k] = c
	}
	var rej prometheus.Counter
	if rc.rec.RejectedBy != "" && rc.w.status == http.StatusTooManyRequests {
		if rej, ok = m.byBucket[rc.rec.RejectedBy]; !ok {
			if m.byBucket == nil {
				m.byBucket = map[string]prometheus.Counter{}
			}
			rej = m.rejections.WithLabelValues(rc.rec.RejectedBy)
			m.byBucket[rc.rec.RejectedBy] = rej
		}
	}
	m.mu.Unlock()
	c.Inc()
	if rej != nil {
		rej.Inc()
		m.retryAfter.Observe(float64(rc.rec.RetryAfterSeconds))
		m.trueWait.Observe(float64(rc.rec.TrueWaitNS) / 1e9)
	}
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
		writeJSONBody(w, map[string]any{"scenario": s.sc.Name, "requests": s.Requests(), "buckets": s.model.Stats(s.clock.Now())})
	}).Methods(http.MethodGet)
	r.HandleFunc("/reset", func(w http.ResponseWriter, req *http.Request) {
		s := serverOf(req)
		s.model.Reset(s.clock.Now())
		w.WriteHeader(http.StatusNoContent)
	}).Methods(http.MethodPost)
	r.HandleFunc("/metrics", func(w http.ResponseWriter, req *http.Request) { serverOf(req).promHTTP.ServeHTTP(w, req) }).Methods(http.MethodGet)
}
