package main

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"

	"github.com/ratelab/ratelab/analysis"
)

type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

// writeJUnit writes each assertion as a test case, plus one for the client
// command itself, to path ("-": stdout) through a temporary file.
func writeJUnit(stdout io.Writer, path, scenario string, rep *analysis.Report, runErr error, timedOut bool) error {
	s := junitSuite{Name: "ratelab " + scenario}
	client := junitCase{Name: "client command", Classname: "ratelab." + scenario}
	switch {
	case timedOut:
		client.Failure = &junitFailure{Message: "timed out", Text: "the client did not finish within --timeout"}
	case runErr != nil:
		client.Failure = &junitFailure{Message: "client failed", Text: runErr.Error()}
	}
	s.Cases = append(s.Cases, client)
	for _, v := range rep.Verdicts {
		c := junitCase{Name: v.Assertion, Classname: "ratelab." + scenario}
		if !v.Pass {
			obs := strconv.FormatFloat(v.Observed, 'g', 6, 64)
			if v.Missing {
				obs = "not available in this log"
			}
			c.Failure = &junitFailure{Message: fmt.Sprintf("observed %s", obs), Text: fmt.Sprintf("%s on %s: observed %s", v.Assertion, v.Run, obs)}
		}
		s.Cases = append(s.Cases, c)
	}
	s.Tests = len(s.Cases)
	for _, c := range s.Cases {
		if c.Failure != nil {
			s.Failures++
		}
	}
	out, err := xml.MarshalIndent(junitSuites{Suites: []junitSuite{s}}, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomic(stdout, "--junit", path, func(w io.Writer) error {
		_, err := w.Write(append([]byte(xml.Header), append(out, '\n')...))
		return err
	})
}
