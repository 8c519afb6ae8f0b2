package mockgateway

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/iotest"
)

// TestTransportServesCachedBodiesSafely: over the in-process transport a
// GET's body is the cached encoding without a copy, so it must read like
// any body (whole, in small pieces, with the right length), survive the
// reader scribbling on what it read, and follow updates.
func TestTransportServesCachedBodiesSafely(t *testing.T) {
	h := newHarness(t, "")
	tok := h.login()
	hc := &http.Client{Transport: h.s.Transport()}
	get := func() (string, *http.Response) {
		t.Helper()
		req, _ := http.NewRequest("GET", "http://gateway/api/v2/users/user-00001", nil)
		req.Header.Set("Authorization", tok)
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(iotest.OneByteReader(resp.Body))
		if err != nil || resp.StatusCode != 200 || int64(len(b)) != resp.ContentLength {
			t.Fatalf("GET: %d, %d bytes of %d, %v", resp.StatusCode, len(b), resp.ContentLength, err)
		}
		if err := iotest.TestReader(resp.Body, nil); err != nil {
			t.Fatalf("drained body: %v", err)
		}
		return string(b), resp
	}
	first, _ := get()
	want := h.do("GET", "/api/v2/users/user-00001", tok, "").Body.String()
	if first != want {
		t.Fatalf("transport body\n%s\nhttptest body\n%s", first, want)
	}

	// A reader that modifies its buffer touches only its own copy.
	req, _ := http.NewRequest("GET", "http://gateway/api/v2/users/user-00001", nil)
	req.Header.Set("Authorization", tok)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, resp.ContentLength)
	if _, err := io.ReadFull(resp.Body, buf); err != nil {
		t.Fatal(err)
	}
	for i := range buf {
		buf[i] = 'x'
	}
	if again, _ := get(); again != first {
		t.Fatalf("cached body changed by a reader: %s", again)
	}

	if w := h.do("PATCH", "/api/v2/users/user-00001", tok, `{"version":1,"title":"Lead"}`); w.Code != 200 {
		t.Fatalf("PATCH: %d", w.Code)
	}
	if after, _ := get(); !strings.Contains(after, `"title":"Lead"`) || !strings.Contains(after, `"version":2`) {
		t.Fatalf("GET after PATCH: %s", after)
	}
}

// TestRecyclingTransportAnswersAsTransport: the same requests to two
// gateways of the same seed, one through each transport, get the same
// status, headers and body, whatever mix of cached bodies, written bodies
// and errors went before (each response is read, then closed, so the
// recycling one reuses its writers throughout).
func TestRecyclingTransportAnswersAsTransport(t *testing.T) {
	a, b := newHarness(t, ""), newHarness(t, "")
	tokA, tokB := a.login(), b.login()
	plain := &http.Client{Transport: a.s.Transport()}
	recycling := &http.Client{Transport: b.s.RecyclingTransport()}
	type answer struct {
		status int
		header http.Header
		body   string
	}
	do := func(hc *http.Client, tok, method, path, body string) answer {
		t.Helper()
		req, _ := http.NewRequest(method, "http://gateway"+path, strings.NewReader(body))
		req.Header.Set("Authorization", tok)
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		ans := answer{resp.StatusCode, resp.Header.Clone(), string(b)}
		resp.Body.Close()
		return ans
	}
	steps := []struct{ method, path, body string }{
		{"GET", "/api/v2/users/user-00001", ""},
		{"PATCH", "/api/v2/users/user-00001", `{"version":1,"title":"Lead"}`},
		{"GET", "/api/v2/users/user-00001", ""},
		{"GET", "/api/v2/users/nobody", ""},
		{"PATCH", "/api/v2/users/user-00001", `{"version":1}`},
		{"GET", "/api/v2/users/user-00002", ""},
		{"PATCH", "/api/v2/users/user-00002", `{"version":1,"department":"Ops"}`}, // past 5/min: 429
		{"GET", "/api/v2/users/user-00002", ""},
	}
	for i, st := range steps {
		x := do(plain, tokA, st.method, st.path, st.body)
		y := do(recycling, tokB, st.method, st.path, st.body)
		if x.status != y.status || x.body != y.body || fmt.Sprint(x.header) != fmt.Sprint(y.header) {
			t.Fatalf("step %d %s %s:\n plain     %d %v %s\n recycling %d %v %s", i, st.method, st.path, x.status, x.header, x.body, y.status, y.header, y.body)
		}
	}
	if got := do(recycling, tokB, "GET", "/api/v2/users/user-00003", ""); got.status != 429 {
		t.Fatalf("the limit never bit (status %d): the test proves less than it says", got.status)
	}
}
