//go:build proxies

package proxies

import "fmt"

// A smuggling attempt works when the proxy and the backend disagree on where a request ends:
// what the backend takes for the start of the next request on that pooled connection is
// then the attacker's, and the next client, whose request goes over it, gets the answer to
// it. The bytes meant to be taken for that start:
const (
	// prefix is a request left unfinished: the next client's request line becomes its
	// X-Ignore value, and that client is answered 404.
	prefix = "GET /nope HTTP/1.1\r\nX-Ignore: "
	// absorbing is a whole request whose body swallows the 7 bytes that end a chunked body
	// ("\r\n0\r\n\r\n") and the start of the next client's request, which is answered 404.
	absorbing = "GET /nope HTTP/1.1\r\nHost: x\r\nContent-Length: 20\r\n\r\n"
	// inner is a whole request to the body route with the wrong method: 405 if taken for one.
	inner = "GET /echo HTTP/1.1\r\nHost: x\r\n\r\n"
)

// shape is one smuggling attempt, sent raw to the proxy.
type shape struct {
	name string
	raw  string
}

// post is a POST to the body route with extra header lines (each ending in CRLF).
func post(headers string) string {
	return "POST /echo HTTP/1.1\r\nHost: x\r\n" + headers + "\r\n"
}

// length is a Content-Length header line announcing body.
func length(body string) string { return fmt.Sprintf("Content-Length: %d\r\n", len(body)) }

// absorbingChunk frames absorbing as one chunk whose size line is size (its hex length when
// empty), then the last chunk: a party that reads the chunked framing as the sender meant
// finds a body, one that does not finds absorbing where a request should start.
func absorbingChunk(size string) string {
	if size == "" {
		size = fmt.Sprintf("%x", len(absorbing))
	}
	return size + "\r\n" + absorbing + "\r\n0\r\n\r\n"
}

// clte is a body that a party reading Content-Length takes whole, while one reading the
// chunked framing stops at its last chunk and takes prefix for the next request.
const clte = "0\r\n\r\n" + prefix

// withTE is the classic CL.TE attempt with a Transfer-Encoding header spelled te: a proxy
// that does not see chunked in it frames by Content-Length, and a backend that does takes
// prefix for the next request.
func withTE(te string) string {
	return post(length(clte)+te) + clte
}

// shapes are the request-smuggling shapes: CL.TE and TE.CL, Transfer-Encoding obfuscated the
// ways known to split parsers, odd chunk sizes, GETs with bodies, and requests inside bodies.
var shapes = func() []shape {
	size := fmt.Sprintf("%x", len(absorbing))         // "33"
	tecl := absorbingChunk("")                        // a Content-Length of 4 ends after its size line
	chunked := post("Transfer-Encoding: chunked\r\n") // then the body
	return []shape{
		{"CL.TE", withTE("Transfer-Encoding: chunked\r\n")},
		{"TE.CL", post("Content-Length: 4\r\nTransfer-Encoding: chunked\r\n") + tecl},
		{"TE: xchunked", withTE("Transfer-Encoding: xchunked\r\n")},
		{"TE with a space before the colon", withTE("Transfer-Encoding : chunked\r\n")},
		{"TE with a tab before chunked", withTE("Transfer-Encoding:\tchunked\r\n")},
		{"TE line starting with a space", withTE(" Transfer-Encoding: chunked\r\n")},
		{"TE after a bare LF", withTE("X-Pad: x\nTransfer-Encoding: chunked\r\n")},
		{"TE name, then the colon on the next line", withTE("Transfer-Encoding\r\n: chunked\r\n")},
		{"TE folded (obs-fold)", withTE("Transfer-Encoding:\r\n chunked\r\n")},
		{"TE: chunked, identity", withTE("Transfer-Encoding: chunked, identity\r\n")},
		{"two TE headers: chunked, then x", withTE("Transfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n")},
		{"two TE headers: x, then chunked", withTE("Transfer-Encoding: x\r\nTransfer-Encoding: chunked\r\n")},
		{"chunk size 0x" + size, chunked + absorbingChunk("0x"+size)},
		{"chunk size +" + size, chunked + absorbingChunk("+"+size)},
		{"chunk size " + size + "; (empty extension)", chunked + absorbingChunk(size+";")},
		{"chunk size over 64 bits", chunked + absorbingChunk("1"+fmt.Sprintf("%016x", len(absorbing)))},
		{"two Content-Lengths", post(length(clte)+"Content-Length: 0\r\n") + clte},
		{"GET with a body", "GET /health HTTP/1.1\r\nHost: x\r\n" + length(prefix) + "\r\n" + prefix},
		{"GET with a chunked body", "GET /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + absorbingChunk("")},
		{"a request in a body (GET /echo)", post(length(inner)) + inner},
		{"a request prefix in a body (GET /nope)", post(length(prefix)) + prefix},
		{"a request prefix in a chunked body", chunked + absorbingChunk("")},
	}
}()
