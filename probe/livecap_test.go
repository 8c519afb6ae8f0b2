package probe

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ratelab/ratelab/mockgateway"
	"github.com/ratelab/ratelab/scenarios"
	"github.com/ratelab/ratelab/target"
)

const urlScenario = "name: url\nclients: [{id: app, secret: app-secret}]\ngateway: {users: {count: 5}}\nworkload: {operation: get-user}\n"

// urlTarget serves sc's gateway on loopback behind h, which sees every
// request first, and returns the Spec of a URL target for it.
func urlTarget(t *testing.T, sc *scenarios.Scenario, h func(w http.ResponseWriter, r *http.Request, next http.Handler)) target.Spec {
	t.Helper()
	gw, err := mockgateway.New(mockgateway.Options{Scenario: sc})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h(w, r, gw) }))
	t.Cleanup(srv.Close)
	env := map[string]string{"GENESYS_CLIENT_ID": "app", "GENESYS_CLIENT_SECRET": "app-secret"}
	return target.Spec{URL: srv.URL, Getenv: func(k string) string { return env[k] }}
}

// TestURLTargetCapCountsEveryRequest: against a URL target the request
// cap counts the login and the user listing too, not only attempts (issue
// 14: 1,002 requests reached a host under a cap of 1,000).
func TestURLTargetCapCountsEveryRequest(t *testing.T) {
	sc := scenario(t, urlScenario)
	var n atomic.Int64
	spec := urlTarget(t, sc, func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		n.Add(1)
		next.ServeHTTP(w, r)
	})
	for _, limit := range []int{1, 2, 3, 10} {
		n.Store(0)
		res, err := Probe(context.Background(), Options{Scenario: sc, Target: spec, Ops: 30, Concurrency: 2, MaxRequests: limit})
		if got := n.Load(); got > int64(limit) {
			t.Errorf("cap %d: the host saw %d requests", limit, got)
		}
		if limit >= 3 && (err != nil || res.Summary.CapReached != "request-cap" || res.Summary.Attempts != limit-2) {
			t.Errorf("cap %d: %v %+v", limit, err, res)
		}
	}
}

// TestURLTargetListingHonoursRetryAfter: a 429 on the first user listing
// is waited out like any other request's (issue 14 item 13), and a wait
// past --max-duration is refused at once instead of slept.
func TestURLTargetListingHonoursRetryAfter(t *testing.T) {
	sc := scenario(t, urlScenario)
	var mu sync.Mutex
	var lists []time.Time
	retryAfter := "1"
	spec := urlTarget(t, sc, func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		if r.URL.Path == "/api/v2/users" {
			mu.Lock()
			lists = append(lists, time.Now())
			first := len(lists) == 1
			mu.Unlock()
			if first {
				w.Header().Set("Retry-After", retryAfter)
				w.WriteHeader(http.StatusTooManyRequests)
				w.Write([]byte(`{"code":"too.many.requests.retry.after"}`))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
	var log bytes.Buffer
	res, err := Probe(context.Background(), Options{Scenario: sc, Target: spec, Ops: 3, Concurrency: 1, MaxDuration: time.Minute, Log: &log})
	if err != nil || res.Summary.Succeeded != 3 {
		t.Fatalf("a 429 on the listing: %v %+v", err, res)
	}
	if len(lists) != 2 || lists[1].Sub(lists[0]) < time.Second {
		t.Fatalf("listings at %v: want a second one after Retry-After: 1", lists)
	}
	// The listing's wait is part of --max-duration: the run gets the rest.
	var h struct {
		MaxDuration int64 `json:"max_duration_ns"`
	}
	if err := json.Unmarshal(bytes.SplitN(log.Bytes(), []byte("\n"), 2)[0], &h); err != nil || h.MaxDuration > int64(59*time.Second) {
		t.Fatalf("the run was given %v of a 1m --max-duration after a 1 s listing wait (%v)", time.Duration(h.MaxDuration), err)
	}

	lists, retryAfter = nil, "3600"
	start := time.Now()
	_, err = Probe(context.Background(), Options{Scenario: sc, Target: spec, Ops: 3, Concurrency: 1, MaxDuration: 5 * time.Second})
	if err == nil || !strings.Contains(err.Error(), "Retry-After") || time.Since(start) > 4*time.Second { // sleeping would take the whole 5 s
		t.Fatalf("a Retry-After past --max-duration: %v after %v", err, time.Since(start))
	}
}

// TestURLTargetDefaultsToGetUser: a --target runs get-user unless an
// operation is given, not the scenario's put-user, which Genesys does not
// have.
func TestURLTargetDefaultsToGetUser(t *testing.T) {
	sc := scenario(t, strings.Replace(urlScenario, "operation: get-user", "operation: put-user", 1))
	spec := urlTarget(t, sc, func(w http.ResponseWriter, r *http.Request, next http.Handler) { next.ServeHTTP(w, r) })
	for op, want := range map[string]string{"": "get-user", "update-user": "update-user"} {
		var log bytes.Buffer
		if _, err := Probe(context.Background(), Options{Scenario: sc, Target: spec, Operation: op, Ops: 2, Concurrency: 1, Log: &log}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(log.String(), `"operation":"`+want+`"`) {
			t.Errorf("--operation %q: header %.300s", op, log.String())
		}
	}
	// Without a target the scenario's operation stands.
	var log bytes.Buffer
	if _, err := Probe(context.Background(), Options{Scenario: sc, Target: target.Spec{Virtual: true}, Ops: 2, Concurrency: 1, Log: &log}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), `"operation":"put-user"`) {
		t.Errorf("virtual: header %.300s", log.String())
	}
}
