package hdr

import (
	"net/http"
	"testing"
)

func TestGetMatchesHeaderGet(t *testing.T) {
	h := http.Header{}
	h.Set("retry-after", "0")
	h.Add("Inin-Correlation-Id", "a")
	h.Add("Inin-Correlation-Id", "b")
	h["Etag"] = []string{}
	for _, k := range []string{"Retry-After", "Inin-Correlation-Id", "Etag", "Missing"} {
		if got, want := Get(h, k), h.Get(k); got != want {
			t.Errorf("Get(%q) = %q, Header.Get %q", k, got, want)
		}
	}
}
