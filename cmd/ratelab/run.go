package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
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
}

func newRunCmd() *cobra.Command {
	var o runOpts
	cmd := &cobra.Command{
		Use:   "run [flags] -- CMD [ARGS...]",
		Short: "Run your own client against a scenario's gateway and gate it",
		Long: `Start the scenario's gateway on 127.0.0.1 at a free port, run CMD with the
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
Then the gateway stops gracefully. Assertions come from --assert and
from the scenario's assert list; a scenario assertion on a metric only the
client knows (such as success_rate) is skipped, since the gateway cannot see
operations — say what you need with server-side metrics such as
premature_retries, immediate_retries or 429_ratio.

--report and --junit replace their files only once complete ("-" writes to
standard output); no two of --log, --report and --junit may name the same
file.

Exit codes: 0 pass; 1 CMD failed, timed out or an assertion failed; 2 bad
usage or input.`,
		Example: `  ratelab run --scenario seed-eu-identity --assert 'immediate_retries == 0' -- python3 examples/python/fixed_sync.py
  ratelab run --scenario retry-after-zero --junit ratelab.xml --report report.md -- node examples/node/sync.js
  ratelab run --scenario seed-eu-identity --timeout 2m -- go run ./cmd/mysync`,
		Args: needArgs(`run needs the command that runs your client, after --; for example
  ratelab run --scenario seed-eu-identity -- python3 examples/python/fixed_sync.py`),
		RunE: func(c *cobra.Command, args []string) error {
			return runClient(c.Context(), c.OutOrStdout(), c.ErrOrStderr(), args, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.scenario, "scenario", "seed-eu-identity", "embedded scenario NAME or scenario FILE")
	f.StringArrayVar(&o.asserts, "assert", nil, "assertion 'metric OP number' (repeatable)")
	f.StringVar(&o.report, "report", "", "write the analysis report to FILE (format from --format, else the extension: .json, .md, .html)")
	f.StringVar(&o.format, "format", "", "report format: table, json, markdown or html")
	f.StringVar(&o.junit, "junit", "", "write the assertions as JUnit XML to FILE")
	f.StringVar(&o.log, "log", "", "keep the gateway's access log in FILE")
	f.DurationVar(&o.timeout, "timeout", 5*time.Minute, "stop CMD after this long")
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

func runClient(ctx context.Context, stdout, stderr io.Writer, argv []string, o runOpts) error {
	sc, err := openScenario(o.scenario)
	if err != nil {
		return err
	}
	if o.format != "" {
		if err := validFormat(o.format); err != nil {
			return err
		}
	}
	asserts, err := parseAssertions(o.asserts, nil)
	if err != nil {
		return err
	}
	if err := checkPaths([]pathArg{scenarioInput(o.scenario)}, []pathArg{{"--log", o.log}, {"--report", o.report}, {"--junit", o.junit}}); err != nil {
		return err
	}
	var scenAsserts []analysis.Assertion
	for _, e := range sc.Assert {
		a, err := analysis.ParseAssertion(e)
		if err != nil {
			return usage(err)
		}
		scenAsserts = append(scenAsserts, a)
	}
	logPath := o.log
	if logPath == "" {
		dir, err := os.MkdirTemp("", "ratelab-run-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		logPath = filepath.Join(dir, "access.jsonl")
	}
	runErr, timedOut, err := serveClient(ctx, stdout, stderr, argv, o, sc, logPath)
	if err != nil {
		return err
	}
	runs, err := analysis.Analyze([]string{logPath}, analysis.Options{})
	if err != nil {
		return err
	}
	for _, a := range scenAsserts {
		if v := a.Check(runs[0]); v.Missing {
			fmt.Fprintf(stderr, "ratelab run: skipping the scenario's %q: %s is a client-side metric the gateway cannot see\n", a.Expr, a.Metric)
			continue
		}
		asserts = append(asserts, a)
	}
	rep := analysis.NewReport(runs, asserts)
	if err := writeRunReports(stderr, o, sc.Name, rep, runErr, timedOut); err != nil {
		return err
	}
	switch {
	case timedOut:
		return fmt.Errorf("%s did not finish within --timeout %v", argv[0], o.timeout)
	case runErr != nil:
		return fmt.Errorf("%s failed: %w", argv[0], runErr)
	}
	return verdictError(rep)
}

// serveClient serves the scenario's gateway on loopback with its access
// log in logPath, runs CMD against it until it exits or --timeout passes,
// and stops the gateway. runErr is CMD's failure, err the gateway's.
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
	runErr = cmd.Run()
	reap()
	timedOut = errors.Is(cmdCtx.Err(), context.DeadlineExceeded)

	sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer scancel()
	if err := gw.Close(sctx); err != nil {
		return runErr, timedOut, fmt.Errorf("stopping the gateway: %w", err)
	}
	return runErr, timedOut, logf.Sync()
}

// writeRunReports prints the report's table, then writes --report and
// --junit when asked.
func writeRunReports(stderr io.Writer, o runOpts, scenario string, rep *analysis.Report, runErr error, timedOut bool) error {
	fmt.Fprintln(stderr)
	if err := rep.Write(stderr, "table"); err != nil {
		return err
	}
	if o.report != "" {
		if err := writeReport(stderr, "--report", o.report, reportFormat(o.report, o.format), rep); err != nil {
			return err
		}
	}
	if o.junit != "" {
		return writeJUnit(stderr, o.junit, scenario, rep, runErr, timedOut)
	}
	return nil
}
