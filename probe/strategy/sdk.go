package strategy

import (
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The official Genesys Cloud SDKs' retry (docs/sdk-retry.md). Each SDK
// retries inside one HTTP call, so its state is per call: a request that
// succeeds without completing the operation (the read before a write)
// ends that call, and the next request starts a fresh one. None of them
// retries a 409 or a 401: the SDK hands those to the application, so the
// operation ends there. None shares anything among calls.

// sdkCall is the state every SDK keeps per call.
const sdkCall = "per HTTP call (the read and the write of one operation are two calls): "

// registerGenesysSDKs registers the official SDKs' retry.
func registerGenesysSDKs() {
	Register(Info{Name: "sdk-go", Summary: "the Go SDK with retries switched on: go-retryablehttp under the SDK's retry check",
		Formula: "429/503 with Retry-After in whole seconds: wait RA exactly (0: none); otherwise wait min(wait_max, wait_min·2^k) after the k-th retry (from 0); " +
			"retries 429 (not when RA > 180 s), 5xx but 501, transport errors; gives up with no response after retry_max retries",
		Params: []Param{{"retry_max", "20", "retries per call (RetryConfiguration.RetryMax)"},
			{"wait_min", "1s", "first backoff without a hint (RetryWaitMin)"}, {"wait_max", "30s", "longest backoff without a hint (RetryWaitMax)"}},
		PerOperation: sdkCall + "go-retryablehttp's retry number",
		Source:       "platform-client-sdk-go platformclientv2/apiclient.go (the retry check) and hashicorp/go-retryablehttp client.go (DefaultBackoff)",
		Note: "The SDK's default is no retry (RetryMax 0, the same as none). The defaults here, 1 s, 30 s and 20, " +
			"are the RetryConfiguration Genesys's own Terraform provider sets (docs/sdk-retry.md#go-sdk)."},
		func(v *Values) (Policy, error) {
			c := goSDK{max: v.Int("retry_max"), min: v.Duration("wait_min"), cap: v.Duration("wait_max")}
			return PerOperation(func() Operation { return &goSDKOp{c: c} }), nil
		})

	Register(Info{Name: "sdk-python", Summary: "the Python SDK's hidden default: urllib3 Retry() on every method",
		Formula: "413/429/503 retried only with Retry-After, waiting it exactly and uncapped (0: none); transport errors retried at once; " +
			"at most 10 retries per call (total=10, no backoff); 5xx without a hint, 502 and 504 not retried",
		PerOperation: sdkCall + "the Retry object's remaining total",
		Source:       "platform-client-sdk-python rest.py (Retry() allowed on every method) and urllib3 src/urllib3/util/retry.py (the defaults)",
		Note:         "The SDK exposes no setting for it: every Python SDK client runs this."},
		func(*Values) (Policy, error) {
			return PerOperation(func() Operation { return &pythonOp{left: pythonTotal} }), nil
		})

	dotnetParams := []Param{{"max_retry_time", "60s", "the call's retry budget in time (MaxRetryTimeSec); 0 switches retries off"},
		{"retry_max", "5", "retries per call: .NET allows retry_max + 1 (RetryMax)"}}
	dotnetNote := "The SDK's default MaxRetryTimeSec is 0, which switches retries off (max_retry_time=0 here). " +
		"60 s is ratelab's choice so that the strategy retries; RetryMax 5, the 3 s default wait and the 300 s back-off interval are the SDK's."
	Register(Info{Name: "sdk-dotnet", Summary: "the .NET SDK with retries switched on (RetryConfiguration)",
		Formula: "retries 429/502/503/504 while the call is younger than max_retry_time, at most retry_max + 1 times; wait Retry-After in whole seconds " +
			"(3 s when missing or not an integer; not retried above 180 s); 5xx after the first five: 3^min(3, ⌊elapsed/300s⌋+1) s",
		Params: dotnetParams, PerOperation: sdkCall + "the call's start, its retries and its 5xx retries",
		Source: "platform-client-sdk-dotnet build/src/PureCloudPlatform.Client.V2/Client/ApiClient.cs (RetryConfiguration)", Note: dotnetNote},
		func(v *Values) (Policy, error) { return newDotnet(v, false), nil })

	Register(Info{Name: "sdk-java", Summary: "the Java SDK with retries switched on (RetryConfiguration)",
		Formula: "as sdk-dotnet, but a Retry-After that is not an integer (an HTTP date) fails the call, " +
			"and 5xx retries after the first five do not count towards retry_max: only max_retry_time ends them",
		Params: dotnetParams, PerOperation: sdkCall + "the call's start, its counted retries and its 5xx retries",
		Source: "platform-client-sdk-java build/src/main/java/com/mypurecloud/sdk/v2/ApiClient.java (RetryConfiguration)", Note: dotnetNote},
		func(v *Values) (Policy, error) { return newDotnet(v, true), nil })
}

// intermediate reports a 2xx that does not complete the operation: the
// SDK call ended well and the next request is a new call.
func intermediate(o Outcome) bool { return o.Status >= 200 && o.Status < 300 && !o.Complete }

// intSeconds parses a Retry-After of whole seconds, as the .NET and Java
// SDKs and urllib3's first form do.
func intSeconds(text string) (time.Duration, bool) {
	t := strings.TrimSpace(text)
	if t == "" || strings.Trim(t, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n > math.MaxInt64/int64(time.Second) {
		return 0, false
	}
	return time.Duration(n) * time.Second, true
}

// sdkLongestHint is the Retry-After above which the Go, .NET and Java SDKs
// do not retry a 429: daily limits answer with waits of hours.
const sdkLongestHint = 180 * time.Second

type goSDK struct {
	max      int
	min, cap time.Duration
}

// goSDKOp is one go-retryablehttp call's retry number.
type goSDKOp struct {
	c goSDK
	n int
}

func (op *goSDKOp) After(o Outcome, _ *rand.Rand) Decision {
	if intermediate(o) {
		op.n = 0
	}
	if !op.retries(o) || op.n >= op.c.max {
		return Decision{Stop: true}
	}
	wait := Exp(op.c.min, op.c.cap, op.n)
	// go-retryablehttp v0.7.0, which platform-client-sdk-go v150 requires,
	// reads only whole seconds; an HTTP date falls back to the backoff.
	if ra, ok := intSeconds(o.RetryAfterText); ok && (o.Status == http.StatusTooManyRequests || o.Status == http.StatusServiceUnavailable) {
		wait = ra
	}
	op.n++
	return Decision{Wait: wait}
}

// retries is the SDK's retry check.
func (op *goSDKOp) retries(o Outcome) bool {
	switch s := o.Status; {
	case s == 0:
		return o.Retryable // a transport error; a local drop is not the SDK's
	case s == http.StatusTooManyRequests:
		ra, ok := intSeconds(o.RetryAfterText)
		return !ok || ra <= sdkLongestHint
	case s >= 500:
		return s != http.StatusNotImplemented
	}
	return false
}

// pythonTotal is urllib3's default Retry total.
const pythonTotal = 10

// pythonOp is one urllib3 call's Retry object.
type pythonOp struct{ left int }

func (op *pythonOp) After(o Outcome, _ *rand.Rand) Decision {
	if intermediate(o) {
		op.left = pythonTotal
	}
	var wait time.Duration
	switch s := o.Status; {
	case s == 0 && o.Retryable:
		// A connection or read error: retried on every method, no backoff.
	case (s == http.StatusRequestEntityTooLarge || s == http.StatusTooManyRequests || s == http.StatusServiceUnavailable) && o.RetryAfterText != "":
		if d, ok := intSeconds(o.RetryAfterText); ok {
			wait = d
		} else if o.HasRetryAfter {
			wait = max(o.RetryAfter, 0) // an HTTP date
		} else {
			return Decision{Stop: true} // urllib3 raises InvalidHeader
		}
	default:
		return Decision{Stop: true}
	}
	if op.left <= 0 {
		return Decision{Stop: true}
	}
	op.left--
	return Decision{Wait: wait}
}

// The .NET and Java SDKs' fixed RetryConfiguration values.
const (
	dotnetDefaultWait   = 3 * time.Second
	dotnetBackOff       = 300 * time.Second
	dotnetBeforeBackOff = 5
)

type dotnet struct {
	maxTime time.Duration
	max     int
	java    bool
}

func newDotnet(v *Values, java bool) Policy {
	c := dotnet{maxTime: v.Duration("max_retry_time"), max: v.Int("retry_max"), java: java}
	return PerOperation(func() Operation { return &dotnetOp{c: c} })
}

// dotnetOp is one call's retry state in the .NET and Java SDKs. The call's
// clock starts at its first answer: the SDK's starts just before its first
// send, one response time earlier.
type dotnetOp struct {
	c            dotnet
	start        time.Time
	retries, n5x int
}

func (op *dotnetOp) After(o Outcome, _ *rand.Rand) Decision {
	if intermediate(o) || op.start.IsZero() {
		op.start, op.retries, op.n5x = o.Now, 0, 0
	}
	s := o.Status
	if s != http.StatusTooManyRequests && s != http.StatusBadGateway && s != http.StatusServiceUnavailable && s != http.StatusGatewayTimeout {
		return Decision{Stop: true}
	}
	elapsed := o.Now.Sub(op.start)
	if elapsed >= op.c.maxTime || op.retries > op.c.max {
		return Decision{Stop: true}
	}
	hint, ok := intSeconds(o.RetryAfterText)
	switch {
	case ok && hint > sdkLongestHint:
		return Decision{Stop: true}
	case !ok && o.RetryAfterText != "" && op.c.java:
		return Decision{Stop: true} // Integer.parseInt throws on an HTTP date
	case !ok:
		hint = dotnetDefaultWait
	}
	wait, counted := hint, true
	if s != http.StatusTooManyRequests {
		if op.n5x >= dotnetBeforeBackOff {
			wait = time.Duration(math.Pow(3, float64(min(3, int(elapsed/dotnetBackOff)+1)))) * time.Second
			counted = !op.c.java
		}
		op.n5x++
	}
	if counted {
		op.retries++
	}
	return Decision{Wait: wait}
}
