package deploy_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// The chart carries copies of what controller-gen writes, made by `make manifests`
// (through its chart-manifests step); a copy that differs means that step was skipped.
func TestChartCarriesTheGeneratedCRDsAndClusterRole(t *testing.T) {
	generated, err := filepath.Glob(repoPath("config", "crd", "bases", "*.yaml"))
	if err != nil || len(generated) == 0 {
		t.Fatalf("no generated CRDs in config/crd/bases: %v", err)
	}
	copies, err := filepath.Glob(repoPath(chartDir, "crds", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(copies) != len(generated) {
		t.Errorf("charts/runlet/crds has %d files, config/crd/bases %d; run `make manifests`",
			len(copies), len(generated))
	}
	pairs := map[string]string{
		repoPath("config", "rbac", "role.yaml"): repoPath(chartDir, "files", "manager-role.yaml"),
	}
	for _, file := range generated {
		pairs[file] = repoPath(chartDir, "crds", filepath.Base(file))
	}
	for source, copied := range pairs {
		want, err := os.ReadFile(source)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(copied)
		if err != nil {
			t.Errorf("the chart lacks a copy of %s: %v", source, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from %s; run `make manifests`", copied, source)
		}
	}
}
