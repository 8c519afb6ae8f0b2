package analysis

import (
	"fmt"
	"time"

	"github.com/ratelab/ratelab/record"
)

// maxSpan bounds every time and duration in a log: 100 years. Times are
// nanoseconds since the log's start and may be negative (a clock stepped
// back); durations — latencies, waits, hints, elapsed time — may not.
// No run lasts a century, and within ±100 years the sum of any two values,
// or of one and the log's start as Unix nanoseconds, stays far inside
// int64's ±292 years, so no arithmetic in the analysis overflows.
const maxSpan = int64(100 * 365 * 24 * time.Hour)

// checkTime returns an error when v, the time field name, is more than
// maxSpan from the log's start.
func checkTime(name string, v int64) error {
	if v < -maxSpan || v > maxSpan {
		return fmt.Errorf("%s %d is more than 100 years from the log's start", name, v)
	}
	return nil
}

// checkDuration returns an error when v, the duration field name, is
// negative or longer than maxSpan.
func checkDuration(name string, v int64) error {
	if v < 0 {
		return fmt.Errorf("%s %d is negative", name, v)
	}
	if v > maxSpan {
		return fmt.Errorf("%s %d is longer than 100 years", name, v)
	}
	return nil
}

// firstErr returns the first non-nil error of errs.
func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func checkAttempt(l *record.Attempt) error {
	err := firstErr(checkTime("intended_ns", l.IntendedNS), checkTime("sent_ns", l.SentNS),
		checkDuration("latency_ns", l.LatencyNS), checkDuration("wait_ns", l.WaitNS))
	if err == nil && l.RetryAfterNS != nil {
		err = checkDuration("retry_after_ns", *l.RetryAfterNS)
	}
	return err
}

func checkOperation(o *record.Operation) error {
	return firstErr(checkTime("start_ns", o.StartNS), checkTime("end_ns", o.EndNS), checkDuration("wait_ns", o.WaitNS))
}

func checkRequest(l *record.Request) error {
	err := firstErr(checkTime("t", l.T), checkDuration("latency_ns", l.LatencyNS),
		checkDuration("true_wait_ns", l.TrueWaitNS))
	if err == nil && (l.RetryAfterSeconds < 0 || l.RetryAfterSeconds > maxSpan/int64(time.Second)) {
		err = fmt.Errorf("retry_after_s %d is negative or longer than 100 years", l.RetryAfterSeconds)
	}
	for i := range l.Buckets {
		if b := &l.Buckets[i]; err == nil && (b.WaitNS < 0 || b.WaitNS > maxSpan) {
			err = fmt.Errorf("buckets[%d].wait_ns %d is negative or longer than 100 years", i, b.WaitNS)
		}
	}
	return err
}
