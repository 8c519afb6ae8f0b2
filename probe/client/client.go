// Package client is a Genesys Cloud API client for the probe: it logs in
// with client credentials, caches and refreshes its token, and makes single
// HTTP attempts at the users and SCIM endpoints — one request on the wire
// each, redirects not followed — reporting each as data (status,
// Retry-After, error code, correlation id) rather than retrying. Retrying
// is the runner's job, under a strategy.
//
// It declares its own wire types and does not import the mock gateway.
// Secrets never appear in its errors.
package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	json "github.com/goccy/go-json"

	"github.com/ratelab/ratelab/clock"
	"github.com/ratelab/ratelab/internal/ctxsleep"
	"github.com/ratelab/ratelab/internal/hdr"
)

// User is the part of a Genesys User the sync job reads and writes.
type User struct {
	ID         string `json:"id"`
	Name       string `json:"name,omitempty"`
	Email      string `json:"email,omitempty"`
	Department string `json:"department,omitempty"`
	Title      string `json:"title,omitempty"`
	Version    int64  `json:"version"`
}

// Response is the outcome of one HTTP attempt.
type Response struct {
	Status        int
	RetryAfter    string // the header as received; "" when absent
	CorrelationID string
	ErrorCode     string // "code" of a Genesys error body, "error" of an OAuth one
	ETag          string
	Body          []byte
}

// ErrLoginThrottled is returned when the login service refuses a token
// with its 400 "rate limit exceeded" answer.
var ErrLoginThrottled = errors.New("client: token endpoint rate limit exceeded")

// Client talks to one Genesys Cloud environment. Safe for concurrent use.
type Client struct {
	// BaseURL is the API base, e.g. https://api.mypurecloud.de or a mock's
	// http://127.0.0.1:8080.
	BaseURL string
	// LoginURL is the OAuth host; LoginURLFor(BaseURL) by default.
	LoginURL string
	HTTP     *http.Client
	// Clock reads time for token expiry and waits while another caller's
	// login is in flight; nil means the wall clock. Virtual-time runs pass
	// their clock, since a participant must never block outside it.
	Clock clock.Clock
	// Budget, when set, is taken from before every request — logins
	// included — and a request it has no room for is not sent: the call
	// returns ErrRequestCap.
	Budget *Budget

	id, secret string
	mu         sync.Mutex
	base       *url.URL  // BaseURL parsed, for baseOf
	requests   sync.Pool // of *outgoing
	baseOf     string
	token      string
	bearer     []string // the Authorization header for token
	expires    time.Time
	logins     int
	loggingIn  bool
}

// LoginURLFor derives the login host the way the official SDKs do: by
// replacing "//api." with "//login.". A base without "api." (a mock on
// 127.0.0.1) logs in on the same host.
func LoginURLFor(base string) string {
	return strings.Replace(strings.TrimRight(base, "/"), "//api.", "//login.", 1)
}

// New returns a client for base with the given credentials.
func New(base, clientID, clientSecret string, hc *http.Client) *Client {
	if hc == nil {
		hc = http.DefaultClient
	}
	return &Client{BaseURL: strings.TrimRight(base, "/"), LoginURL: LoginURLFor(base), HTTP: hc, id: clientID, secret: clientSecret}
}

func (c *Client) now() time.Time {
	if c.Clock != nil {
		return c.Clock.Now()
	}
	return time.Now()
}

// Logins returns how many tokens the client has minted.
func (c *Client) Logins() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.logins
}

// Token returns a cached access token, logging in when there is none or it
// expires within 60 seconds. Concurrent callers share one login: the
// others wait for it, polling every 5 ms through Sleep, and no lock is held
// while the request is in flight.
func (c *Client) Token(ctx context.Context) (string, error) {
	tok, _, err := c.bearerToken(ctx)
	return tok, err
}

