// Package record declares ratelab's two log formats once, and writes and
// reads them: the probe's attempt log (Header, then Attempt and Operation
// records as they happen, then one Final) and the gateway's access log
// (AccessHeader, then one Request per response, then one Background).
//
// Both logs are JSON Lines. Every record has "schema" (Schema) and "type";
// times are nanoseconds since the header's start. The probe runner and the
// gateway write through a Writer; the analysis reads through Stream, which
// hands a Visitor the same Go types the writers were given. A program that
// makes a run and analyses it in one process passes its records straight
// to the analysis's Visitor, with no JSON in between.
//
// To add a field to a record, add it to its type here (with its JSON name
// and, if it may be absent, omitempty) and assign it where the record is
// built: the probe runner (probe/runner.go) or the gateway
// (mockgateway/gateway.go, accesslog.go). Writer, Stream and every
// Visitor pick it up from the type. New fields go last in their type so
// existing logs keep their field order.
package record
