package main

import (
	"fmt"
	"path/filepath"
)

// node is one kubelet of the cluster with everything a machine of its own would have: a
// containerd (root, state, sockets, runc root), a bridge with the node's address, a pod
// subnet, a cgroup root and a kubelet state directory. The nodes share the host's network
// namespace, so the host routes between their bridges as a router between machines would,
// and one kube-proxy programs the Service rules for all of them.
type node struct {
	index       int    // 0 for the first node
	name        string // the Node object's name
	bridge      string // the bridge the CNI plugin attaches this node's pods to
	ip          string // the node's address, on its bridge
	subnet      string // this node's pod addresses
	healthzPort int    // the kubelet's health port on 127.0.0.1
}

// maxNodes bounds -nodes: each kubelet and containerd holds about 100 MiB, and pod
// subnets are 10.244.N.0/24.
const maxNodes = 3

// nodes returns the cluster's nodes. The first keeps the names a single-node cluster had,
// so that its paths and addresses stay where the docs say they are.
func (c *Cluster) nodes() []node {
	n := c.Nodes
	if n < 1 {
		n = 1
	}
	out := make([]node, n)
	for i := range out {
		out[i] = node{
			index:       i,
			name:        nodeName,
			bridge:      fmt.Sprintf("getsmall%d", i),
			ip:          fmt.Sprintf("10.244.%d.1", i),
			subnet:      fmt.Sprintf("10.244.%d.0/24", i),
			healthzPort: 10248 + 100*i,
		}
		if i > 0 {
			out[i].name = fmt.Sprintf("%s-%d", nodeName, i+1)
		}
	}
	return out
}

// suffix tells the node's files and processes apart: "" for the first node, "-2" for the
// second.
func (n node) suffix() string {
	if n.index == 0 {
		return ""
	}
	return fmt.Sprintf("-%d", n.index+1)
}

// dir is the node's part of the state directory: the first node's files sit at its top,
// as they did when the cluster had one node.
func (n node) dir(c *Cluster, parts ...string) string {
	sub := ""
	if n.index > 0 {
		sub = "node" + n.suffix()
	}
	return c.path(append([]string{sub}, parts...)...)
}

// cgroupRoot is the node's kubelet cgroup root, below the cluster's own.
func (n node) cgroupRoot() string { return filepath.Join(cgroupRoot, n.name) }

// socket is the node's containerd socket.
func (n node) socket(c *Cluster) string { return n.dir(c, "containerd", "containerd.sock") }

// rangeStart and rangeEnd bound the pod addresses host-local hands out on this node.
func (n node) rangeStart() string { return fmt.Sprintf("10.244.%d.10", n.index) }
func (n node) rangeEnd() string   { return fmt.Sprintf("10.244.%d.250", n.index) }

// component names of the node's processes.
func (n node) containerd() string { return "containerd" + n.suffix() }
func (n node) kubelet() string    { return "kubelet" + n.suffix() }
