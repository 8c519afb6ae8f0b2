package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ratelab/ratelab/analysis"
	"github.com/ratelab/ratelab/internal/table"
	"github.com/ratelab/ratelab/internal/version"
	"github.com/ratelab/ratelab/mockgateway/limit"
	"github.com/ratelab/ratelab/probe"
	"github.com/ratelab/ratelab/probe/strategy"
	"github.com/ratelab/ratelab/target"
)

type probeOpts struct {
	scenario, target, strategy, rate, input, out, gatewayLog, operation string
	params                                                              []string
	concurrency, ops, maxAttempts, maxRequests                          int
	maxDuration, ramp, grace                                            time.Duration
	seed                                                                uint64
	poisson, quiet, allowWrites, insecure, virtual                      bool
}

func newProbeCmd() *cobra.Command {
	var o probeOpts
	cmd := &cobra.Command{
		Use:   "probe",
		Short: "Run the sync client under a retry strategy and record every attempt",
		Long: `Run the bulk user-sync client — the seed report's job, done properly — under a
workload and a retry strategy, and record every attempt to a JSON Lines log.

Without --target the scenario's gateway is started in-process on
127.0.0.1:0 (real sockets, real time). --virtual runs the same client code
against the gateway handler in virtual time instead: no sockets, no
sleeping, per-minute limits in milliseconds, a byte-identical attempt log
for the same seed. With --target the client runs against
a live Genesys Cloud API: credentials come only from GENESYS_CLIENT_ID and
GENESYS_CLIENT_SECRET (never in the URL); plain http to a non-loopback host
is refused unless --insecure; the operation is get-user unless --operation
says otherwise; writes need --allow-writes; total requests — logins and the
user listing included — are capped at 1000 unless --max-requests says
otherwise; a throttled user listing is retried after its Retry-After.

Every strategy runs under hard caps (--max-attempts per operation,
--max-requests, --max-duration). Ctrl-C stops new work, lets requests in
flight finish within --grace, and writes every record and the summary.

Logs are streamed as the run goes, and their files are created only when
the run starts: a run refused for bad usage leaves them as they were. An
output that is also an input (--input, a --scenario file) or the other
output is refused. --out - writes the attempt log to standard output, for
'ratelab probe --out - | ratelab analyze -'.

Rates: --rate 5/s (open loop, constant arrivals; --poisson for Poisson),
--rate 1/s..20/s --ramp 60s for a linear ramp, or --concurrency N workers
(closed loop) — one or the other. A rate always has its unit (5/s,
300/min).`,
		Example: `  ratelab probe --scenario seed-eu-identity --strategy naive --ops 50
  ratelab probe --scenario seed-eu-identity --strategy adaptive --out attempts.jsonl
  ratelab probe --scenario seed-eu-identity --virtual --ops 1000 --seed 3
  ratelab probe --scenario healthy --concurrency 8 --ops 500 --strategy full-jitter --param base=50ms
  GENESYS_CLIENT_ID=... GENESYS_CLIENT_SECRET=... \
    ratelab probe --target https://api.mypurecloud.de --operation get-user --rate 2/s --ops 100`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			defer simulating(o.virtual, 1)()
			return runProbe(c.Context(), c.OutOrStdout(), c.ErrOrStderr(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.scenario, "scenario", "seed-eu-identity", "embedded scenario NAME or scenario FILE")
	f.StringVar(&o.target, "target", "", "live API base URL (default: the scenario's gateway, in-process)")
	f.StringVar(&o.strategy, "strategy", "", "retry strategy (default: the scenario's; see 'ratelab strategies list')")
	f.StringArrayVar(&o.params, "param", nil, "strategy parameter NAME=VALUE (repeatable)")
	f.StringVar(&o.operation, "operation", "", "update-user, patch-user, put-user, scim-update, get-user (default: scenario's)")
	f.IntVar(&o.concurrency, "concurrency", 0, "closed-loop workers (not with --rate)")
	f.StringVar(&o.rate, "rate", "", "open-loop arrivals: 5/s, 300/min, or 1/s..20/s with --ramp (not with --concurrency)")
	f.DurationVar(&o.ramp, "ramp", 0, "ramp duration for --rate A..B")
	f.BoolVar(&o.poisson, "poisson", false, "Poisson arrivals instead of evenly spaced")
	f.IntVar(&o.ops, "ops", 0, "operations to run (default: the scenario's)")
	f.StringVar(&o.input, "input", "", "work FILE: CSV or JSON Lines of id, email, department, title, name, version")
	f.StringVar(&o.out, "out", "", `write the attempt log (JSON Lines) to FILE ("-": stdout, summary to stderr)`)
	f.StringVar(&o.gatewayLog, "gateway-log", "", `write the in-process gateway's access log to FILE ("-": standard output)`)
	f.Uint64Var(&o.seed, "seed", 0, "seed (0: the scenario's)")
	f.IntVar(&o.maxAttempts, "max-attempts", 0, "cap on attempts per operation (default: the scenario's, else 20)")
	f.IntVar(&o.maxRequests, "max-requests", 0, "cap on total requests (default: ops × max-attempts; 1000 for live targets)")
	f.DurationVar(&o.maxDuration, "max-duration", 0, "cap on the run's duration (default: the scenario's, else 10m)")
	f.DurationVar(&o.grace, "grace", 5*time.Second, "time in-flight requests get to finish after Ctrl-C")
	f.BoolVar(&o.quiet, "quiet", false, "no plan line and no progress on standard error")
	f.BoolVar(&o.virtual, "virtual", false, "the scenario's gateway in virtual time: no sockets or sleeps, deterministic per seed")
	f.BoolVar(&o.allowWrites, "allow-writes", false, "permit write operations against a live (non-loopback) target")
	f.BoolVar(&o.insecure, "insecure", false, "permit plain http:// to a non-loopback target")
	_ = cmd.RegisterFlagCompletionFunc("scenario", completeScenarios)
	_ = cmd.RegisterFlagCompletionFunc("strategy", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return strategy.Names(), cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}

// parseRate reads "5/s", "300/min" or a ramp "1/s..20/s".
func parseRate(s string) (from, to float64, err error) {
	if s == "" {
		return 0, 0, nil
	}
	a, b, ramp := strings.Cut(s, "..")
	if from, err = rateValue(a); err != nil {
		return 0, 0, err
	}
	if ramp {
		if to, err = rateValue(b); err != nil {
			return 0, 0, err
		}
	}
	return from, to, nil
}

// rateValue reads one rate the way scenario files write them ("5/s",
// "300/min", "10/250ms"); a number without a unit is refused with a
// suggestion.
func rateValue(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "/") {
		return 0, fmt.Errorf("--rate %q has no unit: write %s/s (per second) or %s/min (per minute)", s, s, s)
	}
	r, err := limit.ParseRate(s)
	if err != nil || r.N <= 0 {
		return 0, fmt.Errorf("--rate %q: want a positive rate such as 5/s or 300/min", s)
	}
	return r.PerSecond(), nil
}

func parseParams(kvs []string) (strategy.Params, error) {
	if len(kvs) == 0 {
		return nil, nil
	}
	p := strategy.Params{}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--param %q: want NAME=VALUE", kv)
		}
		p[k] = v
	}
	return p, nil
}

