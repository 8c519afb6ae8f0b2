package target

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/ratelab/ratelab/scenarios"
)

func scenario(t *testing.T) *scenarios.Scenario {
	t.Helper()
	sc, err := scenarios.Embedded("healthy")
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

var creds = env(map[string]string{"GENESYS_CLIENT_ID": "id", "GENESYS_CLIENT_SECRET": "s3cret-value"})

// TestCheck: every safety rule refuses before anything is opened, as a
// usage error that never shows the secret.
func TestCheck(t *testing.T) {
	sc := scenario(t)
	cases := []struct {
		name string
		spec Spec
		live bool
		want string // "" means accepted
	}{
		{"scenario, real time", Spec{Scenario: sc}, false, ""},
		{"scenario, virtual", Spec{Scenario: sc, Virtual: true}, false, ""},
		{"nothing", Spec{}, false, "give a target URL or a scenario"},
		{"virtual with a URL", Spec{URL: "https://api.example.com", Virtual: true, Getenv: creds}, false, "cannot be combined"},
		{"not a URL", Spec{URL: "api.example.com", Getenv: creds}, false, "not an http(s) URL"},
		{"plain http to a remote host", Spec{URL: "http://api.example.com", Getenv: creds}, false, "plain http"},
		{"plain http, insecure", Spec{URL: "http://api.example.com", Insecure: true, Getenv: creds}, true, ""},
		{"plain http to loopback", Spec{URL: "http://127.0.0.1:9", Getenv: creds}, false, ""},
		{"writes to a remote host", Spec{URL: "https://api.example.com", Writes: true, Getenv: creds}, false, "--allow-writes"},
		{"writes allowed", Spec{URL: "https://api.example.com", Writes: true, AllowWrites: true, Getenv: creds}, true, ""},
		{"writes to loopback", Spec{URL: "http://localhost:9", Writes: true, Getenv: creds}, false, ""},
		{"no credentials", Spec{URL: "https://api.example.com"}, false, "GENESYS_CLIENT_ID"},
		{"a password with a slash", Spec{URL: "https://user:s3cret-value/x@api.example.com", Getenv: creds}, false, "not an http(s) URL"},
		{"a password with a question mark", Spec{URL: "https://user:s3cret-value?x@api.example.com", Getenv: creds}, false, "not an http(s) URL"},
		{"a password with a hash", Spec{URL: "https://user:s3cret-value#x@api.example.com", Getenv: creds}, false, "not an http(s) URL"},
		{"a token in the query", Spec{URL: "https://api.example.com/?access_token=s3cret-value", Getenv: creds}, false, "without a query"},
		{"a fragment", Spec{URL: "https://api.example.com/#s3cret-value", Getenv: creds}, false, "without a query"},
		{"password in the URL", Spec{URL: "https://u:s3cret-value@api.example.com", Getenv: creds}, false, "credentials in the URL"},
		{"password in a loopback URL", Spec{URL: "http://u:s3cret-value@127.0.0.1:9", Getenv: creds}, false, "credentials in the URL"},
		{"user name only in the URL", Spec{URL: "https://s3cret-value@api.example.com", Getenv: creds}, false, "credentials in the URL"},
		{"password in an unparsable URL", Spec{URL: "https://u:s3cret-value@api.example.com:port", Getenv: creds}, false, "not an http(s) URL"},
		{"password in a URL with writes", Spec{URL: "https://u:s3cret-value@api.example.com", Writes: true, Getenv: creds}, false, "credentials in the URL"},
		{"half the credentials", Spec{URL: "https://api.example.com", Getenv: env(map[string]string{"GENESYS_CLIENT_SECRET": "s3cret-value"})}, false, "GENESYS_CLIENT_ID"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			live, err := c.spec.Check()
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.want != "" && (err == nil || !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("err = %v, want a usage error containing %q", err, c.want)
			case err != nil && strings.Contains(err.Error(), "s3cret-value"):
				t.Fatalf("the error shows the secret: %v", err)
			case err == nil && live != c.live:
				t.Fatalf("live = %v, want %v", live, c.live)
			}
		})
	}
}

// TestOpen: each kind of target comes with the clock, client, credentials
// and gateway it needs, answers a request, and Close releases it.
func TestOpen(t *testing.T) {
	sc := scenario(t)
	for _, c := range []struct {
		name    string
		spec    Spec
		virtual bool
	}{
		{"virtual", Spec{Scenario: sc, Virtual: true}, true},
		{"loopback", Spec{Scenario: sc}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			tg, err := Open(c.spec)
			if err != nil {
				t.Fatal(err)
			}
			if tg.Virtual() != c.virtual || tg.Gateway == nil || tg.Live || len(tg.Clients) == 0 {
				t.Fatalf("target %+v", tg)
			}
			cl := tg.NewClient(tg.Clients[0])
			var status int
			tg.Clock.Go(func() {
				r, err := cl.Do(context.Background(), http.MethodGet, "/api/v2/users?pageSize=1", nil, nil)
				if err == nil {
					status = r.Status
				}
			})
			tg.Clock.Wait()
			if status != http.StatusOK {
				t.Fatalf("GET /api/v2/users: status %d", status)
			}
			if err := tg.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
		})
	}
	tg, err := Open(Spec{URL: "https://api.example.com", Getenv: creds})
	if err != nil {
		t.Fatal(err)
	}
	if !tg.Live || tg.Gateway != nil || tg.Name != "https://api.example.com" || tg.Clients[0].ClientSecret != "s3cret-value" {
		t.Fatalf("URL target %+v", tg)
	}
	if err := tg.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}
