//go:build unix && !floppy

package server

import (
	"bufio"
	"io"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/getsmall/getsmall/internal/rawhttp"
)

// halfRequest is the start of a request whose header never ends: a connection that sent it
// is in a request, and holds a place there, until the read timeout.
const halfRequest = "GET /health HTTP/1.1\r\nHost: x\r\nX-Pad: aaaa"

// placesConfig allows 16 open connections and 2 places in a request: one general, one
// reserved for connections that have completed a request.
func placesConfig() Config {
	cfg := Defaults()
	cfg.MaxConns, cfg.MaxBusy = 16, 2
	cfg.IdleTimeout = time.Minute
	return cfg
}

// servedConn is a connection that was answered once and then parked, of parked in all.
func (o *observed) servedConn(t *testing.T, parked int) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, br := dialTCP(t, o.addr)
	if a, err := exchange(t, c, br, get("/health")); err != nil || a.Status != 200 {
		t.Fatal(a, err)
	}
	o.waitFor(t, "http_connections_parked", strconv.Itoa(parked))
	return c, br
}

// wantRefused sends GET /health on c and wants the over-cap 503, a close, and no sooner
// than busyWait after start, the moment before the request's first byte was sent (the
// server's wait begins when that byte arrives, which may be before this call).
func wantRefused(t *testing.T, name string, c net.Conn, br *bufio.Reader, start time.Time) {
	t.Helper()
	a, err := exchange(t, c, br, get("/health"))
	if err != nil || a.Status != 503 || !a.Close {
		t.Errorf("%s with every place it may take in a request: %+v, %v; want 503 and a close", name, a, err)
	}
	if took := time.Since(start); took < busyWait {
		t.Errorf("%s: refused after %v, before the %v wait for a place", name, took, busyWait)
	}
	if rest, err := io.ReadAll(br); err != nil || len(rest) != 0 {
		t.Errorf("%s after its 503: read %q, %v; want its end", name, rest, err)
	}
}

// TestPlacesParkIdleConnections holds every place with connections that were just answered
// and wait for their next request, too recently for the sweep to park them: a new
// connection's request and a parked one's are served all the same, once the idle ones
// park.
func TestPlacesParkIdleConnections(t *testing.T) {
	t.Parallel()
	cfg := placesConfig()
	o := serveObserved(t, cfg)
	parked, parkedBR := o.servedConn(t, 1) // takes no place while parked
	for round := range 3 {
		for i := range cfg.MaxBusy {
			c, br := dialTCP(t, o.addr)
			if a, err := exchange(t, c, br, get("/health")); err != nil || a.Status != 200 {
				t.Fatalf("round %d, idle connection %d: %+v, %v", round, i, a, err)
			}
		}
		fresh, freshBR := dialTCP(t, o.addr)
		if a, err := exchange(t, fresh, freshBR, get("/health")); err != nil || a.Status != 200 {
			t.Fatalf("round %d: a new connection with every place held by idle ones: %+v, %v; want 200", round, a, err)
		}
		if a, err := exchange(t, parked, parkedBR, get("/health")); err != nil || a.Status != 200 {
			t.Fatalf("round %d: a parked connection with every place held by idle ones: %+v, %v; want 200", round, a, err)
		}
	}
	m := o.scrape(t)
	if m["http_connections_busy_max"] != strconv.Itoa(cfg.MaxBusy) || m["http_connections_refused_total"] != "0" {
		t.Errorf("http_connections_busy_max %s, http_connections_refused_total %s; want %d and 0",
			m["http_connections_busy_max"], m["http_connections_refused_total"], cfg.MaxBusy)
	}
}

