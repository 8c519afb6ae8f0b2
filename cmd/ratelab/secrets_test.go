package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ratelab/ratelab/mockgateway"
	"github.com/ratelab/ratelab/scenarios"
)

const secret = "Sup3r-S3cret-Value"

// tokenCatcher is a loopback gateway that remembers every access token it
// mints, so a test can look for them where they must not be.
type tokenCatcher struct {
	gw     http.Handler
	mu     sync.Mutex
	tokens []string
}

type teeWriter struct {
	http.ResponseWriter
	body bytes.Buffer
}

func (t *teeWriter) Write(b []byte) (int, error) { t.body.Write(b); return t.ResponseWriter.Write(b) }

func (c *tokenCatcher) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	tw := &teeWriter{ResponseWriter: w}
	c.gw.ServeHTTP(tw, r)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if json.Unmarshal(tw.body.Bytes(), &tok) == nil && tok.AccessToken != "" {
		c.mu.Lock()
		c.tokens = append(c.tokens, tok.AccessToken)
		c.mu.Unlock()
	}
}

// TestSecretsNeverWritten runs probe (and analyze, and refused runs)
// against a loopback gateway and looks for the client secret, every bearer
// token and a URL password in every output: stdout, stderr, the attempt
// log and the reports.
func TestSecretsNeverWritten(t *testing.T) {
	sc, err := scenarios.Parse("s.yaml", []byte("name: s\nclients: [{id: app, secret: "+secret+"}]\ngateway:\n  users: {count: 5}\n"))
	if err != nil {
		t.Fatal(err)
	}
	gw, err := mockgateway.New(mockgateway.Options{Scenario: sc})
	if err != nil {
		t.Fatal(err)
	}
	catcher := &tokenCatcher{gw: gw}
	srv := httptest.NewServer(catcher)
	defer srv.Close()
	dir := t.TempDir()
	log, report := filepath.Join(dir, "a.jsonl"), filepath.Join(dir, "r.json")
	t.Setenv("GENESYS_CLIENT_ID", "app")
	t.Setenv("GENESYS_CLIENT_SECRET", secret)

	// outputs are what each command printed and each file holds, by a
	// name that never contains the secret.
	var names, outputs []string
	run := func(args ...string) int {
		code, out, errOut := runCLI(t, args...)
		names, outputs = append(names, args[0]+" "+strings.ReplaceAll(args[len(args)-1], secret, "SECRET")), append(outputs, out+errOut)
		return code
	}
	if code := run("probe", "--scenario", "healthy", "--target", srv.URL, "--ops", "20", "--concurrency", "2", "--out", log); code != 0 {
		t.Fatalf("probe: exit %d\n%s", code, outputs[0])
	}
	run("analyze", log, "--format", "json", "--out", report)
	run("probe", "--scenario", "healthy", "--target", strings.Replace(srv.URL, "://", "://app:"+secret+"@", 1), "--out", filepath.Join(dir, "b.jsonl"))
	run("discover", "--target", strings.Replace(srv.URL, "://", "://app:"+secret+"@", 1), "--max-requests", "5")
	run("probe", "--scenario", "healthy", "--target", strings.Replace(srv.URL, "http://127.0.0.1", "https://app:"+secret+"@api.example.com:bad", 1))
	t.Setenv("GENESYS_CLIENT_SECRET", "wrong-"+secret)
	run("probe", "--scenario", "healthy", "--target", srv.URL, "--ops", "2", "--out", filepath.Join(dir, "c.jsonl"))
	for _, f := range []string{log, report, filepath.Join(dir, "c.jsonl")} {
		b, _ := os.ReadFile(f)
		names, outputs = append(names, f), append(outputs, string(b))
	}
	if len(catcher.tokens) == 0 {
		t.Fatal("no token was minted")
	}
	for i, o := range outputs {
		name := names[i]
		if strings.Contains(o, secret) {
			t.Errorf("%s: shows the secret:\n%s", name, o)
		}
		for _, tok := range catcher.tokens {
			if strings.Contains(o, tok) {
				t.Errorf("%s: shows a bearer token", name)
			}
		}
	}
}