// scenarioInput is the --scenario value as an input file, when it names
// one ("" for an embedded scenario).
func scenarioInput(v string) pathArg {
	if st, err := os.Stat(v); err == nil && !st.IsDir() {
		return pathArg{"--scenario", v}
	}
	return pathArg{}
}

// probeOptions checks the probe's flags and turns them into options
// (without the log).
func probeOptions(o probeOpts) (probe.Options, error) {
	sc, err := openScenario(o.scenario)
	if err != nil {
		return probe.Options{}, err
	}
	from, to, err := parseRate(o.rate)
	if err != nil {
		return probe.Options{}, usage(err)
	}
	if o.rate != "" && o.concurrency > 0 {
		return probe.Options{}, usagef("--rate %s and --concurrency %d: give one, not both — --rate for an open loop (operations arrive at a rate, however many are in flight), --concurrency for a closed loop (N workers, each starting its next operation when one ends)", o.rate, o.concurrency)
	}
	if to > 0 && o.ramp <= 0 {
		return probe.Options{}, usagef("--rate %s is a ramp: give its duration with --ramp", o.rate)
	}
	params, err := parseParams(o.params)
	if err != nil {
		return probe.Options{}, usage(err)
	}
	if o.gatewayLog != "" && o.target != "" {
		return probe.Options{}, usagef("--gateway-log records the in-process gateway; with --target there is none (the attempt log is --out)")
	}
	err = checkPaths([]pathArg{{"--input", o.input}, scenarioInput(o.scenario)}, []pathArg{{"--out", o.out}, {"--gateway-log", o.gatewayLog}})
	return probe.Options{Scenario: sc, Target: target.Spec{URL: o.target, Virtual: o.virtual, Insecure: o.insecure, AllowWrites: o.allowWrites, Getenv: os.Getenv}, Strategy: o.strategy, Params: params, Operation: o.operation,
		Concurrency: o.concurrency, Rate: from, RampTo: to, Ramp: o.ramp, Poisson: o.poisson, Ops: o.ops, Input: o.input,
		Seed: o.seed, MaxAttempts: o.maxAttempts, MaxRequests: o.maxRequests, MaxDuration: o.maxDuration, Grace: o.grace,
		Version: version.String()}, err
}

