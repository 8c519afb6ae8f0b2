package client

import (
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(1994, 11, 6, 8, 49, 0, 0, time.UTC)
	cases := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"0", 0, true},
		{"42", 42 * time.Second, true},
		{" 7 ", 7 * time.Second, true},
		{"Sun, 06 Nov 1994 08:49:37 GMT", 37 * time.Second, true},  // IMF-fixdate
		{"Sunday, 06-Nov-94 08:49:37 GMT", 37 * time.Second, true}, // RFC 850
		{"Sun Nov  6 08:49:37 1994", 37 * time.Second, true},       // asctime
		{"Sun, 06 Nov 1994 08:48:00 GMT", 0, true},                 // past: now
		{"", 0, false},
		{"-1", 0, false},
		{"1.5", 0, false},
		{"soon", 0, false},
		{"5s", 0, false},
		{"99999999999999999999", 0, false},
		{"864000", 0, false}, // ten days: junk
		{"Sun, 06 Nov 2094 08:49:37 GMT", 0, false},
	}
	for _, c := range cases {
		got, ok := ParseRetryAfter(c.in, now)
		if got != c.want || ok != c.ok {
			t.Errorf("ParseRetryAfter(%q) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"0", "120", "-1", "Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994", "x"} {
		f.Add(s)
	}
	now := time.Date(1994, 11, 6, 8, 49, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := ParseRetryAfter(s, now)
		if ok && (d < 0 || d > MaxRetryAfter) {
			t.Fatalf("%q: accepted %v outside [0, %v]", s, d, MaxRetryAfter)
		}
		if !ok && d != 0 {
			t.Fatalf("%q: rejected but returned %v", s, d)
		}
	})
}
