//go:build conformance

// Package conformance holds the binary to RFC 9112's server requirements that apply to a
// server with no request bodies, on the wire, with its answers judged by h11 (judge.py): a
// Python HTTP/1.1 parser packaged by Debian, so that a bug fasthttp and Go's net/http share
// cannot pass unseen. The tests are behind the conformance build tag: make test-conformance.
package conformance

// exchange is one connection: what the client sends and what the answer must be.
type exchange struct {
	name    string
	rfc     string   // the requirement, by section
	send    string   // written at once; the client does not close its side
	methods []string // of the requests the answers are to, for the judge
	status  []int    // the answers' status codes, in order
	body    string   // the last answer's body
	close   bool     // the server closes the connection right after the last answer
	more    []string // written after send, each after a pause (longer than WRITE_TIMEOUT)
	early   int      // answers that must have arrived before the first of more is written
	interim []int    // the informational answers (100 Continue) among all, in order
}

// x is an exchange written at once.
func x(name, rfc, send string, methods []string, status []int, body string, close bool) exchange {
	return exchange{name: name, rfc: rfc, send: send, methods: methods, status: status, body: body, close: close}
}

// then has the client pause after what it sent so far, then write each of more, pausing
// again before the next: a connection that idles, or a body that waits for 100 Continue.
func (ex exchange) then(more ...string) exchange { ex.more = more; return ex }

// answeredFirst asks for n answers to have arrived before the client writes the rest.
func (ex exchange) answeredFirst(n int) exchange { ex.early = n; return ex }

// continued asks for a 100 Continue among the answers.
func (ex exchange) continued() exchange { ex.interim = []int{100}; return ex }

const (
	ok       = `{"status":"ok"}`
	notFound = "404 not found\n"
	badReq   = "400 bad request\n"
	get      = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
)

