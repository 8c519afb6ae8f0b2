package scenarios

import (
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ratelab/ratelab/clock"
	"github.com/ratelab/ratelab/mockgateway/limit"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestInvalidFixtures loads each fixture under testdata/invalid and compares
// the whole error text with its golden .err file: file, line, field path and
// the list of valid choices are all pinned.
func TestInvalidFixtures(t *testing.T) {
	files, _ := filepath.Glob("testdata/invalid/*.yaml")
	if len(files) < 20 {
		t.Fatalf("only %d fixtures", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			_, err := Load(f)
			if err == nil {
				t.Fatal("loaded without error")
			}
			got := err.Error() + "\n"
			golden := strings.TrimSuffix(f, ".yaml") + ".err"
			if *update {
				os.WriteFile(golden, []byte(got), 0o644)
			}
			want, rerr := os.ReadFile(golden)
			if rerr != nil {
				t.Fatalf("%v (run with -update)", rerr)
			}
			if got != string(want) {
				t.Errorf("error:\n%s\nwant:\n%s", got, want)
			}
			name := filepath.Base(f)
			if !strings.Contains(got, name+":") {
				t.Errorf("error does not name the file %s", name)
			}
		})
	}
}

func TestErrorsNameLineAndPath(t *testing.T) {
	cases := []struct{ file, want string }{
		{"no-unit.yaml", `no-unit.yaml:7: gateway.buckets[0].window: "60" has no unit`},
		{"unknown-key.yaml", `unknown-key.yaml:4: gateway.buckets[0].widow: unknown field "widow" (valid: algorithm, burst, documented, key, limit, name, namespace, reset, scope, window)`},
		{"unknown-bucket.yaml", `unknown-bucket.yaml:6: gateway.routes[0].buckets[1]: unknown bucket "directory" (defined: token)`},
		{"unknown-strategy.yaml", `unknown-strategy.yaml:3: workload.strategy: unknown strategy "expo" (valid: none, naive, fixed, exponential,`},
		{"unknown-param.yaml", `unknown-param.yaml:4: workload.params: full-jitter has no parameter "bsae" (valid: base, cap)`},
		{"duplicate-key.yaml", `duplicate-key.yaml:2: name: defined twice`},
	}
	for _, c := range cases {
		_, err := Load("testdata/invalid/" + c.file)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v\nwant it to contain %s", c.file, err, c.want)
		}
	}
}

func TestEmbeddedLibrary(t *testing.T) {
	want := []string{"contention", "daily-quota", "flaky-5xx", "healthy", "occ-contention", "retry-after-zero", "seed-eu-identity", "stacked-limits", "tiers", "token-endpoint-limit"}
	got := Names()
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("Names() = %v", got)
	}
	for _, n := range got {
		s, err := Embedded(n)
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		if s.Name != n {
			t.Errorf("%s: name field is %q", n, s.Name)
		}
		if s.Description == "" || s.Models == "" {
			t.Errorf("%s: needs a description and the fact it models", n)
		}
		if _, err := limit.New(s.LimitConfig(s.Seed), time.Unix(0, 0)); err != nil {
			t.Errorf("%s: model: %v", n, err)
		}
	}
	if _, err := Embedded("nope"); err == nil || !strings.Contains(err.Error(), "seed-eu-identity") {
		t.Errorf("unknown embedded name: %v", err)
	}
}

func TestSeedScenarioShape(t *testing.T) {
	s, err := Embedded("seed-eu-identity")
	if err != nil {
		t.Fatal(err)
	}
	if s.Gateway.RetryAfter.Mode != "floor" {
		t.Errorf("retry_after mode %q", s.Gateway.RetryAfter.Mode)
	}
	cfg := s.LimitConfig(1)
	if len(cfg.Background) != 1 || cfg.Background[0].Key != "org-eu-02" || !cfg.Background[0].Poisson {
		t.Errorf("background %+v", cfg.Background)
	}
	if cfg.Tiers[0].Limits["directory"] != (limit.Rate{N: 180, Per: time.Minute}) {
		t.Errorf("directory limit %+v", cfg.Tiers[0].Limits)
	}
	var put bool
	for _, r := range s.Gateway.Routes {
		put = put || r.Match == "PUT /api/v2/users/{id}"
	}
	if !put {
		t.Error("the seed scenario must enable the report's PUT")
	}
	if s.Workload.Rate.PerSecond() != 5 {
		t.Errorf("workload rate %v", s.Workload.Rate)
	}
}

