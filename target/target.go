// Package target is where a run sends its requests, built in one place for
// every command: the scenario's gateway in virtual time (in-process, no
// sockets), the scenario's gateway on a loopback port (real sockets, real
// time), or an API at a URL (a live Genesys Cloud org, or a gateway that
// is already running) with credentials from the environment and the
// safety rules that go with it.
//
// A Target carries the clock, the HTTP client, the credentials and, for
// the scenario's own gateway, the gateway itself; Close releases all of
// it. probe, discover, compare, `ratelab run` and the bench programs open
// their targets here.
package target

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ratelab/ratelab/clock"
	"github.com/ratelab/ratelab/mockgateway"
	"github.com/ratelab/ratelab/probe/client"
	"github.com/ratelab/ratelab/scenarios"
)

// ErrUsage marks errors in what the caller asked for (exit code 2 in the
// CLI): a bad URL, missing credentials, options that cannot go together.
var ErrUsage = errors.New("usage")

// Usagef returns an error wrapping ErrUsage.
func Usagef(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrUsage}, args...)...)
}

// DefaultTimeout bounds one HTTP exchange with a URL or loopback target
// when Spec.Timeout is zero.
const DefaultTimeout = 60 * time.Second

// Spec says which target to open. The zero URL serves Scenario's gateway.
type Spec struct {
	// Scenario is served when URL is empty; it is required then.
	Scenario *scenarios.Scenario
	// URL is the base URL of an API to use instead of the scenario's
	// gateway, e.g. https://api.mypurecloud.de.
	URL string
	// Virtual serves the scenario's gateway in-process on a virtual
	// clock: no sockets, no sleeping, the same logs for the same seed.
	Virtual bool
	// Seed seeds the served gateway; 0 means the scenario's.
	Seed uint64
	// Insecure permits plain http:// to a non-loopback URL.
	Insecure bool
	// Writes says the run will write (PATCH, PUT, …); against a live host
	// it needs AllowWrites.
	Writes bool
	// AllowWrites permits writes to a live host.
	AllowWrites bool
	// Getenv reads a URL target's credentials (GENESYS_CLIENT_ID and
	// GENESYS_CLIENT_SECRET); nil means no environment.
	Getenv func(string) string
	// HTTP, when set, is the client for a URL or loopback target.
	HTTP *http.Client
	// Timeout bounds one exchange of the default HTTP client; 0 means
	// DefaultTimeout.
	Timeout time.Duration
	// GatewayLog receives the served gateway's access log; the caller
	// closes it after Target.Close.
	GatewayLog io.Writer
	// Version is written to the served gateway's access-log header.
	Version string
}

// Target is an opened target. Its fields are read-only; Close it when
// done.
type Target struct {
	// Name says what it is, for people: "in-process (virtual)",
	// "in-process http://127.0.0.1:41234" or the URL.
	Name string
	// Base is the API (and login) base URL clients use.
	Base string
	// Clock is the run's clock: virtual for a virtual target, else real.
	Clock clock.Scheduler
	// HTTP is the client every request goes through.
	HTTP *http.Client
	// Clients are the credentials to log in with: the scenario's clients
	// for its gateway, the environment's one for a URL.
	Clients []mockgateway.Credentials
	// Gateway is the scenario's gateway when it is served here; nil for a
	// URL.
	Gateway *mockgateway.Server
	// Live reports whether the target is a URL on another host: writes
	// need permission and requests are capped.
	Live bool

	virtual bool
	running *mockgateway.Running
}

// Virtual reports whether the target runs on a virtual clock.
func (t *Target) Virtual() bool { return t.virtual }

// NewClient returns a sync client for credentials c on the target's base
// URL, HTTP client and clock.
func (t *Target) NewClient(c mockgateway.Credentials) *client.Client {
	cl := client.New(t.Base, c.ClientID, c.ClientSecret, t.HTTP)
	cl.Clock = t.Clock
	return cl
}

// Close releases the target: idle connections first (one dialed but never
// used would hold a shutdown up for five seconds), then the gateway,
// letting requests in flight finish until ctx ends and flushing its access
// log.
func (t *Target) Close(ctx context.Context) error {
	t.HTTP.CloseIdleConnections()
	switch {
	case t.running != nil:
		return t.running.Shutdown(ctx)
	case t.Gateway != nil:
		return t.Gateway.Close()
	}
	return nil
}

// Check validates the spec without opening anything, and reports whether
// it names a live host. Plain http to another host is refused unless
// Insecure (the client would send its credentials in clear), writes to
// another host unless AllowWrites, and a URL without credentials in the
// environment.
func (s *Spec) Check() (live bool, err error) {
	if live, err = s.CheckPlan(); err != nil || s.URL == "" {
		return live, err
	}
	if _, err := credentials(s.Getenv); err != nil {
		return false, err
	}
	return live, nil
}

