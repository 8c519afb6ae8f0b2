package main

import (
	"os/exec"
	"sync"
)

// clients are the client commands `ratelab run` has started and not yet
// reaped, so that a second interrupt, which exits at once, stops them too
// (each runs in a process group of its own, which the terminal's signal
// no longer reaches).
var clients struct {
	mu   sync.Mutex
	cmds map[*exec.Cmd]bool
}

// trackClient records a started cmd until the returned func is called.
func trackClient(cmd *exec.Cmd) (untrack func()) {
	clients.mu.Lock()
	defer clients.mu.Unlock()
	if clients.cmds == nil {
		clients.cmds = map[*exec.Cmd]bool{}
	}
	clients.cmds[cmd] = true
	return func() {
		clients.mu.Lock()
		defer clients.mu.Unlock()
		delete(clients.cmds, cmd)
	}
}

// killClients kills every tracked client and what it started, at once.
func killClients() {
	clients.mu.Lock()
	defer clients.mu.Unlock()
	for cmd := range clients.cmds {
		killHard(cmd)
	}
}