// output is where a log flag's records go: standard output for "-" (the
// human summary then goes to standard error), else a file created when
// the run writes its first record, so a refused run leaves it alone.
type output struct {
	files []*lazyFile
}

func (w *output) open(flag, path string, out io.Writer, summary *io.Writer, errOut io.Writer) io.Writer {
	switch path {
	case "":
		return nil
	case stdio:
		*summary = errOut
		return out
	}
	f := &lazyFile{flag: flag, path: path}
	w.files = append(w.files, f)
	return f
}

// close closes the files created, returning the first error.
func (w *output) close() error {
	var first error
	for _, f := range w.files {
		if err := f.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func runProbe(ctx context.Context, out, errOut io.Writer, o probeOpts) error {
	opts, err := probeOptions(o)
	if err != nil {
		return err
	}
	var outs output
	summary := out
	if w := outs.open("--out", o.out, out, &summary, errOut); w != nil {
		opts.Log = w
	}
	if w := outs.open("--gateway-log", o.gatewayLog, out, &summary, errOut); w != nil {
		opts.Target.GatewayLog = w
	}
	var pr *progress
	if !o.quiet {
		pr = newProgress(errOut, "probe", "ops")
		opts.Progress = func(p probe.Progress) { pr.update(p.Done, p.Total, func() []string { return probeDetails(p) }) }
		opts.Started = func(p probe.Plan) {
			fmt.Fprintf(errOut, "probe: scenario %s · strategy %s · operation %s · %d ops · target %s\n", opts.Scenario.Name, p.Strategy, p.Operation, p.Ops, p.Target)
		}
	}
	res, err := probe.Probe(ctx, opts)
	if pr != nil {
		pr.finish()
	}
	if cerr := outs.close(); err == nil {
		err = cerr
	}
	if err != nil {
		if errors.Is(err, probe.ErrUsage) {
			return usage(errors.New(strings.TrimPrefix(err.Error(), "usage: ")))
		}
		if res == nil || res.Summary == nil {
			return err
		}
	}
	printSummary(summary, opts.Scenario.Name, res)
	if o.out != "" && o.out != stdio {
		fmt.Fprintf(summary, "attempt log: %s\n", o.out)
	} else if o.out == "" {
		fmt.Fprintln(summary, "attempt log: not kept (--out FILE keeps every attempt, for ratelab analyze)")
	}
	if res.Summary.Interrupted {
		fmt.Fprintln(summary, "interrupted: every record up to the stop was written")
	}
	return err
}

// probeDetails are a probe's progress details.
func probeDetails(p probe.Progress) []string {
	rate := float64(p.Done) / max(p.Elapsed.Seconds(), 1e-9)
	return []string{fmt.Sprintf("ok %d failed %d", p.OK, p.Failed), fmt.Sprintf("attempts %d", p.Attempts),
		fmt.Sprintf("429s %d", p.Throttled), fmt.Sprintf("%.1f ops/s", rate)}
}

func printSummary(out io.Writer, scenario string, res *probe.Result) {
	s := res.Summary
	fmt.Fprintf(out, "scenario %s · strategy %s · target %s\n", scenario, res.Strategy, res.Target)
	t := table.New(out)
	t.Header("metric", "value")
	rows := [][]string{
		{"operations", fmt.Sprintf("%d (%d ok, %d failed, %d unfinished)", s.Ops, s.Succeeded, s.Failed, s.Unfinished)},
		{"success rate (operations)", fmt.Sprintf("%.1f%%", 100*s.SuccessRate)},
		{"attempt success (ok attempts ÷ attempts)", fmt.Sprintf("%.1f%%", 100*s.AttemptRate)},
		{"attempts", fmt.Sprintf("%d (%d throttled, %d dropped locally)", s.Attempts, s.Throttled, s.LocalDrops)},
		{"amplification", fmt.Sprintf("%.2f", s.Amplify)},
		{"429 ratio", fmt.Sprintf("%.1f%%", 100*s.ThrottleRate)},
		{"elapsed", time.Duration(s.ElapsedNS).Round(time.Millisecond).String()},
	}
	if s.CapReached != "" {
		rows = append(rows, []string{"cap reached", s.CapReached})
	}
	_ = t.Bulk(rows)
	_ = t.Render()
	if line := analysis.EndedLine(s.Ended, res.WaitPastCap, res.MaxDuration); line != "" {
		fmt.Fprintln(out, line)
	}
}
