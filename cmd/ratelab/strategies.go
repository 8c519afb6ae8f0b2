package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/spf13/cobra"

	"github.com/ratelab/ratelab/probe/strategy"
)

func newStrategiesCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "strategies",
		Short: "List the retry strategies and their parameters",
	}
	var names bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List every retry strategy with its formula and parameters",
		Long: `List every retry strategy with its formula and parameters.

In formulas n is the retry number (1 on the first retry), RA the parsed
Retry-After, U(a,b) a uniform draw. Set parameters in a scenario's
workload.params or with --param NAME=VALUE.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if names {
				for _, in := range strategy.Infos() {
					fmt.Fprintln(c.OutOrStdout(), in.Name)
				}
				return nil
			}
			t := tablewriter.NewWriter(c.OutOrStdout())
			t.Header("strategy", "behaviour", "parameters (default)")
			for _, in := range strategy.Infos() {
				var ps []string
				for _, p := range in.Params {
					ps = append(ps, fmt.Sprintf("%s=%s", p.Name, p.Default))
				}
				if err := t.Append(in.Name, in.Summary+"\n"+in.Formula, strings.Join(ps, "\n")); err != nil {
					return err
				}
			}
			return t.Render()
		},
	}
	list.Flags().BoolVar(&names, "names", false, "print only the names, one per line (for scripts)")
	cmd.AddCommand(list, newStrategiesShowCmd())
	return cmd
}

func newStrategiesShowCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "show NAME",
		Short: "Show one retry strategy: behaviour, parameters, where it keeps its state, and its source",
		Long: `Show one retry strategy: what it does, its parameters with their defaults,
which state it keeps per operation and which it shares per client (all of
the client's workers), and the implementation or publication it follows.`,
		Args: cobra.ExactArgs(1),
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return strategy.Names(), cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(c *cobra.Command, args []string) error {
			in, ok := strategy.Lookup(args[0])
			if !ok {
				return usagef("unknown strategy %q (valid: %s)", args[0], strings.Join(strategy.Names(), ", "))
			}
			writeStrategy(c.OutOrStdout(), in)
			return nil
		},
	}
}

// writeStrategy prints in for strategies show.
func writeStrategy(w io.Writer, in strategy.Info) {
	or := func(s, none string) string {
		if s == "" {
			return none
		}
		return s
	}
	fmt.Fprintf(w, "%s: %s\n\nbehaviour:     %s\n", in.Name, in.Summary, in.Formula)
	fmt.Fprintln(w, "parameters:")
	if len(in.Params) == 0 {
		fmt.Fprintln(w, "  none")
	}
	for _, p := range in.Params {
		fmt.Fprintf(w, "  %s (default %s): %s\n", p.Name, p.Default, p.Doc)
	}
	fmt.Fprintf(w, "per operation: %s\n", or(in.PerOperation, "nothing"))
	fmt.Fprintf(w, "per client:    %s\n", or(in.PerClient, "nothing: workers share no state"))
	fmt.Fprintf(w, "source:        %s\n", in.Source)
	if in.Note != "" {
		fmt.Fprintf(w, "note:          %s\n", in.Note)
	}
}
