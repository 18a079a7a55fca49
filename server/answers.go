package server

import (
	"bytes"
	"errors"
	"net"
	"time"

	"github.com/valyala/fasthttp"
)

// The body of every plain-text answer the server gives itself, in the router's style: the
// status code and its reason (RFC 9110's words) in lower case, on one line ending in a
// newline. Nothing names the framework.
var (
	body400 = []byte("400 bad request\n")
	body408 = []byte("408 request timeout\n")
	body413 = []byte("413 content too large\n")
	body431 = []byte("431 request header fields too large\n")
	body505 = []byte("505 http version not supported\n")
)

// plain returns the body of code's answer.
func plain(code int) []byte {
	switch code {
	case fasthttp.StatusRequestTimeout:
		return body408
	case fasthttp.StatusRequestEntityTooLarge:
		return body413
	case fasthttp.StatusRequestHeaderFieldsTooLarge:
		return body431
	case fasthttp.StatusHTTPVersionNotSupported:
		return body505
	}
	return body400
}

// contentTooLarge is RFC 9110's reason phrase for 413; fasthttp still writes RFC 2616's.
var contentTooLarge = []byte("Content Too Large")

var contentTypeText = []byte("text/plain; charset=utf-8")

// refuse answers code with its plain body, closes the connection after the answer, and has
// the close linger: the client may still be sending what was refused. The metrics count it.
func refuse(ctx *fasthttp.RequestCtx, code int) {
	if c, ok := ctx.Conn().(*conn); ok {
		c.l.obs.refused(code)
	}
	ctx.Response.Reset()
	ctx.SetStatusCode(code)
	if code == fasthttp.StatusRequestEntityTooLarge {
		ctx.Response.Header.SetStatusMessage(contentTooLarge)
	}
	ctx.Response.Header.SetContentTypeBytes(contentTypeText)
	ctx.SetBody(plain(code))
	ctx.SetConnectionClose()
	lingerOnClose(ctx)
}

// lingerOnClose asks the connection of ctx for a lingering close.
func lingerOnClose(ctx *fasthttp.RequestCtx) {
	if c, ok := ctx.Conn().(*conn); ok {
		c.lingerOnClose.Store(true)
	}
}

// answerError answers a request fasthttp could not read. fasthttp's own handler answers
// 400 to a body over MaxRequestBodySize and to a read timeout (it misses the timeout when
// wrapped, as fasthttp wraps it), and words its answers its own way.
func (s *Server) answerError(ctx *fasthttp.RequestCtx, err error) {
	var small *fasthttp.ErrSmallBuffer
	var timeout interface{ Timeout() bool }
	switch {
	case errors.As(err, &timeout) && timeout.Timeout():
		// A connection that sent not one byte is closed without a word, as net/http and
		// nginx close it: browsers and proxies open connections ahead of time, and an
		// unasked-for 408 on one of them reads as the answer to their next request.
		if c, ok := ctx.Conn().(*conn); ok && c.read == 0 {
			c.silent.Store(true)
			return
		}
		refuse(ctx, fasthttp.StatusRequestTimeout)
	case errors.As(err, &small):
		refuse(ctx, fasthttp.StatusRequestHeaderFieldsTooLarge)
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		refuse(ctx, fasthttp.StatusRequestEntityTooLarge)
	default:
		refuse(ctx, fasthttp.StatusBadRequest)
	}
	s.armWrite(ctx.Conn())
	if s.obs != nil {
		c, ok := ctx.Conn().(*conn)
		// The head was read when the error came with its body: the framing was in a body.
		head := ok && (c.framing.off || c.framing.body > 0) || errors.Is(err, fasthttp.ErrBodyTooLarge)
		s.obs.answered(ctx, 0, head && !errors.As(err, &small))
	}
}

// armWrite gives the answer about to be written on c a whole WriteTimeout. fasthttp sets
// the write deadline before a handler's answer only; its error answers, and the 100
// Continue, are written under the deadline of the connection's previous answer, which on a
// connection idle for longer than WriteTimeout has passed: the answer was dropped and the
// connection closed without a word (a proxy that pooled the connection then answers its
// client 502). docs/http.md describes it.
func (s *Server) armWrite(c net.Conn) {
	_ = c.SetWriteDeadline(time.Now().Add(s.Config.WriteTimeout))
}

