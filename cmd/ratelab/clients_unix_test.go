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
	// A killed child stays in the group as a zombie until something
	// reaps it, which a loaded machine may take a moment to do.
	for end := time.Now().Add(10 * time.Second); groupExists(cmd); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(end) {
			reap()
			t.Fatal("the client's child outlived killClients")
		}
	}
}
