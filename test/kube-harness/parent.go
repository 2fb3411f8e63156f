package main

import (
	"os"
	"syscall"
)

// exitWithParent asks the kernel to send SIGTERM when the process that started
// the harness dies (a test runner killed with SIGKILL, say), so the harness
// shuts down cleanly instead of living on as an orphan. Linux only.
func exitWithParent() {
	const prSetPdeathsig = 1
	_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, prSetPdeathsig, uintptr(syscall.SIGTERM), 0)
	if os.Getppid() == 1 { // the parent died before prctl took effect
		_ = syscall.Kill(os.Getpid(), syscall.SIGTERM)
	}
}