// bearerToken is Token with the token's Authorization header value, which
// requests share (header values are not modified once sent).
func (c *Client) bearerToken(ctx context.Context) (string, []string, error) {
	for {
		c.mu.Lock()
		if c.token != "" && c.now().Before(c.expires.Add(-60*time.Second)) {
			tok, bearer := c.token, c.bearer
			c.mu.Unlock()
			return tok, bearer, nil
		}
		if !c.loggingIn {
			c.loggingIn = true
			c.mu.Unlock()
			break
		}
		c.mu.Unlock()
		if err := c.wait(ctx, 5*time.Millisecond); err != nil {
			return "", nil, err
		}
	}
	tok, expires, err := c.login(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.loggingIn = false
	if err != nil {
		return "", nil, err
	}
	c.token, c.expires, c.logins = tok, expires, c.logins+1
	c.bearer = []string{"Bearer " + tok}
	return tok, c.bearer, nil
}

func (c *Client) wait(ctx context.Context, d time.Duration) error {
	if c.Clock != nil {
		return c.Clock.Sleep(ctx, d)
	}
	return ctxsleep.Sleep(ctx, d)
}

// login mints a token.
func (c *Client) login(ctx context.Context) (string, time.Time, error) {
	form := url.Values{"grant_type": {"client_credentials"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.LoginURL+"/oauth/token", strings.NewReader(form.Encode()))
	if err != nil {
		return "", time.Time{}, fmt.Errorf("client: login: %w", err)
	}
	req.SetBasicAuth(c.id, c.secret)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if !c.Budget.take() {
		return "", time.Time{}, ErrRequestCap
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("client: login to %s: %w", c.LoginURL, redact(err, c.secret))
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var tok struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
		Error       string `json:"error"`
		Description string `json:"description"`
	}
	_ = json.Unmarshal(body, &tok)
	if resp.StatusCode == http.StatusBadRequest && strings.HasPrefix(tok.Description, "rate limit exceeded") {
		return "", time.Time{}, ErrLoginThrottled
	}
	if resp.StatusCode != http.StatusOK || tok.AccessToken == "" {
		return "", time.Time{}, fmt.Errorf("client: login as %s: %s %s", c.id, resp.Status, tok.Error)
	}
	return tok.AccessToken, c.now().Add(time.Duration(tok.ExpiresIn) * time.Second), nil
}

// redact removes a secret from an error's text.
func redact(err error, secret string) error {
	if secret == "" || !strings.Contains(err.Error(), secret) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), secret, "[redacted]"))
}

// Do makes one attempt of method on path (below BaseURL) with a JSON body
// and extra headers. A transport failure is an error; every HTTP status,
// 4xx and 5xx included, is a Response.
func (c *Client) Do(ctx context.Context, method, path string, body any, hdr http.Header) (*Response, error) {
	if body == nil {
		return c.send(ctx, method, path, nil, hdr)
	}
	b, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("client: %s %s: %w", method, path, err)
	}
	return c.send(ctx, method, path, b, hdr)
}

// sendJSON is Do for a body of a known type: MarshalOf encodes it without
// first copying it to the heap.
func sendJSON[T any](ctx context.Context, c *Client, method, path string, body T) (*Response, error) {
	b, err := json.MarshalOf(body)
	if err != nil {
		return nil, fmt.Errorf("client: %s %s: %w", method, path, err)
	}
	return c.send(ctx, method, path, b, nil)
}

