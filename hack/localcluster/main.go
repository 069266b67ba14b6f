// Command localcluster runs a local kube-apiserver and etcd with runlet's CRD installed, for
// the demo. It writes a kubeconfig and a languages file that points the presets at the local
// images into --dir, and runs until it gets SIGINT or SIGTERM.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"sigs.k8s.io/yaml"

	"github.com/runlet-dev/runlet/internal/testenv"
)

func main() {
	dir := flag.String("dir", ".demo", "directory for the kubeconfig and the languages file")
	flag.Parse()
	if err := run(*dir); err != nil {
		fmt.Fprintln(os.Stderr, "localcluster:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	env, err := testenv.Start()
	if err != nil {
		return err
	}
	defer func() { _ = env.Stop() }()

	if _, err := env.WriteKubeconfig(dir); err != nil {
		return err
	}
	languages, err := yaml.Marshal(testenv.LocalLanguages())
	if err != nil {
		return fmt.Errorf("encode languages: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "languages.yaml"), languages, 0o644); err != nil {
		return fmt.Errorf("write languages file: %w", err)
	}
	fmt.Println("localcluster: ready")

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	<-stop
	fmt.Println("localcluster: stopping")
	return nil
}
