// Package syncbuf is a buffer that several goroutines may write at once: a child process's
// stdout and stderr, copied by os/exec from two pipes, into one log for error messages.
package syncbuf

import (
	"strings"
	"sync"
)

// Buffer collects writes under a lock. The zero value is empty and ready.
type Buffer struct {
	mu sync.Mutex
	b  strings.Builder
}

// Write appends p.
func (l *Buffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns everything written so far.
func (l *Buffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
