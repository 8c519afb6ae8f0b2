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
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/ratelab/ratelab/api"
	"github.com/ratelab/ratelab/mockgateway/limit"
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
	// unparsed holds the field paths whose text resolve could not parse;
	// Validate reports them.
	unparsed map[string]bool
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
	// LimitsAPI serves the organisation limits API
	// (/api/v2/organizations/limits/namespaces...); false answers 404
	// there, as a target without it does. Nil means true.
	LimitsAPI *bool `yaml:"limits_api"`
}

// ServesLimitsAPI reports whether the gateway serves the limits API.
func (g *Gateway) ServesLimitsAPI() bool { return g.LimitsAPI == nil || *g.LimitsAPI }

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
	// Reset is when a daily-quota bucket's count goes back to 0, "HH:MM"
	// in UTC; default "00:00". Only for daily-quota.
	Reset string `yaml:"reset"`
	// Documented is the value the limits API reports for the bucket, in
	// its key's unit, instead of the effective one: a limits page that
	// disagrees with the gateway. 0 means the effective value.
	Documented float64 `yaml:"documented"`

	// ParsedScope and ParsedAlgorithm are Scope and Algorithm, parsed at
	// load; ParsedReset is Reset as time past midnight.
	ParsedScope     limit.Scope     `yaml:"-"`
	ParsedAlgorithm limit.Algorithm `yaml:"-"`
	ParsedReset     time.Duration   `yaml:"-"`
}

// Route attaches buckets to one endpoint, "METHOD /path" as in
// api.ScenarioRoutes, or "*" for every API route not listed otherwise.
type Route struct {
	Match   string   `yaml:"match"`
	Buckets []string `yaml:"buckets"`
	Cost    int      `yaml:"cost"`
	Latency *Latency `yaml:"latency"`

	// Any reports that Match is "*"; otherwise API is the route Match
	// names, parsed at load.
	Any bool        `yaml:"-"`
	API api.RouteID `yaml:"-"`
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

	// ParsedMode is Mode, parsed at load.
	ParsedMode limit.RetryAfterMode `yaml:"-"`
}

// ChoiceWeight is one choice of a mix policy.
type ChoiceWeight struct {
	P     float64  `yaml:"p"`
	Mode  string   `yaml:"mode"`
	Value Duration `yaml:"value"`
	Min   Duration `yaml:"min"`
	Max   Duration `yaml:"max"`

	// ParsedMode is Mode, parsed at load.
	ParsedMode limit.RetryAfterMode `yaml:"-"`
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

	// Poisson reports that Pattern is poisson, parsed at load.
	Poisson bool `yaml:"-"`
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

	// ParsedDist is Dist, parsed at load.
	ParsedDist Dist `yaml:"-"`
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

	// Only is Routes parsed at load; 0 when Routes is empty.
	Only api.Set `yaml:"-"`
}

// Users seeds the gateway's user store.
type Users struct {
	// Count is how many users exist; default 100.
	Count int `yaml:"count"`
	// IDs is uuid (deterministic from the seed) or sequential; default uuid.
	IDs string `yaml:"ids"`
	// Domain is the email domain; default example.com.
	Domain string `yaml:"domain"`

	// Sequential reports that IDs is sequential, parsed at load.
	Sequential bool `yaml:"-"`
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

	// Op is the operation Operation names, and Poisson reports that
	// Arrival is poisson, parsed at load.
	Op      api.Operation `yaml:"-"`
	Poisson bool          `yaml:"-"`
}

// Parse reads a scenario from data; file names it in errors. The error
// lists every problem it finds (up to 50), sorted by line: decoding
// problems, and the checks of Validate on whatever did decode.
func Parse(file string, data []byte) (*Scenario, error) {
	if len(data) > maxFileBytes {
		return nil, tooBig(file)
	}
	s := &Scenario{File: file, lines: map[string]int{}}
	p := newProblems(file)
	if !parse(data, s, s.lines, p) {
		return nil, p.err()
	}
	s.defaults()
	s.resolve()
	s.validate(p)
	if err := p.err(); err != nil {
		return nil, err
	}
	return s, nil
}

func tooBig(file string) error {
	return &Error{File: file, Msg: fmt.Sprintf("the file is over 1 MiB (%d bytes), the most a scenario may have", maxFileBytes)}
}

// Load reads the scenario file at path, at most 1 MiB.
func Load(path string) (*Scenario, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("scenarios: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("scenarios: %w", err)
	}
	if len(data) > maxFileBytes {
		return nil, tooBig(filepath.Base(path))
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
	for i := range g.Routes {
		g.Routes[i].Latency.defaults()
	}
	g.Faults.Latency.defaults()
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

// validator collects semantic problems located by field path.
type validator struct {
	s *Scenario
	p *problems
	// bucketList and tierList are the defined names, for messages.
	bucketList, tierList string
	// bucketsNamed reports that every bucket's name decoded, so a name
	// missing from them is really unknown.
	bucketsNamed bool
}

// fail records a problem at path, unless it would repeat a decoding error.
func (v *validator) fail(path, format string, args ...any) {
	if !v.p.repeats(path) {
		v.p.add(v.s.lineOf(path), path, format, args...)
	}
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
