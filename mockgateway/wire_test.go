package mockgateway

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ratelab/ratelab/scenarios"
)

// wireCase is one request sent as raw bytes, and who answers it: the
// gateway (genesys: ININ-Correlation-Id, the Genesys error body with
// code, one access-log record) or net/http before any handler runs.
type wireCase struct {
	name    string
	raw     string
	status  int
	genesys bool
	code    string // the error body's code, when genesys
}

// TestMalformedRequestsOnTheWire pins which malformed requests get the
// Genesys treatment and which net/http answers itself (the README's
// list): each is sent over its own loopback connection.
func TestMalformedRequestsOnTheWire(t *testing.T) {
	const host = "Host: gw\r\n"
	cases := []wireCase{
		// Answered by the gateway: paths are not cleaned by redirecting.
		{"double slash", "GET //api/v2/users HTTP/1.1\r\n" + host + "\r\n", 404, true, "not.found"},
		{"dot-dot segment", "GET /api/v2/../v2/users HTTP/1.1\r\n" + host + "\r\n", 404, true, "not.found"},
		{"dot segment", "GET /api/v2/./users HTTP/1.1\r\n" + host + "\r\n", 404, true, "not.found"},
		{"double slash on admin", "GET //__ratelab/health HTTP/1.1\r\n" + host + "\r\n", 404, true, "not.found"},
		{"absolute form, unclean", "GET http://gw//api/v2/users HTTP/1.1\r\n" + host + "\r\n", 404, true, "not.found"},
		{"CONNECT", "CONNECT gw:443 HTTP/1.1\r\nHost: gw:443\r\n\r\n", 404, true, "not.found"},
		{"OPTIONS *", "OPTIONS * HTTP/1.1\r\n" + host + "\r\n", 404, true, "not.found"},
		{"HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 404, true, "not.found"},
		// Answered by net/http before any handler: the README lists these.
		{"header too large", "GET /api/v2/users HTTP/1.1\r\n" + host + "X-Big: " + strings.Repeat("x", 80<<10) + "\r\n\r\n", 431, false, ""},
		{"malformed request line", "GET /api/v2/users\r\n" + host + "\r\n", 400, false, ""},
		{"invalid method", "G(T /api/v2/users HTTP/1.1\r\n" + host + "\r\n", 400, false, ""},
		{"malformed version", "GET /api/v2/users HTTP/x\r\n" + host + "\r\n", 400, false, ""},
		{"unsupported version", "GET /api/v2/users HTTP/2.0\r\n" + host + "\r\n", 505, false, ""},
		{"HTTP/3", "GET /api/v2/users HTTP/3.0\r\n" + host + "\r\n", 505, false, ""},
		{"HTTP/0.9", "GET /api/v2/users HTTP/0.9\r\n" + host + "\r\n", 505, false, ""},
		{"missing Host", "GET /api/v2/users HTTP/1.1\r\n\r\n", 400, false, ""},
		{"malformed header line", "GET /api/v2/users HTTP/1.1\r\n" + host + "NoColon\r\n\r\n", 400, false, ""},
		{"conflicting Content-Length", "POST /oauth/token HTTP/1.1\r\n" + host + "Content-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400, false, ""},
		{"unsupported Transfer-Encoding", "POST /oauth/token HTTP/1.1\r\n" + host + "Transfer-Encoding: gzip\r\n\r\n", 501, false, ""},
		{"TLS on the plain port", "\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\r\n\r\n", 400, false, ""},
		{"unknown Expect", "GET /api/v2/users HTTP/1.1\r\n" + host + "Expect: magic\r\n\r\n", 417, false, ""},
	}
	runWire(t, cases)
}

// runWire sends each case to a fresh gateway on loopback and checks who
// answered, and that the access log holds a record for each answer of
// the gateway's and none for net/http's own.
func runWire(t *testing.T, cases []wireCase) {
	t.Helper()
	sc, err := scenarios.Parse("wire.yaml", []byte("name: wire\n"))
	if err != nil {
		t.Fatal(err)
	}
	run, err := Start(Options{Scenario: sc})
	if err != nil {
		t.Fatal(err)
	}
	defer run.Shutdown(t.Context())
	addr := strings.TrimPrefix(run.URL, "http://")
	var records uint64
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, body := sendRaw(t, addr, c.raw)
			cid := resp.Header.Get("ININ-Correlation-Id")
			if resp.StatusCode != c.status || (cid != "") != c.genesys {
				t.Fatalf("%s, ININ-Correlation-Id %q; want %d from the gateway: %v\n%s", resp.Status, cid, c.status, c.genesys, body)
			}
			if c.genesys {
				records++
				var b ErrorBody
				if err := json.Unmarshal(body, &b); err != nil || b.Code != c.code || b.Status != c.status || b.ContextID != cid {
					t.Fatalf("error body %s (%v), want code %s", body, err, c.code)
				}
			}
			if got := run.Server.Requests(); got != records {
				t.Fatalf("%d access-log records after %d answers of the gateway's", got, records)
			}
		})
	}
}

