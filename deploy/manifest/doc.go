// Package manifest renders getsmall's kustomize overlays (deploy/overlays/...) with the
// kustomize Go API, decodes every object strictly into the Kubernetes API types, and checks
// what the server depends on: Pod Security "restricted", probes on the server's health path
// and named port, metrics on a port of their own where the pods' prometheus.io annotations
// say and a NetworkPolicy that lets scrapers alone reach them, a shutdown the grace period
// and the liveness probe leave room for, and memory requests and limits that agree with the
// server's memory model.
package manifest
