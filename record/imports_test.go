package record

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportsLeaf pins record as a leaf: the probe, the gateway and the
// analysis all import it, so it imports nothing of theirs — only the
// standard library and goccy/go-json.
func TestImportsLeaf(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", "github.com/ratelab/ratelab/record").Output()
	if err != nil {
		t.Skipf("go list unavailable: %v", err)
	}
	for _, d := range strings.Fields(string(out)) {
		if d != "github.com/ratelab/ratelab/record" && !strings.HasPrefix(d, "github.com/goccy/go-json") {
			t.Errorf("record depends on %s", d)
		}
	}
}
