package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/ratelab/ratelab/internal/version"
	"github.com/ratelab/ratelab/mockgateway"
)

type gatewayOpts struct {
	scenario string
	addr     string
	log      string
	seed     uint64
	grace    time.Duration
}

func newGatewayCmd() *cobra.Command {
	var o gatewayOpts
	cmd := &cobra.Command{
		Use:   "gateway",
		Short: "Serve a mock Genesys Cloud gateway for a scenario",
		Long: `Serve a mock Genesys Cloud gateway for a scenario until SIGINT or SIGTERM.

API and login share one port: point an SDK or script at the printed base URL
(the official SDKs send the token request to the same host when the base URL
has no "api." in it). Every request goes to the access log (--log) with the
bucket that refused it and the true wait. On shutdown in-flight requests
finish and the log is flushed.

Admin endpoints live under /__ratelab/: health, stats, reset (POST) and
Prometheus metrics.`,
		Example: `  ratelab gateway --scenario seed-eu-identity
  ratelab gateway --scenario my.yaml --addr 127.0.0.1:8080 --log access.jsonl
  curl -s -u sync-job:sync-job-secret -d grant_type=client_credentials http://127.0.0.1:8080/oauth/token`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return runGateway(c.Context(), c.OutOrStdout(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.scenario, "scenario", "seed-eu-identity", "embedded scenario NAME or scenario FILE")
	f.StringVar(&o.addr, "addr", "127.0.0.1:8080", "listen address (:8080: every interface; 127.0.0.1:0: a free port)")
	f.StringVar(&o.log, "log", "", "write the access log (JSON Lines) to FILE")
	f.Uint64Var(&o.seed, "seed", 0, "seed for users, tokens, faults and background load (0: the scenario's)")
	f.DurationVar(&o.grace, "grace", 10*time.Second, "how long in-flight requests may take to finish on shutdown")
	_ = cmd.RegisterFlagCompletionFunc("scenario", completeScenarios)
	return cmd
}

func runGateway(ctx context.Context, out io.Writer, o gatewayOpts) error {
	sc, err := openScenario(o.scenario)
	if err != nil {
		return err
	}
	var logw io.Writer
	if o.log != "" {
		f, err := os.Create(o.log)
		if err != nil {
			return usage(fmt.Errorf("--log: %w", err))
		}
		defer f.Close()
		logw = f
	}
	run, err := mockgateway.Listen(o.addr, mockgateway.Options{Scenario: sc, Seed: o.seed, Log: logw, Version: version.String()})
	if err != nil {
		return listenError(o.addr, err)
	}
	fmt.Fprintf(out, "ratelab gateway: scenario %s\n", sc.Name)
	fmt.Fprintf(out, "  base URL    %s   (API and login)\n", run.URL)
	fmt.Fprintf(out, "  token URL   %s/oauth/token\n", run.URL)
	for _, c := range run.Server.Clients() {
		fmt.Fprintf(out, "  client      %s  secret %s", c.ClientID, c.ClientSecret)
		if c.Tier != "" {
			fmt.Fprintf(out, "  tier %s", c.Tier)
		}
		fmt.Fprintln(out)
	}
	if sc.OpenClients {
		fmt.Fprintln(out, "  (the scenario lists no clients: any client id and secret log in)")
	}
	if ids := run.Server.SampleUserIDs(1); len(ids) > 0 {
		fmt.Fprintf(out, "  sample user %s/api/v2/users/%s\n", run.URL, ids[0])
	}
	fmt.Fprintf(out, "  admin       %s%s/stats\n", run.URL, mockgateway.AdminPrefix)
	fmt.Fprintln(out, "Serving until interrupted (Ctrl-C).")
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), o.grace)
	defer cancel()
	err = run.Shutdown(sctx)
	fmt.Fprintf(out, "ratelab gateway: stopped after %d requests\n", run.Server.Requests())
	return err
}

// listenError makes a failure to listen on addr bad usage (exit 2), with
// a hint when the port is taken; other errors pass unchanged.
func listenError(addr string, err error) error {
	var op *net.OpError
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return usagef("--addr %s: address already in use (another gateway?); use --addr 127.0.0.1:0 to listen on a free port", addr)
	case errors.As(err, &op) && op.Op == "listen":
		return usage(fmt.Errorf("--addr %s: %w (--addr 127.0.0.1:0 listens on a free port)", addr, op))
	}
	return err
}
