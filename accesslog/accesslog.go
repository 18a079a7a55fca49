// Package accesslog writes one JSON line per request to a writer (the serve command's
// stdout) without ever making a request wait for it. Lines go into a bounded buffer that
// one goroutine writes out; when the reader of the output is slower than the server (a
// stalled pipe, a full disk, a log shipper that stopped), the buffer fills and further
// lines are dropped and counted instead of blocking the goroutines that serve.
package accesslog

import (
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// BufferBytes is the space lines wait in while the writer is busy, twice over (one half
// is being written while the other fills): about 200 lines each.
const BufferBytes = 32 << 10

// Log is an access log being written. Its methods are safe for concurrent use.
type Log struct {
	w       io.Writer
	mu      sync.Mutex
	filling []byte        // lines waiting, at most BufferBytes
	spare   []byte        // the other half, being written or empty
	ready   chan struct{} // a line is waiting (capacity 1: one wake-up covers many lines)
	stop    chan struct{}
	done    chan struct{}
	written atomic.Uint64
	dropped atomic.Uint64
	writing atomic.Uint64 // lines in the Write under way
	closed  bool
}

// New starts a Log writing to w.
func New(w io.Writer) *Log {
	l := &Log{
		w:       w,
		filling: make([]byte, 0, BufferBytes),
		spare:   make([]byte, 0, BufferBytes),
		ready:   make(chan struct{}, 1),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	go l.run()
	return l
}

// Add queues one line (ending in a newline), or drops and counts it when the buffer is
// full. It never waits for the writer.
func (l *Log) Add(line []byte) {
	l.mu.Lock()
	if l.closed || len(l.filling)+len(line) > cap(l.filling) {
		l.mu.Unlock()
		l.dropped.Add(1)
		return
	}
	l.filling = append(l.filling, line...)
	l.mu.Unlock()
	select {
	case l.ready <- struct{}{}:
	default: // a wake-up is pending already
	}
}

// Written and Dropped count lines written out and lines dropped for want of room.
func (l *Log) Written() uint64 { return l.written.Load() }

// Dropped counts the lines dropped because the writer could not keep up.
func (l *Log) Dropped() uint64 { return l.dropped.Load() }

// Gather is how long the writer lets lines gather after the first one before it writes
// them out: one write for many lines, instead of a wake-up and a write for every few. At
// 60,000 requests a second, 2 ms is 120 lines, a third of a half.
const Gather = 2 * time.Millisecond

// run writes the waiting lines out, half a buffer at a time, until Close.
func (l *Log) run() {
	defer close(l.done)
	gather := time.NewTimer(Gather)
	gather.Stop()
	for {
		select {
		case <-l.ready:
		case <-l.stop:
			l.flush()
			return
		}
		gather.Reset(Gather)
		select {
		case <-gather.C:
		case <-l.stop:
			gather.Stop()
		}
		l.flush()
	}
}

// flush swaps the halves and writes what was waiting. A write error (the reader went away)
// counts its lines as dropped: the server goes on serving either way.
func (l *Log) flush() {
	l.mu.Lock()
	out := l.filling
	l.filling, l.spare = l.spare[:0], nil
	l.mu.Unlock()
	if len(out) > 0 {
		l.writing.Store(count(out))
		_, err := l.w.Write(out)
		// A Close that gave up on this Write counted its lines as dropped already.
		if lines := l.writing.Swap(0); err != nil {
			l.dropped.Add(lines)
		} else {
			l.written.Add(lines)
		}
	}
	l.mu.Lock()
	l.spare = out[:0]
	l.mu.Unlock()
}

// Close stops taking lines and writes out those waiting, for at most wait: a writer that
// is stalled must not hold the server's exit. It reports whether everything was written;
// lines still waiting when wait passed count as dropped.
func (l *Log) Close(wait time.Duration) bool {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return true
	}
	l.closed = true
	l.mu.Unlock()
	close(l.stop)
	select {
	case <-l.done:
		return true
	case <-time.After(wait):
		l.mu.Lock()
		l.dropped.Add(l.writing.Swap(0) + count(l.filling))
		l.filling = l.filling[:0]
		l.mu.Unlock()
		return false
	}
}

// count counts the lines in b.
func count(b []byte) uint64 {
	var n uint64
	for _, c := range b {
		if c == '\n' {
			n++
		}
	}
	return n
}
