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
		return get(client, fmt.Sprintf("https://127.0.0.1:%d/readyz", apiPort))
	})
}

func (c *Cluster) containerdReady() error {
	if err := c.waitFor("containerd", 30*time.Second, func() error {
		return exec.Command("ctr", "--address", c.socket(), "version").Run() //nolint:gosec // the cluster's socket
	}); err != nil {
		return err
	}
	return c.importPause()
}

func (c *Cluster) nodeReady() error {
	return c.waitFor("node "+nodeName, 90*time.Second, func() error {
		out, err := c.kubectlOut("get", "node", nodeName, "-o", `jsonpath={.status.conditions[?(@.type=="Ready")].status}`)
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

// importPause builds the sandbox image from the pause binary (a docker-archive with one
// layer holding /pause) and imports it into the cluster's containerd, where the CRI
// plugin looks for it by the name in its configuration. The public pause image is out of
// reach here, and this one needs no image builder.
func (c *Cluster) importPause() error {
	bin, err := os.ReadFile(c.PauseBin)
	if err != nil {
		return err
	}
	archive, err := dockerArchive(pauseImage, "/pause", bin)
	if err != nil {
		return err
	}
	path := c.path("pause.tar")
	if err := writeFile(path, archive, 0o644); err != nil {
		return err
	}
	out, err := exec.Command("ctr", "--address", c.socket(), "--namespace", "k8s.io", "images", "import", path).CombinedOutput() //nolint:gosec // the state directory's image
	if err != nil {
		return fmt.Errorf("ctr images import: %w: %s", err, out)
	}
	return nil
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
