package limit

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestDailyQuotaResetsAtTimeOfDay spends a 3/day quota that resets at
// 07:00 UTC from t0 (midnight): the fourth request waits exactly 7 hours,
// a request a nanosecond before 07:00 is refused, one at 07:00 admitted,
// and once spent again after 07:00 the wait runs to 07:00 the next day.
func TestDailyQuotaResetsAtTimeOfDay(t *testing.T) {
	m, r := oneBucket(t, Spec{Algorithm: DailyQuota, Limit: Rate{3, 24 * time.Hour}, Reset: 7 * time.Hour})
	h := time.Hour
	run(t, m, r, []step{
		{0, true, -1, 2},
		{ms(1), true, -1, 1},
		{h, true, -1, 0},
		{2 * h, false, 5 * h, 0},
		{7*h - 1, false, 1, 0},
		{7 * h, true, -1, 2},
		{8 * h, true, -1, 1},
		{9 * h, true, -1, 0},
		{10 * h, false, 21 * h, 0},
		{31 * h, true, -1, 2},
	})
}

// TestDailyQuotaResetReducedIntoTheDay: a reset of 31h is 07:00, and a
// default reset (0) is midnight, like a fixed window of a day.
func TestDailyQuotaResetReducedIntoTheDay(t *testing.T) {
	for _, c := range []struct {
		reset, wait time.Duration
	}{{31 * time.Hour, 7 * time.Hour}, {0, 24 * time.Hour}, {-17 * time.Hour, 7 * time.Hour}} {
		m, r := oneBucket(t, Spec{Algorithm: DailyQuota, Limit: Rate{1, 24 * time.Hour}, Reset: c.reset})
		run(t, m, r, []step{{0, true, -1, 0}, {0, false, c.wait, 0}})
	}
}

// TestDailyQuotaRetryAfter: the honest modes say the hours left, floor
// the same (the wait is whole seconds), zero still lies with 0, fixed
// says its value, date the instant of the reset.
func TestDailyQuotaRetryAfter(t *testing.T) {
	m, r := oneBucket(t, Spec{Algorithm: DailyQuota, Limit: Rate{1, 24 * time.Hour}, Reset: 7 * time.Hour})
	var d Decision
	now := t0.Add(30 * time.Minute)
	m.Decide(now, r, Request{}, &d)
	m.Decide(now, r, Request{}, &d)
	if d.Allowed || d.ReportedWait != 6*time.Hour+30*time.Minute {
		t.Fatalf("allowed %v, reported wait %v, want a refusal for 6h30m", d.Allowed, d.ReportedWait)
	}
	for _, c := range []struct {
		p    RetryAfter
		want string
	}{
		{RetryAfter{Mode: Accurate}, "23400"},
		{RetryAfter{Mode: Floor}, "23400"},
		{RetryAfter{Mode: Zero}, "0"},
		{RetryAfter{Mode: Fixed, Value: time.Minute}, "60"},
		{RetryAfter{Mode: Date}, "Thu, 01 Jan 2026 07:00:00 GMT"},
	} {
		if got := c.p.Apply(now, d.ReportedWait, nil).Header; got != c.want {
			t.Errorf("%v: Retry-After %q, want %q", c.p.Mode, got, c.want)
		}
	}
}

// TestDailyQuotaMostAdmitted bounds what a daily quota admits over spans
// that cross its reset and spans that do not, against what it really
// admits under overload.
func TestDailyQuotaMostAdmitted(t *testing.T) {
	m, r := oneBucket(t, Spec{Algorithm: DailyQuota, Limit: Rate{50, 24 * time.Hour}, Reset: 7 * time.Hour})
	b := m.Buckets()[0]
	cases := []struct {
		from, to time.Duration
		want     float64
	}{
		{0, 6 * time.Hour, 50},                   // one day-window
		{0, 8 * time.Hour, 100},                  // crosses 07:00
		{8 * time.Hour, 30 * time.Hour, 50},      // 08:00 to 06:00 next day
		{6 * time.Hour, 54 * time.Hour, 150},     // crosses two resets
		{6 * time.Hour, 55 * time.Hour, 200},     // and ends on a third
		{7 * time.Hour, 7*time.Hour + 1, 50},     // starts at the reset
		{7*time.Hour - 1, 7 * time.Hour, 100},    // ends at the reset
		{0, 0, 50},                               // an instant
		{-time.Hour, 6*time.Hour + 59, 50},       // 23:00 the day before
		{-18 * time.Hour, 6 * time.Hour, 100},    // 06:00 the day before
		{31 * time.Hour, 54*time.Hour + 59, 50},  // one whole day-window
		{31 * time.Hour, 55 * time.Hour, 100},    // and the next reset
		{100 * time.Hour, 101 * time.Hour, 50},   // later days
		{-100 * time.Hour, -99 * time.Hour, 50},  // earlier days
		{-100 * time.Hour, 101 * time.Hour, 450}, // 9 windows touched
	}
	for _, c := range cases {
		if got := b.MostAdmitted(0, t0.Add(c.from), t0.Add(c.to)); got != c.want {
			t.Errorf("MostAdmitted(%v, %v) = %v, want %v", c.from, c.to, got, c.want)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var d Decision
	admitted := 0
	from, to := t0.Add(5*time.Hour), t0.Add(60*time.Hour)
	for at := from; !at.After(to); at = at.Add(time.Duration(rng.Int64N(int64(time.Minute)))) {
		if m.Decide(at, r, Request{}, &d); d.Allowed {
			admitted++
		}
	}
	if most := b.MostAdmitted(0, from, to); float64(admitted) != most {
		t.Errorf("admitted %d under overload over 5h..60h, bound %v: a quota spent each day admits exactly its bound", admitted, most)
	}
}

// TestDailyQuotaStats reports a spent quota's level, and a fixed window
// keeps its alignment to the epoch (offset 0) whatever Reset says.
func TestDailyQuotaStats(t *testing.T) {
	m, r := oneBucket(t, Spec{Algorithm: DailyQuota, Limit: Rate{2, 24 * time.Hour}, Reset: 7 * time.Hour})
	var d Decision
	m.Decide(t0, r, Request{}, &d)
	st := m.Stats(t0)[0]
	if st.Algorithm != "daily-quota" || len(st.Levels) != 1 || st.Levels[0].Remaining != 1 || st.Levels[0].Limit != 2 {
		t.Fatalf("stats %+v", st)
	}
	if st := m.Stats(t0.Add(7 * time.Hour))[0]; st.Levels[0].Remaining != 2 {
		t.Errorf("after the reset: remaining %v, want 2", st.Levels[0].Remaining)
	}
	fw, rf := oneBucket(t, Spec{Algorithm: FixedWindow, Limit: Rate{1, time.Hour}, Reset: 7 * time.Minute})
	run(t, fw, rf, []step{{0, true, -1, 0}, {time.Minute, false, 59 * time.Minute, 0}})
}
