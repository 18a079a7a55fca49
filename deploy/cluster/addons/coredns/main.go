// Command coredns is a small CoreDNS for the test cluster's DNS add-on, built from the Go
// module proxy by deploy/cluster/build-addons.sh.
//
// Upstream's main imports github.com/coredns/coredns/core/plugin, which links every plugin
// CoreDNS ships and with them the AWS, Azure, Google Cloud, etcd, dnstap and tracing client
// libraries. A cluster DNS needs none of those, so this main imports only the server, the
// command-line program and the plugins of a usual Kubernetes Corefile, and lists exactly
// those in dnsserver.Directives, in upstream's plugin.cfg order (that order is the order in
// which a query passes through them, whatever the Corefile says). The binary is smaller,
// builds faster and carries less code to keep patched. A Corefile that names any other
// plugin (prometheus, for one) is refused at start.
package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/forward"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/loadbalance"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/loop"
	_ "github.com/coredns/coredns/plugin/ready"
	_ "github.com/coredns/coredns/plugin/reload"
)

// directives is the subset of upstream's plugin.cfg (core/dnsserver/zdirectives.go) that
// this build links, in the same order.
var directives = []string{
	"reload",
	"ready",
	"health",
	"errors",
	"log",
	"loadbalance",
	"cache",
	"kubernetes",
	"loop",
	"forward",
}

func main() {
	dnsserver.Directives = directives
	coremain.Run()
}
