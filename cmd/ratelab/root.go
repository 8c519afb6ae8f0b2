package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ratelab/ratelab/internal/version"
	"github.com/ratelab/ratelab/probe"
)

// usageError marks bad usage or bad input: exit code 2.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

func usage(err error) error {
	if err == nil {
		return nil
	}
	return usageError{err}
}

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// needArgs is an Args check that refuses no arguments with explain, a
// usage error that says what the command needs and shows an example.
func needArgs(explain string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) == 0 {
			return usageError{errors.New(explain)}
		}
		return nil
	}
}

// flagErrors are cobra/pflag errors about the command line itself.
type flagError struct{ error }

func isFlagError(err error) bool {
	var fe flagError
	if errors.As(err, &fe) {
		return true
	}
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "invalid argument", "flag needs an argument", "accepts ", "requires at least", "required flag"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "ratelab",
		Short: "Load-test APIs and diagnose their rate limits",
		Long: `ratelab reproduces, measures and explains HTTP 429s.

It has three parts:
  gateway     a mock Genesys Cloud gateway with stacked and shared buckets,
              tiers, lying Retry-After headers, OAuth tokens and faults
  probe       runs a real sync client against the mock or a live API under a
              workload and a retry strategy, recording every attempt
  analyze     turns the records into findings, tables, charts and CI verdicts

Scenarios (YAML) describe a whole experiment; a library of them is built in:
see 'ratelab scenarios list'.

Exit codes: 0 success, 1 a failed run or assertion, 2 bad usage or input,
130 interrupted by Ctrl-C (SIGINT), 143 stopped by SIGTERM: every record up
to the stop is written either way; a second Ctrl-C stops at once.`,
		Example: `  ratelab scenarios list
  ratelab scenarios show seed-eu-identity
  ratelab gateway --scenario seed-eu-identity --addr 127.0.0.1:8080
  ratelab strategies list`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version.String(),
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return flagError{fmt.Errorf("%w (see '%s --help')", err, c.CommandPath())}
	})
	root.AddCommand(newVersionCmd(), newScenariosCmd(), newStrategiesCmd(), newGatewayCmd(), newProbeCmd(), newAnalyzeCmd(), newCompareCmd(), newRunCmd(), newDiscoverCmd())
	return root
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print ratelab's version",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			fmt.Fprintln(c.OutOrStdout(), "ratelab", version.String())
			return nil
		},
	}
}

// simulating tunes the runtime for a virtual-time command (one processor
// for a single sequential run, procs 1; all of them for parallel runs,
// procs 0; see probe.TuneRuntime) and returns what undoes it. It does
// nothing when the command runs in real time.
func simulating(virtual bool, procs int) (restore func()) {
	if !virtual {
		return func() {}
	}
	return probe.TuneRuntime(procs)
}
