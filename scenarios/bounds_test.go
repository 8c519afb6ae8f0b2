package scenarios

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// aliasBomb is a 33 KB scenario whose one route lists 3,000 bucket names
// and is aliased 3,000 times: nine million names once expanded.
func aliasBomb() []byte {
	var b bytes.Buffer
	b.WriteString("name: bomb\ngateway:\n routes:\n  - &r {match: \"*\", buckets: [")
	for i := range 3000 {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "b%d", i)
	}
	b.WriteString("]}\n")
	for range 3000 {
		b.WriteString("  - *r\n")
	}
	return b.Bytes()
}

// TestAliasExpansionIsBounded: the alias bomb fails with the file and line
// of the alias that crosses the node budget, without expanding it.
func TestAliasExpansionIsBounded(t *testing.T) {
	src := aliasBomb()
	if len(src) < 30000 || len(src) > 40000 {
		t.Fatalf("bomb is %d bytes", len(src))
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := Parse("bomb.yaml", src)
	runtime.ReadMemStats(&after)
	want := "scenarios: bomb.yaml:37: alias *r expands the scenario past 100000 YAML nodes"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("got %v\nwant it to start with %s", err, want)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
		t.Errorf("validating the alias bomb allocated %d MB", alloc>>20)
	}
}

// TestFileSizeIsBounded: Parse and Load refuse files over MaxFileBytes
// before decoding them.
func TestFileSizeIsBounded(t *testing.T) {
	big := append([]byte("name: big\n"), bytes.Repeat([]byte("# padding\n"), (1<<20)/10)...)
	want := "scenarios: big.yaml: the file is over 1 MiB (1048576 bytes), the most a scenario may have"
	if _, err := Parse("big.yaml", big); err == nil || err.Error() != want {
		t.Errorf("Parse: got %v\nwant %s", err, want)
	}
	path := filepath.Join(t.TempDir(), "big.yaml")
	if err := os.WriteFile(path, big, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err == nil || err.Error() != want {
		t.Errorf("Load: got %v\nwant %s", err, want)
	}
}

// TestEveryProblemInLineOrder: a decoding problem does not hide the
// semantic ones after it, and the whole list is sorted by line.
func TestEveryProblemInLineOrder(t *testing.T) {
	_, err := Load("testdata/invalid/every-problem.yaml")
	if err == nil {
		t.Fatal("loaded without error")
	}
	var lines []string
	for _, l := range strings.Split(err.Error(), "\n") {
		lines = append(lines, strings.SplitN(l, ":", 4)[2])
	}
	// window has no unit; unknown bucket; ops not a number; unknown
	// strategy; unknown metric.
	if got, want := strings.Join(lines, ","), "4,6,8,9,11"; got != want {
		t.Errorf("problems on lines %s, want %s:\n%v", got, want, err)
	}
}

// TestProblemsAreCapped: past 50 problems the error counts the rest.
func TestProblemsAreCapped(t *testing.T) {
	var b strings.Builder
	b.WriteString("name: many\ngateway:\n  routes:\n    - match: \"*\"\n      buckets:\n")
	for i := range 60 {
		fmt.Fprintf(&b, "        - b%d\n", i)
	}
	_, err := Parse("many.yaml", []byte(b.String()))
	if err == nil {
		t.Fatal("parsed without error")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 51 || lines[50] != "scenarios: many.yaml: 10 more problems not shown" {
		t.Errorf("%d lines, the last %q", len(lines), lines[len(lines)-1])
	}
}
