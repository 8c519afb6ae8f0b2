package main

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/ratelab/ratelab/analysis"
	"github.com/ratelab/ratelab/internal/version"
)

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Cases      []junitCase     `xml:"testcase"`
	SystemOut  *junitText      `xml:"system-out,omitempty"`
}

// junitText is CDATA, so that line breaks stay line breaks.
type junitText struct {
	Text string `xml:",cdata"`
}

func text(s string) *junitText { return &junitText{s} }

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
	SystemOut *junitText    `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

func seconds(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', 3, 64) }

// writeJUnit writes one test suite per repetition to path ("-": stdout)
// through a temporary file: a test case for the client command (timed
// with the client's run), for "made requests" and "the limit bit", and
// one per assertion (timed with the analysis), each with its observed
// value in system-out; a scenario assertion the analysis cannot evaluate
// is a skipped case. The suite's system-out holds the findings.
func writeJUnit(stdout io.Writer, path string, p *runPlan, o runOpts, reps []*repetition) error {
	all := junitSuites{Name: "ratelab run " + p.sc.Name}
	var total time.Duration
	for _, rp := range reps {
		s := junitRepetition(p, o, rp, len(reps))
		all.Suites = append(all.Suites, s)
		all.Tests += s.Tests
		all.Failures += s.Failures
		all.Skipped += s.Skipped
		total += rp.client + rp.analysed
	}
	all.Time = seconds(total)
	out, err := xml.MarshalIndent(all, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomic(stdout, "--junit", path, func(w io.Writer) error {
		_, err := w.Write(append([]byte(xml.Header), append(out, '\n')...))
		return err
	})
}

// junitRepetition is the test suite of one repetition out of n.
func junitRepetition(p *runPlan, o runOpts, rp *repetition, n int) junitSuite {
	s := junitSuite{
		Name:      "ratelab " + p.sc.Name,
		Time:      seconds(rp.client + rp.analysed),
		Timestamp: rp.started.UTC().Format("2006-01-02T15:04:05"),
		Properties: []junitProperty{
			{"scenario", p.sc.Name}, {"command", p.commandLine},
			{"ratelab", version.String()}, {"log", rp.run.File},
		},
	}
	class := "ratelab." + p.sc.Name
	if n > 1 {
		s.Name += fmt.Sprintf(" (repetition %d of %d)", rp.n, n)
		class += fmt.Sprintf(".repetition%d", rp.n)
		s.Properties = append(s.Properties, junitProperty{"repetition", strconv.Itoa(rp.n)})
	}
	s.Cases = gateCases(class, o, rp)
	for _, v := range rp.verdicts {
		s.Cases = append(s.Cases, verdictCase(class, rp.analysed, v))
	}
	for _, v := range rp.skipped {
		s.Cases = append(s.Cases, junitCase{Name: v.Assertion, Classname: class, Time: seconds(rp.analysed),
			Skipped: &junitSkipped{Message: skipReason(v)}})
	}
	for _, c := range s.Cases {
		switch {
		case c.Failure != nil:
			s.Failures++
		case c.Skipped != nil:
			s.Skipped++
		}
	}
	s.Tests = len(s.Cases)
	s.SystemOut = text(junitFindings(rp))
	return s
}

// gateCases are the client command, "made requests" and "the limit bit".
func gateCases(class string, o runOpts, rp *repetition) []junitCase {
	client := junitCase{Name: "client command", Classname: class, Time: seconds(rp.client),
		SystemOut: text(fmt.Sprintf("finished in %.3fs", rp.client.Seconds()))}
	switch {
	case rp.timedOut:
		client.Failure = &junitFailure{Message: "timed out", Text: fmt.Sprintf("the client did not finish within --timeout %v", o.timeout)}
	case rp.runErr != nil:
		client.Failure = &junitFailure{Message: "client failed", Text: rp.runErr.Error()}
	}
	requests := junitCase{Name: "client made requests", Classname: class, Time: seconds(rp.analysed),
		SystemOut: text(fmt.Sprintf("observed %d requests", rp.requests))}
	if rp.requests == 0 {
		requests.Failure = &junitFailure{Message: "observed 0 requests", Text: noRequest}
	}
	bit := junitCase{Name: "the limit bit (a 429 was served)", Classname: class, Time: seconds(rp.analysed),
		SystemOut: text(fmt.Sprintf("observed %d 429s", rp.throttled))}
	switch {
	case rp.throttled > 0:
	case o.requireThrottling:
		bit.Failure = &junitFailure{Message: "observed 0 429s", Text: noThrottling + " (--require-throttling)"}
	default:
		bit.Skipped = &junitSkipped{Message: noThrottling}
	}
	return []junitCase{client, requests, bit}
}

// verdictCase is one evaluated assertion.
func verdictCase(class string, d time.Duration, v analysis.Verdict) junitCase {
	c := junitCase{Name: v.Assertion, Classname: class, Time: seconds(d)}
	obs := strconv.FormatFloat(v.Observed, 'g', 6, 64)
	if v.Missing {
		obs = "not available in this log"
	}
	c.SystemOut = text("observed " + obs)
	if !v.Pass {
		c.Failure = &junitFailure{Message: "observed " + obs, Text: fmt.Sprintf("%s on %s: observed %s", v.Assertion, v.Run, obs)}
	}
	return c
}

// junitFindings is the analysis's findings as plain lines.
func junitFindings(rp *repetition) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d requests, %d answered 429\n", rp.requests, rp.throttled)
	if rp.throttled == 0 {
		fmt.Fprintln(&b, noThrottling)
	}
	for i, f := range rp.run.Findings {
		fmt.Fprintf(&b, "%d. [%s] %s: %s\n", i+1, f.Severity, f.Title, f.Detail)
	}
	return b.String()
}