// exchanges are the cases; docs/http.md lists each with its answer.
var exchanges = []exchange{
	// The request line (RFC 9112 section 3).
	x("GET", "3", get, m("GET"), s(200), ok, false),
	x("two spaces in the request line", "3", "GET  /health HTTP/1.1\r\nHost: x\r\n\r\n", m("GET"), s(400), badReq, true),
	x("no version", "3", "GET /health\r\nHost: x\r\n\r\n", m("GET"), s(400), badReq, true),
	x("a space in the target", "3.2", "GET /he alth HTTP/1.1\r\nHost: x\r\n\r\n", m("GET"), s(400), badReq, true),
	x("a control character in the target", "3.2", "GET /he\x01alth HTTP/1.1\r\nHost: x\r\n\r\n", m("GET"), s(400), badReq, true),
	x("asterisk-form with GET", "3.2.4", "GET * HTTP/1.1\r\nHost: x\r\n\r\n", m("GET"), s(400), badReq, true),
	x("an empty line before the request line", "2.2", "\r\n"+get, m("GET"), s(200), ok, false),
	x("a method the route does not allow", "RFC 9110 15.5.6", "DELETE /health HTTP/1.1\r\nHost: x\r\n\r\n", m("DELETE"), s(405), "405 method not allowed\n", false),
	x("a method name in lower case", "RFC 9110 9.1", "get /health HTTP/1.1\r\nHost: x\r\n\r\n", m("GET"), s(405), "405 method not allowed\n", false),
	x("another path", "", "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", m("GET"), s(404), notFound, false),

	// Versions (RFC 9112 section 2.3, RFC 9110 section 15.6.6).
	x("HTTP/1.0", "2.3", "GET /health HTTP/1.0\r\n\r\n", m("GET"), s(200), ok, true),
	x("HTTP/1.0 keep-alive", "9.3", "GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"+"GET /nope HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", m("GET", "GET"), s(200, 404), notFound, false),
	x("HTTP/1.2, served as 1.1", "2.3", "GET /health HTTP/1.2\r\nHost: x\r\n\r\n", m("GET"), s(200), ok, true),
	x("HTTP/1.2 without a Host", "3.2", "GET /health HTTP/1.2\r\n\r\n", m("GET"), s(400), badReq, true),
	x("HTTP/2.0", "RFC 9110 15.6.6", "GET /health HTTP/2.0\r\nHost: x\r\n\r\n", m("GET"), s(505), "505 http version not supported\n", true),
	x("HTTP/3.7", "RFC 9110 15.6.6", "GET /health HTTP/3.7\r\nHost: x\r\n\r\n", m("GET"), s(505), "505 http version not supported\n", true),
	x("HTTP/0.9", "RFC 9110 15.6.6", "GET /health HTTP/0.9\r\n\r\n", m("GET"), s(505), "505 http version not supported\n", true),
	x("HTTP/1.10", "2.3", "GET /health HTTP/1.10\r\nHost: x\r\n\r\n", m("GET"), s(400), badReq, true),
	x("http/1.1 in lower case", "2.3", "GET /health http/1.1\r\nHost: x\r\n\r\n", m("GET"), s(400), badReq, true),

	// Line endings and fields (RFC 9112 sections 2.2 and 5).
	x("bare LF throughout", "2.2", "GET /health HTTP/1.1\nHost: x\n\n", m("GET"), s(400), badReq, true),
	x("bare LF ending the head", "2.2", "GET /health HTTP/1.1\r\nHost: x\r\n\n", m("GET"), s(400), badReq, true),
	x("bare LF inside, CRLF at the end", "2.2", "GET /health HTTP/1.1\nHost: x\r\n\r\n", m("GET"), s(200), ok, false),
	x("bare LF after a good request", "2.2", get+"GET /health HTTP/1.1\nHost: x\n\n", m("GET", "GET"), s(200, 400), badReq, true),
	x("bare CR", "2.2", "GET /health HTTP/1.1\rHost: x\r\n\r\n", m("GET"), s(400), badReq, true),
	x("whitespace before the colon", "5.1", "GET /health HTTP/1.1\r\nHost : x\r\n\r\n", m("GET"), s(400), badReq, true),
	x("a field line without a colon", "5", "GET /health HTTP/1.1\r\nHost: x\r\nBogus\r\n\r\n", m("GET"), s(400), badReq, true),
	x("obs-fold", "5.2", "GET /health HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n", m("GET"), s(400), badReq, true),
	x("obs-fold in Transfer-Encoding", "5.2", "POST /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n", m("POST"), s(400), badReq, true),

	// Host (RFC 9112 section 3.2).
	x("no Host in HTTP/1.1", "3.2", "GET /health HTTP/1.1\r\n\r\n", m("GET"), s(400), badReq, true),
	x("two Hosts", "3.2", "GET /health HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", m("GET"), s(400), badReq, true),
	x("a Host with a space", "3.2", "GET /health HTTP/1.1\r\nHost: a b\r\n\r\n", m("GET"), s(400), badReq, true),
	x("absolute-form, another Host", "3.2.2", "GET http://a.example/health HTTP/1.1\r\nHost: b.example\r\n\r\n", m("GET"), s(200), ok, false),
	x("absolute-form of another path", "3.2.2", "GET http://a.example/nope HTTP/1.1\r\nHost: a.example\r\n\r\n", m("GET"), s(404), notFound, false),

	// Content-Length and Transfer-Encoding (RFC 9112 section 6).
	x("Content-Length and Transfer-Encoding", "6.1", "POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", m("POST"), s(405), "405 method not allowed\n", true),
	x("two different Content-Lengths", "6.3", "POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", m("POST"), s(400), badReq, true),
	x("a Content-Length list", "6.3", "POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 3\r\n\r\nabc", m("POST"), s(400), badReq, true),
	x("Content-Length +3", "6.3", "POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: +3\r\n\r\nabc", m("POST"), s(400), badReq, true),
	x("Content-Length -1", "6.3", "POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", m("POST"), s(400), badReq, true),
	x("chunked not last", "6.3", "POST /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n", m("POST"), s(400), badReq, true),
	x("a coding before chunked", "6.1", "POST /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", m("POST"), s(400), badReq, true),
	x("Transfer-Encoding in HTTP/1.0", "6.1", "POST /health HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", m("POST"), s(400), badReq, true),
	x("a body over the limit", "RFC 9110 15.5.14", "POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 4097\r\n\r\n", m("POST"), s(413), "413 content too large\n", true),
	x("a header over the limit", "RFC 6585 5", "GET /health HTTP/1.1\r\nHost: x\r\nX-Pad: "+pad(4096)+"\r\n\r\n", m("GET"), s(431), "431 request header fields too large\n", true),

	// Chunked framing (RFC 9112 section 7.1).
	x("a chunked body", "7.1", "POST /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"+get, m("POST", "GET"), s(405, 200), ok, false),
	x("a chunk extension and a trailer", "7.1.1", "POST /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n0\r\nX-T: 1\r\n\r\n"+get, m("POST", "GET"), s(405, 200), ok, false),
	x("a chunk size that is not hex", "7.1", "POST /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n\r\n", m("POST"), s(400), badReq, true),
	x("a chunk size too large", "7.1", "POST /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\n", m("POST"), s(400), badReq, true),
	x("chunk data without its CRLF", "7.1", "POST /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX0\r\n\r\n", m("POST"), s(400), badReq, true),

	// Connections (RFC 9112 section 9).
	x("pipelined requests answered in order", "9.3.2", get+"HEAD /health HTTP/1.1\r\nHost: x\r\n\r\n"+"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", m("GET", "HEAD", "GET"), s(200, 200, 404), notFound, false),
	x("Connection: close", "9.6", "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", m("GET"), s(200), ok, true),
	x("HEAD has no body", "RFC 9110 9.3.2", "HEAD /health HTTP/1.1\r\nHost: x\r\n\r\n"+get, m("HEAD", "GET"), s(200, 200), ok, false),

	// Expect: 100-continue (RFC 9110 section 10.1.1): no 100 for a body that is not read.
	x("100-continue over the body limit", "RFC 9110 10.1.1", "POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n", m("POST"), s(413), "413 content too large\n", true),
	x("100-continue within the limit", "RFC 9110 10.1.1", "POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n", m("POST"), s(405), "405 method not allowed\n", true),
	x("100-continue without content", "RFC 9110 10.1.1", "GET /health HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n\r\n", m("GET"), s(200), ok, true),
	x("100-continue in HTTP/1.0 is ignored", "RFC 9110 10.1.1", "GET /health HTTP/1.0\r\nExpect: 100-continue\r\n\r\n", m("GET"), s(200), ok, true),

	// Every answer on a kept-alive connection that idled past WRITE_TIMEOUT, as a proxy's
	// pooled one does: the error answers were lost there (RFC 9112 9.3, issue 24).
	x("400 after idling", "9.3", get, m("GET", "GET"), s(200, 400), badReq, true).then("GET /health HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
	x("408 after idling", "RFC 9110 15.5.9", get, m("GET", "GET"), s(200, 408), "408 request timeout\n", true).then("GET /health HTTP/1.1\r\nHost: x\r\n"),
	x("413 after idling", "RFC 9110 15.5.14", get, m("GET", "POST"), s(200, 413), "413 content too large\n", true).then("POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n"),
	x("431 after idling", "RFC 6585 5", get, m("GET", "GET"), s(200, 431), "431 request header fields too large\n", true).then("GET /health HTTP/1.1\r\nHost: x\r\nX-Pad: " + pad(4096) + "\r\n\r\n"),
	x("505 after idling", "RFC 9110 15.6.6", get, m("GET", "GET"), s(200, 505), "505 http version not supported\n", true).then("GET /health HTTP/2.0\r\nHost: x\r\n\r\n"),
	x("a refused expectation after idling", "RFC 9110 10.1.1", get, m("GET", "POST"), s(200, 413), "413 content too large\n", true).then("POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n"),

	// A complete request's answer is written before the server waits for the rest of the
	// next one (RFC 9112 9.3.2): it waited with the answer unsent (issue 24).
	x("a complete request, then half a body", "9.3.2", get+"POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab", m("GET", "POST"), s(200, 405), "405 method not allowed\n", false).then("cdefghij").answeredFirst(1),
	x("a complete request, then half a head", "9.3.2", get+"GET /health HTTP/1.1\r\nHost: x\r\n", m("GET", "GET"), s(200, 200), ok, false).then("\r\n").answeredFirst(1),
}

// section names the requirement: RFC 9112's section, or another RFC's as written.
func (ex exchange) section() string {
	switch {
	case ex.rfc == "":
		return "this service's own"
	case len(ex.rfc) > 3 && ex.rfc[:3] == "RFC":
		return ex.rfc
	}
	return "RFC 9112 " + ex.rfc
}

func m(methods ...string) []string { return methods }
func s(codes ...int) []int         { return codes }

func pad(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = 'a'
	}
	return string(b)
}
