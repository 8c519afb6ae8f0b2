// Package mockgateway is a mock Genesys Cloud API gateway that serves a
// scenario's rate-limit model over HTTP.
//
// It answers OAuth client-credentials logins, users and SCIM users the way
// the real API does on the wire — including its 429s, its Retry-After lies,
// its 400 "rate limit exceeded" from the login service and its 409 version
// conflicts — so official SDKs and users' scripts run against it unmodified.
// Every request is written to a JSON Lines access log with the ground truth
// only the gateway knows: which bucket refused it and how long the wait
// really was.
//
// A Server is a plain http.Handler with an injectable clock, so it runs in
// real time over loopback (Start, Listen) or in virtual time in-process.
package mockgateway

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	json "github.com/goccy/go-json"
	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ratelab/ratelab/api"
	"github.com/ratelab/ratelab/clock"
	"github.com/ratelab/ratelab/internal/hdr"
	"github.com/ratelab/ratelab/mockgateway/limit"
	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/scenarios"
)

// Options configure a Server.
type Options struct {
	// Scenario is what to serve. Required.
	Scenario *scenarios.Scenario
	// Seed drives every random choice (users, tokens, faults, background
	// load); 0 means the scenario's seed.
	Seed uint64
	// Clock reads time and waits out injected latency; nil means the wall
	// clock. Virtual-time runners pass their own.
	Clock clock.Clock
	// Log receives the access log (JSON Lines); nil means none. The Server
	// buffers it; Close flushes it. The caller closes Log.
	Log io.Writer
	// Version is written to the access log header.
	Version string
}

// Server is the mock gateway. It is safe for concurrent use.
type Server struct {
	sc        *scenarios.Scenario
	seed      uint64
	clock     clock.Clock
	start     time.Time
	model     *limit.Model
	routes    map[string]*limit.Route
	latencies map[string]*scenarios.Latency // per route pattern; "" is the default
	ra        limit.RetryAfter
	users     *store
	auth      *auth
	log       *accessLog
	metrics   *metrics
	verdicts  *verdicts
	// handlers holds the handler of each route served, by route; served
	// is the set of those routes.
	handlers   []*apiHandler
	served     api.Set
	noRoute    http.Handler
	notAllowed http.Handler
	promHTTP   http.Handler // the admin /metrics endpoint

	mu  sync.Mutex // guards rng
	rng *rand.Rand
}

// New builds a Server for opts.Scenario.
func New(opts Options) (*Server, error) {
	sc := opts.Scenario
	if sc == nil {
		return nil, fmt.Errorf("mockgateway: no scenario")
	}
	s := &Server{sc: sc, seed: opts.Seed, clock: clock.Or(opts.Clock)}
	if s.seed == 0 {
		s.seed = sc.Seed
	}
	s.start = s.clock.Now()
	var err error
	if s.model, err = limit.New(sc.LimitConfig(s.seed), s.start); err != nil {
		return nil, fmt.Errorf("mockgateway: scenario %s: %w", sc.Name, err)
	}
	s.routes = map[string]*limit.Route{}
	s.latencies = map[string]*scenarios.Latency{"": sc.Gateway.Faults.Latency}
	for _, r := range sc.Gateway.Routes {
		if r.Latency != nil {
			s.latencies[r.Match] = r.Latency
		}
		lr, err := s.model.Route(r.Match, r.Cost, r.Buckets...)
		if err != nil {
			return nil, fmt.Errorf("mockgateway: scenario %s: %w", sc.Name, err)
		}
		s.routes[r.Match] = lr
	}
	s.ra = sc.RetryAfterPolicy()
	s.rng = rand.New(rand.NewPCG(s.seed, 0x6661756c74))
	s.users = newStore(sc.Gateway.Users.Count, sc.Gateway.Users.Sequential, sc.Gateway.Users.Domain, s.seed, s.start)
	if s.auth, err = newAuth(sc, s.seed, s.start); err != nil {
		return nil, err
	}
	s.metrics = newMetrics(s.model, s.clock)
	s.verdicts = newVerdicts(s.model)
	s.log = newAccessLog(opts.Log, s.start)
	s.log.header(sc, s.seed, opts.Version)
	s.handlers, s.served = s.routeHandlers()
	s.noRoute = s.wrap("", nil, func(rc *reqCtx) {
		s.writeError(rc, http.StatusNotFound, "not.found", "The requested resource was not found", nil)
	})
	s.notAllowed = s.wrap("", nil, func(rc *reqCtx) {
		s.writeError(rc, http.StatusMethodNotAllowed, "method.not.allowed", "HTTP method "+rc.r.Method+" is not supported on "+rc.r.URL.Path, nil)
	})
	s.promHTTP = promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{})
	return s, nil
}

