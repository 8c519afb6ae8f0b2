// Package ci holds the documented CI configurations for gating a client
// with ratelab; its test checks that they parse and say what the README
// says they do.
package ci

import (
	"os"
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
	mustContain(t, "github-actions.yml", text, "go install github.com/ratelab/ratelab/cmd/ratelab@", "ratelab run --scenario", "--junit", "$GITHUB_STEP_SUMMARY")
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
	mustContain(t, "gitlab-ci.yml", text, "go install github.com/ratelab/ratelab/cmd/ratelab@", "ratelab run --scenario")
}
