package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestSnapshotIsTheProduct: Go sources, module files and Dockerfiles count; satellites
// (folders with a go.mod of their own), build output and other files do not.
func TestSnapshotIsTheProduct(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	for _, f := range []string{"go.mod", "go.sum", "Dockerfile", "Dockerfile.upx", ".dockerignore", "cmd/svc/main.go", "router/health.go",
		"README.md", "bin/svc", "deploy/go.mod", "deploy/cmd/dev/main.go", ".git/HEAD", "docs/x.go"} {
		write(t, filepath.Join(root, f), "x")
	}
	tr, err := snapshot(root)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for p := range tr {
		got = append(got, p)
	}
	slices.Sort(got)
	want := []string{".dockerignore", "Dockerfile", "Dockerfile.upx", "cmd/svc/main.go", "docs/x.go", "go.mod", "go.sum", "router/health.go"}
	if !slices.Equal(got, want) {
		t.Errorf("snapshot = %q, want %q", got, want)
	}
}

// TestWaitForChange sees an edit, an added file and a removed one, and reports them once
// the tree has settled; a change outside the product is not one.
func TestWaitForChange(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	write(t, filepath.Join(root, "go.mod"), "module x")
	write(t, filepath.Join(root, "a.go"), "package a")
	write(t, filepath.Join(root, "b.go"), "package a")
	before, err := snapshot(root)
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(root, "README.md"), "not the product")
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if c, err := waitForChange(ctx, root, before, 20*time.Millisecond); err == nil {
		t.Fatalf("a README edit was taken for a change: %s", c.summary())
	}
	write(t, filepath.Join(root, "a.go"), "package a // edited")
	write(t, filepath.Join(root, "c.go"), "package a")
	if err := os.Remove(filepath.Join(root, "b.go")); err != nil {
		t.Fatal(err)
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel2()
	c, err := waitForChange(ctx2, root, before, 20*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.summary(); got != "modified a.go; added c.go; removed b.go" {
		t.Errorf("summary %q", got)
	}
}

func TestRunRefusesBadUsage(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	write(t, filepath.Join(root, "deploy/overlays/dev/kustomization.yaml"), "")
	for _, args := range [][]string{
		nil,
		{"-root", root},                 // no registry
		{"-registry", "127.0.0.1:5001"}, // no root
		{"-root", root, "-registry", "r", "-overlay", "nope"}, // no such overlay
		{"-root", root, "-registry", "r", "-poll", "0s"},
		{"-root", root, "-registry", "r", "extra"},
	} {
		var out, errs bytes.Buffer
		if code := run(args, &out, &errs); code != 2 || !strings.Contains(errs.String(), "dev") {
			t.Errorf("run(%q) = %d, stderr %q: want 2 and a message", args, code, errs.String())
		}
	}
}