// expect answers a request that asked "Expect: 100-continue" (RFC 9110 section 10.1.1). A
// route that reads a body (router.Route.MaxBodyBytes) gets 100 Continue when the declared
// length is within its limit, then its body, and 413 before anything else when it is over.
// A route that reads none invites no body: a length over MaxBodyBytes is refused with 413,
// and any other request gets the answer it would get without the expectation, at once, on
// a connection that then closes (its body may be on its way). HTTP/1.0 requests never get
// here: fasthttp ignores their expectation, as RFC 9110 asks.
func (s *Server) expect(handler fasthttp.RequestHandler) func(*fasthttp.RequestCtx) int {
	return func(ctx *fasthttp.RequestCtx) int {
		length := ctx.Request.Header.ContentLength() // -1: chunked, bounded while it is read
		if limit := s.bodyLimit(&ctx.Request.Header); limit > 0 {
			if length > limit {
				refuse(ctx, fasthttp.StatusRequestEntityTooLarge)
				return fasthttp.StatusRequestEntityTooLarge
			}
			s.armWrite(ctx.Conn()) // for the 100 Continue
			return fasthttp.StatusContinue
		}
		if length > s.Config.MaxBodyBytes {
			refuse(ctx, fasthttp.StatusRequestEntityTooLarge)
			return fasthttp.StatusRequestEntityTooLarge
		}
		handler(ctx)
		lingerOnClose(ctx)
		return ctx.Response.StatusCode()
	}
}

// bodyLimit is the body limit of the route h is for, MaxBodyBytes at most; 0 for a route
// that reads no body.
func (s *Server) bodyLimit(h *fasthttp.RequestHeader) int {
	if s.BodyLimit == nil {
		return 0
	}
	return min(s.BodyLimit(h), s.Config.MaxBodyBytes)
}

// headerReceived runs on every request head, before its body is read: it mends the
// version (upgradeMinor) and bounds the body by the route's own limit.
func (s *Server) headerReceived(h *fasthttp.RequestHeader) fasthttp.RequestConfig {
	upgradeMinor(h)
	return fasthttp.RequestConfig{MaxRequestBodySize: s.bodyLimit(h)} // 0: MaxBodyBytes
}

var http11 = []byte("HTTP/1.1")

// upgradeMinor serves HTTP/1.2 to 1.9 as HTTP/1.1, as RFC 9112 section 2.3 asks of a server
// that implements 1.1, when they carry the Host that 1.1 requires; without one they stay
// as they are and strict refuses them.
func upgradeMinor(h *fasthttp.RequestHeader) {
	if p := h.Protocol(); len(p) == 8 && p[5] == '1' && p[7] > '1' && len(h.Host()) > 0 {
		h.SetProtocolBytes(http11)
	}
}

// strict refuses, before the router sees them, what fasthttp lets through but a strict
// HTTP/1.1 server must not serve: a major version other than 1 (505), HTTP/1.2 and later
// without a Host (400, see upgradeMinor), and a header folded over lines, obs-fold (400,
// RFC 9112 section 5.2: folding has been obsolete since 2014 and is a request-smuggling
// vector). The common request costs two comparisons and one scan of its raw header.
func strict(next fasthttp.RequestHandler) fasthttp.RequestHandler {
	return func(ctx *fasthttp.RequestCtx) {
		h := &ctx.Request.Header
		switch p := h.Protocol(); {
		case bytes.Equal(p, http11), string(p) == "HTTP/1.0":
		case len(p) == 8 && p[5] == '1':
			refuse(ctx, fasthttp.StatusBadRequest)
			return
		default:
			refuse(ctx, fasthttp.StatusHTTPVersionNotSupported)
			return
		}
		if folded(h.RawHeaders()) {
			refuse(ctx, fasthttp.StatusBadRequest)
			return
		}
		next(ctx)
	}
}

// folded reports whether a raw header block continues a field on a line that starts with
// a space or a tab.
func folded(raw []byte) bool {
	for {
		i := bytes.IndexByte(raw, '\n')
		if i < 0 || i+1 >= len(raw) {
			return false
		}
		if raw[i+1] == ' ' || raw[i+1] == '\t' {
			return true
		}
		raw = raw[i+1:]
	}
}
