package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ratelab/ratelab/analysis"
	"github.com/ratelab/ratelab/internal/table"
	"github.com/ratelab/ratelab/record"
	"github.com/ratelab/ratelab/scenarios"
)

type analyzeOpts struct {
	format, out, scenario string
	asserts               []string
	lenient               bool
}

func newAnalyzeCmd() *cobra.Command {
	var o analyzeOpts
	cmd := &cobra.Command{
		Use:   "analyze FILE|-...",
		Short: "Report metrics, 429 patterns and findings from attempt and access logs",
		Long: `Read attempt logs (ratelab probe --out) and access logs (ratelab gateway --log,
ratelab probe --gateway-log) and report what happened and why: success
rates, amplification, latency, Retry-After behaviour against the gateway's
true wait, 429 bursts, synchronised retry waves, which bucket limited, shared
buckets, and ranked plain-language findings.

A FILE of - is standard input. Each log is read once, so pipes and
<(process substitution) work. The report replaces --out only once it is
complete; --out may not name one of the logs.

Give an attempt log with the access log of the same run to join them by
ININ-Correlation-Id; give several attempt logs to compare them. An access
log alone diagnoses any client — a user's own script run against
'ratelab gateway' — from the server side.

Assertions ('metric OP number') are checked on every run; a failed one exits
1, an unknown metric exits 2. --scenario adds that scenario's assert list.
Metrics: ` + table.Wrap(strings.Join(analysis.MetricNames(), ", ")+".", 90),
		Example: `  ratelab probe --strategy naive --out naive.jsonl --gateway-log access.jsonl
  ratelab analyze naive.jsonl access.jsonl
  ratelab probe --scenario healthy --virtual --quiet --out - | ratelab analyze -
  ratelab analyze naive.jsonl adaptive.jsonl --format markdown >> "$GITHUB_STEP_SUMMARY"
  ratelab analyze adaptive.jsonl --assert 'success_rate >= 0.99' --assert 'premature_retries == 0'
  ratelab analyze access.jsonl --format html --out report.html`,
		Args: needArgs(`analyze needs at least one log to read: an attempt log (ratelab probe --out FILE)
and/or an access log (ratelab probe --gateway-log FILE, ratelab gateway --log FILE), or - for standard input; for example
  ratelab analyze attempts.jsonl access.jsonl
  ratelab probe --scenario healthy --virtual --quiet --out - | ratelab analyze -`),
		RunE: func(c *cobra.Command, args []string) error {
			return runAnalyze(c.InOrStdin(), c.OutOrStdout(), args, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.format, "format", "table", "table, json, markdown or html")
	f.StringVar(&o.out, "out", "", `write the report to FILE ("-" or none: standard output), replacing it only once complete`)
	f.StringArrayVar(&o.asserts, "assert", nil, "assertion 'metric OP number' (repeatable)")
	f.StringVar(&o.scenario, "scenario", "", "also check this scenario's assert list")
	f.BoolVar(&o.lenient, "lenient", false, "skip bad lines instead of failing, and report how many")
	_ = cmd.RegisterFlagCompletionFunc("format", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return analysis.Formats, cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}

// parseAssertions reads --assert flags and a scenario's list.
func parseAssertions(flags []string, sc *scenarios.Scenario) ([]analysis.Assertion, error) {
	exprs := append([]string(nil), flags...)
	if sc != nil {
		exprs = append(exprs, sc.Assert...)
	}
	var out []analysis.Assertion
	for _, e := range exprs {
		a, err := analysis.ParseAssertion(e)
		if err != nil {
			return nil, usage(err)
		}
		out = append(out, a)
	}
	return out, nil
}

func validFormat(f string) error { return checkFormat(f, analysis.Formats) }

// checkFormat is the usage error for a --format outside valid.
func checkFormat(f string, valid []string) error {
	for _, x := range valid {
		if x == f {
			return nil
		}
	}
	return usagef("--format %q: valid formats are %s", f, strings.Join(valid, ", "))
}

func runAnalyze(stdin io.Reader, stdout io.Writer, files []string, o analyzeOpts) error {
	if err := validFormat(o.format); err != nil {
		return err
	}
	var inputs []pathArg
	stdins := 0
	for _, f := range files {
		inputs = append(inputs, pathArg{"an input (" + f + ")", f})
		if f == stdio {
			stdins++
		}
	}
	if stdins > 1 {
		return usagef("standard input (-) can be read only once")
	}
	if err := checkPaths(append(inputs, scenarioInput(o.scenario)), []pathArg{{"--out", o.out}}); err != nil {
		return err
	}
	var sc *scenarios.Scenario
	if o.scenario != "" {
		var err error
		if sc, err = openScenario(o.scenario); err != nil {
			return err
		}
	}
	asserts, err := parseAssertions(o.asserts, sc)
	if err != nil {
		return err
	}
	logs, closeLogs, err := openLogs(stdin, files)
	if err != nil {
		return err
	}
	defer closeLogs()
	runs, err := analysis.AnalyzeLogs(logs, analysis.Options{Read: record.Options{Lenient: o.lenient}})
	if err != nil {
		return usage(err)
	}
	rep := analysis.NewReport(runs, asserts)
	if err := writeReport(stdout, "--out", o.out, o.format, rep); err != nil {
		return err
	}
	return verdictError(rep)
}

// writeReport writes rep to path ("-" or "": stdout) in format, through
// a temporary file renamed into place.
func writeReport(stdout io.Writer, flag, path, format string, rep *analysis.Report) error {
	if path == "" {
		path = stdio
	}
	if err := writeAtomic(stdout, flag, path, func(w io.Writer) error { return rep.Write(w, format) }); err != nil {
		return err
	}
	if path != stdio {
		fmt.Fprintf(stdout, "report written to %s\n", path)
	}
	return nil
}

// openLogs opens the logs named in files, each once: "-" is standard
// input, anything else a file, pipe or <(process substitution). Call
// closeLogs when done.
func openLogs(stdin io.Reader, files []string) (logs []analysis.Log, closeLogs func(), err error) {
	var opened []*os.File
	closeLogs = func() {
		for _, f := range opened {
			f.Close()
		}
	}
	for _, name := range files {
		if name == stdio {
			logs = append(logs, analysis.Log{Name: "stdin", R: stdin})
			continue
		}
		f, err := os.Open(name)
		if err != nil {
			closeLogs()
			return nil, nil, usage(fmt.Errorf("analysis: %w", err))
		}
		opened = append(opened, f)
		logs = append(logs, analysis.Log{Name: filepath.Base(name), R: f})
	}
	return logs, closeLogs, nil
}

// verdictError is a run failure (exit 1) listing failed assertions.
func verdictError(rep *analysis.Report) error {
	failed := rep.Failed()
	if len(failed) == 0 {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d assertion(s) failed:", len(failed))
	for _, v := range failed {
		if v.Missing {
			fmt.Fprintf(&b, "\n  %s on %s: metric not available in this log", v.Assertion, v.Run)
		} else {
			fmt.Fprintf(&b, "\n  %s on %s: observed %g", v.Assertion, v.Run, v.Observed)
		}
	}
	return fmt.Errorf("%s", b.String())
}
