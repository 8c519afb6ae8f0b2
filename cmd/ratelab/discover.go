package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ratelab/ratelab/discover"
	"github.com/ratelab/ratelab/internal/table"
	"github.com/ratelab/ratelab/scenarios"
	"github.com/ratelab/ratelab/target"
)

type discoverOpts struct {
	target, scenario, format, emit string
	routes                         []string
	maxRequests                    int
	maxDuration                    time.Duration
	allowWrites, insecure, dryRun  bool
	virtual, quiet                 bool
}

func newDiscoverCmd() *cobra.Command {
	var o discoverOpts
	cmd := &cobra.Command{
		Use:   "discover",
		Short: "Learn an API's effective rate limits, safely, and write them as a scenario",
		Long: `Probe an API carefully to learn, per endpoint, every layer of its rate
limit: the burst layer that refuses a short burst first, and the layers under
it that hold sustained traffic back (measured over a whole minute at just
under the burst layer's rate), the one that binds first in the table. For
each layer: the limit and its window or refill rate, which algorithm fits
(fixed window, sliding window, token bucket) with a confidence, and whether
it is per token, per client or org-wide. Also: which endpoints share a
bucket, how honest Retry-After is, whether traffic you cannot see is using
capacity, what the org's limits API documents beside what was measured, and
a daily quota when one refuses (reported with its reset, never waited for).

Safety first: read-only by default (GET); writes only as no-op updates (GET,
then PATCH the same values with the current version) with --allow-writes.
A request budget and a time budget, small by default, are printed with the
plan before anything is sent; --dry-run prints only the plan (no credentials
needed). When the budget left cannot cover the sustained minute, the table
says so and which budget would. Discovery stops at the first 5xx, 401 or
403, and never sends a request before the Retry-After it was given has
passed. Credentials come only from GENESYS_CLIENT_ID and
GENESYS_CLIENT_SECRET; set GENESYS_CLIENT_ID_2 and GENESYS_CLIENT_SECRET_2
(another OAuth client of the org) to tell per-client limits from org-wide
ones.

Without --target it probes a scenario's gateway in-process (--virtual: in
virtual time), which is how its accuracy is tested.`,
		Example: `  GENESYS_CLIENT_ID=... GENESYS_CLIENT_SECRET=... \
    ratelab discover --target https://api.mypurecloud.de --emit-scenario my-org.yaml
  ratelab discover --target https://api.mypurecloud.de --dry-run
  ratelab discover --scenario seed-eu-identity --virtual
  ratelab compare --scenario my-org.yaml`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			defer simulating(o.virtual, 1)()
			return runDiscover(c.Context(), c.OutOrStdout(), c.ErrOrStderr(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.target, "target", "", "API base URL to probe (default: the scenario's gateway, in-process)")
	f.StringVar(&o.scenario, "scenario", "seed-eu-identity", "scenario to serve when there is no --target")
	f.BoolVar(&o.virtual, "virtual", false, "serve the scenario in virtual time")
	f.StringArrayVar(&o.routes, "route", nil, `route to probe, e.g. "GET /api/v2/users/{id}" (repeatable; default: the users reads)`)
	f.BoolVar(&o.allowWrites, "allow-writes", false, "also probe PATCH /api/v2/users/{id} with no-op updates")
	f.BoolVar(&o.insecure, "insecure", false, "permit plain http:// to a non-loopback target")
	f.IntVar(&o.maxRequests, "max-requests", discover.DefaultMaxRequests, "request budget")
	f.DurationVar(&o.maxDuration, "max-duration", discover.DefaultMaxDuration, "time budget")
	f.BoolVar(&o.dryRun, "dry-run", false, "print the plan and send nothing")
	f.StringVar(&o.format, "format", "table", "table or json")
	f.StringVar(&o.emit, "emit-scenario", "", "write a scenario reproducing what was found to FILE")
	f.BoolVar(&o.quiet, "quiet", false, "no progress on standard error")
	_ = cmd.RegisterFlagCompletionFunc("scenario", completeScenarios)
	return cmd
}

func runDiscover(ctx context.Context, stdout, stderr io.Writer, o discoverOpts) error {
	if err := checkFormat(o.format, []string{"table", "json"}); err != nil {
		return err
	}
	if o.emit == stdio {
		return usagef("--emit-scenario needs a file: the scenario is loaded back from it to check it")
	}
	if err := checkPaths([]pathArg{scenarioInput(o.scenario)}, []pathArg{{"--emit-scenario", o.emit}}); err != nil {
		return err
	}
	s := discover.Setup{Target: target.Spec{URL: o.target, Virtual: o.virtual, Insecure: o.insecure, Getenv: os.Getenv},
		Routes: o.routes, AllowWrites: o.allowWrites, MaxRequests: o.maxRequests, MaxDuration: o.maxDuration, DryRun: o.dryRun}
	if o.target == "" {
		sc, err := openScenario(o.scenario)
		if err != nil {
			return err
		}
		s.Target.Scenario = sc
	}
	if err := s.Check(); err != nil {
		return usage(errors.New(strings.TrimPrefix(err.Error(), "usage: ")))
	}
	fmt.Fprintln(stderr, table.Wrap(s.Plan(), 100))
	if o.dryRun {
		return nil
	}
	if !o.quiet {
		s.Log = func(format string, args ...any) { fmt.Fprintln(stderr, hanging("  ", fmt.Sprintf(format, args...))) }
	}
	res, err := discover.Discover(ctx, s)
	if err != nil {
		if errors.Is(err, discover.ErrUsage) {
			return usage(err)
		}
		return err
	}
	if o.format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return err
		}
	} else if err := discoverTable(stdout, res); err != nil {
		return err
	}
	if o.emit != "" {
		name := strings.TrimSuffix(strings.TrimSuffix(o.emit, ".yaml"), ".yml")
		if i := strings.LastIndexAny(name, `/\`); i >= 0 {
			name = name[i+1:]
		}
		if err := writeAtomic(stdout, "--emit-scenario", o.emit, func(w io.Writer) error { return res.WriteScenario(w, name) }); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "scenario written to %s: try 'ratelab compare --scenario %s'\n", o.emit, o.emit)
		if _, err := scenarios.Load(o.emit); err != nil {
			return fmt.Errorf("the emitted scenario does not load: %w", err)
		}
	}
	return nil
}

func discoverTable(w io.Writer, res *discover.Result) error {
	t := table.New(w)
	t.Header("route", "layer", "algorithm", "limit", "conf.", "scope", "doc.", "hints")
	for _, f := range res.Findings {
		h := f.Hints
		hints := fmt.Sprintf("%d/%d/%d of %d", h.Zero, h.RoundedDown, h.Missing, h.Seen)
		layers := f.Layers
		if len(layers) == 0 { // nothing refused within the budget
			layers = []discover.Layer{{Algorithm: f.Algorithm}}
		}
		for i, l := range layers {
			route, role := f.Route, fmt.Sprint(i+1)
			if i > 0 {
				route, hints = "", ""
			}
			if len(layers) > 1 && i == f.Binding && l.LimitPerMin > 0 {
				role += " binds"
			} else if len(layers) > 1 && i == 0 {
				role += " burst"
			}
			doc := "—"
			if l.Documented > 0 {
				doc = fmt.Sprintf("%g", l.Documented)
			}
			scope := l.Scope
			if scope == "" {
				scope = "—"
			}
			if err := t.Append(route, role, l.Algorithm, layerLimit(l), fmt.Sprintf("%.0f%%", 100*l.Confidence), table.Wrap(scope, 10),
				doc, hints); err != nil {
				return err
			}
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	legend := "hints: 0/short/none of the Retry-After hints seen: how many said 0, how many were shorter than the real wait by over half a second, and how many were missing; conf.: how sure the algorithm and limit are; doc.: the value the target's limits API documents; "
	if slices.ContainsFunc(res.Findings, func(f discover.Finding) bool { return len(f.Layers) > 1 && f.Binding >= 0 }) {
		legend += "binds: the layer that holds sustained traffic back; "
	}
	legend += "a limit above the rate measured is the one the gateway announces in its 429s, which the measurement corroborates (the rest went to traffic you cannot see)"
	fmt.Fprintln(w, table.Wrap(legend, 100))
	for _, f := range res.Findings {
		notes := f.Notes
		if len(f.SharesWith) > 0 && !slices.ContainsFunc(notes, func(n string) bool { return strings.HasPrefix(n, "shares the bucket of") }) {
			notes = append([]string{"shares its bucket with " + strings.Join(f.SharesWith, ", ")}, notes...)
		}
		if len(f.Layers) > 1 {
			notes = append([]string{f.Summary()}, notes...)
		}
		for _, n := range notes {
			fmt.Fprintln(w, hanging("- ", f.Route+": "+n))
		}
	}
	if res.LimitsAPI != "" {
		fmt.Fprintln(w, table.Wrap("limits API: "+res.LimitsAPI, 100))
	}
	end := fmt.Sprintf("%d requests, %.0f s", res.Requests, res.Elapsed)
	if res.Stopped != "" {
		end += "; stopped: " + res.Stopped
	}
	fmt.Fprintln(w, table.Wrap(end, 100))
	return nil
}

// layerLimit is a layer's limit in a table cell.
func layerLimit(l discover.Layer) string {
	lim := "—"
	switch {
	case l.Algorithm == "daily-quota":
		lim = l.ResetsInText()
		if l.LimitValue > 0 {
			lim = fmt.Sprintf("%.0f/day, ", l.LimitValue) + lim
		}
	case l.Algorithm == "token-bucket":
		lim = fmt.Sprintf("%.0f/min, burst %.0f", l.LimitPerMin, l.Burst)
	case l.Window > 0:
		lim = fmt.Sprintf("%.0f per %gs (%.0f/min)", l.LimitPerMin*l.Window/60, l.Window, l.LimitPerMin)
	case l.RatePerMin > 0:
		lim = fmt.Sprintf("%.0f/min measured", l.RatePerMin)
	}
	if l.LimitPerMin != l.RatePerMin && l.RatePerMin > 0 && l.LimitPerMin > 0 {
		at := ""
		if l.AtLeast {
			at = "≥ "
		}
		lim += fmt.Sprintf("\n%s%.0f/min measured", at, l.RatePerMin)
	}
	return lim
}

// hanging wraps text to 100 columns after prefix, its continuation lines
// indented under the text.
func hanging(prefix, text string) string {
	pad := strings.Repeat(" ", len(prefix)+2)
	return prefix + strings.ReplaceAll(table.Wrap(text, 98-len(prefix)), "\n", "\n"+pad)
}
