package analysis

import (
	"strings"
	"testing"
	"time"
)

func TestEndedLine(t *testing.T) {
	cases := []struct {
		ended     map[string]int
		wait, max time.Duration
		want      string
	}{
		{nil, 0, 0, ""},
		{map[string]int{"ok": 80, "wait-past-cap": 20}, 5*time.Hour + 12*time.Minute + 100*time.Millisecond, 2 * time.Minute,
			"ended: 80 ok, 20 stopped: the next wait (up to 5h12m) would end past --max-duration 2m"},
		{map[string]int{"wait-past-cap": 1}, 90 * time.Second, time.Hour,
			"ended: 1 stopped: the next wait (1m30s) would end past --max-duration 1h"},
		{map[string]int{"status-404": 1, "attempt-cap": 2, "ok": 3, "time-cap": 4, "other": 5}, 0, 1500 * time.Millisecond,
			"ended: 3 ok, 4 out of time (--max-duration 1.5s), 2 at --max-attempts, 5 other, 1 failed with status 404"},
		// Too long for one line in words: the reasons' names, with the
		// longest wait while it fits.
		{map[string]int{"ok": 1, "wait-past-cap": 2, "time-cap": 3, "attempt-cap": 4, "request-cap": 5, "strategy-stop": 6,
			"status-404": 8}, time.Hour, 10 * time.Minute,
			"ended: 1 ok, 2 wait-past-cap (up to 1h), 3 time-cap, 4 attempt-cap, 5 request-cap, 6 strategy-stop, 8 status-404"},
		{map[string]int{"ok": 1, "wait-past-cap": 2, "time-cap": 3, "attempt-cap": 4, "request-cap": 5, "strategy-stop": 6,
			"interrupted": 7, "status-404": 8}, time.Hour, 10 * time.Minute,
			"ended: 1 ok, 2 wait-past-cap, 3 time-cap, 4 attempt-cap, 5 request-cap, 6 strategy-stop, 7 interrupted, " +
				"8 status-404"},
	}
	for _, c := range cases {
		got := EndedLine(c.ended, c.wait, c.max)
		if got != c.want {
			t.Errorf("EndedLine(%v, %v, %v)\n got %q\nwant %q", c.ended, c.wait, c.max, got, c.want)
		}
		if n := len([]rune(got)); n > EndedWidth {
			t.Errorf("%q: %d columns", got, n)
		}
	}
}

func TestReasonKey(t *testing.T) {
	for in, want := range map[string]string{"ok": "ok", "wait-past-cap": "wait-past-cap", "status-404": "status-404",
		"status-4044": "other", "status-x1y": "other", "made-up": "other", "": "other"} {
		if got := reasonKey(in); got != want {
			t.Errorf("reasonKey(%q) = %q, want %q", in, got, want)
		}
	}
	if !strings.HasPrefix(EndedLine(map[string]int{"ok": 1}, 0, 0), "ended: 1 ok") {
		t.Error("ok alone")
	}
}
