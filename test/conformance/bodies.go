//go:build conformance

package conformance

import (
	"fmt"
	"strings"
)

// A route that reads a body: getsmall-echo's POST /echo (internal/bodyroute), which reads up
// to echoLimit bytes and answers "got:" and the body.
const (
	echoLimit = 1024
	tooLarge  = "413 content too large\n"
)

// echo is a POST to /echo with a body of n bytes announced by Content-Length; more are
// extra header lines.
func echo(n int, more string) string {
	return fmt.Sprintf("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n%s\r\n", n, more)
}

// echoChunked is a chunked POST to /echo; its body follows.
func echoChunked(more string) string {
	return "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n" + more + "\r\n"
}

// chunks frames body as chunks of at most 500 bytes, with the last chunk when last is set.
func chunks(body string, last bool) string {
	var b strings.Builder
	for len(body) > 0 {
		n := min(len(body), 500)
		fmt.Fprintf(&b, "%x\r\n%s\r\n", n, body[:n])
		body = body[n:]
	}
	if last {
		b.WriteString("0\r\n\r\n")
	}
	return b.String()
}

// bodyExchanges hold the server's body handling to RFC 9112 and RFC 9110 on a build with a
// route that reads bodies (issue 24): the whole body reaches the route, a body over its
// limit is refused before it is read, "Expect: 100-continue" is answered for the route.
var bodyExchanges = func() []exchange {
	const expect = "Expect: 100-continue\r\n"
	at, over := pad(echoLimit), pad(echoLimit+1)
	return []exchange{
		x("a body at the route's limit", "6.2", echo(echoLimit, "")+at, m("POST"), s(200), "got:"+at, false),
		x("a body one byte over the route's limit", "RFC 9110 15.5.14", echo(echoLimit+1, ""), m("POST"), s(413), tooLarge, true),
		x("a chunked body at the route's limit", "7.1", echoChunked("")+chunks(at, true), m("POST"), s(200), "got:"+at, false),
		x("a chunked body over the route's limit", "RFC 9110 15.5.14", echoChunked("")+chunks(over, false), m("POST"), s(413), tooLarge, true),
		x("100-continue within the route's limit", "RFC 9110 10.1.1", echo(5, expect), m("POST"), s(200), "got:hello", false).then("hello").continued(),
		x("100-continue over the route's limit", "RFC 9110 10.1.1", echo(echoLimit+1, expect), m("POST"), s(413), tooLarge, true),
		x("100-continue, chunked, over the limit", "RFC 9110 10.1.1", echoChunked(expect), m("POST"), s(413), tooLarge, true).then(chunks(over, false)).continued(),
		x("100-continue in HTTP/1.0, with its body", "RFC 9110 10.1.1", "POST /echo HTTP/1.0\r\nContent-Length: 5\r\n"+expect+"\r\nhello", m("POST"), s(200), "got:hello", true),
		x("a body slower than READ_TIMEOUT", "RFC 9110 15.5.9", echo(echoLimit, "")+at[:10], m("POST"), s(408), "408 request timeout\n", true),
		x("a body to a route that reads none", "6.3", "GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"+get, m("GET", "GET"), s(200, 200), ok, false),
		x("100-continue after idling", "RFC 9110 10.1.1", get, m("GET", "POST"), s(200, 200), "got:hi", false).then(echo(2, expect), "hi").continued(),
		x("a complete request, then half a body for the route", "9.3.2", get+echo(10, "")+"ab", m("GET", "POST"), s(200, 200), "got:abcdefghij", false).then("cdefghij").answeredFirst(1),
		x("pipelined bodies", "9.3.2", echo(2, "")+"hi"+echoChunked("")+chunks("yo", true)+get, m("POST", "POST", "GET"), s(200, 200, 200), ok, false),
	}
}()
