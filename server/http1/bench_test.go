package http1

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"testing"
)

// benchHello measures a hello-world GET over one keep-alive loopback
// connection: serve starts the server on ln.
func benchHello(b *testing.B, serve func(ln net.Listener, h http.Handler) func()) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "Hello, world!\n")
	})
	stop := serve(ln, h)
	defer stop()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReader(c)
	req := []byte("GET /hello HTTP/1.1\r\nHost: bench\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n")
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := c.Write(req); err != nil {
			b.Fatal(err)
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

func BenchmarkHelloHTTP1(b *testing.B) {
	benchHello(b, func(ln net.Listener, h http.Handler) func() {
		s := &Server{Handler: h, Limits: Limits{KeepAlive: true}}
		go s.Serve(ln)
		return func() { s.Shutdown(b.Context()) }
	})
}

func BenchmarkHelloNetHTTP(b *testing.B) {
	benchHello(b, func(ln net.Listener, h http.Handler) func() {
		s := &http.Server{Handler: h}
		go s.Serve(ln)
		return func() { s.Close() }
	})
}
