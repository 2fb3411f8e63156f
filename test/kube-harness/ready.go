package main

import (
	"context"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// waitReady polls /readyz and then waits for namespace "default", as
// upstream's apiserver testserver does. It gives up when ctx ends or the
// apiserver process exits.
func waitReady(ctx context.Context, kubeconfig string, apiserver *child) error {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return fmt.Errorf("load %s: %w", kubeconfig, err)
	}
	cfg.Timeout = 5 * time.Second
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	var last error
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("kube-apiserver not ready in time (last check: %v); last lines of %s:\n%s", last, apiserver.logPath, tail(apiserver.logPath, 25))
		case <-apiserver.exited:
			return apiserver.failure()
		case <-tick.C:
		}
		body, err := client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		if err != nil {
			last = fmt.Errorf("/readyz: %w (%s)", err, body)
			continue
		}
		if _, err := client.CoreV1().Namespaces().Get(ctx, "default", metav1.GetOptions{}); err != nil {
			last = fmt.Errorf("namespace default: %w", err)
			continue
		}
		return nil
	}
}
