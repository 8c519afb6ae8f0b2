package client

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/ratelab/ratelab/mockgateway"
	"github.com/ratelab/ratelab/scenarios"
)

func TestLoginURLFor(t *testing.T) {
	cases := map[string]string{
		"https://api.mypurecloud.de":   "https://login.mypurecloud.de",
		"https://api.usw2.pure.cloud/": "https://login.usw2.pure.cloud",
		"http://127.0.0.1:8080":        "http://127.0.0.1:8080",
	}
	for in, want := range cases {
		if got := LoginURLFor(in); got != want {
			t.Errorf("LoginURLFor(%q) = %q, want %q", in, got, want)
		}
	}
}

func start(t *testing.T, src string) *mockgateway.Running {
	t.Helper()
	sc, err := scenarios.Parse("t.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	run, err := mockgateway.Start(mockgateway.Options{Scenario: sc})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { run.Shutdown(context.Background()) })
	return run
}

func TestUpdateFlowAgainstTheMock(t *testing.T) {
	run := start(t, "name: t\ngateway: {users: {count: 3, ids: sequential}}\nclients: [{id: app, secret: topsecret}]\n")
	c := New(run.URL, "app", "topsecret", nil)
	ctx := context.Background()
	r, u, err := c.GetUser(ctx, "user-00001")
	if err != nil || r.Status != 200 || u.Version != 1 || r.CorrelationID == "" {
		t.Fatalf("GET: %v %+v %+v", err, r, u)
	}
	r, err = c.PatchUser(ctx, u.ID, u.Version, Changes{Department: "Ops"})
	if err != nil || r.Status != 200 {
		t.Fatalf("PATCH: %v %+v", err, r)
	}
	r, _ = c.PatchUser(ctx, u.ID, u.Version, Changes{Department: "Stale"})
	if r.Status != 409 || r.ErrorCode != "general.conflict" {
		t.Fatalf("stale PATCH: %+v", r)
	}
	g, _ := c.ScimGet(ctx, u.ID)
	r, _ = c.ScimUpdate(ctx, u.ID, g.ETag, Changes{Title: "Lead"})
	if r.Status != 200 {
		t.Fatalf("SCIM update: %d %s", r.Status, r.Body)
	}
	if c.Logins() != 1 {
		t.Fatalf("logged in %d times; the token should be cached", c.Logins())
	}
}

func TestLoginThrottledAndSecretsNeverInErrors(t *testing.T) {
	run := start(t, "name: t\ngateway: {token: {limit: 1/min}}\nclients: [{id: app, secret: topsecret}]\n")
	ctx := context.Background()
	if _, err := New(run.URL, "app", "topsecret", nil).Token(ctx); err != nil {
		t.Fatal(err)
	}
	_, err := New(run.URL, "app", "topsecret", nil).Token(ctx)
	if !errors.Is(err, ErrLoginThrottled) {
		t.Fatalf("second mint within the limit: %v", err)
	}
	_, err = New(run.URL, "app", "wrong-secret-value", nil).Token(ctx)
	if err == nil || strings.Contains(err.Error(), "wrong-secret-value") {
		t.Fatalf("bad secret: %v", err)
	}
	// Error text that would carry a secret is redacted.
	if got := redact(errors.New("dial user:topsecret@host"), "topsecret").Error(); strings.Contains(got, "topsecret") {
		t.Fatalf("redact left the secret: %s", got)
	}
}

// TestNewRequestMatchesParsing: joining a path to the parsed base builds
// the request http.NewRequest would build from the whole URL.
func TestNewRequestMatchesParsing(t *testing.T) {
	for _, base := range []string{"http://127.0.0.1:8080", "https://api.mypurecloud.de", "http://h:1/prefix"} {
		c := New(base, "id", "secret", nil)
		for _, p := range []string{"/api/v2/users/abc", "/api/v2/users/a%2Fb", "/api/v2/users?pageSize=5", "/api/v2/scim/v2/users/x-1"} {
			got, err := c.newRequest(context.Background(), http.MethodGet, p, nil)
			want, err2 := http.NewRequest(http.MethodGet, base+p, nil)
			if err != nil || err2 != nil {
				t.Fatal(err, err2)
			}
			if got.URL.String() != want.URL.String() || got.Host != want.Host || got.URL.EscapedPath() != want.URL.EscapedPath() {
				t.Errorf("%s + %s: got %s (host %s), want %s (host %s)", base, p, got.URL, got.Host, want.URL, want.Host)
			}
		}
	}
}
