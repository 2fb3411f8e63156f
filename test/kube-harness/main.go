// Command kube-harness runs a real kube-apiserver (and optionally parts of
// kube-controller-manager) on top of an embedded etcd, for Kontroler's tests
// and for trying Kontroler's Kubernetes mode locally.
//
// One binary, several sub-commands:
//
//	kube-harness [run] [flags]     etcd in-process, components as children; prints "READY <kubeconfig>"
//	kube-harness apiserver ...     upstream kube-apiserver main (used as a child of run)
//	kube-harness controller-manager ...  upstream kube-controller-manager main (child of run)
//	kube-harness version           the pinned Kubernetes version
//
// Components run as child processes of the same executable because each
// upstream command installs process-wide signal handlers and global registries
// that must not be set up twice in one process.
package main

import (
	"fmt"
	"os"
)

func main() {
	args := os.Args[1:]
	sub := "run"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		sub, args = args[0], args[1:]
	}
	switch sub {
	case "run":
		os.Exit(run(args))
	case "apiserver":
		os.Exit(runAPIServer(args))
	case "controller-manager":
		os.Exit(runControllerManager(args))
	case "version":
		fmt.Println(kubeVersion())
	default:
		fmt.Fprintf(os.Stderr, "kube-harness: unknown sub-command %q (want run, apiserver, controller-manager or version)\n", sub)
		os.Exit(2)
	}
}
