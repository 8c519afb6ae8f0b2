//go:build unix

package main

import (
	"context"
	"os/exec"
	"testing"
	"time"
)

// TestKillClientsStopsTheGroup: what a second interrupt does before it
// exits — the client and what it started are killed, none left behind.
func TestKillClientsStopsTheGroup(t *testing.T) {
	cmd := exec.CommandContext(context.Background(), "sh", "-c", "sleep 30 & wait")
	reap := ownGroup(cmd, time.Second)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	untrack := trackClient(cmd)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	killClients()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the client outlived killClients")
	}
	untrack()
	if groupExists(cmd) {
		reap()
		t.Fatal("the client's child outlived killClients")
	}
}
