// Package scenarios holds ratelab's scenario file format, its strict loader
// and an embedded library of named scenarios.
//
// A scenario describes one whole experiment: the gateway's limits and lies,
// the clients that call it, the workload, and the assertions a run must
// meet. Load and Parse reject unknown keys, wrong types and impossible
// values with errors that name the file, the line and the field path, and
// list the valid choices where there is a closed set.
package scenarios

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/ratelab/ratelab/mockgateway/limit"
	"github.com/ratelab/ratelab/probe/strategy"
)

// Scenario is one parsed scenario file.
type Scenario struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	// Models says which real-world behaviour the scenario reproduces and the
	// documented fact it rests on.
	Models string `yaml:"models"`
	// Seed is the default seed for every random choice; a flag may override.
	Seed uint64 `yaml:"seed"`
	// TimeScale compresses time: 60 makes a per-minute limit per-second.
	// Zero means 1.
	TimeScale float64  `yaml:"time_scale"`
	Gateway   Gateway  `yaml:"gateway"`
	Clients   []Client `yaml:"clients"`
	Workload  Workload `yaml:"workload"`
	Assert    []string `yaml:"assert"`

	// File is where the scenario was read from ("embedded:NAME" for the
	// library).
	File string `yaml:"-"`
	// OpenClients reports that the file listed no clients: the gateway then
	// accepts any client id and secret, and the probe uses "sync-job".
	OpenClients bool           `yaml:"-"`
	lines       map[string]int // field path -> line, for semantic errors
}

// Gateway describes the mock gateway.
type Gateway struct {
	// Org is the organisation id every client belongs to; default "org-1".
	Org        string                     `yaml:"org"`
	Tiers      map[string]map[string]Rate `yaml:"tiers"`
	Buckets    []Bucket                   `yaml:"buckets"`
	Routes     []Route                    `yaml:"routes"`
	RetryAfter RetryAfter                 `yaml:"retry_after"`
	Background []Background               `yaml:"background"`
	Faults     Faults                     `yaml:"faults"`
	Users      Users                      `yaml:"users"`
	Token      Token                      `yaml:"token"`
	// RequestBytesMax answers 413 above it; default 512000.
	RequestBytesMax int `yaml:"request_bytes_max"`
}

// Bucket is one limit.
type Bucket struct {
	Name      string   `yaml:"name"`
	Scope     string   `yaml:"scope"`
	Algorithm string   `yaml:"algorithm"`
	Limit     *Limit   `yaml:"limit"`
	Window    Duration `yaml:"window"`
	Burst     int      `yaml:"burst"`
	Namespace string   `yaml:"namespace"`
	Key       string   `yaml:"key"`
}

// Route attaches buckets to one endpoint, "METHOD /path" as in KnownRoutes,
// or "*" for every API route not listed otherwise.
type Route struct {
	Match   string   `yaml:"match"`
	Buckets []string `yaml:"buckets"`
	Cost    int      `yaml:"cost"`
	Latency *Latency `yaml:"latency"`
}

// RetryAfter is the gateway's Retry-After policy and 429 style.
type RetryAfter struct {
	Mode    string         `yaml:"mode"`
	Value   Duration       `yaml:"value"`
	Min     Duration       `yaml:"min"`
	Max     Duration       `yaml:"max"`
	Choices []ChoiceWeight `yaml:"choices"`
	// LegacyHeaders also sends the inin-ratelimit-* headers removed in 2021.
	LegacyHeaders bool `yaml:"legacy_headers"`
	// LegacyBody uses the pre-2021 body: code too.many.requests.
	LegacyBody bool `yaml:"legacy_body"`
	// NoLimitObject leaves the optional "limit" object out of 429 bodies.
	NoLimitObject bool `yaml:"no_limit_object"`
}

// ChoiceWeight is one choice of a mix policy.
type ChoiceWeight struct {
	P     float64  `yaml:"p"`
	Mode  string   `yaml:"mode"`
	Value Duration `yaml:"value"`
	Min   Duration `yaml:"min"`
	Max   Duration `yaml:"max"`
}

