package cmd_test

import (
	"bufio"
	"compress/gzip"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// responsesApp streams: "/stream" sends a first chunk, then waits for
// the file "go" to appear before it sends the last one; "/fail" answers
// 404 (an ErrorDocument then routes to "/doc", served by the same
// one-thread group).
const responsesApp = `import os, time
def application(environ, start_response):
    path = environ.get("PATH_INFO", "")
    if path == "/stream":
        start_response("200 OK", [("Content-Type", "text/plain")])
        def body():
            yield b"first chunk " * 20
            go = os.path.join(os.path.dirname(environ["SCRIPT_FILENAME"]), "go")
            for _ in range(200):
                if os.path.exists(go):
                    break
                time.sleep(0.05)
            yield b"last chunk"
        return body()
    if path == "/fail":
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"app body"]
    if path == "/doc":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [("doc for " + environ.get("REDIRECT_STATUS", "?") + " " + environ.get("REDIRECT_URL", "?")).encode()]
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]
`

const responsesConf = `Listen 127.0.0.1:@PORT@
ServerName 127.0.0.1
WSGIPythonHome /usr
WSGIDaemonProcess app processes=1 threads=1 display-name=%{GROUP}
WSGIProcessGroup app
WSGIScriptAlias / "@DIR@/app.py"
AddOutputFilterByType DEFLATE text/plain
WSGIErrorOverride On
ErrorDocument 404 /doc
`

// TestServeResponses: a compressed answer stays streaming (the client
// decompresses the first chunk while the app still waits), and an
// app's error under WSGIErrorOverride is answered by its ErrorDocument
// from the same one-thread group (the app's thread is free by then).
func TestServeResponses(t *testing.T) {
	bin := serveBinary(t)
	dir := serveWorldDir(t, "appserver-e2e-responses-")
	oracleWriteFile(t, filepath.Join(dir, "app.py"), []byte(responsesApp))
	srv := serveStartConf(t, bin, dir, "site.conf", responsesConf)
	serveWaitTitles(t, srv, map[string]int{"(wsgi:app)": 1})
	base := "http://" + srv.Addr()

	t.Run("stream", func(t *testing.T) {
		req, _ := http.NewRequest("GET", base+"/stream", nil)
		req.Header.Set("Accept-Encoding", "gzip")
		resp, err := serveClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.Header.Get("Content-Encoding") != "gzip" || resp.Header.Get("Vary") != "Accept-Encoding" {
			t.Fatalf("headers %v: want gzip and Vary", resp.Header)
		}
		zr, err := gzip.NewReader(bufio.NewReader(resp.Body))
		if err != nil {
			t.Fatal(err)
		}
		first := make([]byte, len("first chunk ")*20)
		done := make(chan error, 1)
		go func() { _, err := io.ReadFull(zr, first); done <- err }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("the first chunk did not arrive while the app was still running: the compressed answer is buffered")
		}
		oracleWriteFile(t, filepath.Join(dir, "go"), nil)
		rest, err := io.ReadAll(zr)
		if err != nil || string(rest) != "last chunk" {
			t.Fatalf("rest %q, %v", rest, err)
		}
	})

	t.Run("errordocument", func(t *testing.T) {
		resp, err := serveClient.Get(base + "/fail")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(body) != "doc for 404 /fail" {
			t.Fatalf("got %d %q, want the ErrorDocument app's 200 %q", resp.StatusCode, body, "doc for 404 /fail")
		}
		if strings.Contains(string(body), "app body") {
			t.Fatal("the overridden app's body leaked")
		}
	})
}
