// Package ci holds the documented CI configurations for gating a client
// with ratelab; its test checks that they parse and say what the README
// says they do.
package ci

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func load(t *testing.T, path string) (map[string]any, string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return doc, string(b)
}

func mustContain(t *testing.T, path, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("%s lacks %q", path, w)
		}
	}
}

func TestGitHubActionsWorkflow(t *testing.T) {
	doc, text := load(t, "github-actions.yml")
	jobs, ok := doc["jobs"].(map[string]any)
	if !ok || doc["on"] == nil {
		t.Fatal("no on: or jobs:")
	}
	job := jobs["rate-limit-gate"].(map[string]any)
	steps := job["steps"].([]any)
	if len(steps) < 5 {
		t.Fatalf("%d steps", len(steps))
	}
	for _, s := range steps {
		step := s.(map[string]any)
		if step["uses"] == nil && step["run"] == nil {
			t.Errorf("step without uses or run: %v", step)
		}
	}
	mustContain(t, "github-actions.yml", text, "go install \"github.com/ratelab/ratelab/cmd/ratelab@${RATELAB_VERSION}\"", "ratelab run --scenario", "--junit", "$GITHUB_STEP_SUMMARY", "--repeat", "--require-throttling")
	if perms, _ := doc["permissions"].(map[string]any); perms["checks"] != "write" {
		t.Errorf("permissions %v: the test-results check run needs checks: write", doc["permissions"])
	}
	// The JUnit file is shown as test results by a reporter action pinned to
	// a release, reading the file ratelab writes.
	reporter := false
	for _, s := range steps {
		step := s.(map[string]any)
		uses, _ := step["uses"].(string)
		if !strings.HasPrefix(uses, "mikepenz/action-junit-report@") {
			continue
		}
		reporter = true
		if !regexp.MustCompile(`@v\d+\.\d+\.\d+$`).MatchString(uses) {
			t.Errorf("%s is not pinned to a release", uses)
		}
		if with := step["with"].(map[string]any); with["report_paths"] != "ratelab-junit.xml" {
			t.Errorf("reporter reads %v", with["report_paths"])
		}
	}
	if !reporter {
		t.Error("no step shows the JUnit file as test results")
	}
}

// TestVersionPinned: the examples install a pinned ratelab, never @latest,
// through the RATELAB_VERSION the README documents.
func TestVersionPinned(t *testing.T) {
	for _, path := range []string{"github-actions.yml", "gitlab-ci.yml"} {
		_, text := load(t, path)
		if strings.Contains(text, "@latest") {
			t.Errorf("%s installs @latest", path)
		}
		mustContain(t, path, text, "RATELAB_VERSION: ", "cmd/ratelab@${RATELAB_VERSION}")
	}
}

func TestGitLabJob(t *testing.T) {
	doc, text := load(t, "gitlab-ci.yml")
	job, ok := doc["ratelab-gate"].(map[string]any)
	if !ok {
		t.Fatal("no ratelab-gate job")
	}
	if _, ok := job["script"].([]any); !ok {
		t.Fatal("script is not a list")
	}
	reports := job["artifacts"].(map[string]any)["reports"].(map[string]any)
	if reports["junit"] != "ratelab-junit.xml" {
		t.Errorf("junit report %v", reports["junit"])
	}
	mustContain(t, "gitlab-ci.yml", text, "go install \"github.com/ratelab/ratelab/cmd/ratelab@${RATELAB_VERSION}\"", "ratelab run --scenario")
}
