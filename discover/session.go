package discover

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/ratelab/ratelab/api"
	"github.com/ratelab/ratelab/mockgateway"
	"github.com/ratelab/ratelab/probe/client"
	"github.com/ratelab/ratelab/target"
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

// ErrUsage marks bad options; it is target.ErrUsage, so every package
// wraps the same way.
var ErrUsage = target.ErrUsage

// DefaultTimeout bounds one exchange with a real-time target.
const DefaultTimeout = 30 * time.Second

// Setup says what to discover and where.
type Setup struct {
	// Target is where to probe: a live URL, or (URL empty) its Scenario's
	// gateway, in-process over loopback or in virtual time.
	Target      target.Spec
	Routes      []string
	AllowWrites bool
	MaxRequests int
	MaxDuration time.Duration
	Log         func(format string, args ...any)
	// DryRun checks the setup for a plan only: a URL target's credentials
	// are not needed, since nothing will be sent.
	DryRun bool
}

// Plan describes what Discover will do, before it sends anything.
func (s *Setup) Plan() string {
	where := s.Target.URL
	if where == "" {
		where = "the " + s.Target.Scenario.Name + " scenario's gateway, in-process"
		if s.Target.Virtual {
			where += " in virtual time"
		}
	}
	mode := "read-only"
	if s.AllowWrites {
		mode = "no-op writes allowed (GET, then PATCH the same values with the current version)"
	}
	scope := "per token or client-or-wider (set GENESYS_CLIENT_ID_2 and GENESYS_CLIENT_SECRET_2 to tell per-client from org-wide)"
	if s.Target.URL == "" || s.getenv("GENESYS_CLIENT_ID_2") != "" && s.getenv("GENESYS_CLIENT_SECRET_2") != "" {
		scope = "per token, per client or org-wide (a second client)"
		if s.Target.URL == "" {
			scope = "per token, per client or org-wide when the scenario has a second client on the same tier"
		}
	}
	return fmt.Sprintf("plan: probe %s on %s; %s; budget %d requests and %v; reads the limits API first; scope: %s; stops at the first 5xx, 401 or 403; always waits the Retry-After it is given",
		strings.Join(s.routes(), ", "), where, mode, s.MaxRequests, s.MaxDuration, scope)
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
	if s.Target.URL != "" && !s.DryRun {
		id, secret := s.getenv("GENESYS_CLIENT_ID_2"), s.getenv("GENESYS_CLIENT_SECRET_2")
		if (id == "") != (secret == "") {
			return fmt.Errorf("%w: a second client needs both GENESYS_CLIENT_ID_2 and GENESYS_CLIENT_SECRET_2 (only one is set)", ErrUsage)
		}
	}
	if s.Target.Timeout == 0 {
		s.Target.Timeout = DefaultTimeout
	}
	check := s.Target.Check
	if s.DryRun {
		check = s.Target.CheckPlan // nothing is sent: no credentials needed
	}
	_, err := check()
	return err
}

func (s *Setup) getenv(k string) string {
	if s.Target.Getenv == nil {
		return ""
	}
	return s.Target.Getenv(k)
}

// secondClient is another OAuth client of the same org, which tells a
// per-client limit from an org-wide one: for a URL target, the one in
// GENESYS_CLIENT_ID_2 and GENESYS_CLIENT_SECRET_2; for a scenario, its
// second client on the first one's tier (another tier has other limits).
func secondClient(spec target.Spec, t *target.Target) (mockgateway.Credentials, bool) {
	if spec.URL != "" {
		c := mockgateway.Credentials{ClientID: spec.Getenv("GENESYS_CLIENT_ID_2"), ClientSecret: spec.Getenv("GENESYS_CLIENT_SECRET_2")}
		return c, c.ClientID != "" && c.ClientSecret != ""
	}
	for _, c := range t.Clients[1:] {
		if c.Tier == t.Clients[0].Tier && c.ClientID != t.Clients[0].ClientID {
			return c, true
		}
	}
	return mockgateway.Credentials{}, false
}

// Discover runs a discovery as set up.
func Discover(ctx context.Context, s Setup) (*Result, error) {
	if err := s.Check(); err != nil {
		return nil, err
	}
	t, err := target.Open(s.Target)
	if err != nil {
		return nil, err
	}
	defer t.Close(context.WithoutCancel(ctx))
	newClient := func() *client.Client { return t.NewClient(t.Clients[0]) }
	var second *client.Client
	if c2, ok := secondClient(s.Target, t); ok {
		second = t.NewClient(c2)
	}
	clk := t.Clock
	var res *Result
	clk.Go(func() {
		c := newClient()
		users, lerr := c.ListUserIDs(ctx, 1, 1)
		if lerr != nil {
			err = fmt.Errorf("discover: %w", lerr)
			return
		}
		user, listed := users[0], clk.Now()
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
			MaxDuration: s.MaxDuration, AllowWrites: s.AllowWrites, NewClient: newClient, Second: second, Log: s.Log, Listed: listed})
		if res != nil {
			res.Requests++ // the user listing
		}
	})
	clk.Wait()
	if res != nil {
		res.Target = t.Base
		if s.Target.URL == "" {
			res.Target = "scenario " + s.Target.Scenario.Name
		}
	}
	return res, err
}