// send makes one attempt with body (JSON; nil for none) as Do describes.
func (c *Client) send(ctx context.Context, method, path string, body []byte, extra http.Header) (*Response, error) {
	tok, bearer, err := c.bearerToken(ctx)
	if err != nil {
		return nil, err
	}
	if !c.Budget.take() {
		return nil, ErrRequestCap
	}
	out, err := c.request(ctx, method, path, body)
	if err != nil {
		return nil, fmt.Errorf("client: %s %s: %w", method, path, err)
	}
	req := out.req
	for k, v := range extra {
		req.Header[k] = v
	}
	req.Header["Authorization"] = bearer
	if body != nil {
		req.Header["Content-Type"] = jsonCT
	}
	resp, done, err := c.exchange(req)
	if err != nil {
		// Not recycled: a transport may read the body after it fails.
		return nil, fmt.Errorf("client: %s %s: %w", method, path, redact(err, tok))
	}
	defer c.recycle(out) // once the body is closed, as RoundTripper allows
	defer done()
	defer resp.Body.Close()
	b, err := readBody(resp, 4<<20)
	if err != nil {
		return nil, fmt.Errorf("client: %s %s: reading body: %w", method, path, err)
	}
	r := &Response{Status: resp.StatusCode, RetryAfter: hdr.Get(resp.Header, "Retry-After"),
		CorrelationID: hdr.Get(resp.Header, "Inin-Correlation-Id"), ETag: hdr.Get(resp.Header, "Etag"), Body: b}
	if resp.StatusCode >= 400 {
		var e struct {
			Code  string `json:"code"`
			Error string `json:"error"`
		}
		if json.UnmarshalOf(b, &e) == nil {
			r.ErrorCode = e.Code
			if r.ErrorCode == "" {
				r.ErrorCode = e.Error
			}
		}
	}
	if resp.StatusCode == http.StatusUnauthorized {
		// Forget the token so the next attempt logs in again.
		c.mu.Lock()
		if c.token == tok {
			c.token = ""
		}
		c.mu.Unlock()
	}
	return r, nil
}

var jsonCT = []string{"application/json"} // never modified

// exchange sends req as exactly one HTTP exchange through the HTTP
// client's Transport, within its Timeout (reading the body included; call
// done when finished with the response). An attempt is one request on the
// wire, so redirects are not followed: a 3xx is an answer like any other
// status, and the attempt log shows it. The client's redirect policy and
// cookie jar are not used (the APIs the probe calls set no cookies), and
// net/http.Client's per-request bookkeeping for them — a copy of the
// headers and the URL, a tenth of a virtual run — is skipped.
func (c *Client) exchange(req *http.Request) (resp *http.Response, done func(), err error) {
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	rt := hc.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	done = noop
	if hc.Timeout > 0 {
		ctx, cancel := context.WithTimeout(req.Context(), hc.Timeout)
		req, done = req.WithContext(ctx), cancel
	}
	resp, err = rt.RoundTrip(req)
	if err != nil {
		done()
		return nil, nil, err
	}
	return resp, done, nil
}

func noop() {}

// outgoing is a request the client reuses: the *http.Request with its URL,
// header and body reader, taken from the pool for an attempt and put back
// when the response's body is closed (http.RoundTripper lets a caller
// reuse a request then). A reused request costs no allocation.
type outgoing struct {
	req     *http.Request
	url     url.URL
	body    bodyReader
	getBody func() (io.ReadCloser, error) // o.reopen; nil for a one-off request
}

// bodyReader is a request body over bytes the client encoded.
type bodyReader struct {
	bytes.Reader
	b []byte
}

func (*bodyReader) Close() error { return nil }

// reopen is GetBody: a fresh reader for a transport that sends the request
// again (on a connection that turned out to be dead).
func (o *outgoing) reopen() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(o.body.b)), nil
}

// request readies a request for path below BaseURL with body (JSON; nil
// for none). A plain path (the usual case) is joined to the base parsed
// once, not parsed again.
func (c *Client) request(ctx context.Context, method, path string, body []byte) (*outgoing, error) {
	// Three IndexBytes, not ContainsAny, which builds a byte set per call.
	if strings.IndexByte(path, '%') >= 0 || strings.IndexByte(path, '?') >= 0 || strings.IndexByte(path, '#') >= 0 {
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(body)
		}
		req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, rd)
		return &outgoing{req: req}, err
	}
	c.mu.Lock()
	if c.base == nil || c.baseOf != c.BaseURL {
		u, err := url.Parse(c.BaseURL)
		if err != nil {
			c.mu.Unlock()
			return nil, err
		}
		c.base, c.baseOf = u, c.BaseURL
	}
	base := c.base
	c.mu.Unlock()
	o, _ := c.requests.Get().(*outgoing)
	if o == nil || o.req.Context() != ctx {
		req, err := http.NewRequestWithContext(ctx, method, "/", nil)
		if err != nil {
			return nil, err
		}
		o = &outgoing{req: req}
		o.getBody = o.reopen
	}
	req := o.req
	o.url = *base
	o.url.Path += path
	o.url.RawPath = ""
	req.Method, req.URL, req.Host = method, &o.url, o.url.Host
	clear(req.Header)
	req.Body, req.GetBody, req.ContentLength = nil, nil, 0
	if body != nil {
		o.body.b = body
		o.body.Reset(body)
		req.Body, req.GetBody, req.ContentLength = &o.body, o.getBody, int64(len(body))
	}
	return o, nil
}

