package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ratelab/ratelab/analysis"
	"github.com/ratelab/ratelab/internal/version"
	"github.com/ratelab/ratelab/scenarios"
	"github.com/ratelab/ratelab/target"
)

type runOpts struct {
	scenario, report, junit, format, log string
	asserts                              []string
	timeout, grace                       time.Duration
	seed                                 uint64
	// repeat is how many times CMD runs, each against a fresh gateway.
	repeat int
	// requireThrottling fails a run in which no 429 was served.
	requireThrottling bool
}

// runLong is run's --help text.
const runLong = `Start the scenario's gateway on 127.0.0.1 at a free port, run CMD with the
environment a client needs, stream its output, then analyse the gateway's
access log server-side and check assertions. Works for any language.

CMD gets:
  RATELAB_BASE_URL        API and login base URL (one host, e.g. http://127.0.0.1:41234)
  RATELAB_TOKEN_URL       the token endpoint, RATELAB_BASE_URL/oauth/token
  GENESYS_CLIENT_ID       the scenario's first client
  GENESYS_CLIENT_SECRET   its secret
  RATELAB_USER_IDS        comma-separated ids of the first 20 users

CMD runs in a process group of its own. When --timeout passes or ratelab is
interrupted, the whole group — CMD and everything it started — gets
SIGTERM, and SIGKILL after --grace; when CMD exits, whatever it left
running is stopped the same way, so nothing holds a CI step's output open.
Then the gateway stops gracefully.

A gate that cannot pass by accident:
  - a CMD that cannot be started (not found, not executable) is bad usage:
    exit 2 before anything is analysed;
  - a CMD that sent the gateway no request fails: it is not pointed at
    $RATELAB_BASE_URL;
  - a run in which no 429 was served did not test retry behaviour: it is
    reported, and --require-throttling makes it a failure;
  - --repeat N runs CMD N times, each against a fresh gateway with its own
    access log, checks the assertions on every run and prints the spread
    (min / median / max) of each asserted metric; any failing run fails.
    With --log FILE the logs are FILE with the run's number before the
    extension: --log access.jsonl writes access.1.jsonl, access.2.jsonl, ….

Assertions come from --assert and from the scenario's assert list. A
scenario assertion the analysis cannot evaluate from the gateway's access
log is skipped with a note (a skipped test case in --junit); one it can
evaluate is checked. An --assert the analysis cannot evaluate fails, since
you asked for it.

--report and --junit replace their files only once complete ("-" writes to
standard output); no two of --log, --report and --junit may name the same
file. A Markdown or table --report ends with the gate's section (skipped
assertions, runs without a 429, the spread). --junit writes a test suite
per run with a test case for the client command, one for "made requests",
one for "the limit bit" and one per assertion, each with its observed value
and time; skipped assertions are skipped cases; the findings are in the
suite's system-out.

Exit codes: 0 pass; 1 CMD failed or timed out, made no request, served no
429 under --require-throttling, or an assertion failed; 2 bad usage or
input, including a CMD that cannot be started.`

