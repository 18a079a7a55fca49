//go:build proxies

// Package proxies runs getsmall-echo (the server with a body route) behind the reverse
// proxies it is deployed behind, Debian's nginx, HAProxy, Varnish and Apache, each pooling
// keep-alive connections to it, and checks what clients get through each: bodies pass with
// and without "Expect: 100-continue" and chunked; a body over the route's limit gets the
// server's own 413, also on a pooled connection that idled past WRITE_TIMEOUT (issue 24's
// 502 and 503); and no request-smuggling shape changes what the next client is answered.
// A deliberately naive backend behind the same proxies proves the smuggling check can fail.
// docs/proxies.md has the results and the reasons for each configuration.
package proxies

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// proxy is one reverse proxy: the Debian package that brings it, its program, and how it is
// configured and started in a directory of its own, in the foreground, on loopback.
type proxy struct {
	name    string   // as the results name it
	pkg     string   // the Debian package that installs bin
	bin     string   // the program
	version []string // the arguments that make bin print its version
	// config writes the configuration into dir, for a proxy listening on listen and
	// forwarding to backend (both host:port), and returns the arguments that start bin in the
	// foreground. root says the test runs as root, when each proxy must be told which
	// unprivileged user its workers run as.
	config func(dir, listen, backend string, root bool) ([]string, error)
}

// proxies are the four, each configured as a deployment that pools connections to its
// backend would be; docs/proxies.md says why each line is there.
var proxies = []proxy{
	{name: "nginx", pkg: "nginx-light", bin: "nginx", version: []string{"-v"}, config: nginx},
	{name: "HAProxy", pkg: "haproxy", bin: "haproxy", version: []string{"-v"}, config: haproxy},
	{name: "Varnish", pkg: "varnish", bin: "varnishd", version: []string{"-V"}, config: varnish},
	{name: "Apache", pkg: "apache2", bin: "apache2", version: []string{"-v"}, config: apache},
}

// path finds p's program on PATH or in /usr/sbin, where Debian puts the four (a user's
// PATH often lacks it), or says which package to install.
func (p proxy) path() (string, error) {
	if path, err := exec.LookPath(p.bin); err == nil {
		return path, nil
	}
	if path := filepath.Join("/usr/sbin", p.bin); isExecutable(path) {
		return path, nil
	}
	return "", fmt.Errorf("%s not found: install Debian's %s (apt-get install %s)", p.bin, p.pkg, p.pkg)
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// write puts text into dir/name, readable by the unprivileged users the proxies switch to.
func write(dir, name, text string) (string, error) {
	path := filepath.Join(dir, name)
	return path, os.WriteFile(path, []byte(text), 0o644) //nolint:gosec // a proxy's worker user reads it
}

// nginx: an upstream block with keepalive connections, HTTP/1.1 to the backend and an empty
// Connection header (without both, nginx closes the backend connection after each request).
// The temp paths and -e keep every file it writes in dir.
func nginx(dir, listen, backend string, root bool) ([]string, error) {
	user := ""
	if root {
		user = "user nobody nogroup;"
	}
	conf, err := write(dir, "nginx.conf", fmt.Sprintf(`# test/proxies: nginx in front of getsmall, pooling connections to it.
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log info;
%[4]s
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path %[1]s/body;
  proxy_temp_path %[1]s/proxy;
  fastcgi_temp_path %[1]s/fastcgi;
  uwsgi_temp_path %[1]s/uwsgi;
  scgi_temp_path %[1]s/scgi;
  upstream getsmall {
    server %[3]s;
    keepalive 8;
  }
  server {
    listen %[2]s;
    location / {
      proxy_pass http://getsmall;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`, dir, listen, backend, user))
	return []string{"-p", dir, "-c", conf, "-e", filepath.Join(dir, "error.log"), "-g", "daemon off;"}, err
}

// haproxy: http-reuse always, so that an idle server connection serves any client's next
// request, the sharing that makes a poisoned connection reach another client; one thread,
// because each thread keeps idle connections of its own, and which one a client lands on
// would decide whether it meets the connection an attempt used. Its log goes to stderr,
// into dir/out.log.
func haproxy(dir, listen, backend string, root bool) ([]string, error) {
	user := ""
	if root {
		user = "  user haproxy\n  group haproxy\n"
	}
	cfg, err := write(dir, "haproxy.cfg", fmt.Sprintf(`# test/proxies: HAProxy in front of getsmall, pooling connections to it.
global
  nbthread 1
  log stderr format raw local0 info
%[3]sdefaults
  mode http
  log global
  option httplog
  timeout connect 5s
  timeout client 30s
  timeout server 10s
  timeout http-keep-alive 30s
frontend getsmall
  bind %[1]s
  default_backend getsmall
backend getsmall
  http-reuse always
  server getsmall %[2]s
`, listen, backend, user))
	return []string{"-f", cfg, "-db"}, err
}

// varnish: every request passed to the backend, never cached: a cached /health would answer
// the next client without asking the backend, and a poisoned connection would go unseen.
// Varnish pools backend connections by itself. As root it runs its manager and worker as
// Debian's varnish and vcache users (its unix jail).
func varnish(dir, listen, backend string, _ bool) ([]string, error) {
	host, port, ok := strings.Cut(backend, ":")
	if !ok {
		return nil, fmt.Errorf("varnish: backend %q is not host:port", backend)
	}
	vcl, err := write(dir, "getsmall.vcl", fmt.Sprintf(`# test/proxies: Varnish in front of getsmall, pooling connections to it.
vcl 4.1;
backend getsmall { .host = "%s"; .port = "%s"; }
sub vcl_recv { return (pass); }
`, host, port))
	return []string{"-F", "-f", vcl, "-a", listen, "-n", filepath.Join(dir, "varnish"), "-s", "malloc,16m", "-T", "none"}, err
}

// apacheModules is where Debian's apache2 keeps its modules.
const apacheModules = "/usr/lib/apache2/modules"

// apache: mod_proxy_http with its connection pool (reuse is its default for http workers;
// enablereuse=on says so), run with -X: one process, so every client meets the same pool
// (with several children each has its own, and reuse would be a matter of which child a
// client meets).
func apache(dir, listen, backend string, root bool) ([]string, error) {
	user := ""
	if root {
		user = "User www-data\nGroup www-data\n"
	}
	conf, err := write(dir, "httpd.conf", fmt.Sprintf(`# test/proxies: Apache in front of getsmall, pooling connections to it.
ServerRoot %[1]s
ServerName localhost
DefaultRuntimeDir %[1]s
PidFile %[1]s/httpd.pid
ErrorLog %[1]s/error.log
LogLevel warn
LoadModule mpm_event_module %[4]s/mod_mpm_event.so
LoadModule authz_core_module %[4]s/mod_authz_core.so
LoadModule proxy_module %[4]s/mod_proxy.so
LoadModule proxy_http_module %[4]s/mod_proxy_http.so
%[5]sListen %[2]s
ProxyPass / http://%[3]s/ enablereuse=on
`, dir, listen, backend, apacheModules, user))
	return []string{"-X", "-d", dir, "-f", conf}, err
}
