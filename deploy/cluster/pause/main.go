// Command pause is the test cluster's pod sandbox process: PID 1 of every pod, holding its
// namespaces while the containers come and go. It reaps the zombies it inherits and exits
// on SIGTERM or SIGINT. Built static, it is the only file of the pause image k8s-up
// imports, because the public pause image is out of reach here.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGCHLD)
	wait(sigs, reap)
}

// wait returns on the first SIGTERM or SIGINT, and calls reap on every SIGCHLD.
func wait(sigs <-chan os.Signal, reap func()) {
	for sig := range sigs {
		if sig != syscall.SIGCHLD {
			return
		}
		reap()
	}
}

// reap collects every child that has exited; one SIGCHLD may stand for several.
func reap() {
	for {
		pid, err := syscall.Wait4(-1, nil, syscall.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
	}
}
