package compare

import (
	"encoding/json"

	"github.com/ratelab/ratelab/analysis"
	"github.com/ratelab/ratelab/probe"
)

// observer feeds a run's attempt-log records straight to an analysis, as
// the analysis would read them back from the log: the same fields, without
// encoding and parsing each record. TestObserverMatchesLog holds the two
// paths to the same result.
type observer struct {
	v    analysis.Visitor
	line analysis.Line
}

func (o *observer) observe(rec any) {
	l := &o.line
	*l = analysis.Line{}
	switch r := rec.(type) {
	case *probe.Header:
		h := analysis.Header{Schema: r.Schema, Type: r.Type, Version: r.Version, Scenario: r.Scenario, Seed: r.Seed, Start: r.Start,
			Strategy: r.Strategy, Params: r.Params, Target: r.Target, Clock: r.Clock, Operation: r.Operation, Ops: r.Ops,
			Concurrency: r.Concurrency, Rate: r.Rate, HappyPath: r.HappyPath, Capacity: r.Capacity,
			CapacityBurst: r.CapacityBurst, CapacityWindowNS: r.CapacityWindowNS}
		o.v.Header(analysis.Attempts, &h)
		return
	case *probe.Attempt:
		*l = analysis.Line{Schema: r.Schema, Type: r.Type, Op: r.Op, Attempt: r.Attempt, Worker: r.Worker, IntendedNS: r.IntendedNS,
			SentNS: r.SentNS, RetryAfterNS: r.RetryAfterNS, LocalDrop: r.LocalDrop, Decision: r.Decision, WaitNS: r.WaitNS,
			Error: r.Error, Client: r.Client, Method: r.Method, Route: r.Route, LatencyNS: r.LatencyNS, Status: r.Status,
			RetryAfter: r.RetryAfter, ErrorCode: r.ErrorCode, CorrelationID: r.CorrelationID}
	case *probe.Operation:
		*l = analysis.Line{Schema: r.Schema, Type: r.Type, Op: r.Op, Worker: r.Worker, User: r.User, StartNS: r.StartNS,
			EndNS: r.EndNS, Attempts: r.Attempts, OK: r.OK, Status: r.Status, Reason: r.Reason}
	case *probe.Final:
		b, err := json.Marshal(r.Summary)
		if err != nil {
			return
		}
		raw := json.RawMessage(b)
		*l = analysis.Line{Schema: r.Schema, Type: r.Type, Summary: &raw}
	default:
		return
	}
	o.v.Line(l)
}