// Close writes the background-load summary and flushes the access log. It
// does not close the writer given in Options.
func (s *Server) Close() error {
	s.log.background(s.model.Stats(s.clock.Now()), s.clock.Now())
	return s.log.flush()
}

// Scenario returns the scenario being served.
func (s *Server) Scenario() *scenarios.Scenario { return s.sc }

// Model returns the rate-limit model, for inspection.
func (s *Server) Model() *limit.Model { return s.model }

// Start is when the server started: its model's background load and
// buckets begin then.
func (s *Server) Start() time.Time { return s.start }

// SampleUserIDs returns up to n user ids, in creation order.
func (s *Server) SampleUserIDs(n int) []string { return s.users.sampleIDs(n) }

// Credentials is what a client needs to log in.
type Credentials struct {
	ClientID     string
	ClientSecret string
	Tier         string
}

// Clients returns the scenario's clients and their secrets.
func (s *Server) Clients() []Credentials {
	var out []Credentials
	for _, c := range s.sc.Clients {
		out = append(out, Credentials{c.ID, c.Secret, c.Tier})
	}
	return out
}

// routeFor returns the limit route for pattern, or the "*" route.
func (s *Server) routeFor(pattern string) *limit.Route {
	if r, ok := s.routes[pattern]; ok {
		return r
	}
	return s.routes["*"]
}

// routeLatency returns the latency model for pattern.
func (s *Server) routeLatency(pattern string) *scenarios.Latency {
	if l, ok := s.latencies[pattern]; ok {
		return l
	}
	return s.latencies[""]
}

// reqCtx carries one request through the middleware and into its record.
type reqCtx struct {
	w       *statusWriter
	r       *http.Request
	id      api.RouteID
	pattern string
	label   string // the route label of its metrics
	route   *limit.Route
	cid     string
	at      time.Time
	tok     *token
	req     limit.Request
	body    []byte
	rec     record.Request
	userID  string // the path's {id}, when the route has one
	sw      statusWriter
	enc     *json.Encoder // writes to sw; kept with the pooled context
	errBody ErrorBody     // writeError's body, and its limit object
	limit   LimitInfo
	dec     limit.Decision
	buckets [4]record.Bucket // backs rec.Buckets for most routes
}

// reqCtxPool recycles request contexts: nothing keeps one once the
// response and its record are written.
var reqCtxPool = sync.Pool{New: func() any { return new(reqCtx) }}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// correlationID returns a fresh id in UUID form, deterministic for a seed.
func (s *Server) correlationID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return uuid(s.rng)
}

func (s *Server) draw() float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rng.Float64()
}

