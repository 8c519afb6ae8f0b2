package main

import (
	"fmt"
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
	cmd.AddCommand(list)
	return cmd
}
