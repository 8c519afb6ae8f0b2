package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ratelab/ratelab/internal/table"
	"github.com/ratelab/ratelab/scenarios"
)

func newScenariosCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "scenarios",
		Short: "List, show and validate scenario files",
		Long: `A scenario file describes one experiment: the gateway's buckets, tiers,
routes, Retry-After policy, background load and faults; the clients; the
workload; and the assertions a run must meet. Names of embedded scenarios
work anywhere a scenario file does.`,
		Example: `  ratelab scenarios list
  ratelab scenarios show seed-eu-identity > my.yaml
  ratelab scenarios validate my.yaml`,
	}
	var names bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List the embedded scenarios",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if names {
				for _, n := range scenarios.Names() {
					fmt.Fprintln(c.OutOrStdout(), n)
				}
				return nil
			}
			t := table.New(c.OutOrStdout())
			t.Header("name", "description")
			for _, n := range scenarios.Names() {
				s, err := scenarios.Embedded(n)
				if err != nil {
					return err
				}
				desc := strings.Join(strings.Fields(s.Description), " ")
				if len(desc) > 90 {
					desc = desc[:87] + "..."
				}
				if err := t.Append(n, desc); err != nil {
					return err
				}
			}
			return t.Render()
		},
	}
	list.Flags().BoolVar(&names, "names", false, "print only the names, one per line (for scripts)")
	cmd.AddCommand(list, &cobra.Command{
		Use:               "show NAME",
		Short:             "Print an embedded scenario's YAML",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeScenarios,
		RunE: func(c *cobra.Command, args []string) error {
			src, err := scenarios.Source(args[0])
			if err != nil {
				return usage(err)
			}
			_, err = c.OutOrStdout().Write(src)
			return err
		},
	}, &cobra.Command{
		Use:   "validate FILE|NAME...",
		Short: "Check scenario files (or embedded scenarios); errors name the file, line and field",
		Example: `  ratelab scenarios validate my.yaml
  ratelab scenarios validate scenarios/*.yaml
  ratelab scenarios validate seed-eu-identity`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			var errs []error
			for _, f := range args {
				load := scenarios.Load
				if _, err := os.Stat(f); err != nil {
					load = scenarios.Open // an embedded name, or an error naming them
				}
				if _, err := load(f); err != nil {
					errs = append(errs, err)
					continue
				}
				fmt.Fprintf(c.OutOrStdout(), "ok\t%s\n", f)
			}
			if len(errs) > 0 {
				return usage(fmt.Errorf("%d of %d files invalid:\n%w", len(errs), len(args), errors.Join(errs...)))
			}
			return nil
		},
	})
	return cmd
}

func completeScenarios(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return scenarios.Names(), cobra.ShellCompDirectiveNoFileComp
}

// openScenario loads --scenario NAME|FILE, as a usage error when it fails.
func openScenario(nameOrFile string) (*scenarios.Scenario, error) {
	if nameOrFile == "" {
		nameOrFile = scenarios.Default
	}
	s, err := scenarios.Open(nameOrFile)
	return s, usage(err)
}
