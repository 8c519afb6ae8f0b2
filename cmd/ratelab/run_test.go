package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain lets this test binary double as the client that `ratelab run`
// starts, chosen by RATELAB_TEST_CLIENT.
func TestMain(m *testing.M) {
	if mode := os.Getenv("RATELAB_TEST_CLIENT"); mode != "" {
		os.Exit(testClient(mode))
	}
	os.Exit(m.Run())
}

// testClient logs in and reads 15 users; on a 429 the naive client retries
// at once and the polite one waits 300 ms.
func testClient(mode string) int {
	switch mode {
	case "exit3":
		return 3
	case "sleep":
		time.Sleep(time.Minute)
		return 0
	case "silent":
		fmt.Println("client done, without a request")
		return 0
	}
	base := os.Getenv("RATELAB_BASE_URL")
	resp, err := http.PostForm(os.Getenv("RATELAB_TOKEN_URL"), url.Values{"grant_type": {"client_credentials"},
		"client_id": {os.Getenv("GENESYS_CLIENT_ID")}, "client_secret": {os.Getenv("GENESYS_CLIENT_SECRET")}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	var tok map[string]any
	json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	users := strings.Split(os.Getenv("RATELAB_USER_IDS"), ",")
	for i := 0; i < 15; i++ {
		for attempt := 0; attempt < 100; attempt++ {
			req, _ := http.NewRequest("GET", base+"/api/v2/users/"+users[i%len(users)], nil)
			req.Header.Set("Authorization", "Bearer "+tok["access_token"].(string))
			r, err := http.DefaultClient.Do(req)
			if err != nil {
				return 1
			}
			r.Body.Close()
			if r.StatusCode != 429 {
				break
			}
			if mode == "polite" {
				time.Sleep(300 * time.Millisecond)
			}
		}
	}
	fmt.Println("client done")
	return 0
}

const runScenario = `
name: gate
gateway:
  buckets: [{name: b, scope: global, algorithm: token-bucket, limit: 10/s, burst: 5}]
  routes: [{match: "*", buckets: [b]}]
  retry_after: {mode: zero}
assert: ["success_rate >= 0.99", "premature_retries == 0"]
`

func TestRunGatesAClient(t *testing.T) {
	dir := t.TempDir()
	sc := filepath.Join(dir, "gate.yaml")
	os.WriteFile(sc, []byte(runScenario), 0o644)
	self, _ := os.Executable()
	cases := []struct {
		mode string
		args []string
		code int
		want []string
	}{
		{"polite", []string{"--assert", "immediate_retries == 0"}, 0, []string{"client done", "PASS `immediate_retries == 0`", "PASS `success_rate >= 0.99`"}},
		{"naive", []string{"--assert", "immediate_retries == 0"}, 1, []string{"client done", "FAIL `immediate_retries == 0`", "assertion(s) failed"}},
		{"exit3", nil, 1, []string{"failed: exit status 3"}},
		{"sleep", []string{"--timeout", "1s", "--grace", "1s"}, 1, []string{"did not finish within --timeout 1s"}},
	}
	for _, c := range cases {
		t.Run(c.mode, func(t *testing.T) {
			junit := filepath.Join(dir, c.mode+".xml")
			report := filepath.Join(dir, c.mode+".md")
			t.Setenv("RATELAB_TEST_CLIENT", c.mode)
			args := append([]string{"run", "--scenario", sc, "--junit", junit, "--report", report}, c.args...)
			args = append(args, "--", self)
			start := time.Now()
			code, out, errOut := runCLI(t, args...)
			if code != c.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, c.code, out, errOut)
			}
			for _, w := range c.want {
				if !strings.Contains(out+errOut, w) {
					t.Errorf("output lacks %q:\n%s%s", w, out, errOut)
				}
			}
			if c.mode == "sleep" && time.Since(start) > 10*time.Second {
				t.Errorf("timeout took %v", time.Since(start))
			}
			x, err := os.ReadFile(junit)
			if err != nil || !strings.Contains(string(x), `<testcase name="client command"`) {
				t.Fatalf("junit: %v\n%s", err, x)
			}
			if c.code == 0 && strings.Contains(string(x), "<failure") || c.code == 1 && !strings.Contains(string(x), "<failure") {
				t.Errorf("junit failures do not match the exit code:\n%s", x)
			}
			if md, _ := os.ReadFile(report); !strings.Contains(string(md), "## ratelab analysis") {
				t.Errorf("markdown report:\n%s", md)
			}
		})
	}
}

// alive reports whether process pid runs (a zombie, which no init has
// reaped yet, does not).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	_, rest, _ := strings.Cut(string(b), ") ")
	return !strings.HasPrefix(rest, "Z") && !strings.HasPrefix(rest, "X")
}

// TestRunStopsWhatTheClientStarted: after --timeout the client's whole
// process group is stopped, so a grandchild cannot keep running and hold
// a CI step's pipe open (issue 14 item 8).
func TestRunStopsWhatTheClientStarted(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("needs /proc")
	}
	pidFile := filepath.Join(t.TempDir(), "pid")
	start := time.Now()
	code, out, errOut := runCLI(t, "run", "--scenario", "healthy", "--timeout", "1s", "--grace", "1s", "--",
		"sh", "-c", "sleep 30 & echo $! > "+pidFile+"; wait")
	if code != 1 || !strings.Contains(errOut, "did not finish within --timeout 1s") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	for deadline := time.Now().Add(3 * time.Second); alive(pid) && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	if alive(pid) {
		syscall.Kill(pid, syscall.SIGKILL)
		t.Fatalf("the client's child %d still runs after the timeout", pid)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v", d)
	}
}
