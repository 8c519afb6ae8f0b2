package record

// Schema is the version of both log formats.
const Schema = 1

// The "type" of each record.
const (
	TypeHeader     = "header"     // Header or AccessHeader: the first record of either log
	TypeAttempt    = "attempt"    // Attempt
	TypeOperation  = "operation"  // Operation
	TypeSummary    = "summary"    // Final
	TypeRequest    = "request"    // Request
	TypeBackground = "background" // Background
)

// Header opens the attempt log.
type Header struct {
	Schema      int               `json:"schema"`
	Type        string            `json:"type"` // TypeHeader
	Version     string            `json:"version"`
	Scenario    string            `json:"scenario"`
	Strategy    string            `json:"strategy"`
	Params      map[string]string `json:"params,omitempty"`
	Seed        uint64            `json:"seed"`
	Target      string            `json:"target"`
	Clock       string            `json:"clock"` // real or virtual
	Start       string            `json:"start"` // RFC 3339
	Operation   string            `json:"operation"`
	Ops         int               `json:"ops"`
	Concurrency int               `json:"concurrency,omitempty"`
	Rate        float64           `json:"rate,omitempty"`
	Arrival     string            `json:"arrival,omitempty"` // constant or poisson, open loop only
	MaxAttempts int               `json:"max_attempts"`
	MaxRequests int               `json:"max_requests"`
	MaxDuration int64             `json:"max_duration_ns"`
	// HappyPath is how many requests one operation needs when nothing fails.
	HappyPath int `json:"happy_path"`
	// Capacity is the request rate (per second) the scenario leaves for
	// this client, when known; analysis uses it for efficiency.
	Capacity float64 `json:"capacity,omitempty"`
	// CapacityBurst is how many requests the limiting bucket admits at once
	// when full.
	CapacityBurst float64 `json:"capacity_burst,omitempty"`
	// CapacityWindowNS is the limiting bucket's window; 0 for a token
	// bucket, whose capacity trickles back instead of returning whole.
	CapacityWindowNS int64 `json:"capacity_window_ns,omitempty"`
}

// Attempt is one HTTP attempt, or one send the strategy dropped locally.
type Attempt struct {
	Schema  int    `json:"schema"`
	Type    string `json:"type"` // TypeAttempt
	Op      int    `json:"op"`
	Attempt int    `json:"attempt"`
	Worker  int    `json:"worker"`
	Client  string `json:"client,omitempty"`
	Method  string `json:"method"`
	Route   string `json:"route"`
	// IntendedNS is when the attempt was meant to be sent (the operation's
	// intended start, or the previous decision plus its wait); SentNS when
	// it was, after any pacing.
	IntendedNS int64 `json:"intended_ns"`
	SentNS     int64 `json:"sent_ns"`
	LatencyNS  int64 `json:"latency_ns"`
	// Status is the HTTP status; 0 for a transport error or a local drop.
	Status int `json:"status"`
	// RetryAfter is the header as received; RetryAfterNS its parsed value,
	// absent when there was none or it was junk.
	RetryAfter    string `json:"retry_after,omitempty"`
	RetryAfterNS  *int64 `json:"retry_after_ns,omitempty"`
	ErrorCode     string `json:"error_code,omitempty"`
	CorrelationID string `json:"correlation_id,omitempty"`
	Error         string `json:"error,omitempty"`
	LocalDrop     bool   `json:"local_drop,omitempty"`
	// Decision is what followed: one of the Decision constants.
	Decision string `json:"decision"`
	WaitNS   int64  `json:"wait_ns,omitempty"`
}

// Decisions recorded on attempts.
const (
	DecisionDone  = "done"  // the operation succeeded, or moved on to its next request
	DecisionRetry = "retry" // the strategy chose to retry after wait_ns
	DecisionStop  = "stop"  // the strategy gave up
	DecisionFail  = "fail"  // not retryable (e.g. 404)
	DecisionCap   = "cap"   // a safety cap ended the operation
)

// Operation is one finished (or abandoned) operation.
type Operation struct {
	Schema int    `json:"schema"`
	Type   string `json:"type"` // TypeOperation
	Op     int    `json:"op"`
	Worker int    `json:"worker"`
	User   string `json:"user"`
	// StartNS is the intended start; latency is EndNS − StartNS, retries
	// and queueing included.
	StartNS  int64 `json:"start_ns"`
	EndNS    int64 `json:"end_ns"`
	Attempts int   `json:"attempts"`
	OK       bool  `json:"ok"`
	Status   int   `json:"status"`
	// Reason is one of the Reason constants, or status-N (not retryable).
	Reason string `json:"reason"`
	// WaitNS, with reason wait-past-cap, is the wait the strategy asked
	// for after the last attempt (its wait_ns), which ended past the run's
	// --max-duration.
	WaitNS int64 `json:"wait_ns,omitempty"`
}

// Why an operation ended: Operation.Reason, besides status-N.
const (
	ReasonOK           = "ok"
	ReasonAttemptCap   = "attempt-cap"   // --max-attempts
	ReasonRequestCap   = "request-cap"   // --max-requests, for the whole run
	ReasonTimeCap      = "time-cap"      // --max-duration ran out while the operation worked or was paced
	ReasonWaitPastCap  = "wait-past-cap" // the strategy chose a wait that ends past --max-duration
	ReasonStrategyStop = "strategy-stop" // the strategy gave up
	ReasonInterrupted  = "interrupted"   // the run was stopped (Ctrl-C, SIGTERM)
	// ReasonNotRun is counted in Summary.Ended only, never an operation's
	// reason: operations a cap or an interrupt left without an end.
	ReasonNotRun = "not-run"
)

// Final closes the attempt log with the run's summary.
type Final struct {
	Schema  int     `json:"schema"`
	Type    string  `json:"type"` // TypeSummary
	Summary Summary `json:"summary"`
}

// Summary counts a run.
type Summary struct {
	Ops          int     `json:"ops"`
	Succeeded    int     `json:"succeeded"`
	Failed       int     `json:"failed"`
	Unfinished   int     `json:"unfinished"`
	Attempts     int     `json:"attempts"`
	OKAttempts   int     `json:"ok_attempts"`
	Throttled    int     `json:"throttled"`
	LocalDrops   int     `json:"local_drops"`
	ElapsedNS    int64   `json:"elapsed_ns"`
	Interrupted  bool    `json:"interrupted"`
	CapReached   string  `json:"cap_reached,omitempty"`
	SuccessRate  float64 `json:"success_rate"`
	AttemptRate  float64 `json:"attempt_success"`
	Amplify      float64 `json:"amplification"`
	ThrottleRate float64 `json:"ratio_429"`
	// Ended counts the operations that ended, by their reason (the
	// Reason constants and status-N); written with its keys sorted.
	Ended map[string]int `json:"ended,omitempty"`
}

// Reached is the fewest requests that take an operation as far as it got:
// the happy path when it succeeded; when it failed, the steps it completed
// plus the one it failed on, at most the happy path and at least one. Each
// of those requests was sent at least once, so attempts ÷ the sum over
// operations (amplification) is never below 1. The probe's summary and
// analysis both count it so.
func Reached(ok bool, stepsDone, happyPath int) int {
	happy := max(happyPath, 1)
	if ok {
		return happy
	}
	return max(1, min(stepsDone+1, happy))
}