// Background is traffic the client cannot see.
type Background struct {
	Bucket string `yaml:"bucket"`
	Rate   *Rate  `yaml:"rate"`
	// Pattern is constant (evenly spaced) or poisson; default constant.
	Pattern string `yaml:"pattern"`
	// Key is the scope value charged; default the org for org-scoped
	// buckets, "" otherwise.
	Key string `yaml:"key"`
	// Tier names the tier whose limit applies to a tiered bucket; default
	// the first client's.
	Tier string `yaml:"tier"`
}

// Latency is a latency distribution.
type Latency struct {
	// Dist is constant, uniform, normal or lognormal; default normal when
	// a stddev is given, else constant.
	Dist   string   `yaml:"dist"`
	Value  Duration `yaml:"value"`
	Min    Duration `yaml:"min"`
	Max    Duration `yaml:"max"`
	Mean   Duration `yaml:"mean"`
	Stddev Duration `yaml:"stddev"`
}

// Faults injects trouble.
type Faults struct {
	Latency *Latency     `yaml:"latency"`
	Errors  []ErrorFault `yaml:"errors"`
	// NonJSON429 is the fraction of 429s whose body is not JSON.
	NonJSON429 float64 `yaml:"non_json_429"`
	// Drop is the fraction of requests whose connection is closed unanswered.
	Drop float64 `yaml:"drop"`
}

// ErrorFault answers a server error at a rate.
type ErrorFault struct {
	Status int     `yaml:"status"`
	Rate   float64 `yaml:"rate"`
	// RetryAfter, when set, is sent with the error.
	RetryAfter Duration `yaml:"retry_after"`
	// Routes limits the fault to these routes; empty means every API route.
	Routes []string `yaml:"routes"`
}

// Users seeds the gateway's user store.
type Users struct {
	// Count is how many users exist; default 100.
	Count int `yaml:"count"`
	// IDs is uuid (deterministic from the seed) or sequential; default uuid.
	IDs string `yaml:"ids"`
	// Domain is the email domain; default example.com.
	Domain string `yaml:"domain"`
}

// Token configures POST /oauth/token.
type Token struct {
	// Limit is the token-minting rate per client; over it the login
	// service answers 400 invalid_request. Nil means unlimited.
	Limit *Rate `yaml:"limit"`
	// MaxLive is how many live tokens a client may hold; minting one more
	// invalidates the oldest. Default 10.
	MaxLive int `yaml:"max_live"`
	// ExpiresIn is the token lifetime; default 86399s.
	ExpiresIn Duration `yaml:"expires_in"`
}

// Client is an OAuth client that calls the gateway.
type Client struct {
	ID     string `yaml:"id"`
	Secret string `yaml:"secret"`
	Tier   string `yaml:"tier"`
}

// Workload is what the probe does by default.
type Workload struct {
	Operation   string            `yaml:"operation"`
	Ops         int               `yaml:"ops"`
	Concurrency int               `yaml:"concurrency"`
	Rate        *Rate             `yaml:"rate"`
	Arrival     string            `yaml:"arrival"`
	Strategy    string            `yaml:"strategy"`
	Params      map[string]string `yaml:"params"`
	// Users is how many distinct users the work targets; 0 means all.
	Users       int      `yaml:"users"`
	MaxAttempts int      `yaml:"max_attempts"`
	MaxRequests int      `yaml:"max_requests"`
	MaxDuration Duration `yaml:"max_duration"`
}

// KnownRoutes lists the endpoints a scenario's routes may name.
var KnownRoutes = []string{
	"GET /api/v2/users",
	"GET /api/v2/users/{id}",
	"PATCH /api/v2/users/{id}",
	"PUT /api/v2/users/{id}",
	"GET /api/v2/scim/v2/users",
	"POST /api/v2/scim/v2/users",
	"GET /api/v2/scim/v2/users/{id}",
	"PUT /api/v2/scim/v2/users/{id}",
	"PATCH /api/v2/scim/v2/users/{id}",
	"DELETE /api/v2/scim/v2/users/{id}",
}

// Operations lists the probe's operations.
var Operations = []string{"update-user", "patch-user", "put-user", "scim-update", "get-user"}

// Parse reads a scenario from data; file names it in errors.
func Parse(file string, data []byte) (*Scenario, error) {
	s := &Scenario{File: file, lines: map[string]int{}}
	if err := parse(file, data, s, s.lines); err != nil {
		return nil, err
	}
	s.defaults()
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return s, nil
}

