package probe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ratelab/ratelab/clock"
	"github.com/ratelab/ratelab/mockgateway"
	"github.com/ratelab/ratelab/probe/client"
	"github.com/ratelab/ratelab/probe/strategy"
	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/scenarios"
)

// DefaultLiveMaxRequests caps total requests against a live target unless
// a cap is given explicitly.
const DefaultLiveMaxRequests = 1000

// ErrUsage marks errors in the options (exit code 2 in the CLI).
var ErrUsage = errors.New("usage")

func usagef(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrUsage}, args...)...)
}

// Options describe a probe run from a scenario. Zero fields take the
// scenario's workload values, then built-in defaults.
type Options struct {
	Scenario *scenarios.Scenario
	// Target is a live API base URL; "" starts the scenario's gateway
	// in-process on 127.0.0.1:0.
	Target      string
	Strategy    string
	Params      strategy.Params
	Operation   string
	Concurrency int
	Rate        float64
	RampTo      float64
	Ramp        time.Duration
	Poisson     bool
	Ops         int
	Input       string
	Seed        uint64
	MaxAttempts int
	MaxRequests int
	MaxDuration time.Duration
	Grace       time.Duration
	// AllowWrites permits write operations against a non-loopback target.
	AllowWrites bool
	// Insecure permits plain http:// to a non-loopback target.
	Insecure bool
	// Log receives the attempt log; GatewayLog the in-process gateway's
	// access log.
	Log, GatewayLog io.Writer
	// Observe is given every attempt-log record as it is written (see
	// Config.Observe).
	Observe  record.AttemptVisitor
	Version  string
	Progress func(Progress)
	// Getenv reads credentials for live targets; nil means no environment.
	Getenv func(string) string
	// Clock and HTTP override the wall clock and the HTTP client (virtual
	// time passes both).
	Clock clock.Scheduler
	HTTP  *http.Client
	// Gateway, when set, is served in-process through HTTP instead of
	// starting one on a socket; Target must be empty.
	Gateway *mockgateway.Server
	// Virtual runs the scenario's gateway in-process on a virtual clock:
	// no sockets, no sleeping, the same attempt log for the same seed.
	Virtual bool
}

// Result is a finished probe.
type Result struct {
	Summary  *record.Summary
	Target   string
	Strategy string
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// CheckTarget validates a live target URL and reports whether it is on
// this machine. Plain http to another host is refused unless insecure:
// the client would send its credentials in clear.
func CheckTarget(target string, insecure bool) (loopback bool, err error) {
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return false, usagef("--target %q is not an http(s) URL such as https://api.mypurecloud.de", target)
	}
	loopback = isLoopback(u.Hostname())
	if u.Scheme == "http" && !loopback && !insecure {
		return false, usagef("--target %s: plain http to a non-loopback host would send credentials in clear; use https or --insecure", u.Host)
	}
	return loopback, nil
}

// Credentials reads the client id and secret from GENESYS_CLIENT_ID and
// GENESYS_CLIENT_SECRET, the only place a live target's credentials come
// from.
func Credentials(getenv func(string) string) (id, secret string, err error) {
	if getenv != nil {
		id, secret = getenv("GENESYS_CLIENT_ID"), getenv("GENESYS_CLIENT_SECRET")
	}
	if id == "" || secret == "" {
		return "", "", usagef("a live target needs GENESYS_CLIENT_ID and GENESYS_CLIENT_SECRET in the environment")
	}
	return id, secret, nil
}

