package rawhttp

import (
	"bufio"
	"errors"
	"fmt"
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

func TestRead(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		in   string
		head bool
		want Answer
		err  error
	}{
		"100 then 200":  {in: "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\ngot:abc", want: Answer{Interim: []int{100}, Status: 200, Body: "got:abc"}},
		"a closing 413": {in: "HTTP/1.1 413 Content Too Large\r\nConnection: close\r\nContent-Length: 4\r\n\r\n413\n", want: Answer{Status: 413, Close: true, Body: "413\n"}},
		"head":          {in: "HTTP/1.1 200 OK\r\nContent-Length: 15\r\n\r\n", head: true, want: Answer{Status: 200}},
		"cut body":      {in: "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc", want: Answer{Status: 200, Body: "abc"}, err: io.ErrUnexpectedEOF},
		"only a 100":    {in: "HTTP/1.1 100 Continue\r\n\r\n", want: Answer{Interim: []int{100}}, err: io.EOF},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := Read(bufio.NewReader(strings.NewReader(tc.in)), tc.head)
			if !errors.Is(err, tc.err) || got.Status != tc.want.Status || got.Close != tc.want.Close ||
				got.Body != tc.want.Body || fmt.Sprint(got.Interim) != fmt.Sprint(tc.want.Interim) {
				t.Errorf("Read = %+v, %v; want %+v, %v", got, err, tc.want, tc.err)
			}
		})
	}
}
