package discover

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/ratelab/ratelab/api"
	"github.com/ratelab/ratelab/clock"
	"github.com/ratelab/ratelab/mockgateway"
	"github.com/ratelab/ratelab/probe"
	"github.com/ratelab/ratelab/probe/client"
	"github.com/ratelab/ratelab/scenarios"
)

// Defaults for the budgets: small, printed with the plan.
const (
	DefaultMaxRequests = 1000
	DefaultMaxDuration = 5 * time.Minute
)

// DefaultRoutes are probed when none are named: two reads of the users
// service (and, with writes allowed, a no-op PATCH).
var DefaultRoutes = probeable(false)

// probeable returns the names of the routes discovery can probe, in its
// order; writes only when writes is true.
func probeable(writes bool) []string {
	var names []string
	for _, id := range api.Probeable() {
		if writes || !id.Route().Writes {
			names = append(names, id.Route().Name())
		}
	}
	return names
}

// ErrUsage marks bad options; it is probe's, so both wrap the same way.
var ErrUsage = probe.ErrUsage

// Setup says what to discover and where.
type Setup struct {
	// Target is a live base URL; "" serves Scenario's gateway in-process.
	Target   string
	Scenario *scenarios.Scenario
	// Virtual serves the scenario in virtual time (no sockets, no waiting).
	Virtual     bool
	Routes      []string
	AllowWrites bool
	Insecure    bool
	MaxRequests int
	MaxDuration time.Duration
	Getenv      func(string) string
	HTTP        *http.Client
	Seed        uint64
	Log         func(format string, args ...any)
	// GatewayLog receives the in-process gateway's access log.
	GatewayLog io.Writer
}

// Plan describes what Discover will do, before it sends anything.
func (s *Setup) Plan() string {
	target := s.Target
	if target == "" {
		target = "the " + s.Scenario.Name + " scenario's gateway, in-process"
		if s.Virtual {
			target += " in virtual time"
		}
	}
	mode := "read-only"
	if s.AllowWrites {
		mode = "no-op writes allowed (GET, then PATCH the same values with the current version)"
	}
	return fmt.Sprintf("plan: probe %s on %s; %s; budget %d requests and %v; stops at the first 5xx, 401 or 403; always waits the Retry-After it is given",
		strings.Join(s.routes(), ", "), target, mode, s.MaxRequests, s.MaxDuration)
}

func (s *Setup) routes() []string {
	if len(s.Routes) > 0 {
		return s.Routes
	}
	return probeable(s.AllowWrites)
}

func (s *Setup) defaults() {
	if s.MaxRequests == 0 {
		s.MaxRequests = DefaultMaxRequests
	}
	if s.MaxDuration == 0 {
		s.MaxDuration = DefaultMaxDuration
	}
}

// Check validates the setup without sending anything.
func (s *Setup) Check() error {
	s.defaults()
	for _, r := range s.routes() {
		id, ok := api.RouteNamed(r)
		switch {
		case !ok || !slices.Contains(api.Probeable(), id):
			return fmt.Errorf("%w: cannot probe %q (valid: %s)", ErrUsage, r, strings.Join(probeable(true), ", "))
		case id.Route().Writes && !s.AllowWrites:
			return fmt.Errorf("%w: %s writes: pass --allow-writes (it only re-sends the current values)", ErrUsage, r)
		}
	}
	if s.Target == "" {
		if s.Scenario == nil {
			return fmt.Errorf("%w: give --target or a scenario", ErrUsage)
		}
		return nil
	}
	if s.Virtual {
		return fmt.Errorf("%w: --virtual serves a scenario; it cannot be combined with --target", ErrUsage)
	}
	if _, err := probe.CheckTarget(s.Target, s.Insecure); err != nil {
		return err
	}
	if _, _, err := probe.Credentials(s.Getenv); err != nil {
		return err
	}
	return nil
}

// Discover runs a discovery as set up.
func Discover(ctx context.Context, s Setup) (*Result, error) {
	if err := s.Check(); err != nil {
		return nil, err
	}
	var clk clock.Scheduler = &clock.Real{}
	hc := s.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	base, id, secret := s.Target, "", ""
	switch {
	case s.Target != "":
		id, secret = s.Getenv("GENESYS_CLIENT_ID"), s.Getenv("GENESYS_CLIENT_SECRET")
	case s.Virtual:
		vc := clock.NewVirtual(clock.Epoch)
		gw, err := mockgateway.New(mockgateway.Options{Scenario: s.Scenario, Seed: s.Seed, Clock: vc, Log: s.GatewayLog})
		if err != nil {
			return nil, err
		}
		defer gw.Close()
		clk, hc, base = vc, &http.Client{Transport: gw.RecyclingTransport()}, "http://gateway.invalid"
		c := gw.Clients()[0]
		id, secret = c.ClientID, c.ClientSecret
	default:
		run, err := mockgateway.Start(mockgateway.Options{Scenario: s.Scenario, Seed: s.Seed, Log: s.GatewayLog})
		if err != nil {
			return nil, err
		}
		defer run.Shutdown(context.WithoutCancel(ctx))
		// First (defers run last-first): a connection the client dialed
		// but never used would hold Shutdown up for five seconds.
		defer hc.CloseIdleConnections()
		base = run.URL
		c := run.Server.Clients()[0]
		id, secret = c.ClientID, c.ClientSecret
	}
	newClient := func() *client.Client {
		c := client.New(base, id, secret, hc)
		c.Clock = clk
		return c
	}
	var res *Result
	var err error
	clk.Go(func() {
		c := newClient()
		var user string
		if user, err = firstUser(ctx, c); err != nil {
			return
		}
		var eps []Endpoint
		for _, r := range s.routes() {
			method, path, _ := strings.Cut(r, " ")
			e := Endpoint{Route: r, Method: method, User: user}
			id, _ := api.RouteNamed(r)
			switch {
			case id == api.UsersList:
				e.Path = "/api/v2/users?pageSize=1"
			case id.Route().Writes:
				e.Write = true
			default:
				e.Path = strings.Replace(path, "{id}", url.PathEscape(user), 1)
			}
			eps = append(eps, e)
		}
		res, err = Run(ctx, Options{Client: c, Clock: clk, Endpoints: eps, MaxRequests: s.MaxRequests - 1,
			MaxDuration: s.MaxDuration, AllowWrites: s.AllowWrites, NewClient: newClient, Log: s.Log})
		if res != nil {
			res.Requests++ // the user listing
		}
	})
	clk.Wait()
	if res != nil {
		res.Target = base
		if s.Target == "" {
			res.Target = "scenario " + s.Scenario.Name
		}
	}
	return res, err
}

// firstUser lists one user to probe.
func firstUser(ctx context.Context, c *client.Client) (string, error) {
	r, err := c.Do(ctx, http.MethodGet, "/api/v2/users?pageSize=1", nil, nil)
	if err != nil {
		return "", err
	}
	if r.Status != http.StatusOK {
		return "", fmt.Errorf("discover: listing a user to probe: status %d %s", r.Status, r.ErrorCode)
	}
	var p struct {
		Entities []struct {
			ID string `json:"id"`
		} `json:"entities"`
	}
	if err := json.Unmarshal(r.Body, &p); err != nil || len(p.Entities) == 0 {
		return "", errors.New("discover: the target lists no users")
	}
	return p.Entities[0].ID, nil
}