// Probe runs the options' workload and returns the summary.
func Probe(ctx context.Context, o Options) (*Result, error) {
	sc := o.Scenario
	if sc == nil {
		return nil, usagef("no scenario")
	}
	w := sc.Workload
	pick := func(flag, scen, def int) int {
		if flag != 0 {
			return flag
		}
		if scen != 0 {
			return scen
		}
		return def
	}
	if o.Strategy == "" {
		o.Strategy = w.Strategy
		if o.Params == nil {
			o.Params = w.Params
		}
	}
	if o.Operation == "" {
		o.Operation = w.Operation
	}
	if !knownOp(o.Operation) {
		return nil, usagef("unknown operation %q (valid: %s)", o.Operation, strings.Join(scenarios.Operations, ", "))
	}
	if o.Seed == 0 {
		o.Seed = sc.Seed
	}
	if o.Rate == 0 && o.Concurrency == 0 {
		o.Concurrency = w.Concurrency
		if w.Rate != nil {
			// Scenario rates are compressed with the rest of its time.
			o.Rate = w.Rate.Rate.Scale(sc.TimeScale).PerSecond()
			o.Poisson = o.Poisson || w.Arrival == "poisson"
		}
	}
	o.MaxAttempts = pick(o.MaxAttempts, w.MaxAttempts, 20)
	if o.MaxDuration == 0 {
		o.MaxDuration = sc.Scaled(w.MaxDuration.D())
	}
	if o.MaxDuration == 0 {
		o.MaxDuration = 10 * time.Minute
	}
	if o.Grace == 0 {
		o.Grace = 5 * time.Second
	}
	if _, err := strategy.New(o.Strategy, o.Params); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUsage, err)
	}

	if o.Virtual {
		if o.Target != "" {
			return nil, usagef("--virtual runs the scenario's own gateway; it cannot be combined with --target")
		}
		vc := clock.NewVirtual(clock.Epoch)
		gw, err := mockgateway.New(mockgateway.Options{Scenario: sc, Seed: o.Seed, Clock: vc, Log: o.GatewayLog, Version: o.Version})
		if err != nil {
			return nil, err
		}
		defer gw.Close()
		o.Clock, o.Gateway, o.HTTP = vc, gw, &http.Client{Transport: gw.RecyclingTransport()}
	}
	hc := o.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 256, IdleConnTimeout: 90 * time.Second}}
	}
	var creds []mockgateway.Credentials
	var users []string
	base := o.Target
	live := false
	switch {
	case o.Gateway != nil:
		base = "http://ratelab.invalid"
		creds = o.Gateway.Clients()
		users = o.Gateway.SampleUserIDs(sc.Gateway.Users.Count)
	case o.Target == "":
		run, err := mockgateway.Start(mockgateway.Options{Scenario: sc, Seed: o.Seed, Log: o.GatewayLog, Version: o.Version})
		if err != nil {
			return nil, err
		}
		defer run.Shutdown(context.WithoutCancel(ctx))
		// First (defers run last-first): a connection the client dialed
		// but never used would hold Shutdown up for five seconds.
		defer hc.CloseIdleConnections()
		base = run.URL
		creds = run.Server.Clients()
		users = run.Server.SampleUserIDs(sc.Gateway.Users.Count)
	default:
		loop, err := CheckTarget(o.Target, o.Insecure)
		if err != nil {
			return nil, err
		}
		live = !loop
		if live && o.Operation != "get-user" && !o.AllowWrites {
			return nil, usagef("operation %s writes to %s, a live host; pass --allow-writes to permit it", o.Operation, o.Target)
		}
		id, secret, err := Credentials(o.Getenv)
		if err != nil {
			return nil, err
		}
		creds = []mockgateway.Credentials{{ClientID: id, ClientSecret: secret}}
	}
	if o.Gateway != nil && o.Target != "" {
		return nil, usagef("an in-process gateway and a target cannot be combined")
	}

	var agents []*Agent
	for i, c := range creds {
		pol, _ := strategy.New(o.Strategy, o.Params)
		cl := client.New(base, c.ClientID, c.ClientSecret, hc)
		if o.Clock != nil {
			cl.Clock = o.Clock
		}
		agents = append(agents, &Agent{Name: c.ClientID, Client: cl, Policy: pol, Rand: rand.New(rand.NewPCG(o.Seed, uint64(i)+1))})
	}

	var work []Item
	if o.Input != "" {
		var err error
		if work, err = LoadWork(o.Input); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrUsage, err)
		}
		if o.Ops > 0 && o.Ops < len(work) {
			work = work[:o.Ops]
		}
	} else {
		if len(users) == 0 {
			var err error
			if users, err = listUsers(ctx, agents[0].Client, 100); err != nil {
				return nil, err
			}
		}
		if w.Users > 0 && w.Users < len(users) {
			users = users[:w.Users]
		}
		work = Generate(users, pick(o.Ops, w.Ops, 100), o.Seed)
	}
	maxReq := o.MaxRequests
	if maxReq == 0 {
		maxReq = w.MaxRequests
	}
	if maxReq == 0 {
		maxReq = len(work) * o.MaxAttempts
		if live {
			maxReq = min(maxReq, DefaultLiveMaxRequests)
		}
	}
	// The capacity the scenario leaves is known only for its own gateway.
	var capacity, burst float64
	var window time.Duration
	if o.Target == "" {
		capacity, burst, window = sc.CapacityShape(o.Operation)
	}
	clockName := "real"
	if o.Clock != nil {
		if _, ok := o.Clock.(*clock.Real); !ok {
			clockName = "virtual"
		}
	}
	sum, err := Run(ctx, Config{
		Agents: agents, Clock: o.Clock, Operation: o.Operation, Work: work,
		Concurrency: o.Concurrency, Rate: o.Rate, RampTo: o.RampTo, Ramp: o.Ramp, Poisson: o.Poisson,
		MaxAttempts: o.MaxAttempts, MaxRequests: maxReq, MaxDuration: o.MaxDuration, Grace: o.Grace,
		Seed: o.Seed, Log: o.Log, Observe: o.Observe, Progress: o.Progress,
		Header: record.Header{Version: o.Version, Scenario: sc.Name, Strategy: o.Strategy, Params: o.Params, Target: targetName(o, base), Clock: clockName, Capacity: capacity, CapacityBurst: burst, CapacityWindowNS: int64(window)},
	})
	return &Result{Summary: sum, Target: targetName(o, base), Strategy: o.Strategy}, err
}

func targetName(o Options, base string) string {
	switch {
	case o.Gateway != nil:
		return "in-process (virtual)"
	case o.Target == "":
		return "in-process " + base
	}
	return o.Target
}

// listUsers pages through GET /api/v2/users until it has n ids.
func listUsers(ctx context.Context, c *client.Client, n int) ([]string, error) {
	var ids []string
	for page := 1; len(ids) < n; page++ {
		r, err := c.Do(ctx, http.MethodGet, fmt.Sprintf("/api/v2/users?pageSize=100&pageNumber=%d", page), nil, nil)
		if err != nil {
			return nil, err
		}
		if r.Status != http.StatusOK {
			return nil, fmt.Errorf("probe: listing users: status %d %s", r.Status, r.ErrorCode)
		}
		var p struct {
			Entities []struct {
				ID string `json:"id"`
			} `json:"entities"`
			PageCount int `json:"pageCount"`
		}
		if err := json.Unmarshal(r.Body, &p); err != nil {
			return nil, fmt.Errorf("probe: listing users: %w", err)
		}
		for _, e := range p.Entities {
			ids = append(ids, e.ID)
		}
		if page >= p.PageCount || len(p.Entities) == 0 {
			break
		}
	}
	if len(ids) == 0 {
		return nil, errors.New("probe: the target lists no users; give work with --input")
	}
	return ids, nil
}
