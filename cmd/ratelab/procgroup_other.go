//go:build !unix

package main

import (
	"os"
	"os/exec"
	"time"
)

// ownGroup stops cmd itself when its context is cancelled: without
// process groups, what it started is left to the system.
func ownGroup(cmd *exec.Cmd, grace time.Duration) (reap func()) {
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = grace
	return func() {}
}

// killHard kills cmd at once.
func killHard(cmd *exec.Cmd) { _ = cmd.Process.Kill() }