// Load reads the scenario file at path.
func Load(path string) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("scenarios: %w", err)
	}
	return Parse(filepath.Base(path), data)
}

// Open returns the embedded scenario called nameOrFile, or else loads it as
// a file path. The error for neither lists the embedded names.
func Open(nameOrFile string) (*Scenario, error) {
	if s, err := Embedded(nameOrFile); err == nil {
		return s, nil
	}
	if _, err := os.Stat(nameOrFile); err != nil {
		return nil, fmt.Errorf("scenarios: %q is neither an embedded scenario (%s) nor a readable file", nameOrFile, strings.Join(Names(), ", "))
	}
	return Load(nameOrFile)
}

func (s *Scenario) defaults() {
	if s.TimeScale == 0 {
		s.TimeScale = 1
	}
	g := &s.Gateway
	if g.Org == "" {
		g.Org = "org-1"
	}
	if g.RetryAfter.Mode == "" {
		g.RetryAfter.Mode = "accurate"
	}
	if g.Users.Count == 0 {
		g.Users.Count = 100
	}
	if g.Users.IDs == "" {
		g.Users.IDs = "uuid"
	}
	if g.Users.Domain == "" {
		g.Users.Domain = "example.com"
	}
	if g.Token.MaxLive == 0 {
		g.Token.MaxLive = 10
	}
	if g.Token.ExpiresIn == 0 {
		g.Token.ExpiresIn = Duration(86399e9)
	}
	if g.RequestBytesMax == 0 {
		g.RequestBytesMax = 512000
	}
	for i := range g.Buckets {
		b := &g.Buckets[i]
		if b.Scope == "" {
			b.Scope = "global"
		}
		if b.Algorithm == "" {
			b.Algorithm = "token-bucket"
		}
	}
	for i := range g.Background {
		if g.Background[i].Pattern == "" {
			g.Background[i].Pattern = "constant"
		}
	}
	if len(s.Clients) == 0 {
		s.Clients = []Client{{ID: "sync-job"}}
		s.OpenClients = true
	}
	for i := range s.Clients {
		c := &s.Clients[i]
		if c.Secret == "" {
			c.Secret = c.ID + "-secret"
		}
		if c.Tier == "" && len(g.Tiers) == 1 {
			for name := range g.Tiers {
				c.Tier = name
			}
		}
	}
	w := &s.Workload
	if w.Operation == "" {
		w.Operation = "update-user"
	}
	if w.Ops == 0 {
		w.Ops = 100
	}
	if w.Concurrency == 0 && w.Rate == nil {
		w.Concurrency = 1
	}
	if w.Arrival == "" {
		w.Arrival = "constant"
	}
	if w.Strategy == "" {
		w.Strategy = "naive"
	}
}

// Line returns the line of the field at path (e.g. "gateway.buckets[1]"),
// or 0 when unknown.
func (s *Scenario) Line(path string) int { return s.lineOf(path) }

// validator collects semantic errors located by field path.
type validator struct {
	s    *Scenario
	errs []error
}

func (v *validator) fail(path, format string, args ...any) {
	v.errs = append(v.errs, &Error{File: v.s.File, Line: v.s.lineOf(path), Path: path, Msg: fmt.Sprintf(format, args...)})
}

// lineOf returns the line of path, or of its nearest ancestor written in
// the file (a missing field is reported where its parent is).
func (s *Scenario) lineOf(path string) int {
	for {
		if l, ok := s.lines[path]; ok {
			return l
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			if path == "" {
				return 0
			}
			path = ""
			continue
		}
		path = path[:i]
	}
}

func oneOf(val string, valid []string) bool {
	for _, x := range valid {
		if x == val {
			return true
		}
	}
	return false
}

var assertRe = regexp.MustCompile(`^\s*([a-z0-9_][a-z0-9_.]*)\s*(<=|>=|==|!=|<|>)\s*(-?[0-9.]+(?:e-?[0-9]+)?)\s*$`)