// sendRaw writes raw on a new connection to addr and reads one response.
func sendRaw(t *testing.T, addr, raw string) (*http.Response, []byte) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// A deadline, not a sleep: only a broken server makes it matter.
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, raw); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

// TestMalformedBodiesOnTheWire: a chunked body that breaks off or
// exceeds the cap, sent over a real connection.
func TestMalformedBodiesOnTheWire(t *testing.T) {
	const head = "POST /oauth/token HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n"
	runWire(t, []wireCase{
		{"malformed chunk size", head + "zz\r\nabc\r\n0\r\n\r\n", 400, true, "bad.request"},
		{"chunk without its CRLF", head + "3\r\nabcXX0\r\n\r\n", 400, true, "bad.request"},
		{"chunked over the cap", head + "7d001\r\n" + strings.Repeat("x", 512001) + "\r\n0\r\n\r\n", 413, true, "request.entity.too.large"},
	})
}

// timeoutError is the error a read past the server's ReadTimeout returns.
type timeoutError struct{}

func (timeoutError) Error() string   { return "read tcp: i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

// failingBody yields data, then err.
type failingBody struct {
	data string
	err  error
}

func (b *failingBody) Read(p []byte) (int, error) {
	if b.data == "" {
		return 0, b.err
	}
	n := copy(p, b.data)
	b.data = b.data[n:]
	return n, nil
}

func (b *failingBody) Close() error { return nil }

// TestBodyReadErrors: the cap answers 413; a read that times out 408; any
// other failure to read the body (a malformed chunk, a connection that
// ends early) 400 bad.request — each with the Genesys body and a record.
func TestBodyReadErrors(t *testing.T) {
	h := newHarness(t, "")
	cases := []struct {
		name   string
		length int64 // Content-Length; -1 for chunked
		body   io.ReadCloser
		status int
		code   string
	}{
		{"chunked, malformed", -1, &failingBody{`{"ver`, errors.New("invalid byte in chunk length")}, 400, "bad.request"},
		{"known length, ends early", 40, &failingBody{`{"ver`, io.ErrUnexpectedEOF}, 400, "bad.request"},
		{"chunked, timeout", -1, &failingBody{`{"ver`, timeoutError{}}, 408, "request.timeout"},
		{"known length, timeout", 40, &failingBody{`{"ver`, &net.OpError{Op: "read", Net: "tcp", Err: timeoutError{}}}, 408, "request.timeout"},
		{"chunked, over the cap", -1, io.NopCloser(strings.NewReader(strings.Repeat("x", 1001))), 413, "request.entity.too.large"},
	}
	for i, c := range cases {
		r := httptest.NewRequest("POST", "/oauth/token", nil)
		r.Body, r.ContentLength = c.body, c.length
		w := httptest.NewRecorder()
		h.s.ServeHTTP(w, r)
		if w.Code != c.status {
			t.Fatalf("%s: %d, want %d: %s", c.name, w.Code, c.status, w.Body)
		}
		if b := errBody(t, w); b.Code != c.code {
			t.Errorf("%s: code %q, want %q", c.name, b.Code, c.code)
		}
		if got := h.s.Requests(); got != uint64(i+1) {
			t.Errorf("%s: %d records after %d requests", c.name, got, i+1)
		}
	}
}

// TestDeclaredLengthIsNotPreallocated: a request that declares a large
// Content-Length and sends a few bytes costs what it sent, not what it
// declared (a client sending headers alone on many connections must not
// pin the maximum body on each until the read times out).
func TestDeclaredLengthIsNotPreallocated(t *testing.T) {
	h := newHarness(t, strings.Replace(fmt.Sprintf(testScenario, ""), "request_bytes_max: 1000", "request_bytes_max: 50000000", 1))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 4 {
		r := httptest.NewRequest("POST", "/oauth/token", nil)
		r.Body, r.ContentLength = io.NopCloser(&failingBody{`{"ver`, io.ErrUnexpectedEOF}), 40_000_000
		w := httptest.NewRecorder()
		h.s.ServeHTTP(w, r)
		if w.Code != http.StatusBadRequest {
			t.Fatalf("%d, want 400: %s", w.Code, w.Body)
		}
	}
	runtime.ReadMemStats(&after)
	if got := after.TotalAlloc - before.TotalAlloc; got > 4<<20 {
		t.Fatalf("four 5-byte bodies declaring 40 MB allocated %d MB", got>>20)
	}
}
