// Package metric names the metrics a scenario's assertions may check. It
// is a leaf both scenarios (which validates assert: entries at load) and
// analysis (which computes the values) can import; its test keeps the list
// in step with analysis.MetricNames.
package metric

import "slices"

// names is sorted, as analysis.MetricNames returns them.
var names = []string{
	"429_ratio",
	"amplification",
	"attempt_success",
	"attempts",
	"drain_time",
	"efficiency",
	"failed",
	"goodput",
	"immediate_retries",
	"latency_max",
	"latency_p50",
	"latency_p90",
	"latency_p99",
	"longest_429_burst",
	"premature_retries",
	"ratio_429",
	"retry_after_zero_fraction",
	"retry_waves",
	"success_rate",
	"throttled",
}

// Names returns the metric names, sorted; the caller may keep the slice.
func Names() []string { return slices.Clone(names) }

// Known reports whether name is a metric an assertion may check.
func Known(name string) bool {
	_, ok := slices.BinarySearch(names, name)
	return ok
}
