package mockgateway

import (
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
