// Command vulnmod calls a function with a known, reachable vulnerability: language.Parse
// of golang.org/x/text v0.3.6 (GO-2021-0113). make vuln scans it first and must fail on it;
// if it does not, the vulnerability database or govulncheck is broken and the gate stops.
// Never build or ship it.
package main

import (
	"fmt"
	"os"

	"golang.org/x/text/language"
)

func main() {
	tag, err := language.Parse(os.Args[1])
	fmt.Println(tag, err)
}
