package mockgateway

import (
	"net/http"
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ratelab/ratelab/clock"
	"github.com/ratelab/ratelab/mockgateway/limit"
)

// unmatched is the route label of a request on no route of the api table
// (404, 405, unclean paths): labels never carry a raw path, so requests
// on random paths cannot grow the metrics without bound.
const unmatched = "unmatched"

// metrics are the gateway's Prometheus metrics. Every label takes one of
// a bounded set of values: method one of the standard methods or "other",
// route a pattern of the api table or unmatched, code a status the
// gateway answers, bucket a bucket of the scenario.
type metrics struct {
	mu             sync.Mutex
	byLabels       map[requestLabels]prometheus.Counter // cached children of requests
	byBucket       map[string]prometheus.Counter        // and of rejections
	reg            *prometheus.Registry
	requests       *prometheus.CounterVec
	rejections     *prometheus.CounterVec
	tokenThrottles prometheus.Counter
	retryAfter     prometheus.Histogram
	trueWait       prometheus.Histogram
}

func newMetrics(model *limit.Model, clk clock.Clock) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ratelab_gateway_requests_total",
		Help: `Requests answered, by method ("other" for a non-standard one), route pattern ("unmatched" for none) and status code.`},
		[]string{"method", "route", "code"})
	m.rejections = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ratelab_gateway_rejections_total",
		Help: "429s, by the bucket reported as refusing."}, []string{"bucket"})
	m.tokenThrottles = prometheus.NewCounter(prometheus.CounterOpts{Name: "ratelab_gateway_token_throttles_total",
		Help: "Token requests refused by the minting limit (answered 400 invalid_request)."})
	m.retryAfter = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "ratelab_gateway_retry_after_seconds",
		Help: "Retry-After seconds stated in 429s.", Buckets: []float64{0, 1, 2, 5, 10, 30, 60, 300}})
	m.trueWait = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "ratelab_gateway_true_wait_seconds",
		Help:    "True wait until a refused request would have been admitted.",
		Buckets: []float64{0.01, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 300}})
	m.reg.MustRegister(m.requests, m.rejections, m.tokenThrottles, m.retryAfter, m.trueWait, newBucketCollector(model, clk))
	return m
}

// requestLabels are the labels of one child of the requests counter.
type requestLabels struct {
	method, route string
	code          int
}

// methodLabel returns m when it is a standard method, else "other": a
// client may send any token as a method.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "other"
}

func (m *metrics) observe(rc *reqCtx) {
	k := requestLabels{methodLabel(rc.r.Method), rc.label, rc.w.status}
	m.mu.Lock()
	c, ok := m.byLabels[k]
	if !ok {
		if m.byLabels == nil {
			m.byLabels = map[requestLabels]prometheus.Counter{}
		}
		c = m.requests.WithLabelValues(k.method, k.route, strconv.Itoa(k.code))
		m.byLabels[k] = c
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

// bucketCollector reports each bucket's level when scraped, one series
// per bucket name. A bucket kept per key (scope token, client, user, ip
// or route) reports its most drained key: the remaining and limit of the
// key with the least remaining, the one closest to refusing, and how many
// keys it holds; a bucket no request has reached yet reports only its
// zero keys.
type bucketCollector struct {
	model *limit.Model
	clock clock.Clock
}

// The bucket gauges' descriptions, shared by every gateway: a Desc is
// immutable, and building them costs more than the rest of a collector.
var (
	bucketRemainingDesc = prometheus.NewDesc("ratelab_gateway_bucket_remaining",
		"Capacity a bucket has left; for a bucket kept per key, that of its most drained key.", []string{"bucket"}, nil)
	bucketLimitDesc = prometheus.NewDesc("ratelab_gateway_bucket_limit",
		"A bucket's capacity; for a bucket kept per key, that of its most drained key.", []string{"bucket"}, nil)
	bucketKeysDesc = prometheus.NewDesc("ratelab_gateway_bucket_keys",
		"Keys (tokens, clients, users, ...) a bucket holds state for; 1 for a global or org bucket once used.", []string{"bucket"}, nil)
)

func newBucketCollector(model *limit.Model, clk clock.Clock) *bucketCollector {
	return &bucketCollector{model: model, clock: clk}
}

// Describe implements prometheus.Collector.
func (c *bucketCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- bucketRemainingDesc
	ch <- bucketLimitDesc
	ch <- bucketKeysDesc
}

// Collect implements prometheus.Collector.
func (c *bucketCollector) Collect(ch chan<- prometheus.Metric) {
	for _, b := range c.model.Stats(c.clock.Now()) {
		ch <- prometheus.MustNewConstMetric(bucketKeysDesc, prometheus.GaugeValue, float64(len(b.Levels)), b.Name)
		if len(b.Levels) == 0 {
			continue
		}
		low := b.Levels[0]
		for _, l := range b.Levels[1:] {
			if l.Remaining < low.Remaining {
				low = l
			}
		}
		ch <- prometheus.MustNewConstMetric(bucketRemainingDesc, prometheus.GaugeValue, low.Remaining, b.Name)
		ch <- prometheus.MustNewConstMetric(bucketLimitDesc, prometheus.GaugeValue, low.Limit, b.Name)
	}
}
