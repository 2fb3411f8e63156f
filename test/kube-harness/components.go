package main

import (
	"os"

	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"          // JSON log format, as upstream's main registers it
	_ "k8s.io/component-base/metrics/prometheus/clientgo" // client-go metrics, as upstream's main registers them
	_ "k8s.io/component-base/metrics/prometheus/version"  // version metric, as upstream's main registers it
	"k8s.io/component-base/version"
	apiserver "k8s.io/kubernetes/cmd/kube-apiserver/app"
	controllermanager "k8s.io/kubernetes/cmd/kube-controller-manager/app"
)

// runAPIServer is upstream's cmd/kube-apiserver main.
func runAPIServer(args []string) int {
	cmd := apiserver.NewAPIServerCommand()
	cmd.SetArgs(args)
	os.Args = append([]string{"kube-apiserver"}, args...)
	return cli.Run(cmd)
}

// runControllerManager is upstream's cmd/kube-controller-manager main.
func runControllerManager(args []string) int {
	cmd := controllermanager.NewControllerManagerCommand()
	cmd.SetArgs(args)
	os.Args = append([]string{"kube-controller-manager"}, args...)
	return cli.Run(cmd)
}

func kubeVersion() string { return version.Get().GitVersion }
