package strategy

import (
	"math/rand/v2"
	"testing"
	"time"
)

// step is one outcome told to an SDK strategy's operation and the
// decision wanted; at is the outcome's time after t0.
type step struct {
	status int
	ra     string        // Retry-After as sent
	raD    time.Duration // as parsed (a date's wait); from ra when 0
	at     time.Duration
	want   Decision
}

var stop = Decision{Stop: true}

func wait(d time.Duration) Decision { return Decision{Wait: d} }

// runSteps plays steps on one operation of strategy name.
func runSteps(t *testing.T, name string, p Params, steps []step) {
	t.Helper()
	op := mustNew(t, name, p).NewOperation()
	rng := rand.New(rand.NewPCG(1, 1))
	for i, s := range steps {
		o := Outcome{Now: t0.Add(s.at), Status: s.status, RetryAfterText: s.ra}
		o.Retryable = s.status == 0 || s.status == 409 || s.status == 429 || s.status >= 500
		o.Complete = s.status >= 200 && s.status < 300 && i == len(steps)-1
		if d, ok := intSeconds(s.ra); ok {
			o.RetryAfter, o.HasRetryAfter = d, true
		} else if s.raD != 0 {
			o.RetryAfter, o.HasRetryAfter = s.raD, true
		}
		if got := op.After(o, rng); got != s.want {
			t.Fatalf("step %d (status %d, Retry-After %q): %+v, want %+v", i+1, s.status, s.ra, got, s.want)
		}
	}
}

// repeat is n copies of s.
func repeat(n int, s step) []step {
	out := make([]step, n)
	for i := range out {
		out[i] = s
	}
	return out
}

