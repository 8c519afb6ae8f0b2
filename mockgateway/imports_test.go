package mockgateway

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportsPointOneWay pins the package map: the gateway never depends
// on the probe's runner or client, and the leaves depend only on the
// standard library and x/time/rate.
func TestImportsPointOneWay(t *testing.T) {
	deps := func(pkg string) []string {
		out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", pkg).Output()
		if err != nil {
			t.Skipf("go list unavailable: %v", err)
		}
		return strings.Fields(string(out))
	}
	for _, d := range deps("github.com/ratelab/ratelab/mockgateway") {
		if d == "github.com/ratelab/ratelab/probe" || d == "github.com/ratelab/ratelab/probe/client" || d == "github.com/ratelab/ratelab/analysis" {
			t.Errorf("mockgateway depends on %s", d)
		}
	}
	for _, leaf := range []string{"github.com/ratelab/ratelab/mockgateway/limit", "github.com/ratelab/ratelab/probe/strategy"} {
		for _, d := range deps(leaf) {
			if d != leaf && !strings.HasPrefix(d, "golang.org/x/time/") {
				t.Errorf("leaf %s depends on %s", leaf, d)
			}
		}
	}
}