// TestPlacesReserveForServedConnections fills the general place with a request that never
// ends: a new connection gets the over-cap 503 after busyWait, and a connection that has
// completed a request is served from the reserved place. Once that one holds the reserved
// place with a request that never ends too, another served connection gets the 503; when
// the requests end, a new connection is served again.
func TestPlacesReserveForServedConnections(t *testing.T) {
	t.Parallel()
	cfg := placesConfig()
	o := serveObserved(t, cfg)
	first, firstBR := o.servedConn(t, 1)
	second, secondBR := o.servedConn(t, 2)
	holder, _ := dialTCP(t, o.addr)
	if _, err := io.WriteString(holder, halfRequest); err != nil {
		t.Fatal(err)
	}
	o.waitFor(t, "http_connections_busy", "1")

	fresh, freshBR := dialTCP(t, o.addr)
	wantRefused(t, "a new connection", fresh, freshBR, time.Now())
	// Sent with the request that takes the reserved place, the request that never ends
	// keeps it: fasthttp reads both at once, and never waits for a request in between.
	if a, err := exchange(t, first, firstBR, get("/health")+halfRequest); err != nil || a.Status != 200 {
		t.Fatalf("a served connection with the general place held: %+v, %v; want 200 from the reserved place", a, err)
	}
	o.waitFor(t, "http_connections_busy", "2")
	wantRefused(t, "a served connection", second, secondBR, time.Now())
	if got := o.scrape(t)["http_connections_refused_total"]; got != "2" {
		t.Errorf("http_connections_refused_total = %s, want 2", got)
	}

	_, _ = holder.Close(), first.Close()
	o.waitFor(t, "http_connections_busy", "0")
	c, br := dialTCP(t, o.addr)
	if a, err := exchange(t, c, br, get("/health")); err != nil || a.Status != 200 {
		t.Fatalf("a new connection once the requests ended: %+v, %v; want 200", a, err)
	}
}

// TestPlacesKeepServedClients holds the general place with a slow request, while new
// connections with slow requests keep asking for one: they get 503s, and a client that sends
// requests back to back is answered 200 every time, from the reserved place. This is the
// memory attack's load beside its slow connections (test/docker).
func TestPlacesKeepServedClients(t *testing.T) {
	t.Parallel()
	cfg := placesConfig()
	o := serveObserved(t, cfg)
	busy, busyBR := dialTCP(t, o.addr)
	if a, err := exchange(t, busy, busyBR, get("/health")); err != nil || a.Status != 200 {
		t.Fatal(a, err)
	}
	holder, _ := dialTCP(t, o.addr)
	if _, err := io.WriteString(holder, halfRequest); err != nil {
		t.Fatal(err)
	}
	// The holder, waiting for the general place, parks the busy client, which waited for its
	// next request there, and takes the place; that request then takes the reserved place,
	// the only one left.
	o.waitFor(t, "http_connections_parked", "1")
	o.waitFor(t, "http_connections_busy", "1")
	if a, err := exchange(t, busy, busyBR, get("/health")); err != nil || a.Status != 200 {
		t.Fatal(a, err)
	}
	refused := make(chan int, 3)
	for range cap(refused) {
		go func() {
			c, err := net.Dial("tcp", o.addr)
			if err != nil {
				refused <- 0
				return
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(bound))
			_, _ = io.WriteString(c, halfRequest)
			a, err := rawhttp.Read(bufio.NewReader(c), false)
			if err != nil {
				refused <- 0
				return
			}
			refused <- a.Status
		}()
	}
	// Between its requests the client keeps the reserved place until the sweep parks it,
	// at most half a second: the metrics are read there, and the requests go on until they
	// have shown it (a single look after one request could miss it on a loaded machine).
	answered, start, heldReserved := 0, time.Now(), false
	for deadline := start.Add(busyWait + 500*time.Millisecond); time.Now().Before(deadline) || !heldReserved; answered++ {
		if a, err := exchange(t, busy, busyBR, get("/health")); err != nil || a.Status != 200 {
			t.Fatalf("request %d back to back while slow ones asked for a place: %+v, %v; want 200", answered+1, a, err)
		}
		if !heldReserved {
			heldReserved = o.scrape(t)["http_connections_busy"] == "2"
		}
		if time.Since(start) > bound {
			t.Fatalf("http_connections_busy never came to 2 in %d requests back to back: the reserved place was not taken", answered+1)
		}
	}
	for range cap(refused) {
		if status := <-refused; status != 503 {
			t.Errorf("a slow request with every place taken: status %d, want 503", status)
		}
	}
	t.Logf("%d requests back to back answered 200 while 3 slow ones were refused", answered)
}

