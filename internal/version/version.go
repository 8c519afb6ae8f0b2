// Package version holds ratelab's version, stamped at build time with
// -ldflags "-X github.com/ratelab/ratelab/internal/version.Version=v1.2.3".
package version

import "runtime/debug"

// Version is the ratelab version; "dev" unless stamped or known from the
// module's build info (as with go install).
var Version = "dev"

// String returns Version, or the module version recorded by go install when
// Version was not stamped.
func String() string {
	if Version != "dev" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return Version
}
