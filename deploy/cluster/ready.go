package main

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// waitFor retries check every 200 ms until it succeeds or d passes.
func (c *Cluster) waitFor(what string, d time.Duration, check func() error) error {
	deadline := time.Now().Add(d)
	for {
		err := check()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready after %v: %w", what, d, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// get fetches url and wants a 200.
func get(client *http.Client, url string) error {
	resp, err := client.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %s", url, resp.Status, strings.TrimSpace(string(body)))
	}
	return nil
}

var plainClient = &http.Client{Timeout: 2 * time.Second}

func (c *Cluster) etcdReady() error {
	return c.waitFor("etcd", 30*time.Second, func() error {
		return get(plainClient, fmt.Sprintf("http://127.0.0.1:%d/health", etcdPort))
	})
}

// adminClient talks to the API server as the admin user, verifying it with the CA.
func (c *Cluster) adminClient() (*http.Client, error) {
	ca, err := os.ReadFile(c.pki("ca.crt"))
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return nil, errors.New("ca.crt: no certificate")
	}
	cert, err := tls.LoadX509KeyPair(c.pki("admin.crt"), c.pki("admin.key"))
	if err != nil {
		return nil, err
	}
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
	}}, nil
}

func (c *Cluster) apiReady() error {
	client, err := c.adminClient()
	if err != nil {
		return err
	}
	return c.waitFor("kube-apiserver", 60*time.Second, func() error {
		return get(client, fmt.Sprintf("https://%s:%d/readyz", nodeIP, apiPort))
	})
}

func (c *Cluster) containerdReady(n node) error {
	if err := c.waitFor(n.containerd(), 30*time.Second, func() error {
		return exec.Command("ctr", "--address", n.socket(c), "version").Run() //nolint:gosec // the cluster's socket
	}); err != nil {
		return err
	}
	return c.importImages(n)
}

func (c *Cluster) nodeReady(n node) error {
	return c.waitFor("node "+n.name, 90*time.Second, func() error {
		out, err := c.kubectlOut("get", "node", n.name, "-o", `jsonpath={.status.conditions[?(@.type=="Ready")].status}`)
		if err != nil {
			return err
		}
		if out != "True" {
			return fmt.Errorf("Ready=%q", out)
		}
		return nil
	})
}

// proxyReady waits for kube-proxy's health endpoint, which answers 200 once it has
// programmed the rules at least once.
func (c *Cluster) proxyReady() error {
	return c.waitFor("kube-proxy", 60*time.Second, func() error {
		return get(plainClient, "http://127.0.0.1:10256/healthz")
	})
}

func (c *Cluster) registryReady() error {
	return c.waitFor("registry", 120*time.Second, func() error {
		return get(plainClient, fmt.Sprintf("http://127.0.0.1:%d/v2/", c.RegistryPort))
	})
}

// kubectlOut runs kubectl as the admin and returns its trimmed output.
func (c *Cluster) kubectlOut(args ...string) (string, error) {
	cmd := exec.Command(c.kubectl(), append([]string{"--kubeconfig", c.kubeconfig("admin"), "--request-timeout=150s"}, args...)...) //nolint:gosec // the cluster's kubectl
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("kubectl %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(out)), nil
}

func (c *Cluster) kubectlRun(args ...string) error {
	_, err := c.kubectlOut(args...)
	return err
}

// dockerArchive returns a `docker save`-format archive of a one-file image named ref
// whose entrypoint is file, running as the nobody user (65535) as the public pause does.
func dockerArchive(ref, file string, content []byte) ([]byte, error) {
	var layer bytes.Buffer
	lw := tar.NewWriter(&layer)
	if err := lw.WriteHeader(&tar.Header{Name: strings.TrimPrefix(file, "/"), Mode: 0o755, Size: int64(len(content)), Typeflag: tar.TypeReg}); err != nil {
		return nil, err
	}
	if _, err := lw.Write(content); err != nil {
		return nil, err
	}
	if err := lw.Close(); err != nil {
		return nil, err
	}
	diffID := sha256.Sum256(layer.Bytes())
	config, err := json.Marshal(map[string]any{
		"architecture": runtime.GOARCH,
		"os":           "linux",
		"config":       map[string]any{"Entrypoint": []string{file}, "User": "65535:65535"},
		"rootfs":       map[string]any{"type": "layers", "diff_ids": []string{"sha256:" + hex.EncodeToString(diffID[:])}},
	})
	if err != nil {
		return nil, err
	}
	configSum := sha256.Sum256(config)
	configName := hex.EncodeToString(configSum[:]) + ".json"
	manifest, err := json.Marshal([]map[string]any{{"Config": configName, "RepoTags": []string{ref}, "Layers": []string{"layer.tar"}}})
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	tw := tar.NewWriter(&out)
	for _, f := range []struct {
		name string
		data []byte
	}{{"layer.tar", layer.Bytes()}, {configName, config}, {"manifest.json", manifest}} {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.data)), Typeflag: tar.TypeReg}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
