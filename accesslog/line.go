package accesslog

import (
	"net/netip"
	"strconv"
	"time"
	"unicode/utf8"
)

// Entry is one request as a line records it.
type Entry struct {
	Time     time.Time      // when the request was read
	Remote   netip.AddrPort // the client's address and port (an IPv4 client as IPv4)
	Method   []byte
	Path     []byte // as the request sent it, without its query: a query may carry a secret
	Status   int
	Bytes    int           // of the answer's body
	Duration time.Duration // from the request read to its answer made
}

// AppendLine appends e as one JSON object and a newline:
//
//	{"time":"2026-12-05T10:00:00.123456Z","remote":"10.0.0.7:51234","method":"GET","path":"/health","status":200,"bytes":15,"duration_us":3}
//
// The method and the path come from the client: they are escaped, and bytes that are not
// UTF-8 become U+FFFD, so every line is valid JSON whatever was sent.
func AppendLine(b []byte, e *Entry) []byte {
	b = append(b, `{"time":"`...)
	b = e.Time.UTC().AppendFormat(b, "2006-01-02T15:04:05.000000Z")
	b = append(b, `","remote":"`...)
	if e.Remote.IsValid() {
		b = netip.AddrPortFrom(e.Remote.Addr().Unmap(), e.Remote.Port()).AppendTo(b)
	}
	b = append(b, `","method":"`...)
	b = appendEscaped(b, e.Method)
	b = append(b, `","path":"`...)
	b = appendEscaped(b, e.Path)
	b = append(b, `","status":`...)
	b = strconv.AppendInt(b, int64(e.Status), 10)
	b = append(b, `,"bytes":`...)
	b = strconv.AppendInt(b, int64(e.Bytes), 10)
	b = append(b, `,"duration_us":`...)
	b = strconv.AppendInt(b, e.Duration.Microseconds(), 10)
	return append(b, "}\n"...)
}

const hexDigits = "0123456789abcdef"

// appendEscaped appends s as the inside of a JSON string.
func appendEscaped(b, s []byte) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20 || c == 0x7f:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		case c < utf8.RuneSelf:
			b = append(b, c)
		default:
			r, n := utf8.DecodeRune(s[i:])
			if r == utf8.RuneError && n == 1 {
				b = append(b, `\ufffd`...)
			} else {
				b = append(b, s[i:i+n]...)
			}
			i += n
			continue
		}
		i++
	}
	return b
}