func TestTimeScale(t *testing.T) {
	src := `
name: fast
time_scale: 60
gateway:
  buckets:
    - {name: b, algorithm: fixed-window, limit: 180/min, window: 60s}
  background:
    - {bucket: b, rate: 1/s}
  retry_after: {mode: fixed, value: 30s}
`
	s, err := Parse("fast.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	cfg := s.LimitConfig(0)
	if cfg.Buckets[0].Window != time.Second || cfg.Buckets[0].Limit.PerSecond() != 180 {
		t.Errorf("scaled bucket %+v", cfg.Buckets[0])
	}
	if math.Abs(cfg.Background[0].Rate.PerSecond()-60) > 1e-4 {
		t.Errorf("scaled background %v", cfg.Background[0].Rate)
	}
	if p := s.RetryAfterPolicy(); p.Value != 500*time.Millisecond {
		t.Errorf("scaled fixed retry-after %v", p.Value)
	}
}

func TestDefaults(t *testing.T) {
	s, err := Parse("min.yaml", []byte("name: min\n"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Clients[0].ID != "sync-job" || s.Workload.Strategy != "naive" || s.Gateway.Users.Count != 100 ||
		s.Gateway.Token.MaxLive != 10 || s.Gateway.RequestBytesMax != 512000 || s.TimeScale != 1 {
		t.Errorf("defaults: %+v", s)
	}
}

func TestParseAssertion(t *testing.T) {
	m, op, v, err := ParseAssertion("success_rate >= 0.99")
	if err != nil || m != "success_rate" || op != ">=" || v != 0.99 {
		t.Errorf("got %q %q %v %v", m, op, v, err)
	}
	if _, _, _, err := ParseAssertion("429_ratio<0.1"); err != nil {
		t.Error(err)
	}
	for _, bad := range []string{"", "x", "a => 1", "a >= b", "a >= 1 2"} {
		if _, _, _, err := ParseAssertion(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// FuzzLoad feeds arbitrary bytes to the loader: it must return a scenario
// or an error, never panic, and every error must name the file. A scenario
// it accepts must build a model: validation catches what the model refuses.
func FuzzLoad(f *testing.F) {
	for _, n := range Names() {
		src, _ := Source(n)
		f.Add(src)
	}
	files, _ := filepath.Glob("testdata/invalid/*.yaml")
	for _, p := range files {
		b, _ := os.ReadFile(p)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("fuzz.yaml", data)
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.yaml") {
				t.Fatalf("error without the file name: %v", err)
			}
			return
		}
		if _, err := limit.New(s.LimitConfig(s.Seed), time.Unix(0, 0)); err != nil {
			t.Fatalf("validated, but the model refuses it: %v", err)
		}
	})
}

func TestCapacity(t *testing.T) {
	s, _ := Embedded("seed-eu-identity")
	// directory 180/min = 3/s less 1/s of background; the token bucket's
	// 300/min = 5/s is wider.
	if got := s.Capacity("put-user"); math.Abs(got-2) > 1e-6 {
		t.Errorf("seed put-user capacity %v, want 2/s", got)
	}
	h, _ := Embedded("healthy")
	if got := h.Capacity("update-user"); math.Abs(got-5) > 1e-6 {
		t.Errorf("healthy capacity %v, want 5/s", got)
	}
	f, _ := Parse("f.yaml", []byte("name: f\n"))
	if got := f.Capacity("get-user"); got != 0 {
		t.Errorf("unlimited capacity %v", got)
	}
}

// TestDailyQuotaScenario builds the embedded daily-quota scenario's model
// at clock.Epoch (virtual runs start at midnight UTC): once its 300 a day
// are spent, the quota refuses with a wait of exactly the time left until
// its 07:00 reset, and at time_scale 60 that reset comes 7 minutes in.
func TestDailyQuotaScenario(t *testing.T) {
	for _, c := range []struct {
		scale float64
		reset time.Duration
	}{{1, 7 * time.Hour}, {60, 7 * time.Minute}} {
		s, err := Embedded("daily-quota")
		if err != nil {
			t.Fatal(err)
		}
		s.TimeScale = c.scale
		m, err := limit.New(s.LimitConfig(1), clock.Epoch)
		if err != nil {
			t.Fatal(err)
		}
		r, err := m.Route("GET /x", 1, "daily")
		if err != nil {
			t.Fatal(err)
		}
		var d limit.Decision
		req := limit.Request{Org: s.Gateway.Org}
		for i := 0; i < 300; i++ {
			if m.Decide(clock.Epoch, r, req, &d); !d.Allowed {
				t.Fatalf("scale %v: request %d refused", c.scale, i+1)
			}
		}
		at := clock.Epoch.Add(c.reset / 7)
		if m.Decide(at, r, req, &d); d.Allowed || d.Wait != c.reset-c.reset/7 {
			t.Errorf("scale %v: the 301st: allowed %v, wait %v, want %v", c.scale, d.Allowed, d.Wait, c.reset-c.reset/7)
		}
		if m.Decide(clock.Epoch.Add(c.reset), r, req, &d); !d.Allowed {
			t.Errorf("scale %v: refused at the reset", c.scale)
		}
	}
}