// ParseAssertion splits "success_rate >= 0.99" into metric, operator and
// value.
func ParseAssertion(expr string) (metric, op string, value float64, err error) {
	m := assertRe.FindStringSubmatch(expr)
	if m == nil {
		return "", "", 0, fmt.Errorf("assertion %q is not of the form 'metric OP number' with OP one of <, <=, ==, !=, >=, >", expr)
	}
	if _, err := fmt.Sscan(m[3], &value); err != nil {
		return "", "", 0, fmt.Errorf("assertion %q: %q is not a number", expr, m[3])
	}
	return m[1], m[2], value, nil
}

// Validate checks the scenario's meaning: names that refer to each other,
// closed sets of values, and impossible numbers.
func (s *Scenario) Validate() error {
	v := &validator{s: s}
	if strings.TrimSpace(s.Name) == "" {
		v.fail("name", "a scenario needs a name")
	}
	if s.TimeScale < 0 {
		v.fail("time_scale", "%v must be positive", s.TimeScale)
	}
	g := &s.Gateway
	buckets := map[string]*Bucket{}
	for i := range g.Buckets {
		b := &g.Buckets[i]
		p := fmt.Sprintf("gateway.buckets[%d]", i)
		if b.Name == "" {
			v.fail(p, "a bucket needs a name")
		} else if _, dup := buckets[b.Name]; dup {
			v.fail(p+".name", "bucket %q is defined twice", b.Name)
		}
		buckets[b.Name] = b
		if !oneOf(b.Scope, limit.ScopeNames()) {
			v.fail(p+".scope", "unknown scope %q (valid: %s)", b.Scope, strings.Join(limit.ScopeNames(), ", "))
		}
		if !oneOf(b.Algorithm, limit.AlgorithmNames()) {
			v.fail(p+".algorithm", "unknown algorithm %q (valid: %s)", b.Algorithm, strings.Join(limit.AlgorithmNames(), ", "))
		}
		switch {
		case b.Limit == nil:
			v.fail(p, "bucket %q needs a limit (\"tier\", a rate like 180/min, or a count for concurrency)", b.Name)
		case b.Limit.FromTier:
			if len(g.Tiers) == 0 {
				v.fail(p+".limit", "limit is \"tier\" but gateway.tiers defines no tiers")
			}
			for _, tn := range sortedKeys(g.Tiers) {
				if _, ok := g.Tiers[tn][b.Name]; !ok {
					v.fail("gateway.tiers."+tn, "tier %q has no limit for bucket %q, whose limit is \"tier\"", tn, b.Name)
				}
			}
		case b.Algorithm == "concurrency" && b.Limit.Rate.Per != 0:
			v.fail(p+".limit", "a concurrency limit is a whole number of requests in flight, not a rate")
		case b.Algorithm != "concurrency" && b.Limit.Rate.Per == 0:
			v.fail(p+".limit", "%v is a count; algorithm %s needs a rate such as %v/min", b.Limit.Rate.N, b.Algorithm, b.Limit.Rate.N)
		}
		if b.Burst < 0 {
			v.fail(p+".burst", "%d must not be negative", b.Burst)
		}
		if b.Burst > 0 && b.Algorithm != "token-bucket" {
			v.fail(p+".burst", "burst applies only to token-bucket, not %s", b.Algorithm)
		}
		if b.Window > 0 && (b.Algorithm == "token-bucket" || b.Algorithm == "concurrency") {
			v.fail(p+".window", "window applies only to fixed-window and sliding-window, not %s", b.Algorithm)
		}
	}
	for _, tn := range sortedKeys(g.Tiers) {
		for _, bn := range sortedKeys(g.Tiers[tn]) {
			if _, ok := buckets[bn]; !ok {
				v.fail("gateway.tiers."+tn+"."+bn, "tier %q limits bucket %q, which is not defined (buckets: %s)", tn, bn, strings.Join(sortedKeys(buckets), ", "))
			}
		}
	}
	seenRoutes := map[string]bool{}
	for i, r := range g.Routes {
		p := fmt.Sprintf("gateway.routes[%d]", i)
		if r.Match != "*" && !oneOf(r.Match, KnownRoutes) {
			v.fail(p+".match", "unknown route %q (valid: \"*\", %s)", r.Match, quoteAll(KnownRoutes))
		}
		if seenRoutes[r.Match] {
			v.fail(p+".match", "route %q is listed twice", r.Match)
		}
		seenRoutes[r.Match] = true
		for j, bn := range r.Buckets {
			if _, ok := buckets[bn]; !ok {
				v.fail(fmt.Sprintf("%s.buckets[%d]", p, j), "unknown bucket %q (defined: %s)", bn, strings.Join(sortedKeys(buckets), ", "))
			}
		}
		if r.Cost < 0 {
			v.fail(p+".cost", "%d must not be negative", r.Cost)
		}
		if r.Latency != nil {
			v.latency(p+".latency", r.Latency)
		}
	}
	v.retryAfter("gateway.retry_after", g.RetryAfter.Mode, g.RetryAfter.Value, g.RetryAfter.Min, g.RetryAfter.Max)
	if g.RetryAfter.Mode == "mix" {
		if len(g.RetryAfter.Choices) == 0 {
			v.fail("gateway.retry_after.choices", "mode mix needs choices, e.g. [{p: 0.8, mode: zero}, {p: 0.2, mode: accurate}]")
		}
		for i, c := range g.RetryAfter.Choices {
			p := fmt.Sprintf("gateway.retry_after.choices[%d]", i)
			if c.P <= 0 {
				v.fail(p+".p", "probability %v must be positive", c.P)
			}
			if c.Mode == "mix" {
				v.fail(p+".mode", "a mix cannot contain a mix")
			}
			v.retryAfter(p, c.Mode, c.Value, c.Min, c.Max)
		}
	} else if len(g.RetryAfter.Choices) > 0 {
		v.fail("gateway.retry_after.choices", "choices apply only to mode mix")
	}
	for i, bg := range g.Background {
		p := fmt.Sprintf("gateway.background[%d]", i)
		b, ok := buckets[bg.Bucket]
		if !ok {
			v.fail(p+".bucket", "unknown bucket %q (defined: %s)", bg.Bucket, strings.Join(sortedKeys(buckets), ", "))
		} else if b.Algorithm == "concurrency" {
			v.fail(p+".bucket", "bucket %q counts requests in flight; background load needs a rate-based bucket", bg.Bucket)
		}
		if bg.Rate == nil {
			v.fail(p, "background load needs a rate such as 2/s")
		}
		if !oneOf(bg.Pattern, []string{"constant", "poisson"}) {
			v.fail(p+".pattern", "unknown pattern %q (valid: constant, poisson)", bg.Pattern)
		}
		if _, ok := g.Tiers[bg.Tier]; bg.Tier != "" && !ok {
			v.fail(p+".tier", "unknown tier %q (defined: %s)", bg.Tier, strings.Join(sortedKeys(g.Tiers), ", "))
		}
	}
	if g.Faults.Latency != nil {
		v.latency("gateway.faults.latency", g.Faults.Latency)
	}
	for i, e := range g.Faults.Errors {
		p := fmt.Sprintf("gateway.faults.errors[%d]", i)
		if !oneOf(fmt.Sprint(e.Status), []string{"500", "502", "503", "504"}) {
			v.fail(p+".status", "status %d is not a server error the gateway injects (valid: 500, 502, 503, 504)", e.Status)
		}
		v.fraction(p+".rate", e.Rate)
		for j, r := range e.Routes {
			if !oneOf(r, KnownRoutes) {
				v.fail(fmt.Sprintf("%s.routes[%d]", p, j), "unknown route %q (valid: %s)", r, quoteAll(KnownRoutes))
			}
		}
	}
	v.fraction("gateway.faults.non_json_429", g.Faults.NonJSON429)
	v.fraction("gateway.faults.drop", g.Faults.Drop)
	if g.Users.Count < 1 {
		v.fail("gateway.users.count", "%d: there must be at least one user", g.Users.Count)
	}
	if !oneOf(g.Users.IDs, []string{"uuid", "sequential"}) {
		v.fail("gateway.users.ids", "unknown id style %q (valid: uuid, sequential)", g.Users.IDs)
	}
	if g.Token.MaxLive < 0 {
		v.fail("gateway.token.max_live", "%d must not be negative", g.Token.MaxLive)
	}
	if g.Token.ExpiresIn.D().Seconds() <= 60 {
		v.fail("gateway.token.expires_in", "%v must be above 60s: SDKs refresh at expires_in - 60s and loop when it is lower", g.Token.ExpiresIn)
	}
	if g.RequestBytesMax < 0 {
		v.fail("gateway.request_bytes_max", "%d must not be negative", g.RequestBytesMax)
	}
	clients := map[string]bool{}
	for i, c := range s.Clients {
		p := fmt.Sprintf("clients[%d]", i)
		if c.ID == "" {
			v.fail(p, "a client needs an id")
		}
		if clients[c.ID] {
			v.fail(p+".id", "client %q is listed twice", c.ID)
		}
		clients[c.ID] = true
		if len(g.Tiers) > 0 {
			if _, ok := g.Tiers[c.Tier]; !ok {
				v.fail(p+".tier", "unknown tier %q for client %q (defined: %s)", c.Tier, c.ID, strings.Join(sortedKeys(g.Tiers), ", "))
			}
		} else if c.Tier != "" {
			v.fail(p+".tier", "client %q names tier %q but gateway.tiers defines none", c.ID, c.Tier)
		}
	}
	w := s.Workload
	if !oneOf(w.Operation, Operations) {
		v.fail("workload.operation", "unknown operation %q (valid: %s)", w.Operation, strings.Join(Operations, ", "))
	}
	if w.Ops < 0 {
		v.fail("workload.ops", "%d must not be negative", w.Ops)
	}
	if w.Concurrency < 0 {
		v.fail("workload.concurrency", "%d must not be negative", w.Concurrency)
	}
	if !oneOf(w.Arrival, []string{"constant", "poisson"}) {
		v.fail("workload.arrival", "unknown arrival %q (valid: constant, poisson)", w.Arrival)
	}
	if _, err := strategy.New(w.Strategy, w.Params); err != nil {
		path := "workload.strategy"
		if strategy.Known(w.Strategy) {
			path = "workload.params"
		}
		v.fail(path, "%s", strings.TrimPrefix(err.Error(), "strategy: "))
	}
	if w.Users < 0 || w.Users > g.Users.Count {
		v.fail("workload.users", "%d must be between 0 (all) and gateway.users.count (%d)", w.Users, g.Users.Count)
	}
	if w.MaxAttempts < 0 || w.MaxRequests < 0 {
		v.fail("workload", "max_attempts and max_requests must not be negative")
	}
	for i, a := range s.Assert {
		if _, _, _, err := ParseAssertion(a); err != nil {
			v.fail(fmt.Sprintf("assert[%d]", i), "%v", err)
		}
	}
	return errors.Join(v.errs...)
}

