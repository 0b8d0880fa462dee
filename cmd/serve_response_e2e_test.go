package cmd_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// responseApp answers what issue 7 item 9 measured on mod_wsgi: its own
// reason phrase, HEAD with no Content-Length, and Content-Length values
// that do not match the body.
const responseApp = `def application(environ, start_response):
    path = environ.get("PATH_INFO", "")
    if path == "/reason":
        start_response("299 Custom Thing", [("Content-Type", "text/plain")])
        return [b"custom"]
    if path == "/okay":
        start_response("200 Okay", [("Content-Type", "text/plain")])
        return [b"okay"]
    if path == "/head":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"a body HEAD does not send"]
    if path == "/cl-short":
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "4")])
        return [b"0123456789"]
    if path == "/cl-long":
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "100")])
        return [b"0123456789"]
    if path == "/file-at-offset":
        f = open(environ["SCRIPT_FILENAME"], "rb")
        f.seek(4)
        headers = [("Content-Type", "text/plain")]
        if environ.get("QUERY_STRING") == "cl":
            headers.append(("Content-Length", "6"))
        start_response("200 OK", headers)
        return environ["wsgi.file_wrapper"](f)
    if path == "/twice":
        start_response("500 Not This", [("X-First", "1")])
        start_response("202 Accepted", [("X-Second", "2"), ("Content-Length", "6")])
        return [b"second"]
    if path == "/bad-name":
        start_response("200 OK", [("X Bad", "1")])
        return [b"never sent"]
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]
`

// TestServeResponseFraming: the status line and body framing clients get
// for these answers, each checked on one keep-alive connection followed by
// a second request, as mod_wsgi 4.9.4 behind Apache answers them.
func TestServeResponseFraming(t *testing.T) {
	bin := serveBinary(t)
	dir := serveWorldDir(t, "appserver-e2e-response-")
	oracleWriteFile(t, filepath.Join(dir, "app.py"), []byte(responseApp))
	srv := serveStartConf(t, bin, dir, "site.conf", signalsConf)
	serveWaitTitles(t, srv, map[string]int{"(wsgi:app)": 1})
	offsets := srv.LogSizes()

	cases := []struct {
		method, path string
		statusLine   string
		header       string // a header line the answer must have ("" = none), or "!Name" it must not
		body         string // "*" = not checked
		keptOpen     bool
	}{
		{"GET", "/reason", "HTTP/1.1 299 Custom Thing", "", "custom", true},
		{"GET", "/okay", "HTTP/1.1 200 Okay", "", "okay", true},
		{"HEAD", "/head", "HTTP/1.1 200 OK", "!Content-Length", "", true},
		{"GET", "/cl-short", "HTTP/1.1 200 OK", "Content-Length: 4", "0123", true},
		{"GET", "/cl-long", "HTTP/1.1 200 OK", "Content-Length: 100", "0123456789", false},
		// The script itself, from byte 4: "application(environ..." is its start.
		{"GET", "/file-at-offset?cl", "HTTP/1.1 200 OK", "Content-Length: 6", "applic", true},
		{"GET", "/file-at-offset", "HTTP/1.1 200 OK", "Content-Length: " + strconv.Itoa(len(responseApp)-4), responseApp[4:], true},
		{"GET", "/twice", "HTTP/1.1 202 Accepted", "X-Second: 2", "second", true},
		{"GET", "/bad-name", "HTTP/1.1 500 Internal Server Error", "!X Bad", "*", true},
	}
	for _, tc := range cases {
		t.Run(tc.method+tc.path, func(t *testing.T) {
			conn, err := net.DialTimeout("tcp", srv.Addr(), 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
			fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: x\r\n\r\n", tc.method, tc.path)
			br := bufio.NewReader(conn)
			line, err := br.ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			if strings.TrimRight(line, "\r\n") != tc.statusLine {
				t.Errorf("status line %q, want %q", line, tc.statusLine)
			}
			var head []string
			for {
				l, err := br.ReadString('\n')
				if err != nil {
					t.Fatal(err)
				}
				if l == "\r\n" {
					break
				}
				head = append(head, strings.TrimRight(l, "\r\n"))
			}
			has := func(h string) bool {
				for _, l := range head {
					if strings.EqualFold(l, h) || strings.HasPrefix(strings.ToLower(l), strings.ToLower(h)+":") {
						return true
					}
				}
				return false
			}
			if want, ok := strings.CutPrefix(tc.header, "!"); ok && has(want) {
				t.Errorf("head has %s: %q", want, head)
			} else if !ok && tc.header != "" && !has(tc.header) {
				t.Errorf("head lacks %q: %q", tc.header, head)
			}
			// The body is what arrives before the next answer (or the close).
			fmt.Fprintf(conn, "GET /next HTTP/1.1\r\nHost: x\r\n\r\n")
			_ = conn.SetReadDeadline(time.Now().Add(3 * time.Second))
			rest, _ := io.ReadAll(br)
			body, next, found := strings.Cut(string(rest), "HTTP/1.1 200 OK\r\n")
			if tc.body != "*" && body != tc.body {
				t.Errorf("body %q, want %q", body, tc.body)
			}
			if found != tc.keptOpen || (found && !strings.HasSuffix(next, "\r\n\r\nok")) {
				t.Errorf("after the answer: kept open %v (next answer %q), want kept open %v", found, next, tc.keptOpen)
			}
		})
	}
	log := srv.LogSince(offsets)
	for _, want := range []string{"longer than its Content-Length", "shorter than its Content-Length"} {
		if !strings.Contains(log, want) {
			t.Errorf("the log does not say %q:\n%s", want, log)
		}
	}
}
