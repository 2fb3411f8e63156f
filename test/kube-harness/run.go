package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// harnessEnv is written to <state>/env.json for the node agent and scripts.
type harnessEnv struct {
	KubeVersion string `json:"kubeVersion"`
	Server      string `json:"server"`
	Kubeconfig  string `json:"kubeconfig"`
	StateDir    string `json:"stateDir"`
	NodeName    string `json:"nodeName"`
	CACert      string `json:"caCert"`
	KubeletCert string `json:"kubeletCert"`
	KubeletKey  string `json:"kubeletKey"`
	Controllers string `json:"controllers"`
	Etcd        string `json:"etcd"`
	LogDir      string `json:"logDir"`
}

type runOptions struct {
	stateDir       string
	keepState      bool
	nodeName       string
	controllers    string
	readyTimeout   time.Duration
	exitWithParent bool
}

func parseRunFlags(args []string) (runOptions, error) {
	var o runOptions
	fs := flag.NewFlagSet("kube-harness run", flag.ContinueOnError)
	fs.StringVar(&o.stateDir, "state-dir", "", "directory for etcd data, certificates, kubeconfig and logs (default: a new temporary directory, removed on exit)")
	fs.BoolVar(&o.keepState, "keep-state", false, "do not remove the state directory on exit")
	fs.StringVar(&o.nodeName, "node-name", "local-agent", "node name the agent's serving certificate is issued for")
	fs.StringVar(&o.controllers, "controllers", "garbage-collector-controller,namespace-controller",
		"kube-controller-manager controllers to run (comma-separated, upstream names); empty: do not run kube-controller-manager")
	fs.DurationVar(&o.readyTimeout, "ready-timeout", 120*time.Second, "how long to wait for the apiserver to become ready")
	fs.BoolVar(&o.exitWithParent, "exit-with-parent", false, "shut down when the parent process dies")
	return o, fs.Parse(args)
}

// run starts etcd, kube-apiserver and (optionally) kube-controller-manager,
// prints "READY <kubeconfig>" once the apiserver serves, and stops everything
// on SIGTERM/SIGINT. Any component exiting on its own stops the rest and
// makes run exit non-zero.
func run(args []string) int {
	o, err := parseRunFlags(args)
	if err != nil {
		return 2
	}
	if err := runHarness(o); err != nil {
		fmt.Fprintf(os.Stderr, "kube-harness: %v\n", err)
		return 1
	}
	return 0
}

func runHarness(o runOptions) (err error) {
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	if o.exitWithParent {
		exitWithParent()
	}

	state := o.stateDir
	if state == "" {
		if state, err = os.MkdirTemp("", "kontroler-kube-"); err != nil {
			return err
		}
	} else if err = os.MkdirAll(state, 0o755); err != nil {
		return err
	}
	if !o.keepState {
		defer os.RemoveAll(state)
	}
	logDir := filepath.Join(state, "logs")

	p, err := issuePKI(filepath.Join(state, "pki"), o.nodeName)
	if err != nil {
		return err
	}
	etcdDir := filepath.Join(state, "etcd")
	_ = os.RemoveAll(etcdDir) // a fresh cluster each run: new CA, new state
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return err
	}
	etcd, etcdURL, err := startEtcd(etcdDir, filepath.Join(logDir, "etcd.log"), 30*time.Second)
	if err != nil {
		return err
	}
	defer etcd.Close()

	port, err := freePort()
	if err != nil {
		return err
	}
	server := fmt.Sprintf("https://127.0.0.1:%d", port)
	apiserver, err := startChild("kube-apiserver", logDir, "apiserver", apiserverArgs(state, port, etcdURL, p))
	if err != nil {
		return err
	}
	children := []*child{apiserver}
	defer func() {
		for i := len(children) - 1; i >= 0; i-- {
			children[i].stop(15 * time.Second)
		}
	}()

	kubeconfig := filepath.Join(state, "admin.kubeconfig")
	if err := writeKubeconfig(kubeconfig, server, p); err != nil {
		return fmt.Errorf("write %s: %w", kubeconfig, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.readyTimeout)
	readyErr := make(chan error, 1)
	go func() { readyErr <- waitReady(ctx, kubeconfig, apiserver) }()
	select {
	case err = <-readyErr:
	case sig := <-signals:
		err = fmt.Errorf("interrupted by %s while starting", sig)
	}
	cancel()
	if err != nil {
		return err
	}

	if o.controllers != "" {
		kcm, err := startChild("kube-controller-manager", logDir, "controller-manager", controllerManagerArgs(kubeconfig, o.controllers))
		if err != nil {
			return err
		}
		children = append(children, kcm)
	}

	env := harnessEnv{
		KubeVersion: kubeVersion(), Server: server, Kubeconfig: kubeconfig, StateDir: state,
		NodeName: o.nodeName, CACert: p.CACert, KubeletCert: p.KubeletCert, KubeletKey: p.KubeletKey,
		Controllers: o.controllers, Etcd: etcdURL, LogDir: logDir,
	}
	data, _ := json.MarshalIndent(env, "", "  ")
	if err := os.WriteFile(filepath.Join(state, "env.json"), append(data, '\n'), 0o644); err != nil {
		return err
	}
	fmt.Printf("READY %s\n", kubeconfig)

	exited := make(chan *child, len(children))
	for _, c := range children {
		go func(c *child) { <-c.exited; exited <- c }(c)
	}
	select {
	case <-signals:
		return nil
	case c := <-exited:
		return c.failure()
	case err := <-etcd.Err():
		return fmt.Errorf("embedded etcd failed: %w", err)
	}
}

func apiserverArgs(state string, port int, etcdURL string, p *pki) []string {
	return []string{
		"--etcd-servers=" + etcdURL,
		fmt.Sprintf("--secure-port=%d", port),
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--cert-dir=" + filepath.Join(state, "apiserver"),
		"--tls-cert-file=" + p.ServingCert,
		"--tls-private-key-file=" + p.ServingKey,
		"--client-ca-file=" + p.CACert,
		"--service-cluster-ip-range=10.0.0.0/24",
		"--allow-privileged=true",
		// Nobody runs the ServiceAccount controller, so the default SA would be missing (envtest does the same).
		"--disable-admission-plugins=ServiceAccount",
		"--authorization-mode=RBAC",
		fmt.Sprintf("--service-account-issuer=https://127.0.0.1:%d", port),
		"--service-account-key-file=" + p.SAPublicKey,
		"--service-account-signing-key-file=" + p.SAPrivateKey,
		// The node agent is reached by IP; the default order starts with Hostname, which needs DNS.
		"--kubelet-preferred-address-types=InternalIP",
		"--kubelet-certificate-authority=" + p.CACert,
		"--kubelet-client-certificate=" + p.KubeletClientCert,
		"--kubelet-client-key=" + p.KubeletClientKey,
		"--profiling=false",
		// PodTemplates (unused by Kontroler) bypass the watch cache, so a test can force a real
		// 410 Gone by compacting etcd and resuming a watch from an older resourceVersion.
		"--watch-cache-sizes=podtemplates#0",
	}
}

func controllerManagerArgs(kubeconfig, controllers string) []string {
	return []string{
		"--kubeconfig=" + kubeconfig,
		"--controllers=" + strings.TrimSpace(controllers),
		"--leader-elect=false",
		"--secure-port=0",
		"--use-service-account-credentials=false",
	}
}
