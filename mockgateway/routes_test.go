package mockgateway

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ratelab/ratelab/api"
	"github.com/ratelab/ratelab/scenarios"
)

// TestHandlersMatchTable holds the handlers map to the api table both
// ways.
func TestHandlersMatchTable(t *testing.T) {
	for _, id := range api.Routes() {
		if handlers[id] == nil {
			t.Errorf("%s has no handler", id)
		}
	}
	if len(handlers) != len(api.Routes()) {
		t.Errorf("%d handlers for %d routes: a handler has no route in the api table", len(handlers), len(api.Routes()))
	}
}

// TestTableRoutesServed checks that a scenario naming every route of the
// table validates and that its gateway serves each route on its pattern
// and alias: the route answers (401 without a token, or the login's
// 400), not the router's 404 or 405, and logs under its name.
func TestTableRoutesServed(t *testing.T) {
	var b strings.Builder
	b.WriteString("name: all-routes\ngateway:\n  routes:\n")
	for _, name := range api.ScenarioRoutes() {
		fmt.Fprintf(&b, "    - match: %s\n", name)
	}
	sc, err := scenarios.Parse("all-routes.yaml", []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	s, err := New(Options{Scenario: sc, Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range api.Routes() {
		rt := id.Route()
		for _, p := range []string{rt.Pattern, rt.Alias} {
			if p == "" {
				continue
			}
			path := pathVariable.ReplaceAllString(p, "u-1")
			w := httptest.NewRecorder()
			s.ServeHTTP(w, httptest.NewRequest(rt.Method, path, nil))
			if w.Code == http.StatusNotFound || w.Code == http.StatusMethodNotAllowed {
				t.Errorf("%s %s: %d %s", rt.Method, path, w.Code, w.Body)
			}
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, id := range api.Routes() {
		if !strings.Contains(log.String(), `"route":"`+id.String()+`"`) {
			t.Errorf("the access log has no request on %s", id)
		}
	}
}

func BenchmarkServeUserGet(b *testing.B) {
	sc, err := scenarios.Parse("bench.yaml", []byte("name: bench\n"))
	if err != nil {
		b.Fatal(err)
	}
	s, err := New(Options{Scenario: sc})
	if err != nil {
		b.Fatal(err)
	}
	ids := s.SampleUserIDs(100)
	reqs := make([]*http.Request, len(ids))
	for i, id := range ids {
		reqs[i] = httptest.NewRequest("GET", "/api/v2/users/"+id, nil)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		w := httptest.NewRecorder()
		s.ServeHTTP(w, reqs[i%len(reqs)])
		i++
	}
}

func BenchmarkNew(b *testing.B) {
	sc, err := scenarios.Parse("bench.yaml", []byte("name: bench\n"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := New(Options{Scenario: sc}); err != nil {
			b.Fatal(err)
		}
	}
}
