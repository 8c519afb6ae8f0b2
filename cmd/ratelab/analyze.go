package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ratelab/ratelab/analysis"
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
		Use:   "analyze FILE...",
		Short: "Report metrics, 429 patterns and findings from attempt and access logs",
		Long: `Read attempt logs (ratelab probe --out) and access logs (ratelab gateway --log,
ratelab probe --gateway-log) and report what happened and why: success
rates, amplification, latency, Retry-After behaviour against the gateway's
true wait, 429 bursts, synchronised retry waves, which bucket limited, shared
buckets, and ranked plain-language findings.

Give an attempt log with the access log of the same run to join them by
ININ-Correlation-Id; give several attempt logs to compare them. An access
log alone diagnoses any client — a user's own script run against
'ratelab gateway' — from the server side.

Assertions ('metric OP number') are checked on every run; a failed one exits
1, an unknown metric exits 2. --scenario adds that scenario's assert list.
Metrics: ` + strings.Join(analysis.MetricNames(), ", ") + `.`,
		Example: `  ratelab probe --strategy naive --out naive.jsonl --gateway-log access.jsonl
  ratelab analyze naive.jsonl access.jsonl
  ratelab analyze naive.jsonl adaptive.jsonl --format markdown >> "$GITHUB_STEP_SUMMARY"
  ratelab analyze adaptive.jsonl --assert 'success_rate >= 0.99' --assert 'premature_retries == 0'
  ratelab analyze access.jsonl --format html --out report.html`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			return runAnalyze(c.OutOrStdout(), args, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.format, "format", "table", "table, json, markdown or html")
	f.StringVar(&o.out, "out", "", "write the report to FILE instead of standard output")
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

func runAnalyze(stdout io.Writer, files []string, o analyzeOpts) error {
	if err := validFormat(o.format); err != nil {
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
	runs, err := analysis.Analyze(files, analysis.Options{Read: record.Options{Lenient: o.lenient}})
	if err != nil {
		return usage(err)
	}
	rep := analysis.NewReport(runs, asserts)
	if err := writeReport(stdout, o.out, o.format, rep); err != nil {
		return err
	}
	return verdictError(rep)
}

// writeReport writes rep to path, or to stdout when path is "".
func writeReport(stdout io.Writer, path, format string, rep *analysis.Report) error {
	w := stdout
	if path != "" {
		f, err := os.Create(path)
		if err != nil {
			return usage(fmt.Errorf("--out: %w", err))
		}
		defer f.Close()
		w = f
	}
	if err := rep.Write(w, format); err != nil {
		return err
	}
	if path != "" {
		fmt.Fprintf(stdout, "report written to %s\n", path)
	}
	return nil
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
