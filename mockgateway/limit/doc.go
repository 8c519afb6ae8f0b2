// Package limit is the rate-limit model shared by the mock gateway and the
// virtual-time simulator.
//
// A Model holds named buckets. Each bucket has an algorithm (token bucket,
// fixed window, sliding window, concurrency or daily quota), a scope that
// decides what it is keyed by (token, client, user, org, ip, route or
// global) and a limit that is either fixed or taken from the requesting
// client's tier. A Route stacks
// several buckets: a request passes only when every bucket admits it, and
// nothing is charged when one rejects. Buckets are shared simply by naming the
// same bucket from several routes.
//
// Every method takes the current time explicitly, so the same model runs
// against the wall clock and in virtual time. The package reads no clock and
// starts no goroutines; background load (traffic the client cannot see) is
// computed lazily from the times it is given.
//
// A Decision reports, for one request, every bucket consulted with its
// remaining capacity, the bucket the gateway reports as having rejected it,
// and the true wait: the earliest time at which this same request would be
// admitted given what the model knows. A RetryAfter policy turns a wait into
// what the gateway says, which may be a lie (rounded down, zero, missing,
// random, ...).
//
// The package depends only on the standard library and golang.org/x/time/rate.
package limit
