package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ratelab/ratelab/internal/table"
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
		Short: "List every retry strategy with its behaviour and parameters",
		Long: `List every retry strategy with its behaviour and its parameters' defaults,
in a table that fits 120 columns. 'ratelab strategies show NAME' gives one
strategy's formula, the state it keeps per operation and per client, and
its source. Set parameters in a scenario's workload.params or with
--param NAME=VALUE.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if names {
				for _, in := range strategy.Infos() {
					fmt.Fprintln(c.OutOrStdout(), in.Name)
				}
				return nil
			}
			t := table.New(c.OutOrStdout())
			t.Header("strategy", "behaviour", "parameters (default)")
			for _, in := range strategy.Infos() {
				var ps []string
				for _, p := range in.Params {
					ps = append(ps, fmt.Sprintf("%s=%s", p.Name, p.Default))
				}
				if err := t.Append(in.Name, table.Wrap(in.Summary, 60), table.Wrap(strings.Join(ps, " "), 28)); err != nil {
					return err
				}
			}
			if err := t.Render(); err != nil {
				return err
			}
			_, err := fmt.Fprintln(c.OutOrStdout(), "ratelab strategies show NAME gives a strategy's formula, its state and its source.")
			return err
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
	// field prints "label: text" with text wrapped under itself, so every
	// line fits 100 columns.
	field := func(label, text string) {
		lines := strings.Split(table.Wrap(text, 85), "\n")
		fmt.Fprintf(w, "%-15s%s\n", label, lines[0])
		for _, l := range lines[1:] {
			fmt.Fprintf(w, "%15s%s\n", "", l)
		}
	}
	fmt.Fprintf(w, "%s\n\n", table.Wrap(in.Name+": "+in.Summary, 100))
	field("behaviour:", in.Formula)
	fmt.Fprintln(w, "parameters:")
	if len(in.Params) == 0 {
		fmt.Fprintln(w, "  none")
	}
	for _, p := range in.Params {
		field("  "+p.Name, fmt.Sprintf("(default %s) %s", p.Default, p.Doc))
	}
	field("per operation:", or(in.PerOperation, "nothing"))
	field("per client:", or(in.PerClient, "nothing: workers share no state"))
	field("source:", in.Source)
	if in.Note != "" {
		field("note:", in.Note)
	}
}