func (v *validator) retryAfter(p, mode string, value, lo, hi Duration) {
	if !oneOf(mode, limit.RetryAfterModeNames()) {
		v.fail(p+".mode", "unknown mode %q (valid: %s)", mode, strings.Join(limit.RetryAfterModeNames(), ", "))
	}
	if mode == "fixed" && value == 0 {
		v.fail(p+".value", "mode fixed needs a value such as 30s")
	}
	if mode == "random" && (hi == 0 || lo > hi) {
		v.fail(p+".max", "mode random needs min <= max, e.g. {min: 1s, max: 30s}")
	}
}

func (v *validator) latency(p string, l *Latency) {
	if l.Dist == "" {
		switch {
		case l.Stddev > 0:
			l.Dist = "normal"
		case l.Max > 0:
			l.Dist = "uniform"
		default:
			l.Dist = "constant"
		}
	}
	switch l.Dist {
	case "constant":
		if l.Value == 0 && l.Mean > 0 {
			l.Value = l.Mean
		}
	case "uniform":
		if l.Min > l.Max {
			v.fail(p+".min", "min %v is above max %v", l.Min, l.Max)
		}
	case "normal", "lognormal":
		if l.Mean == 0 {
			v.fail(p+".mean", "a %s latency needs a mean", l.Dist)
		}
	default:
		v.fail(p+".dist", "unknown distribution %q (valid: constant, uniform, normal, lognormal)", l.Dist)
	}
}

func (v *validator) fraction(p string, x float64) {
	if x < 0 || x > 1 {
		v.fail(p, "%v is not a fraction between 0 and 1", x)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

// TierNames returns the scenario's tier names in the order tiers are
// indexed in the model: sorted.
func (s *Scenario) TierNames() []string { return sortedKeys(s.Gateway.Tiers) }
