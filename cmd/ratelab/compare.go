package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ratelab/ratelab/compare"
	"github.com/ratelab/ratelab/internal/version"
	"github.com/ratelab/ratelab/probe/strategy"
)

type compareOpts struct {
	scenario, strategies, format, out string
	params                            []string
	seeds, ops, parallel              int
	maxDuration                       time.Duration
	seed                              uint64
	real, quiet, wide                 bool
	objective                         string
}

func newCompareCmd() *cobra.Command {
	var o compareOpts
	cmd := &cobra.Command{
		Use:   "compare",
		Short: "Run every retry strategy on one scenario and rank them",
		Long: `Run retry strategies on the same scenario and seeds and print one row per
strategy — success rate, goodput, amplification, 429 share, p99 operation
latency, neighbour impact (other tenants' requests refused beyond those
refused without the client) and when the last operation finished, each as
mean ± standard deviation over seeds — ranked by an objective stated above
the table with why the winner won, the Pareto set marked. --objective
shared (the default: operations must succeed; then less load on the API and
its neighbours beats a little more goodput), goodput, latency or load. The
table fits 120 columns; --wide (or --format json, markdown, html) adds
attempt success, efficiency, drain time, premature retries and writes.

Runs use virtual time by default: the unchanged client and gateway code on a
virtual clock, no sockets and no sleeping, so per-minute limits take
milliseconds and a seed always gives the same numbers. --real uses the wall
clock over loopback instead. Runs go in parallel across cores.

--param sweeps a strategy's parameters: each value (and each combination,
when several are given for one strategy) becomes a row.`,
		Example: `  ratelab compare --scenario seed-eu-identity
  ratelab compare --scenario contention --strategies exponential,full-jitter,equal-jitter,decorrelated-jitter
  ratelab compare --scenario seed-eu-identity --param full-jitter.base=5ms,50ms,500ms --seeds 5
  ratelab compare --scenario tiers --format html --out tiers.html
  ratelab compare --scenario occ-contention --wide`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			defer simulating(!o.real, 0)()
			return runCompare(c.Context(), c.OutOrStdout(), c.ErrOrStderr(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.scenario, "scenario", "seed-eu-identity", "embedded scenario NAME or scenario FILE")
	f.StringVar(&o.strategies, "strategies", "", "comma-separated strategies (default: all built-ins)")
	f.StringArrayVar(&o.params, "param", nil, "sweep STRATEGY.PARAM=V1,V2,... (repeatable)")
	f.IntVar(&o.seeds, "seeds", 3, "seeds per strategy")
	f.Uint64Var(&o.seed, "seed", 0, "first seed (0: the scenario's)")
	f.IntVar(&o.ops, "ops", 0, "operations per run (default: the scenario's)")
	f.IntVar(&o.parallel, "parallel", 0, "runs at once (default: one per core)")
	f.DurationVar(&o.maxDuration, "max-duration", 0, "cap per run (default: scenario's, else 4× the workload's need, ≥ 10m); capped: no winner")
	f.BoolVar(&o.real, "real", false, "use the wall clock and loopback sockets instead of virtual time")
	f.StringVar(&o.format, "format", "table", "table, wide, json, markdown or html")
	f.BoolVar(&o.wide, "wide", false, "the table with every column (the default fits 120 columns)")
	f.StringVar(&o.out, "out", "", `write the result to FILE ("-" or none: standard output), replacing it only once complete`)
	f.BoolVar(&o.quiet, "quiet", false, "no progress on standard error")
	f.StringVar(&o.objective, "objective", "shared", "ranking rule: "+objectiveNames())
	_ = cmd.RegisterFlagCompletionFunc("scenario", completeScenarios)
	return cmd
}

func runCompare(ctx context.Context, stdout, stderr io.Writer, o compareOpts) error {
	sc, err := openScenario(o.scenario)
	if err != nil {
		return err
	}
	if err := checkFormat(o.format, compare.Formats); err != nil {
		return err
	}
	if _, err := compare.ObjectiveNamed(o.objective); err != nil {
		return usagef("--objective %q: valid objectives are %s", o.objective, objectiveNames())
	}
	if o.wide && o.format == "table" {
		o.format = "wide"
	}
	if err := checkPaths([]pathArg{scenarioInput(o.scenario)}, []pathArg{{"--out", o.out}}); err != nil {
		return err
	}
	if o.seeds < 1 {
		return usagef("--seeds %d: need at least 1", o.seeds)
	}
	if o.ops < 0 || o.parallel < 0 || o.maxDuration < 0 {
		return usagef("--ops and --parallel must not be negative (0 takes the default)")
	}
	var variants []compare.Variant
	if o.strategies != "" {
		for _, n := range strings.Split(o.strategies, ",") {
			n = strings.TrimSpace(n)
			if !strategy.Known(n) {
				return usagef("--strategies: unknown strategy %q (valid: %s)", n, strings.Join(strategy.Names(), ", "))
			}
			variants = append(variants, compare.NamedVariant(sc, n))
		}
	}
	if len(o.params) > 0 {
		swept, err := compare.Sweep(o.params)
		if err != nil {
			return usage(err)
		}
		if variants == nil {
			variants = swept
		} else {
			variants = append(variants, swept...)
		}
	}
	opts := compare.Options{Scenario: sc, Variants: variants, Seeds: o.seeds, BaseSeed: o.seed, Real: o.real, Ops: o.ops,
		Parallel: o.parallel, MaxDuration: o.maxDuration, Version: version.String(), Objective: o.objective}
	var pr *progress
	if !o.quiet {
		fmt.Fprintf(stderr, "compare: scenario %s · %s × %d seeds · %s\n", sc.Name, strategiesText(variants), o.seeds, clockText(o.real))
		pr = newProgress(stderr, "compare", "runs")
		opts.Progress = func(done, total int) { pr.update(done, total, nil) }
	}
	res, err := compare.Run(ctx, opts)
	if pr != nil {
		pr.finish()
	}
	if err != nil {
		return err
	}
	out := o.out
	if out == "" {
		out = stdio
	}
	if err := writeAtomic(stdout, "--out", out, func(w io.Writer) error { return res.Write(w, o.format) }); err != nil {
		return err
	}
	if out != stdio {
		fmt.Fprintf(stdout, "%s\nresult written to %s\n", res.Reason, o.out)
	}
	return nil
}

// strategiesText says which strategies a comparison runs.
func strategiesText(vs []compare.Variant) string {
	if vs == nil {
		return "every strategy"
	}
	return fmt.Sprintf("%d variants", len(vs))
}

func clockText(real bool) string {
	if real {
		return "real time"
	}
	return "virtual time"
}

// objectiveNames lists the objectives, the default first.
func objectiveNames() string {
	var ns []string
	for _, ob := range compare.Objectives {
		ns = append(ns, ob.Name)
	}
	return strings.Join(ns, ", ") + " (README: compare)"
}
