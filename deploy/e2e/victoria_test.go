//go:build k8s

package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// victoria is the test cluster's VictoriaMetrics (make k8s-up runs it in the namespace
// monitoring), asked through its Service's cluster IP as a user's dashboard would ask
// Prometheus: its HTTP API is Prometheus's.
type victoria struct {
	base   string
	client *http.Client
}

func victoriaMetrics(t *testing.T) *victoria {
	t.Helper()
	var svc corev1.Service
	getJSON(t, &svc, "service", "victoria-metrics", "--namespace", "monitoring")
	if svc.Spec.ClusterIP == "" || len(svc.Spec.Ports) == 0 {
		t.Fatalf("VictoriaMetrics' Service has no cluster IP or port: %+v", svc.Spec)
	}
	return &victoria{
		base:   fmt.Sprintf("http://%s:%d", svc.Spec.ClusterIP, svc.Spec.Ports[0].Port),
		client: &http.Client{Timeout: 5 * time.Second},
	}
}

// get decodes the data of an API answer into v.
func (vm *victoria) get(path string, query url.Values, v any) error {
	resp, err := vm.client.Get(vm.base + path + "?" + query.Encode())
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return err
	}
	var answer struct {
		Status string          `json:"status"`
		Error  string          `json:"error"`
		Data   json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &answer); err != nil || resp.StatusCode != http.StatusOK || answer.Status != "success" {
		return fmt.Errorf("GET %s %v: %s: %s", path, query, resp.Status, body)
	}
	return json.Unmarshal(answer.Data, v)
}

// target is one of the scraper's active targets.
type target struct {
	Labels     map[string]string `json:"labels"`
	ScrapeURL  string            `json:"scrapeUrl"`
	Health     string            `json:"health"`
	LastError  string            `json:"lastError"`
	LastScrape time.Time         `json:"lastScrape"`
}

// targets returns the active targets in namespace ns.
func (vm *victoria) targets(ns string) ([]target, error) {
	var data struct {
		Active []target `json:"activeTargets"`
	}
	if err := vm.get("/api/v1/targets", url.Values{"state": {"active"}}, &data); err != nil {
		return nil, err
	}
	var in []target
	for _, tg := range data.Active {
		if tg.Labels["namespace"] == ns {
			in = append(in, tg)
		}
	}
	return in, nil
}

// value is the instant query's one number now; a query that matches no series (yet) is
// an error.
func (vm *victoria) value(query string) (float64, error) {
	var data struct {
		Result []struct {
			Value [2]any `json:"value"`
		} `json:"result"`
	}
	if err := vm.get("/api/v1/query", url.Values{"query": {query}, "nocache": {"1"}}, &data); err != nil {
		return 0, err
	}
	if len(data.Result) != 1 {
		return 0, fmt.Errorf("%s: %d series, want one", query, len(data.Result))
	}
	s, _ := data.Result[0].Value[1].(string)
	return strconv.ParseFloat(s, 64)
}

// waitValue asks query every 500 ms until check accepts its value, for up to 30 s (ten
// scrapes and more), and returns the last value and how long it took.
func (vm *victoria) waitValue(t *testing.T, query string, check func(float64) bool) (float64, time.Duration) {
	t.Helper()
	start := time.Now()
	var v float64
	var err error
	for time.Since(start) < 30*time.Second {
		if v, err = vm.value(query); err == nil && check(v) {
			return v, time.Since(start)
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Fatalf("%s: %v (last value %v) after 30 s", query, err, v)
	return 0, 0
}
