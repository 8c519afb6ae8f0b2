package client

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestListingBacksOffOnZeroHint: a listing answered 429 with
// Retry-After: 0 is asked again after a real backoff, not at once, and
// giving up says it was still throttled.
func TestListingBacksOffOnZeroHint(t *testing.T) {
	var mu sync.Mutex
	var at []time.Time
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/oauth/token" {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"access_token":"t","token_type":"bearer","expires_in":86399}`))
			return
		}
		mu.Lock()
		at = append(at, time.Now())
		mu.Unlock()
		w.Header().Set("Retry-After", "0")
		w.WriteHeader(http.StatusTooManyRequests)
		w.Write([]byte(`{"code":"too.many.requests.retry.after"}`))
	}))
	defer srv.Close()
	c := New(srv.URL, "id", "secret", srv.Client())
	_, err := c.ListUserIDsRetrying(context.Background(), 1, 1, 1)
	if err == nil || !strings.Contains(err.Error(), "still throttled after 1 retries") {
		t.Fatalf("err = %v", err)
	}
	if len(at) != 2 || at[1].Sub(at[0]) < 900*time.Millisecond {
		t.Fatalf("listings at %v: want the second after about a second", at)
	}
}
