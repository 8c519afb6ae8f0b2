package mockgateway

import (
	"encoding/base64"
	"encoding/hex"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ratelab/ratelab/mockgateway/limit"
	"github.com/ratelab/ratelab/scenarios"
)

// token is one minted access token. Its value never leaves the auth store
// except in the /oauth/token response; records carry id only.
type token struct {
	id      string
	client  string
	tier    int
	expires time.Time
}

// auth mints and checks client-credentials tokens. Safe for concurrent use.
type auth struct {
	mu       sync.Mutex
	rng      *rand.Rand
	open     bool // any client id and secret accepted
	clients  map[string]scenarios.Client
	tiers    map[string]int
	defTier  int
	ttl      time.Duration
	maxLive  int
	tokens   map[string]*token   // by value
	live     map[string][]string // client -> token values, oldest first
	n        int
	mint     *limit.Model
	mintRule *limit.Route
}

func newAuth(sc *scenarios.Scenario, seed uint64, now time.Time) (*auth, error) {
	a := &auth{rng: rand.New(rand.NewPCG(seed, 0x746f6b656e)), open: sc.OpenClients,
		clients: map[string]scenarios.Client{}, tiers: map[string]int{},
		ttl: sc.Gateway.Token.ExpiresIn.D(), maxLive: sc.Gateway.Token.MaxLive,
		tokens: map[string]*token{}, live: map[string][]string{}}
	for i, n := range sc.TierNames() {
		a.tiers[n] = i
	}
	for _, c := range sc.Clients {
		a.clients[c.ID] = c
	}
	if len(sc.Clients) > 0 {
		a.defTier = a.tiers[sc.Clients[0].Tier]
	}
	if l := sc.Gateway.Token.Limit; l != nil {
		var err error
		a.mint, err = limit.New(limit.Config{Buckets: []limit.Spec{{Name: "token-mint", Scope: limit.ScopeClient,
			Algorithm: limit.FixedWindow, Limit: l.Rate.Scale(sc.TimeScale)}}}, now)
		if err != nil {
			return nil, err
		}
		a.mintRule, _ = a.mint.Route("POST /oauth/token", 1, "token-mint")
	}
	return a, nil
}

// oauthError is the login service's error body.
type oauthError struct {
	Error            string `json:"error"`
	Description      string `json:"description"`
	ErrorDescription string `json:"error_description"`
}

// credentials reads client credentials from Basic auth or the form body.
func credentials(r *http.Request, body []byte) (id, secret, grant string) {
	form, _ := url.ParseQuery(string(body))
	grant = form.Get("grant_type")
	if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Basic ") {
		if raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(h, "Basic ")); err == nil {
			id, secret, _ = strings.Cut(string(raw), ":")
			return id, secret, grant
		}
	}
	return form.Get("client_id"), form.Get("client_secret"), grant
}

// token serves POST /oauth/token.
func (s *Server) token(rc *reqCtx) {
	id, secret, grant := credentials(rc.r, rc.body)
	fail := func(status int, code, desc string) {
		rc.rec.ErrorCode = code
		s.delay(rc)
		rc.w.Header().Set("Content-Type", "application/json")
		rc.w.Header().Set("Cache-Control", "no-store")
		rc.w.WriteHeader(status)
		rc.writeBody(&oauthError{Error: code, Description: desc, ErrorDescription: desc})
	}
	if grant != "client_credentials" {
		fail(http.StatusBadRequest, "unsupported_grant_type", "grant_type must be client_credentials")
		return
	}
	a := s.auth
	tier, ok := a.authenticate(id, secret)
	if !ok {
		fail(http.StatusUnauthorized, "invalid_client", "client not found or secret does not match")
		return
	}
	rc.rec.Client = id
	if a.mint != nil {
		var d limit.Decision
		a.mint.Decide(rc.at, a.mintRule, limit.Request{Client: id}, &d)
		if !d.Allowed {
			rc.rec.TrueWaitNS = int64(d.Wait)
			rc.rec.RejectedBy = "token-mint"
			s.metrics.tokenThrottles.Inc()
			fail(http.StatusBadRequest, "invalid_request", "rate limit exceeded; retry the request later")
			return
		}
	}
	value, tok := a.issue(id, tier, rc.at)
	rc.rec.TokenID = tok.id
	s.delay(rc)
	rc.w.Header().Set("Cache-Control", "no-store")
	s.writeJSON(rc, http.StatusOK, map[string]any{
		"access_token": value, "token_type": "bearer", "expires_in": int64(a.ttl / time.Second),
	})
}

func (a *auth) authenticate(id, secret string) (tier int, ok bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if id == "" {
		return 0, false
	}
	c, known := a.clients[id]
	if known && c.Secret == secret {
		return a.tiers[c.Tier], true
	}
	if a.open && !known && secret != "" {
		return a.defTier, true
	}
	return 0, false
}

// issue mints a token for client, invalidating its oldest live token when
// it already holds maxLive.
func (a *auth) issue(client string, tier int, now time.Time) (string, *token) {
	a.mu.Lock()
	defer a.mu.Unlock()
	var b [24]byte
	for i := range b {
		b[i] = byte(a.rng.Uint32())
	}
	value := hex.EncodeToString(b[:])
	a.n++
	tok := &token{id: "tok-" + strconv.Itoa(a.n), client: client, tier: tier, expires: now.Add(a.ttl)}
	a.tokens[value] = tok
	live := a.live[client]
	if a.maxLive > 0 && len(live) >= a.maxLive {
		delete(a.tokens, live[0])
		live = live[1:]
	}
	a.live[client] = append(live, value)
	return value, tok
}

// check returns the live token in an Authorization header, or why not.
func (a *auth) check(header string, now time.Time) (*token, string) {
	value, ok := strings.CutPrefix(header, "Bearer ")
	if !ok {
		if v, ok2 := strings.CutPrefix(header, "bearer "); ok2 {
			value, ok = v, true
		}
	}
	if !ok || value == "" {
		return nil, "No authentication bearer token specified in authorization header."
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	tok, found := a.tokens[value]
	if !found {
		return nil, "Invalid login credentials."
	}
	if !now.Before(tok.expires) {
		return nil, "Invalid login credentials: the token has expired."
	}
	return tok, ""
}
