package accesslog

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestAppendLine(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 5, 10, 0, 0, 123456789, time.FixedZone("CET", 3600))
	for name, tc := range map[string]struct {
		e    Entry
		want string
	}{
		"GET": {Entry{Time: at, Remote: netip.MustParseAddrPort("10.0.0.7:51234"), Method: []byte("GET"), Path: []byte("/health"),
			Status: 200, Bytes: 15, Duration: 3400 * time.Nanosecond},
			`{"time":"2026-12-05T09:00:00.123456Z","remote":"10.0.0.7:51234","method":"GET","path":"/health","status":200,"bytes":15,"duration_us":3}`},
		"IPv4 through a dual-stack socket": {Entry{Time: at, Remote: netip.MustParseAddrPort("[::ffff:10.0.0.7]:80"), Status: 400},
			`{"time":"2026-12-05T09:00:00.123456Z","remote":"10.0.0.7:80","method":"","path":"","status":400,"bytes":0,"duration_us":0}`},
		"IPv6": {Entry{Time: at, Remote: netip.MustParseAddrPort("[::1]:8080"), Method: []byte("HEAD"), Path: []byte("/"), Status: 404},
			`{"time":"2026-12-05T09:00:00.123456Z","remote":"[::1]:8080","method":"HEAD","path":"/","status":404,"bytes":0,"duration_us":0}`},
		"hostile bytes": {Entry{Time: at, Method: []byte("G\"E\\T"), Path: []byte("/a\x00\x1f\x7f\xff\xfeé\"}"), Status: 404},
			`{"time":"2026-12-05T09:00:00.123456Z","remote":"","method":"G\"E\\T","path":"/a\u0000\u001f\u007f\ufffd\ufffdé\"}","status":404,"bytes":0,"duration_us":0}`},
	} {
		line := AppendLine(nil, &tc.e)
		if got := string(line); got != tc.want+"\n" {
			t.Errorf("%s:\n got %s\nwant %s", name, got, tc.want)
		}
		var fields map[string]any
		if err := json.Unmarshal(line, &fields); err != nil || len(fields) != 7 {
			t.Errorf("%s: not one JSON object of seven fields: %v, %v", name, fields, err)
		}
	}
}

func TestAppendLineAllocs(t *testing.T) {
	e := Entry{Time: time.Now(), Remote: netip.MustParseAddrPort("[::1]:8080"), Method: []byte("GET"), Path: []byte("/health"), Status: 200}
	var buf [256]byte
	if allocs := testing.AllocsPerRun(1000, func() { AppendLine(buf[:0], &e) }); allocs != 0 {
		t.Errorf("AppendLine allocates %v times a line", allocs)
	}
}

// stalled is a writer whose Write blocks until release is closed, as a pipe nobody reads.
type stalled struct {
	release chan struct{}
	mu      sync.Mutex
	got     bytes.Buffer
}

func (s *stalled) Write(p []byte) (int, error) {
	<-s.release
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.got.Write(p)
}

// TestStalledWriterNeverBlocks adds many more lines than the buffer holds to a Log whose
// writer is stalled: Add returns every time, the lines past the buffer are counted as
// dropped, and once the writer moves again the ones kept are written whole.
func TestStalledWriterNeverBlocks(t *testing.T) {
	t.Parallel()
	w := &stalled{release: make(chan struct{})}
	l := New(w)
	line := []byte(strings.Repeat("x", 99) + "\n")
	const lines = 3 * 2 * BufferBytes / 100 // three times what both halves hold
	done := make(chan struct{})
	go func() {
		for range lines {
			l.Add(line)
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Add blocked on a stalled writer")
	}
	if l.Dropped() < lines/2 {
		t.Errorf("dropped %d of %d lines with the writer stalled; want most of them", l.Dropped(), lines)
	}
	close(w.release)
	if !l.Close(5 * time.Second) {
		t.Fatal("Close did not finish once the writer moved")
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if got := count(w.got.Bytes()); got != l.Written() || got+l.Dropped() != lines {
		t.Errorf("wrote %d lines (counted %d), dropped %d; want %d in all", got, l.Written(), l.Dropped(), lines)
	}
	if uint64(bytes.Count(w.got.Bytes(), line)) != l.Written() { //nolint:gosec // a count, never negative
		t.Error("a written line was cut")
	}
}

// TestCloseGivesUpOnAStalledWriter checks that Close returns within its wait when the
// writer never moves again, counting what it could not write as dropped.
func TestCloseGivesUpOnAStalledWriter(t *testing.T) {
	t.Parallel()
	w := &stalled{release: make(chan struct{})}
	defer close(w.release)
	l := New(w)
	for range 10 {
		l.Add([]byte("line\n"))
	}
	if l.Close(50 * time.Millisecond) {
		t.Error("Close reported everything written with the writer stalled")
	}
	if l.Dropped() == 0 {
		t.Error("nothing counted as dropped")
	}
	l.Add([]byte("late\n")) // after Close: dropped, never blocks
}
