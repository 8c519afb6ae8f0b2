package discover

import (
	"errors"
	"testing"

	"github.com/ratelab/ratelab/target"
)

// TestDryRunNeedsNoCredentials: a dry run sends nothing, so a URL target
// without credentials in the environment passes its check; a real run
// does not. The other safety rules hold for both.
func TestDryRunNeedsNoCredentials(t *testing.T) {
	s := Setup{Target: target.Spec{URL: "https://api.example.com"}, DryRun: true}
	if err := s.Check(); err != nil {
		t.Fatalf("dry run: %v", err)
	}
	s.DryRun = false
	if err := s.Check(); !errors.Is(err, ErrUsage) {
		t.Fatalf("real run without credentials: %v", err)
	}
	s = Setup{Target: target.Spec{URL: "http://api.example.com"}, DryRun: true}
	if err := s.Check(); !errors.Is(err, ErrUsage) {
		t.Fatalf("dry run to plain http on another host: %v", err)
	}
}