func newRunCmd() *cobra.Command {
	var o runOpts
	cmd := &cobra.Command{
		Use:   "run [flags] -- CMD [ARGS...]",
		Short: "Run your own client against a scenario's gateway and gate it",
		Long:  runLong,
		Example: `  ratelab run --scenario seed-eu-identity --assert 'immediate_retries == 0' -- python3 examples/python/fixed_sync.py
  ratelab run --scenario retry-after-zero --junit ratelab.xml --report report.md -- node examples/node/sync.js
  ratelab run --scenario seed-eu-identity --timeout 2m -- go run ./cmd/mysync

  # fail when the scenario's limit never bit, so retries went untested
  ratelab run --scenario seed-eu-identity --require-throttling -- python3 examples/python/fixed_sync.py

  # three runs against fresh gateways, logs in access.1.jsonl … access.3.jsonl
  ratelab run --scenario seed-eu-identity --repeat 3 --log access.jsonl --junit ratelab.xml \
    -- python3 examples/python/fixed_sync.py`,
		Args: needArgs(`run needs the command that runs your client, after --; for example
  ratelab run --scenario seed-eu-identity -- python3 examples/python/fixed_sync.py`),
		RunE: func(c *cobra.Command, args []string) error {
			return runClient(c.Context(), c.OutOrStdout(), c.ErrOrStderr(), args, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.scenario, "scenario", "seed-eu-identity", "embedded scenario NAME or scenario FILE")
	f.StringArrayVar(&o.asserts, "assert", nil, "assertion 'metric OP number' (repeatable)")
	f.StringVar(&o.report, "report", "", "write the report to FILE (format: --format, else its extension .json, .md, .html)")
	f.StringVar(&o.format, "format", "", "report format: table, json, markdown or html")
	f.StringVar(&o.junit, "junit", "", "write the assertions as JUnit XML to FILE")
	f.StringVar(&o.log, "log", "", "keep the gateway's access log in FILE (with --repeat: access.1.jsonl, access.2.jsonl, …)")
	f.IntVar(&o.repeat, "repeat", 1, "run CMD N times, each against a fresh gateway; every run must pass")
	f.BoolVar(&o.requireThrottling, "require-throttling", false, "fail a run in which no 429 was served (the scenario's limit never bit)")
	f.DurationVar(&o.timeout, "timeout", 5*time.Minute, "stop CMD after this long (each run, with --repeat)")
	f.DurationVar(&o.grace, "grace", 5*time.Second, "time between SIGTERM and SIGKILL for CMD and what it started")
	f.Uint64Var(&o.seed, "seed", 0, "seed (0: the scenario's)")
	_ = cmd.RegisterFlagCompletionFunc("scenario", completeScenarios)
	return cmd
}

func reportFormat(path, format string) string {
	if format != "" {
		return format
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".json":
		return "json"
	case ".md", ".markdown":
		return "markdown"
	case ".html", ".htm":
		return "html"
	}
	return "table"
}

// runPlan is a validated run: the scenario, its assertions and where each
// repetition's access log goes.
type runPlan struct {
	sc *scenarios.Scenario
	// asserts are --assert's (checked, failing when not evaluable) then the
	// scenario's (skipped when not evaluable).
	asserts     []analysis.Assertion
	fromFlag    int // asserts[:fromFlag] came from --assert
	logPaths    []string
	cleanup     func()
	commandLine string
	client      string // CMD's name, argv[0]
}

// repetition is one run of the client against a fresh gateway.
type repetition struct {
	n        int
	started  time.Time
	run      *analysis.Run
	runErr   error
	timedOut bool
	// client is the client's wall time, analysed the time the analysis took.
	client, analysed    time.Duration
	requests, throttled int
	verdicts            []analysis.Verdict // evaluated assertions
	skipped             []analysis.Verdict // scenario assertions analysis cannot evaluate
}

// noRequest and noThrottling are the gate's own findings.
const (
	noRequest    = "the client made no request: is it pointed at $RATELAB_BASE_URL?"
	noThrottling = "no 429 was served: this run does not test retry behaviour"
)

func runClient(ctx context.Context, stdout, stderr io.Writer, argv []string, o runOpts) error {
	p, err := planRun(argv, o)
	if err != nil {
		return err
	}
	defer p.cleanup()
	var reps []*repetition
	for i, logPath := range p.logPaths {
		if len(p.logPaths) > 1 {
			fmt.Fprintf(stderr, "ratelab run: repetition %d of %d\n", i+1, len(p.logPaths))
		}
		rp, err := runOnce(ctx, stdout, stderr, argv, o, p, logPath)
		if err != nil {
			return err
		}
		rp.n = i + 1
		reps = append(reps, rp)
		if ctx.Err() != nil {
			break // interrupted: report what ran
		}
	}
	rep := combinedReport(reps)
	if err := writeRunReports(stderr, o, p, rep, reps); err != nil {
		return err
	}
	return gateError(argv[0], o, reps)
}

// planRun checks everything before anything runs: the scenario, the
// assertions, the output paths and that CMD can be started at all.
func planRun(argv []string, o runOpts) (*runPlan, error) {
	if o.repeat < 1 {
		return nil, usagef("--repeat %d: need at least 1", o.repeat)
	}
	if _, err := exec.LookPath(argv[0]); err != nil {
		return nil, usage(fmt.Errorf("cannot start the client: %w", err))
	}
	sc, err := openScenario(o.scenario)
	if err != nil {
		return nil, err
	}
	if o.format != "" {
		if err := validFormat(o.format); err != nil {
			return nil, err
		}
	}
	p := &runPlan{sc: sc, cleanup: func() {}, commandLine: strings.Join(argv, " "), client: argv[0]}
	if p.asserts, err = parseAssertions(o.asserts, nil); err != nil {
		return nil, err
	}
	p.fromFlag = len(p.asserts)
	for _, e := range sc.Assert {
		a, err := analysis.ParseAssertion(e)
		if err != nil {
			return nil, usage(err)
		}
		if !slices.ContainsFunc(p.asserts[:p.fromFlag], func(b analysis.Assertion) bool { return b.Expr == a.Expr }) {
			p.asserts = append(p.asserts, a)
		}
	}
	p.logPaths = repeatPaths(o.log, o.repeat)
	outs := []pathArg{{"--report", o.report}, {"--junit", o.junit}}
	for _, l := range p.logPaths {
		outs = append(outs, pathArg{"--log", l})
	}
	if err := checkPaths([]pathArg{scenarioInput(o.scenario)}, outs); err != nil {
		return nil, err
	}
	if o.log == "" {
		dir, err := os.MkdirTemp("", "ratelab-run-")
		if err != nil {
			return nil, err
		}
		p.cleanup = func() { os.RemoveAll(dir) }
		p.logPaths = repeatPaths(filepath.Join(dir, "access.jsonl"), o.repeat)
	}
	return p, nil
}

// repeatPaths is the access log of each of n repetitions: path itself
// for one, else path with the repetition's number before its extension
// (access.jsonl: access.1.jsonl, access.2.jsonl, …). "" stays "".
func repeatPaths(path string, n int) []string {
	out := make([]string, n)
	if n == 1 || path == "" {
		for i := range out {
			out[i] = path
		}
		return out
	}
	ext := filepath.Ext(path)
	for i := range out {
		out[i] = fmt.Sprintf("%s.%d%s", strings.TrimSuffix(path, ext), i+1, ext)
	}
	return out
}

// runOnce serves a fresh gateway, runs CMD against it, analyses the
// access log and evaluates the assertions on it. A client that cannot be
// started is a usage error, returned before anything is analysed.
func runOnce(ctx context.Context, stdout, stderr io.Writer, argv []string, o runOpts, p *runPlan, logPath string) (*repetition, error) {
	start := time.Now()
	runErr, timedOut, err := serveClient(ctx, stdout, stderr, argv, o, p.sc, logPath)
	if err != nil {
		return nil, err
	}
	rp := &repetition{started: start, runErr: runErr, timedOut: timedOut, client: time.Since(start)}
	start = time.Now()
	runs, err := analysis.Analyze([]string{logPath}, analysis.Options{})
	if err != nil {
		return nil, err
	}
	rp.run = runs[0]
	rp.requests = metricValue(rp.run, "attempts")
	rp.throttled = metricValue(rp.run, "throttled")
	for i, a := range p.asserts {
		v := a.Check(rp.run)
		if v.Missing && i >= p.fromFlag {
			rp.skipped = append(rp.skipped, v)
			continue
		}
		rp.verdicts = append(rp.verdicts, v)
	}
	rp.analysed = time.Since(start)
	return rp, nil
}

// metricValue is a count the analysis always knows for an access log
// (attempts: requests served; throttled: 429s served), read through the
// same functions assertions use.
func metricValue(r *analysis.Run, metric string) int {
	a, err := analysis.ParseAssertion(metric + " >= 0")
	if err != nil {
		panic(err) // a metric name this file spells wrong
	}
	return int(a.Check(r).Observed)
}

// combinedReport is every repetition's run with its evaluated verdicts.
func combinedReport(reps []*repetition) *analysis.Report {
	rep := analysis.NewReport(nil, nil)
	for _, rp := range reps {
		rep.Runs = append(rep.Runs, rp.run)
		rep.Verdicts = append(rep.Verdicts, rp.verdicts...)
	}
	return rep
}

// problems lists why rp fails the gate: the client's own failure, no
// request, no 429 when one is required, and failed assertions.
func (rp *repetition) problems(cmd string, o runOpts) []string {
	var out []string
	switch {
	case rp.timedOut:
		out = append(out, fmt.Sprintf("%s did not finish within --timeout %v", cmd, o.timeout))
	case rp.runErr != nil:
		out = append(out, fmt.Sprintf("%s failed: %v", cmd, rp.runErr))
	}
	if rp.requests == 0 {
		out = append(out, noRequest)
	} else if rp.throttled == 0 && o.requireThrottling {
		out = append(out, noThrottling+" (--require-throttling)")
	}
	var failed []analysis.Verdict
	for _, v := range rp.verdicts {
		if !v.Pass {
			failed = append(failed, v)
		}
	}
	if err := verdictError(&analysis.Report{Verdicts: failed}); err != nil {
		out = append(out, err.Error())
	}
	return out
}

// gateProblems is every problem of every repetition, each named by its
// repetition when there are several.
func gateProblems(cmd string, o runOpts, reps []*repetition) []string {
	var lines []string
	for _, rp := range reps {
		for _, p := range rp.problems(cmd, o) {
			if len(reps) > 1 {
				p = fmt.Sprintf("repetition %d: %s", rp.n, p)
			}
			lines = append(lines, p)
		}
	}
	return lines
}

// gateError is the run's failure (exit 1): every problem of every
// repetition, or nil when all passed.
func gateError(cmd string, o runOpts, reps []*repetition) error {
	lines := gateProblems(cmd, o, reps)
	switch len(lines) {
	case 0:
		return nil
	case 1:
		return errors.New(lines[0])
	}
	return fmt.Errorf("the gate failed:\n  %s", strings.Join(lines, "\n  "))
}

// serveClient serves the scenario's gateway on loopback with its access
// log in logPath, runs CMD against it until it exits or --timeout passes,
// and stops the gateway. runErr is CMD's failure, err the gateway's or a
// usage error when CMD could not be started.
func serveClient(ctx context.Context, stdout, stderr io.Writer, argv []string, o runOpts, sc *scenarios.Scenario, logPath string) (runErr error, timedOut bool, err error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, false, usage(fmt.Errorf("--log: %w", err))
	}
	defer logf.Close()
	gw, err := target.Open(target.Spec{Scenario: sc, Seed: o.seed, GatewayLog: logf, Version: version.String()})
	if err != nil {
		return nil, false, err
	}
	creds := gw.Clients[0]
	fmt.Fprintf(stderr, "ratelab run: scenario %s on %s (client %s)\n", sc.Name, gw.Base, creds.ClientID)

	cmdCtx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	cmd := exec.CommandContext(cmdCtx, argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr, cmd.Stdin = stdout, stderr, nil
	cmd.Env = append(os.Environ(),
		"RATELAB_BASE_URL="+gw.Base,
		"RATELAB_TOKEN_URL="+gw.Base+"/oauth/token",
		"GENESYS_CLIENT_ID="+creds.ClientID,
		"GENESYS_CLIENT_SECRET="+creds.ClientSecret,
		"RATELAB_USER_IDS="+strings.Join(gw.Gateway.SampleUserIDs(20), ","),
	)
	reap := ownGroup(cmd, o.grace)
	startErr := cmd.Start()
	if startErr == nil {
		untrack := trackClient(cmd)
		runErr = cmd.Wait()
		reap()
		untrack()
	}
	timedOut = errors.Is(cmdCtx.Err(), context.DeadlineExceeded)

	sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer scancel()
	if err := gw.Close(sctx); err != nil {
		return runErr, timedOut, fmt.Errorf("stopping the gateway: %w", err)
	}
	switch {
	case startErr != nil && ctx.Err() != nil:
		return nil, false, context.Cause(ctx) // interrupted before CMD started
	case startErr != nil:
		return nil, false, usage(fmt.Errorf("cannot start the client: %w", startErr))
	}
	return runErr, timedOut, logf.Sync()
}

// writeRunReports prints the report's table and the gate's notes, then
// writes --report (with the gate's section when it is Markdown or a
// table) and --junit when asked.
func writeRunReports(stderr io.Writer, o runOpts, p *runPlan, rep *analysis.Report, reps []*repetition) error {
	fmt.Fprintln(stderr)
	if err := rep.Write(stderr, "table"); err != nil {
		return err
	}
	writeGate(stderr, false, p.client, o, reps)
	if o.report != "" {
		format := reportFormat(o.report, o.format)
		err := writeAtomic(stderr, "--report", o.report, func(w io.Writer) error {
			if err := rep.Write(w, format); err != nil {
				return err
			}
			if format == "markdown" || format == "md" || format == "table" {
				writeGate(w, format != "table", p.client, o, reps)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if o.report != stdio {
			fmt.Fprintf(stderr, "report written to %s\n", o.report)
		}
	}
	if o.junit != "" {
		return writeJUnit(stderr, o.junit, p, o, reps)
	}
	return nil
}

// writeGate writes what the gate adds to the analysis: scenario
// assertions it skipped, repetitions where the limit never bit, and with
// --repeat each repetition's outcome and the spread of every asserted
// metric. md selects Markdown over plain lines, and adds the verdict (on
// standard error it is ratelab's last line).
func writeGate(w io.Writer, md bool, cmd string, o runOpts, reps []*repetition) {
	say := func(s string) { fmt.Fprintln(w, "ratelab run: "+s) }
	if md {
		fmt.Fprintf(w, "\n## ratelab run gate\n\n")
		say = func(s string) { fmt.Fprintln(w, "- "+s) }
	}
	seen := map[string]bool{}
	for _, rp := range reps {
		for _, v := range rp.skipped {
			if !seen[v.Assertion] {
				seen[v.Assertion] = true
				say(fmt.Sprintf("skipping the scenario's %q: %s", v.Assertion, skipReason(v)))
			}
		}
	}
	for _, rp := range reps {
		if rp.requests > 0 && rp.throttled == 0 {
			msg := noThrottling
			if !o.requireThrottling {
				msg += " (--require-throttling makes this a failure)"
			}
			if len(reps) > 1 {
				msg = fmt.Sprintf("repetition %d: %s", rp.n, msg)
			}
			say(msg)
		}
	}
	if len(reps) > 1 {
		writeSpread(w, md, reps)
	}
	if md {
		problems := gateProblems(cmd, o, reps)
		if len(problems) == 0 {
			fmt.Fprintf(w, "\n**The gate passed.**\n")
			return
		}
		fmt.Fprintf(w, "\n**The gate failed:**\n\n")
		for _, p := range problems {
			fmt.Fprintf(w, "- %s\n", strings.ReplaceAll(p, "\n", " "))
		}
	}
}

// skipReason says why an assertion could not be evaluated.
func skipReason(v analysis.Verdict) string {
	m, _, _, _ := scenarios.ParseAssertion(v.Assertion)
	return fmt.Sprintf("the analysis cannot evaluate %s from the gateway's access log", m)
}

// spreadRow is one metric over every repetition.
type spreadRow struct {
	name   string
	values []float64
}

// spread gathers the client's time, requests, 429s and every evaluated
// assertion's observed value across reps, in the assertions' order.
func spread(reps []*repetition) []spreadRow {
	rows := []spreadRow{{name: "client time (s)"}, {name: "requests"}, {name: "429s served"}}
	index := map[string]int{}
	for _, rp := range reps {
		rows[0].values = append(rows[0].values, rp.client.Round(time.Millisecond).Seconds())
		rows[1].values = append(rows[1].values, float64(rp.requests))
		rows[2].values = append(rows[2].values, float64(rp.throttled))
		for _, v := range rp.verdicts {
			m, _, _, _ := scenarios.ParseAssertion(v.Assertion)
			if v.Missing || m == "" {
				continue
			}
			i, ok := index[m]
			if !ok {
				i = len(rows)
				index[m] = i
				rows = append(rows, spreadRow{name: m})
			}
			rows[i].values = append(rows[i].values, v.Observed)
		}
	}
	return rows
}

// minMedianMax of a non-empty list.
func minMedianMax(xs []float64) (lo, med, hi float64) {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	med = s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	return s[0], med, s[n-1]
}

// writeSpread writes each repetition's outcome and the spread table.
func writeSpread(w io.Writer, md bool, reps []*repetition) {
	g := func(x float64) string { return strconv.FormatFloat(x, 'g', 4, 64) }
	if md {
		fmt.Fprintf(w, "\n| repetition | client | requests | 429s | assertions failed |\n|---|---|---|---|---|\n")
	} else {
		fmt.Fprintf(w, "\nRepetitions\n")
	}
	for _, rp := range reps {
		failed := 0
		for _, v := range rp.verdicts {
			if !v.Pass {
				failed++
			}
		}
		status := "ok"
		if rp.timedOut || rp.runErr != nil {
			status = "failed"
		}
		if md {
			fmt.Fprintf(w, "| %d | %s, %.1fs | %d | %d | %d of %d |\n", rp.n, status, rp.client.Seconds(), rp.requests, rp.throttled, failed, len(rp.verdicts))
		} else {
			fmt.Fprintf(w, "  %d. client %s in %.1fs, %d requests, %d answered 429, %d of %d assertions failed\n", rp.n, status, rp.client.Seconds(), rp.requests, rp.throttled, failed, len(rp.verdicts))
		}
	}
	if md {
		fmt.Fprintf(w, "\nSpread over %d repetitions\n\n| metric | min | median | max |\n|---|---|---|---|\n", len(reps))
	} else {
		fmt.Fprintf(w, "Spread over %d repetitions (min / median / max)\n", len(reps))
	}
	for _, r := range spread(reps) {
		lo, med, hi := minMedianMax(r.values)
		if md {
			fmt.Fprintf(w, "| %s | %s | %s | %s |\n", r.name, g(lo), g(med), g(hi))
		} else {
			fmt.Fprintf(w, "  %-20s %s / %s / %s\n", r.name, g(lo), g(med), g(hi))
		}
	}
}
