package cmd_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServeProxy: the real binary proxying to backends of this test: the
// headers mod_proxy_http adds, ProxyPreserveHost, ProxyPassReverse of the
// backend's redirects, and httpd's answers when the backend is down (503)
// or does not answer within timeout= (502), bodies byte for byte as
// Apache 2.4.71 sends them.
func TestServeProxy(t *testing.T) {
	bin := serveBinary(t)
	dir := serveWorldDir(t, "appserver-e2e-proxy-")
	type seen struct {
		host, uri string
		header    http.Header
	}
	got := make(chan seen, 10)
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- seen{r.Host, r.RequestURI, r.Header.Clone()}
		if strings.HasSuffix(r.URL.Path, "/redirect") {
			w.Header().Set("Location", "http://"+r.Host+"/b/there?x=1")
			w.Header().Set("Content-Location", "http://elsewhere.example/b/not-mapped")
			w.WriteHeader(http.StatusFound)
			return
		}
		_, _ = w.Write([]byte("backend"))
	}))
	defer backend.Close()
	hang := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-hang }))
	defer slow.Close()
	defer close(hang) // before Close, which waits for the handler
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadAddr := dead.Addr().String()
	dead.Close()

	// A backend on a unix socket (mod_proxy's "unix:PATH|http://host/").
	sock := filepath.Join(dir, "backend.sock")
	ul, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	usrv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("unix " + r.Host + " " + r.RequestURI))
	})}
	go func() { _ = usrv.Serve(ul) }()
	defer usrv.Close()

	b := strings.TrimPrefix(backend.URL, "http://")
	conf := `Listen 127.0.0.1:@PORT@
ServerName front.test
ProxyPass /keep http://` + b + `/b
ProxyPass /api http://` + b + `/b
ProxyPassReverse /api http://` + b + `/b
ProxyPass /slow http://` + strings.TrimPrefix(slow.URL, "http://") + `/ timeout=1
ProxyPass /dead http://` + deadAddr + `/
<Location /keys/>
ProxyPass "unix:` + sock + `|http://localhost/keys/"
</Location>
<Location /keep>
ProxyPreserveHost On
</Location>
ProxyPass /bare http://` + b + `/bare
<Location /bare>
ProxyAddHeaders Off
</Location>
`
	srv := serveStartConf(t, bin, dir, "site.conf", conf)

	req, _ := http.NewRequest("GET", "http://"+srv.Addr()+"/api/x%20y?q=1", nil)
	req.Host = "client.test"
	req.Header.Set("X-Forwarded-For", "192.0.2.1")
	resp, body := serveDo(t, req)
	if resp.StatusCode != 200 || string(body) != "backend" {
		t.Fatalf("/api/x: %d %q", resp.StatusCode, body)
	}
	s := <-got
	if s.uri != "/b/x%20y?q=1" || s.host != b {
		t.Errorf("backend saw %q with Host %q, want /b/x%%20y?q=1 with Host %q", s.uri, s.host, b)
	}
	for k, want := range map[string]string{"X-Forwarded-For": "192.0.2.1, 127.0.0.1", "X-Forwarded-Host": "client.test",
		"X-Forwarded-Server": "front.test", "X-Forwarded-Proto": "", "Via": ""} {
		if v := strings.Join(s.header.Values(k), ","); v != want {
			t.Errorf("backend saw %s %q, want %q", k, v, want)
		}
	}

	req, _ = http.NewRequest("GET", "http://"+srv.Addr()+"/keep/y", nil)
	req.Host = "client.test:8443"
	if resp, _ := serveDo(t, req); resp.StatusCode != 200 {
		t.Errorf("/keep/y: %d", resp.StatusCode)
	}
	if s := <-got; s.host != "client.test:8443" || s.uri != "/b/y" {
		t.Errorf("ProxyPreserveHost On: backend saw Host %q URI %q", s.host, s.uri)
	}

	req, _ = http.NewRequest("GET", "http://"+srv.Addr()+"/bare/z", nil)
	req.Header.Set("X-Forwarded-For", "192.0.2.9")
	if resp, _ := serveDo(t, req); resp.StatusCode != 200 {
		t.Errorf("/bare/z: %d", resp.StatusCode)
	}
	if s := <-got; s.header.Get("X-Forwarded-For") != "192.0.2.9" || s.header.Get("X-Forwarded-Server") != "" {
		t.Errorf("ProxyAddHeaders Off: backend saw X-Forwarded-For %q, X-Forwarded-Server %q", s.header.Get("X-Forwarded-For"), s.header.Get("X-Forwarded-Server"))
	}

	req, _ = http.NewRequest("GET", "http://"+srv.Addr()+"/api/redirect", nil)
	req.Host = "client.test:8080"
	resp, _ = serveDo(t, req)
	<-got
	if loc := resp.Header.Get("Location"); resp.StatusCode != 302 || loc != "http://client.test:8080/api/there?x=1" {
		t.Errorf("redirect: %d Location %q, want 302 http://client.test:8080/api/there?x=1", resp.StatusCode, loc)
	}
	if cl := resp.Header.Get("Content-Location"); cl != "http://elsewhere.example/b/not-mapped" {
		t.Errorf("Content-Location %q changed", cl)
	}

	if resp, body := serveGet(t, "http://"+srv.Addr()+"/keys/a?b=1"); resp.StatusCode != 200 || string(body) != "unix localhost /keys/a?b=1" {
		t.Errorf("unix socket backend: %d %q", resp.StatusCode, body)
	}

	const page = "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\" \"http://www.w3.org/TR/html4/strict.dtd\">\n<html><head>\n"
	resp, body = serveGet(t, "http://"+srv.Addr()+"/dead/x")
	want503 := page + "<title>503 Service Unavailable</title>\n</head><body>\n<h1>Service Unavailable</h1>\n<p>The server is temporarily unable to service your\nrequest due to maintenance downtime or capacity\nproblems. Please try again later.</p>\n</body></html>\n"
	if resp.StatusCode != 503 || string(body) != want503 {
		t.Errorf("dead backend: %d %q", resp.StatusCode, body)
	}
	start := time.Now()
	resp, body = serveGet(t, "http://"+srv.Addr()+"/slow/x")
	want502 := page + "<title>502 Proxy Error</title>\n</head><body>\n<h1>Proxy Error</h1>\n<p>The proxy server received an invalid\nresponse from an upstream server.<br />\nThe proxy server could not handle the request<p>Reason: <strong>Error reading from remote server</strong></p></p>\n</body></html>\n"
	if resp.StatusCode != 502 || resp.Status != "502 Proxy Error" || string(body) != want502 {
		t.Errorf("slow backend: %q %q", resp.Status, body)
	}
	if d := time.Since(start); d < 900*time.Millisecond || d > 10*time.Second {
		t.Errorf("slow backend answered after %v, want about timeout=1", d)
	}
	if !strings.Contains(srv.Tail(20), "AH01114") {
		t.Errorf("no AH01114 for the dead backend in the log:\n%s", srv.Tail(20))
	}
}