// CheckPlan is Check without the credentials: what a dry run, which
// sends nothing, needs to hold.
func (s *Spec) CheckPlan() (live bool, err error) {
	if s.URL == "" {
		if s.Scenario == nil {
			return false, Usagef("give a target URL or a scenario")
		}
		return false, nil
	}
	if s.Virtual {
		return false, Usagef("--virtual runs the scenario's own gateway; it cannot be combined with --target")
	}
	u, err := url.Parse(s.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return false, Usagef("--target %q is not an http(s) URL such as https://api.mypurecloud.de", withoutUserinfo(s.URL))
	}
	if u.User != nil {
		// The URL is the run's name in headers and reports: a password in
		// it would be written everywhere, so it is refused, unshown.
		return false, Usagef("--target %s: credentials in the URL are refused (they would be written to logs and reports); give them in GENESYS_CLIENT_ID and GENESYS_CLIENT_SECRET", withoutUserinfo(s.URL))
	}
	if u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		// A query can carry a token (?access_token=…), and the URL is
		// written to every header and report.
		return false, Usagef("--target %s://%s%s: give the API's base URL without a query or fragment", u.Scheme, u.Host, u.Path)
	}
	loopback := isLoopback(u.Hostname())
	if u.Scheme == "http" && !loopback && !s.Insecure {
		return false, Usagef("--target %s: plain http to a non-loopback host would send credentials in clear; use https or --insecure", u.Host)
	}
	if s.Writes && !loopback && !s.AllowWrites {
		return false, Usagef("this run writes to %s, a live host; pass --allow-writes to permit it", s.URL)
	}
	return !loopback, nil
}

// Open checks the spec and opens the target: it starts the scenario's
// gateway (in virtual time or on 127.0.0.1:0) or prepares a URL's client
// and credentials. Nothing is sent to a URL target.
func Open(s Spec) (*Target, error) {
	live, err := s.Check()
	if err != nil {
		return nil, err
	}
	switch {
	case s.URL != "":
		cred, _ := credentials(s.Getenv)
		return &Target{Name: s.URL, Base: s.URL, Clock: &clock.Real{}, HTTP: s.httpClient(),
			Clients: []mockgateway.Credentials{cred}, Live: live}, nil
	case s.Virtual:
		vc := clock.NewVirtual(clock.Epoch)
		gw, err := mockgateway.New(s.gatewayOptions(vc))
		if err != nil {
			return nil, err
		}
		return &Target{Name: "in-process (virtual)", Base: "http://ratelab.invalid", Clock: vc,
			HTTP: &http.Client{Transport: gw.RecyclingTransport()}, Clients: gw.Clients(), Gateway: gw, virtual: true}, nil
	default:
		run, err := mockgateway.Start(s.gatewayOptions(nil))
		if err != nil {
			return nil, err
		}
		return &Target{Name: "in-process " + run.URL, Base: run.URL, Clock: &clock.Real{}, HTTP: s.httpClient(),
			Clients: run.Server.Clients(), Gateway: run.Server, running: run}, nil
	}
}

func (s *Spec) gatewayOptions(c clock.Clock) mockgateway.Options {
	return mockgateway.Options{Scenario: s.Scenario, Seed: s.Seed, Clock: c, Log: s.GatewayLog, Version: s.Version}
}

func (s *Spec) httpClient() *http.Client {
	if s.HTTP != nil {
		return s.HTTP
	}
	timeout := s.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	return &http.Client{Timeout: timeout, Transport: &http.Transport{MaxIdleConnsPerHost: 256, IdleConnTimeout: 90 * time.Second}}
}

// withoutUserinfo is raw with everything between its scheme and its last
// "@" removed, for error messages. It works on strings that do not parse
// as URLs too, where a password may hold "/", "?" or "#": cutting at the
// last "@" of the whole string may also drop part of a path, never a
// secret.
func withoutUserinfo(raw string) string {
	_, rest, ok := strings.Cut(raw, "://")
	if !ok {
		rest = raw
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return raw
	}
	return raw[:len(raw)-len(rest)] + rest[at+1:]
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// credentials reads the client id and secret from GENESYS_CLIENT_ID and
// GENESYS_CLIENT_SECRET, the only place a URL target's credentials come
// from.
func credentials(getenv func(string) string) (mockgateway.Credentials, error) {
	var c mockgateway.Credentials
	if getenv != nil {
		c.ClientID, c.ClientSecret = getenv("GENESYS_CLIENT_ID"), getenv("GENESYS_CLIENT_SECRET")
	}
	if c.ClientID == "" || c.ClientSecret == "" {
		return c, Usagef("a live target needs GENESYS_CLIENT_ID and GENESYS_CLIENT_SECRET in the environment")
	}
	return c, nil
}
