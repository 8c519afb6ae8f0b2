//go:build unix

package main

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// ownGroup makes cmd the leader of a process group of its own, so that
// everything it starts can be stopped with it: cancelling cmd's context
// sends SIGTERM to the whole group and SIGKILL after grace. Call the
// returned func after cmd.Wait: it stops whatever the client left
// running (SIGTERM, SIGKILL if anything is left after grace).
func ownGroup(cmd *exec.Cmd, grace time.Duration) (reap func()) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var kill *time.Timer
	cmd.Cancel = func() error {
		kill = time.AfterFunc(grace, func() { signalGroup(cmd, syscall.SIGKILL) })
		return signalGroup(cmd, syscall.SIGTERM)
	}
	// After grace the pipes to CMD close even if a process still holds
	// them, and CMD itself is killed.
	cmd.WaitDelay = grace
	return func() {
		if cmd.Process == nil {
			return
		}
		if signalGroup(cmd, syscall.SIGTERM) == nil {
			for end := time.Now().Add(grace); groupExists(cmd) && time.Now().Before(end); {
				time.Sleep(20 * time.Millisecond)
			}
			signalGroup(cmd, syscall.SIGKILL)
		}
		if kill != nil {
			kill.Stop()
		}
	}
}

// signalGroup sends sig to cmd's process group; os.ErrProcessDone when
// the group is gone.
func signalGroup(cmd *exec.Cmd, sig syscall.Signal) error {
	err := syscall.Kill(-cmd.Process.Pid, sig)
	if errors.Is(err, syscall.ESRCH) {
		return os.ErrProcessDone
	}
	return err
}

func groupExists(cmd *exec.Cmd) bool { return syscall.Kill(-cmd.Process.Pid, 0) == nil }

// killHard kills cmd's whole process group at once.
func killHard(cmd *exec.Cmd) { _ = signalGroup(cmd, syscall.SIGKILL) }
