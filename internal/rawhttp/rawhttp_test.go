package rawhttp

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestReadResponse(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		in      string
		head    bool
		status  int
		wantErr error
		rest    string
	}{
		"body skipped":          {in: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokNEXT", status: 200, rest: "NEXT"},
		"head has no body":      {in: "HTTP/1.1 200 OK\r\nContent-Length: 15\r\n\r\nNEXT", head: true, status: 200, rest: "NEXT"},
		"header case":           {in: "HTTP/1.1 404 Not Found\r\ncontent-length: 3\r\n\r\nabcNEXT", status: 404, rest: "NEXT"},
		"no length":             {in: "HTTP/1.1 503 Service Unavailable\r\n\r\nNEXT", status: 503, rest: "NEXT"},
		"HTTP/1.0 is malformed": {in: "HTTP/1.0 200 OK\r\n\r\n", wantErr: ErrMalformed},
		"garbage":               {in: "hello\r\n", wantErr: ErrMalformed},
		"bad length":            {in: "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", status: 200, wantErr: ErrMalformed},
		"closed before status":  {in: "", wantErr: io.EOF},
		"cut in the headers":    {in: "HTTP/1.1 200 OK\r\nContent-Le", status: 200, wantErr: io.EOF},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			br := bufio.NewReader(strings.NewReader(tc.in))
			status, err := ReadResponse(br, tc.head)
			if status != tc.status || !errors.Is(err, tc.wantErr) {
				t.Fatalf("ReadResponse = %d, %v; want %d, %v", status, err, tc.status, tc.wantErr)
			}
			if tc.wantErr == nil {
				if rest, _ := io.ReadAll(br); string(rest) != tc.rest {
					t.Errorf("left %q unread, want %q", rest, tc.rest)
				}
			}
		})
	}
}