// recycle puts o back in the pool once nothing uses it. One-off requests
// (paths with a query or escapes) are not the pool's.
func (c *Client) recycle(o *outgoing) {
	if o.getBody != nil {
		o.body.b = nil
		o.body.Reset(nil)
		c.requests.Put(o)
	}
}

// GetUser reads a user.
func (c *Client) GetUser(ctx context.Context, id string) (*Response, *User, error) {
	r, err := c.Do(ctx, http.MethodGet, "/api/v2/users/"+url.PathEscape(id), nil, nil)
	if err != nil || r.Status != http.StatusOK {
		return r, nil, err
	}
	var u User
	if err := json.Unmarshal(r.Body, &u); err != nil {
		return r, nil, fmt.Errorf("client: GET user %s: %w", id, err)
	}
	return r, &u, nil
}

// Changes are the fields an update sets; empty fields are left alone.
type Changes struct {
	Email      string `json:"email,omitempty"`
	Department string `json:"department,omitempty"`
	Title      string `json:"title,omitempty"`
	Name       string `json:"name,omitempty"`
}

// PatchUser updates a user, carrying the version it was read at.
func (c *Client) PatchUser(ctx context.Context, id string, version int64, ch Changes) (*Response, error) {
	return sendJSON(ctx, c, http.MethodPatch, "/api/v2/users/"+url.PathEscape(id), versioned{ch, version})
}

// versioned is a PATCH body: the changes and the version they apply to.
type versioned struct {
	Changes
	Version int64 `json:"version"`
}

// PutUser sends the seed report's call: PUT with email and department and
// no version. The real API has no such endpoint; scenarios may enable it.
func (c *Client) PutUser(ctx context.Context, id string, ch Changes) (*Response, error) {
	return sendJSON(ctx, c, http.MethodPut, "/api/v2/users/"+url.PathEscape(id), ch)
}

// ScimUpdate replaces fields of a SCIM user with If-Match on etag.
func (c *Client) ScimUpdate(ctx context.Context, id, etag string, ch Changes) (*Response, error) {
	var ops []map[string]any
	add := func(path, v string) {
		if v != "" {
			ops = append(ops, map[string]any{"op": "replace", "path": path, "value": v})
		}
	}
	add("displayName", ch.Name)
	add("title", ch.Title)
	add(`emails[type eq "work"].value`, ch.Email)
	add("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", ch.Department)
	body := map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"}, "Operations": ops}
	hdr := http.Header{}
	if etag != "" {
		hdr.Set("If-Match", etag)
	}
	return c.Do(ctx, http.MethodPatch, "/api/v2/scim/v2/users/"+url.PathEscape(id), body, hdr)
}

// ScimGet reads a SCIM user; the response's ETag carries its version.
func (c *Client) ScimGet(ctx context.Context, id string) (*Response, error) {
	return c.Do(ctx, http.MethodGet, "/api/v2/scim/v2/users/"+url.PathEscape(id), nil, nil)
}

// readBody reads at most max bytes of resp's body, in one allocation when
// the length is known.
func readBody(resp *http.Response, max int64) ([]byte, error) {
	if n := resp.ContentLength; n >= 0 && n <= max {
		b := make([]byte, n)
		_, err := io.ReadFull(resp.Body, b)
		return b, err
	}
	return io.ReadAll(io.LimitReader(resp.Body, max))
}
