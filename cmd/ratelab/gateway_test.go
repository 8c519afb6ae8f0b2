package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// startGateway runs `ratelab gateway` as the CLI does until ctx ends and
// returns the base URL it printed and where its result arrives.
func startGateway(t *testing.T, ctx context.Context, o gatewayOpts) (string, <-chan error) {
	t.Helper()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- runGateway(ctx, pw, o)
		pw.Close()
	}()
	var base string
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) >= 3 && f[0] == "base" {
			base = f[2]
			break
		}
	}
	go io.Copy(io.Discard, pr)
	if base == "" {
		t.Fatal("gateway printed no base URL")
	}
	return base, done
}

// TestGatewaySIGTERMUnderLoad runs `ratelab gateway` as the CLI does, sends
// the process a real SIGTERM while clients are mid-load, and checks that
// the access log holds one request record per response received.
func TestGatewaySIGTERMUnderLoad(t *testing.T) {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	logFile := filepath.Join(t.TempDir(), "access.jsonl")
	base, done := startGateway(t, ctx, gatewayOpts{scenario: "healthy", addr: "127.0.0.1:0", log: logFile, grace: 5 * time.Second})
	resp, err := http.PostForm(base+"/oauth/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {"sync-job"}, "client_secret": {"sync-job-secret"}})
	if err != nil {
		t.Fatal(err)
	}
	var tok map[string]any
	json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	var responses atomic.Int64
	responses.Add(1)
	var wg sync.WaitGroup
	quit := make(chan struct{})
	for g := 0; g < 6; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &http.Client{Timeout: 5 * time.Second}
			for {
				select {
				case <-quit:
					return
				default:
				}
				req, _ := http.NewRequest("GET", base+"/api/v2/users?pageSize=1", nil)
				req.Header.Set("Authorization", "Bearer "+tok["access_token"].(string))
				resp, err := c.Do(req)
				if err != nil {
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				responses.Add(1)
			}
		}()
	}
	time.Sleep(400 * time.Millisecond)
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	close(quit)
	wg.Wait()
	data, _ := os.ReadFile(logFile)
	n := strings.Count(string(data), `"type":"request"`)
	if int64(n) != responses.Load() || n < 10 {
		t.Fatalf("%d request records for %d responses", n, responses.Load())
	}
	if !strings.Contains(string(data), `"type":"background"`) {
		t.Fatal("log not closed with its background record")
	}
}

// TestProbeAgainstRatelabGateway runs `ratelab probe --target` against a
// running `ratelab gateway`, credentials from the environment.
func TestProbeAgainstRatelabGateway(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	base, done := startGateway(t, ctx, gatewayOpts{scenario: "healthy", addr: "127.0.0.1:0", grace: time.Second})
	t.Setenv("GENESYS_CLIENT_ID", "sync-job")
	t.Setenv("GENESYS_CLIENT_SECRET", "sync-job-secret")
	out := filepath.Join(t.TempDir(), "attempts.jsonl")
	code, stdout, stderr := runCLI(t, "probe", "--scenario", "healthy", "--target", base, "--operation", "update-user", "--ops", "6", "--concurrency", "2", "--quiet", "--out", out)
	if code != 0 || !strings.Contains(stdout, "6 (6 ok, 0 failed, 0 unfinished)") {
		t.Fatalf("probe exit %d:\n%s\n%s", code, stdout, stderr)
	}
	data, _ := os.ReadFile(out)
	if strings.Count(string(data), `"type":"attempt"`) != 12 || strings.Contains(string(data), "sync-job-secret") {
		t.Fatalf("attempt log:\n%s", data)
	}
	cancel()
	<-done
}

func TestProbeUsageErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"probe", "--rate", "fast"}, "--rate"},
		{[]string{"probe", "--rate", "1/s..5/s"}, "--ramp"},
		{[]string{"probe", "--strategy", "nope"}, "unknown strategy"},
		{[]string{"probe", "--param", "base"}, "NAME=VALUE"},
		{[]string{"probe", "--target", "http://api.example.com", "--operation", "get-user"}, "plain http"},
		{[]string{"probe", "--input", "/nonexistent.csv"}, "nonexistent.csv"},
	} {
		code, out, errOut := runCLI(t, c.args...)
		if code != 2 || !strings.Contains(out+errOut, c.want) {
			t.Errorf("%v: exit %d, output %q", c.args, code, out+errOut)
		}
	}
}

// TestGatewayAddrInUse: a port already in use is bad usage (exit 2) with
// a hint to let the system pick a free port.
func TestGatewayAddrInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	code, out, errOut := runCLI(t, "gateway", "--scenario", "healthy", "--addr", ln.Addr().String())
	if code != 2 || !strings.Contains(errOut, "in use") || !strings.Contains(errOut, "--addr 127.0.0.1:0") {
		t.Fatalf("exit %d:\n%s\n%s", code, out, errOut)
	}
}
