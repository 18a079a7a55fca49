// Command openloop sends GET requests at a fixed rate to a loopback server and prints one
// JSON line: the answers' latency percentiles counted from when each request was due, the
// errors, and how late it sent. The load test runs it at fractions of nginx's maximum.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/getsmall/getsmall/loadtest/internal/openloop"
)

func main() {
	var c openloop.Config
	fs := flag.NewFlagSet("openloop", flag.ExitOnError)
	fs.StringVar(&c.Addr, "addr", "127.0.0.1:18080", "the server, on loopback")
	fs.StringVar(&c.Path, "path", "/health", "the request target")
	fs.Float64Var(&c.Rate, "rate", 1000, "requests per second")
	fs.DurationVar(&c.Duration, "duration", 3*time.Second, "how long requests are sent")
	fs.IntVar(&c.Conns, "c", 50, "keep-alive connections")
	fs.DurationVar(&c.Timeout, "timeout", 5*time.Second, "how long answers are waited for after the last request was due")
	_ = fs.Parse(os.Args[1:])
	r, err := openloop.Run(c)
	if err != nil {
		fmt.Fprintln(os.Stderr, "openloop:", err)
		os.Exit(1)
	}
	if err := json.NewEncoder(os.Stdout).Encode(r); err != nil {
		fmt.Fprintln(os.Stderr, "openloop:", err)
		os.Exit(1)
	}
}