func TestSDKGo(t *testing.T) {
	sec := time.Second
	cases := []struct {
		name  string
		p     Params
		steps []step
	}{
		{"Retry-After 0 re-sends at once, 20 times, then gives up", nil,
			append(repeat(20, step{status: 429, ra: "0", want: wait(0)}), step{status: 429, ra: "0", want: stop})},
		{"the hint is waited unclamped", nil, []step{{status: 429, ra: "120", want: wait(120 * sec)}, {status: 503, ra: "45", want: wait(45 * sec)}}},
		{"a 429 over 180 s is not retried", nil, []step{{status: 429, ra: "181", want: stop}}},
		{"an HTTP date is not read: the backoff", nil, []step{{status: 429, ra: "Thu, 01 Jan 2026 00:00:07 GMT", raD: 7 * sec, want: wait(sec)}}},
		{"no hint: min·2^k capped, no jitter", nil, []step{{status: 429, want: wait(sec)}, {status: 500, want: wait(2 * sec)},
			{status: 502, ra: "9", want: wait(4 * sec)}, {status: 0, want: wait(8 * sec)}, {status: 504, want: wait(16 * sec)}, {status: 503, want: wait(30 * sec)}}},
		{"501, 409, 401 and 404 are the application's", nil, []step{{status: 501, want: stop}}},
		{"409", nil, []step{{status: 409, want: stop}}},
		{"a new call after the read starts from the first wait", Params{"retry_max": "2"},
			[]step{{status: 500, want: wait(sec)}, {status: 500, want: wait(2 * sec)}, {status: 200, want: stop}, {status: 500, want: wait(sec)},
				{status: 500, want: wait(2 * sec)}, {status: 500, want: stop}}},
		{"parameters", Params{"wait_min": "10ms", "wait_max": "25ms"}, []step{{status: 500, want: wait(10 * time.Millisecond)},
			{status: 500, want: wait(20 * time.Millisecond)}, {status: 500, want: wait(25 * time.Millisecond)}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { runSteps(t, "sdk-go", c.p, c.steps) })
	}
}

func TestSDKPython(t *testing.T) {
	cases := []struct {
		name  string
		steps []step
	}{
		{"Retry-After 0: ten immediate re-sends, 11 requests", append(repeat(10, step{status: 429, ra: "0", want: wait(0)}), step{status: 429, ra: "0", want: stop})},
		{"the hint is waited uncapped", []step{{status: 429, ra: "600", want: wait(600 * time.Second)}, {status: 503, ra: "2", want: wait(2 * time.Second)},
			{status: 413, ra: "1", want: wait(time.Second)}}},
		{"an HTTP date is waited", []step{{status: 503, ra: "Thu, 01 Jan 2026 00:00:03 GMT", raD: 3 * time.Second, want: wait(3 * time.Second)}}},
		{"no hint, no retry", []step{{status: 429, want: stop}}},
		{"503 without a hint", []step{{status: 503, want: stop}}},
		{"502 is never retried", []step{{status: 502, ra: "1", want: stop}}},
		{"504 is never retried", []step{{status: 504, want: stop}}},
		{"transport errors retried at once", []step{{status: 0, want: wait(0)}, {status: 0, want: wait(0)}}},
		{"each call has its own ten", append(append(repeat(10, step{status: 429, ra: "0", want: wait(0)}), step{status: 200, want: stop}),
			repeat(10, step{status: 429, ra: "0", want: wait(0)})...)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { runSteps(t, "sdk-python", nil, c.steps) })
	}
}

func TestSDKDotnetAndJava(t *testing.T) {
	sec := time.Second
	three := wait(3 * sec)
	cases := []struct {
		name         string
		p            Params
		dotnet, java []step // java nil: as dotnet
	}{
		{"429 waits the hint or 3 s; 0 is no wait", nil,
			[]step{{status: 429, ra: "0", want: wait(0)}, {status: 429, want: three}, {status: 429, ra: "7", want: wait(7 * sec)}}, nil},
		{"over 180 s is not retried", nil, []step{{status: 429, ra: "181", want: stop}}, nil},
		{"an HTTP date: 3 s in .NET, an exception in Java", nil,
			[]step{{status: 429, ra: "Thu, 01 Jan 2026 00:00:07 GMT", raD: 7 * sec, want: three}},
			[]step{{status: 429, ra: "Thu, 01 Jan 2026 00:00:07 GMT", raD: 7 * sec, want: stop}}},
		{"statuses", nil, []step{{status: 500, want: stop}}, nil},
		{"transport errors are not retried", nil, []step{{status: 0, want: stop}}, nil},
		{"409 is the application's", nil, []step{{status: 409, want: stop}}, nil},
		{"retry_max + 1 retries", Params{"retry_max": "2"},
			append(repeat(3, step{status: 429, ra: "0", want: wait(0)}), step{status: 429, ra: "0", want: stop}), nil},
		{"max_retry_time ends them", Params{"max_retry_time": "10s"},
			[]step{{status: 429, ra: "0", want: wait(0)}, {status: 429, at: 9 * sec, want: three}, {status: 429, at: 10 * sec, want: stop}}, nil},
		{"max_retry_time 0: the SDK's default, no retry", Params{"max_retry_time": "0s"}, []step{{status: 429, want: stop}}, nil},
		{"5xx: hint or 3 s five times, then 3/9/27 s by elapsed time; Java's later 5xx retries are not counted", Params{"max_retry_time": "30m", "retry_max": "7"},
			append(repeat(5, step{status: 503, ra: "1", want: wait(sec)}),
				step{status: 502, at: 10 * sec, want: three}, step{status: 504, at: 301 * sec, want: wait(9 * sec)},
				step{status: 504, at: 900 * sec, want: wait(27 * sec)}, step{status: 504, at: 901 * sec, want: stop}),
			append(repeat(5, step{status: 503, ra: "1", want: wait(sec)}),
				step{status: 502, at: 10 * sec, want: three}, step{status: 504, at: 301 * sec, want: wait(9 * sec)},
				step{status: 504, at: 900 * sec, want: wait(27 * sec)}, step{status: 504, at: 1200 * sec, want: wait(27 * sec)},
				step{status: 429, at: 1201 * sec, want: three}, step{status: 429, at: 1202 * sec, want: three},
				step{status: 429, at: 1203 * sec, want: three}, step{status: 429, at: 1204 * sec, want: stop})},
	}
	for _, c := range cases {
		java := c.java
		if java == nil {
			java = c.dotnet
		}
		t.Run("dotnet/"+c.name, func(t *testing.T) { runSteps(t, "sdk-dotnet", c.p, c.dotnet) })
		t.Run("java/"+c.name, func(t *testing.T) { runSteps(t, "sdk-java", c.p, java) })
	}
}