// latency draws a delay from l.
func (s *Server) latency(l *scenarios.Latency) time.Duration {
	if l == nil {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var d float64
	switch l.ParsedDist {
	case scenarios.Constant:
		d = float64(s.sc.Scaled(l.Value.D()))
	case scenarios.Uniform:
		lo, hi := float64(s.sc.Scaled(l.Min.D())), float64(s.sc.Scaled(l.Max.D()))
		d = lo + s.rng.Float64()*(hi-lo)
	case scenarios.Normal:
		d = float64(s.sc.Scaled(l.Mean.D())) + s.rng.NormFloat64()*float64(s.sc.Scaled(l.Stddev.D()))
	case scenarios.Lognormal:
		m, sd := float64(s.sc.Scaled(l.Mean.D())), float64(s.sc.Scaled(l.Stddev.D()))
		sigma2 := math.Log(1 + sd*sd/(m*m))
		d = math.Exp(math.Log(m) - sigma2/2 + s.rng.NormFloat64()*math.Sqrt(sigma2))
	}
	return time.Duration(max(d, 0))
}

// wrap is the middleware every request passes: correlation id, body limit,
// rate limiting (when route is not nil), faults, latency, the handler, and
// the access-log record written after the response.
func (s *Server) wrap(pattern string, route *limit.Route, h func(*reqCtx)) http.Handler {
	label := unmatched
	if pattern != "" {
		label = pattern
	}
	return &apiHandler{s: s, pattern: pattern, label: label, route: route, h: h}
}

// apiHandler is a route's handler behind wrap's middleware.
type apiHandler struct {
	s       *Server
	id      api.RouteID // the api route, when pattern names one
	pattern string
	label   string // the route label of its metrics: a pattern or unmatched
	route   *limit.Route
	h       func(*reqCtx)
}

func (a *apiHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.serve(w, r, mux.Vars(r)["userId"])
}

func (a *apiHandler) serve(w http.ResponseWriter, r *http.Request, userID string) {
	s, h := a.s, a.h
	rc := reqCtxPool.Get().(*reqCtx)
	defer reqCtxPool.Put(rc)
	consulted, enc := rc.dec.Buckets[:0], rc.enc // kept: reused
	*rc = reqCtx{r: r, id: a.id, pattern: a.pattern, label: a.label, route: a.route, cid: s.correlationID(), at: s.clock.Now(), userID: userID, enc: enc}
	rc.sw.ResponseWriter = w
	rc.dec.Buckets = consulted
	rc.w = &rc.sw
	if rc.pattern == "" {
		rc.pattern = r.Method + " " + r.URL.Path
	}
	if r.RemoteAddr == "" {
		// In-process requests (Transport) come from this machine.
		r.RemoteAddr = "127.0.0.1:1"
	}
	rc.rec = record.Request{Schema: record.Schema, Type: record.TypeRequest, Method: r.Method, Route: rc.pattern, Path: r.URL.Path, CorrelationID: rc.cid, RemoteAddr: r.RemoteAddr, Buckets: rc.buckets[:0]}
	rc.w.Header()["Inin-Correlation-Id"] = []string{rc.cid}
	defer func() {
		rc.rec.Status = rc.w.status
		s.metrics.observe(rc)
		s.log.request(&rc.rec, rc.at, s.clock.Now())
	}()
	if !s.readBody(rc) {
		return
	}
	h(rc)
}

// readBody reads the request body within request.bytes.max.
func (s *Server) readBody(rc *reqCtx) bool {
	maxBytes := int64(s.sc.Gateway.RequestBytesMax)
	if rc.r.ContentLength > maxBytes {
		s.delay(rc)
		s.writeError(rc, http.StatusRequestEntityTooLarge, "request.entity.too.large",
			fmt.Sprintf("The request body of %d bytes exceeds the maximum of %d bytes", rc.r.ContentLength, maxBytes), nil)
		return false
	}
	if rc.r.Body == nil || rc.r.Body == http.NoBody || rc.r.ContentLength == 0 && rc.r.Method == http.MethodGet {
		return true
	}
	var body []byte
	var err error
	if n := rc.r.ContentLength; n > 0 && n <= preallocBody {
		// The length is known and small: one allocation.
		body = make([]byte, n)
		_, err = io.ReadFull(rc.r.Body, body)
	} else if n > 0 {
		// A large declared length is believed only as the bytes arrive:
		// a client sending headers alone must not pin n bytes per
		// connection until the read times out.
		buf := bytes.NewBuffer(make([]byte, 0, preallocBody))
		if _, err = io.CopyN(buf, rc.r.Body, n); err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		body = buf.Bytes()
	} else {
		body, err = io.ReadAll(http.MaxBytesReader(rc.w, rc.r.Body, maxBytes))
	}
	if err != nil {
		s.delay(rc)
		s.bodyError(rc, err, maxBytes)
		return false
	}
	rc.body = body
	return true
}

// preallocBody is the most of a declared Content-Length allocated before
// the body arrives.
const preallocBody = 64 << 10

// bodyError answers a request whose body could not be read: 413 when it
// exceeds maxBytes, 408 when reading it outlasted the server's read
// timeout, 400 for anything else (a malformed chunk, a connection that
// ended early).
func (s *Server) bodyError(rc *reqCtx, err error, maxBytes int64) {
	var tooLarge *http.MaxBytesError
	var ne net.Error
	switch {
	case errors.As(err, &tooLarge):
		s.writeError(rc, http.StatusRequestEntityTooLarge, "request.entity.too.large",
			fmt.Sprintf("The request body exceeds the maximum of %d bytes", maxBytes), nil)
	case errors.As(err, &ne) && ne.Timeout():
		s.writeError(rc, http.StatusRequestTimeout, "request.timeout", "The request body was not received in time", nil)
	default:
		s.writeError(rc, http.StatusBadRequest, "bad.request", "The request body could not be read: "+err.Error(), nil)
	}
}

func (s *Server) delay(rc *reqCtx) {
	d := s.latency(s.routeLatency(rc.pattern))
	if d > 0 {
		_ = s.clock.Sleep(rc.r.Context(), d)
	}
}

// authed checks the bearer token, then limits, injects faults and delays
// before calling h.
func (s *Server) authed(h func(*reqCtx)) func(*reqCtx) {
	return func(rc *reqCtx) {
		tok, why := s.auth.check(hdr.Get(rc.r.Header, "Authorization"), rc.at)
		if tok == nil {
			s.delay(rc)
			s.writeError(rc, http.StatusUnauthorized, "authentication.required", why, nil)
			return
		}
		rc.tok = tok
		rc.rec.Client, rc.rec.TokenID = tok.client, tok.id
		host, _, _ := net.SplitHostPort(rc.r.RemoteAddr)
		rc.req = limit.Request{Token: tok.id, Client: tok.client, User: tok.client, Org: s.sc.Gateway.Org, IP: host, Tier: tok.tier}
		if rc.route != nil {
			d := &rc.dec
			s.model.Decide(rc.at, rc.route, rc.req, d)
			addDecision(&rc.rec, d)
			if !d.Allowed {
				s.verdicts.count(d)
				s.delay(rc)
				s.tooMany(rc, d)
				return
			}
			defer s.model.Release(rc.route, rc.req)
		}
		if s.fault(rc) {
			return
		}
		s.delay(rc)
		h(rc)
	}
}

// fault injects a dropped connection or a server error, by the scenario's
// rates. It reports whether it answered.
func (s *Server) fault(rc *reqCtx) bool {
	f := s.sc.Gateway.Faults
	if f.Drop > 0 && s.draw() < f.Drop {
		s.delay(rc)
		rc.rec.Fault = "drop"
		// The server closes the connection without a response; the record
		// is written by wrap's deferred logger with status 0.
		panic(http.ErrAbortHandler)
	}
	for _, e := range f.Errors {
		if e.Only != 0 && !e.Only.Has(rc.id) {
			continue
		}
		if e.Rate > 0 && s.draw() < e.Rate {
			s.delay(rc)
			rc.rec.Fault = strconv.Itoa(e.Status)
			if e.RetryAfter > 0 {
				secs := int64(math.Ceil(s.sc.Scaled(e.RetryAfter.D()).Seconds()))
				rc.w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
				rc.rec.RetryAfter = strconv.FormatInt(secs, 10)
			}
			s.writeError(rc, e.Status, serverErrorCode(e.Status), http.StatusText(e.Status), nil)
			return true
		}
	}
	return false
}

func serverErrorCode(status int) string {
	switch status {
	case 502:
		return "bad.gateway"
	case 503:
		return "service.unavailable"
	case 504:
		return "gateway.timeout"
	}
	return "internal.server.error"
}

// ErrorBody is the Genesys Cloud error body.
type ErrorBody struct {
	Message           string            `json:"message"`
	Code              string            `json:"code"`
	Status            int               `json:"status"`
	EntityID          string            `json:"entityId,omitempty"`
	EntityName        string            `json:"entityName,omitempty"`
	MessageWithParams string            `json:"messageWithParams,omitempty"`
	MessageParams     map[string]string `json:"messageParams,omitempty"`
	ContextID         string            `json:"contextId"`
	Details           []any             `json:"details"`
	Errors            []any             `json:"errors"`
	Limit             *LimitInfo        `json:"limit,omitempty"`
	RetryAfter        *int64            `json:"retry_after,omitempty"`
}

// LimitInfo names the limit that refused a request in a 429 body.
type LimitInfo struct {
	Key       string  `json:"key"`
	Namespace string  `json:"namespace"`
	Value     float64 `json:"value"`
}

// writeError is the one place errors are written: status, the Genesys
// error body with the correlation id as contextId, and the record.
func (s *Server) writeError(rc *reqCtx, status int, code, msg string, edit func(*ErrorBody)) {
	body := &rc.errBody
	*body = ErrorBody{Message: msg, Code: code, Status: status, ContextID: rc.cid, Details: []any{}, Errors: []any{}}
	if edit != nil {
		edit(body)
	}
	rc.rec.ErrorCode = code
	h := rc.w.Header()
	h["Content-Type"] = jsonCT
	h["Cache-Control"] = noCache
	h["Strict-Transport-Security"] = sts
	rc.w.WriteHeader(status)
	rc.writeBody(body)
}

// Shared header values: set directly to spare an allocation per response;
// they are never modified.
var (
	jsonCT  = []string{"application/json"}
	noCache = []string{"no-cache, no-store, must-revalidate"}
	sts     = []string{"max-age=600; includeSubDomains"}
)

// writeJSON answers 200 (or status) with v.
func (s *Server) writeJSON(rc *reqCtx, status int, v any) {
	rc.w.Header()["Content-Type"] = jsonCT
	rc.w.WriteHeader(status)
	rc.writeBody(v)
}

// retryMessages holds the 429 messages for waits of 0 to 299 seconds, the
// ones nearly every 429 states.
var retryMessages [300]string

func init() {
	for i := range retryMessages {
		retryMessages[i] = "Rate limit exceeded the maximum. Retry the request in [" + strconv.Itoa(i) + "] seconds"
	}
}

// retryAfterValues holds the Retry-After header values "0" to "299".
var retryAfterValues = func() map[string][]string {
	m := make(map[string][]string, len(retryMessages))
	for i := range len(retryMessages) {
		v := strconv.Itoa(i)
		m[v] = []string{v}
	}
	return m
}()

// headerValue returns v as a header value, shared (never modified) for
// the common Retry-After values.
func headerValue(v string) []string {
	if hv, ok := retryAfterValues[v]; ok {
		return hv
	}
	return []string{v}
}

func retryMessage(secs int64) string {
	if secs >= 0 && secs < int64(len(retryMessages)) {
		return retryMessages[secs]
	}
	return "Rate limit exceeded the maximum. Retry the request in [" + strconv.FormatInt(secs, 10) + "] seconds"
}

// tooMany answers a 429 the way the real gateway does, with the
// scenario's Retry-After policy applied to the reported bucket's wait.
func (s *Server) tooMany(rc *reqCtx, d *limit.Decision) {
	s.mu.Lock()
	hint := s.ra.Apply(rc.at, d.ReportedWait, s.rng)
	s.mu.Unlock()
	ra := s.sc.Gateway.RetryAfter
	rep := d.Buckets[d.Rejected]
	spec := rep.Bucket.Spec()
	h := rc.w.Header()
	if hint.Header != "" {
		h["Retry-After"] = headerValue(hint.Header)
	}
	rc.rec.RetryAfter = hint.Header
	rc.rec.RetryAfterSeconds = hint.Seconds
	if ra.LegacyHeaders {
		h.Set("inin-ratelimit-count", strconv.FormatFloat(rep.Limit-math.Max(rep.Remaining, 0), 'f', -1, 64))
		h.Set("inin-ratelimit-allowed", strconv.FormatFloat(rep.Limit, 'f', -1, 64))
		h.Set("inin-ratelimit-reset", strconv.FormatInt(hint.Seconds, 10))
	}
	if s.sc.Gateway.Faults.NonJSON429 > 0 && s.draw() < s.sc.Gateway.Faults.NonJSON429 {
		rc.rec.Fault = "non-json-429"
		rc.rec.ErrorCode = ""
		h.Set("Content-Type", "text/html")
		h.Set("Cache-Control", "no-cache, no-store, must-revalidate")
		rc.w.WriteHeader(http.StatusTooManyRequests)
		_, _ = io.WriteString(rc.w, "<html><body><h1>429 Too Many Requests</h1>You have sent too many requests in a given amount of time.</body></html>\n")
		return
	}
	s.writeError(rc, http.StatusTooManyRequests, "too.many.requests.retry.after",
		retryMessage(hint.Seconds),
		func(b *ErrorBody) {
			if ra.LegacyBody {
				b.Code = "too.many.requests"
				per := spec.Limit.Per
				if spec.Window > 0 {
					per = spec.Window
				}
				if per <= 0 {
					per = time.Minute
				}
				b.Message = fmt.Sprintf("Rate limit exceeded the maximum [%v] requests within [%d] seconds",
					rep.Bucket.LimitValue(rc.req.Tier), int64(math.Round(per.Seconds())))
			}
			if !ra.NoLimitObject && spec.Key != "" {
				rc.limit = LimitInfo{Key: spec.Key, Namespace: spec.Namespace, Value: rep.Bucket.LimitValue(rc.req.Tier)}
				b.Limit = &rc.limit
			}
			if hint.BodyField {
				n := hint.Seconds
				b.RetryAfter = &n
			}
		})
}