// TestPlacesShared runs more clients than there are places, each sending requests back to
// back on its own connection: they take turns, and every request is answered 200.
func TestPlacesShared(t *testing.T) {
	t.Parallel()
	cfg := placesConfig()
	o := serveObserved(t, cfg)
	const clients, requests = 8, 50
	var wg sync.WaitGroup
	for i := range clients {
		c, br := dialTCP(t, o.addr)
		wg.Go(func() {
			for j := range requests {
				if a, err := exchange(t, c, br, get("/health")); err != nil || a.Status != 200 {
					t.Errorf("client %d, request %d with %d places for %d clients: %+v, %v; want 200", i, j, cfg.MaxBusy, clients, a, err)
					return
				}
			}
		})
	}
	wg.Wait()
	m := o.scrape(t)
	if m["http_connections_refused_total"] != "0" || m[`http_requests_total{route="/health",method="GET",status="200"}`] != strconv.Itoa(clients*requests) {
		t.Errorf("after %d requests on %d connections: %v", clients*requests, clients, m)
	}
}

// TestPlacesQuickForWholeRequests fills the general places with requests that never end:
// a new connection whose request has arrived whole is answered from a quick place, at
// once, again and again, while a new one with a request that has not is refused.
func TestPlacesQuickForWholeRequests(t *testing.T) {
	t.Parallel()
	cfg := placesConfig()
	cfg.MaxBusy = 4 // one reserved, one quick, two general
	o := serveObserved(t, cfg)
	for range 2 {
		c, _ := dialTCP(t, o.addr)
		if _, err := io.WriteString(c, halfRequest); err != nil {
			t.Fatal(err)
		}
	}
	o.waitFor(t, "http_connections_busy", "2")
	for i := range 5 {
		c, br := dialTCP(t, o.addr)
		start := time.Now()
		if a, err := exchange(t, c, br, get("/health")); err != nil || a.Status != 200 {
			t.Fatalf("new connection %d, its request whole, with the general places held: %+v, %v; want 200", i, a, err)
		}
		if took := time.Since(start); took >= busyWait {
			t.Errorf("new connection %d, its request whole: answered after %v, as if it had waited for a general place", i, took)
		}
		_ = c.Close()
	}
	slow, slowBR := dialTCP(t, o.addr)
	sent := time.Now()
	if _, err := io.WriteString(slow, "POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"); err != nil {
		t.Fatal(err)
	}
	wantRefused(t, "a new connection, its request unfinished", slow, slowBR, sent)
}

// TestArrivedWhole checks which heads count as a request that has arrived whole.
func TestArrivedWhole(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]bool{
		"GET /health HTTP/1.1\r\nHost: x\r\n\r\n":                           true,
		"GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET /health HTTP/1.1\r\n":   true, // the first is whole
		"GET /health HTTP/1.1\r\nHost: x\r\n":                               false,
		"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n":          false,
		"POST /x HTTP/1.1\r\nHost: x\r\nCONTENT-LENGTH: 5\r\n\r\nhello":     false,
		"POST /x HTTP/1.1\r\nHost: x\r\ntransfer-encoding: chunked\r\n\r\n": false,
		"GET /health HTTP/1.1\nHost: x\n\n":                                 false, // bare LF: a general place, then its 400
	} {
		if got := arrivedWhole([]byte(in)); got != want {
			t.Errorf("arrivedWhole(%q) = %v, want %v", in, got, want)
		}
	}
}
