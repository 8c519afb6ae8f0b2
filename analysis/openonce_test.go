package analysis

import (
	"os"
	"path/filepath"
	"testing"
)

// TestAnalyzeReadsAFifo: Analyze opens each log once — a named pipe,
// which can be read only once, analyses like a file.
func TestAnalyzeReadsAFifo(t *testing.T) {
	log := []byte(`{"schema":1,"type":"header","start":"2026-01-01T00:00:00Z","scenario":"x","seed":1,"t":0,"status":0}
{"schema":1,"type":"request","seq":1,"t":0,"latency_ns":1,"client":"c","method":"GET","route":"GET /api/v2/users","status":200}
{"schema":1,"type":"background","t":1,"status":0}
`)
	fifo := filepath.Join(t.TempDir(), "access.jsonl")
	if err := mkfifo(fifo); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	go func() {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		defer f.Close()
		f.Write(log)
	}()
	runs, err := Analyze([]string{fifo}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if runs[0].Routes[0].Requests != 1 || runs[0].Unfinished {
		t.Fatalf("run %+v", runs[0])
	}
}
