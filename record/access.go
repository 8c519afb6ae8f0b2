package record

// AccessHeader opens the access log.
type AccessHeader struct {
	Schema    int     `json:"schema"`
	Type      string  `json:"type"`            // TypeHeader
	Start     string  `json:"start,omitempty"` // RFC 3339
	Scenario  string  `json:"scenario,omitempty"`
	Seed      uint64  `json:"seed,omitempty"`
	Version   string  `json:"version,omitempty"`
	TimeScale float64 `json:"time_scale,omitempty"`
	// BucketSpecs describes every bucket of the gateway's model.
	BucketSpecs []BucketSpec `json:"bucket_specs,omitempty"`
	// T and Status are always 0 in a header; the format has always
	// written them, so they stay.
	T      int64 `json:"t"`
	Status int   `json:"status"`
}

// Request is one response of the gateway, or one connection it dropped.
type Request struct {
	Schema int    `json:"schema"`
	Type   string `json:"type"` // TypeRequest
	// Seq numbers requests from 1 in the order their records are written.
	Seq uint64 `json:"seq,omitempty"`
	// T is when the request arrived; LatencyNS how long its answer took.
	T             int64  `json:"t"`
	LatencyNS     int64  `json:"latency_ns,omitempty"`
	Client        string `json:"client,omitempty"`
	TokenID       string `json:"token_id,omitempty"`
	Method        string `json:"method,omitempty"`
	Route         string `json:"route,omitempty"`
	Path          string `json:"path,omitempty"`
	RemoteAddr    string `json:"remote_addr,omitempty"`
	CorrelationID string `json:"correlation_id,omitempty"`
	Status        int    `json:"status"`
	ErrorCode     string `json:"error_code,omitempty"`
	// Buckets is every bucket the request was checked against, in the
	// route's order; RejectedBy names the one the gateway reported.
	Buckets    []Bucket `json:"buckets,omitempty"`
	RejectedBy string   `json:"rejected_by,omitempty"`
	// RetryAfter is the Retry-After header as sent; absent when none was.
	RetryAfter string `json:"retry_after,omitempty"`
	// RetryAfterSeconds is the wait the 429 message stated.
	RetryAfterSeconds int64 `json:"retry_after_s,omitempty"`
	// TrueWaitNS is how long until this request would really have been
	// admitted by every bucket.
	TrueWaitNS int64 `json:"true_wait_ns,omitempty"`
	// Fault is the injected fault: "drop", "non-json-429" or a status.
	Fault string `json:"fault,omitempty"`
}

// Bucket is one bucket's view of a request.
type Bucket struct {
	Name      string  `json:"name"`
	Remaining float64 `json:"remaining"`
	Limit     float64 `json:"limit"`
	WaitNS    int64   `json:"wait_ns,omitempty"`
	Refused   bool    `json:"refused,omitempty"`
}

// Background closes the access log with the load the clients could not
// see.
type Background struct {
	Schema int    `json:"schema"`
	Type   string `json:"type"` // TypeBackground
	// T is when the log closed.
	T int64 `json:"t"`
	// Status is always 0; the format has always written it.
	Status int `json:"status"`
	// Counts lists the buckets that saw background load.
	Counts []BackgroundCount `json:"background,omitempty"`
}

// BucketSpec is one bucket as the scenario defines it.
type BucketSpec struct {
	Name      string `json:"name"`
	Algorithm string `json:"algorithm"`
	Scope     string `json:"scope"`
	// Limit is the rate ("180/min"), "tier (...)" when it depends on the
	// client's tier, or a count for concurrency.
	Limit     string `json:"limit"`
	Burst     int    `json:"burst,omitempty"`
	Window    string `json:"window,omitempty"`
	Namespace string `json:"namespace,omitempty"`
	Key       string `json:"key,omitempty"`
}

// BackgroundCount is the background load one bucket absorbed.
type BackgroundCount struct {
	Bucket   string `json:"bucket"`
	Admitted uint64 `json:"admitted"`
	Rejected uint64 `json:"rejected"`
}
