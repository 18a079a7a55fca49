// Command probe is the test cluster's client pod: it asks one URL once and says what came
// back, so that a test can prove from inside the pod network what a pod can reach (a
// Service by its DNS name, a pod on another node, a port a NetworkPolicy closes). Built
// static, it is the only file of the probe image k8s-up imports into every node.
//
//	probe [-wait D] [-for D] URL    exit 0 on a 200, 1 on any other answer, 2 when nothing answered
//
// -wait sleeps before the first try (to let a policy enforcer see the new pod); -for keeps
// trying, four times a second, until a 200 or that long has passed, and reports the last try.
package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run asks the URL with a short timeout per try: a closed path must fail the probe fast,
// not hang the test.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("probe", flag.ContinueOnError)
	fs.SetOutput(stderr)
	wait := fs.Duration("wait", 0, "sleep this long before the first try")
	keep := fs.Duration("for", 0, "keep trying until a 200 or this long has passed")
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 || *wait < 0 || *keep < 0 {
		fmt.Fprintln(stderr, "usage: probe [-wait D] [-for D] URL")
		return 2
	}
	time.Sleep(*wait)
	client := &http.Client{Timeout: 3 * time.Second}
	deadline := time.Now().Add(*keep)
	tries := 0
	for {
		tries++
		code, line := try(client, fs.Arg(0))
		if code == 0 || !time.Now().Before(deadline) {
			if code == 2 {
				fmt.Fprintf(stderr, "probe: no answer (%d tries): %s\n", tries, line)
			} else {
				fmt.Fprintf(stdout, "%s (%d tries)\n", line, tries)
			}
			return code
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// try asks once: 0 and the answer on a 200, 1 and the answer on another, 2 and the error.
func try(client *http.Client, url string) (int, string) {
	resp, err := client.Get(url)
	if err != nil {
		return 2, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
	line := fmt.Sprintf("%d %s", resp.StatusCode, body)
	if resp.StatusCode != http.StatusOK {
		return 1, line
	}
	return 0, line
}
