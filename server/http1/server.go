package http1

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Limits are Apache's request limits and connection timeouts.
type Limits struct {
	RequestLine, FieldSize, Fields int           // 0 = Apache default 8190, 8190, 100
	Timeout                        time.Duration // each read of head/body, each write; 0 = 60s
	KeepAlive                      bool
	KeepAliveTimeout               time.Duration // idle wait for the next request; 0 = 5s
	MaxKeepAliveRequests           int           // 0 = unlimited
	MaxDrain                       int64         // unread body discarded after a response before closing instead; 0 = 4 MiB
}

// Server serves HTTP/1.x (and h2 over TLS through net/http).
type Server struct {
	Handler   http.Handler
	Limits    Limits
	TLSConfig *tls.Config
	H2        *http.Server
	ErrorPage func(w http.ResponseWriter, status int)
	Log       *slog.Logger

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[*conn]struct{}
	shutting  atomic.Bool
	h2once    sync.Once
	h2ln      *chanListener
}

func (s *Server) requestLine() int { return orInt(s.Limits.RequestLine, 8190) }
func (s *Server) fieldSize() int   { return orInt(s.Limits.FieldSize, 8190) }
func (s *Server) maxFields() int   { return orInt(s.Limits.Fields, 100) }
func (s *Server) timeout() time.Duration {
	return orDur(s.Limits.Timeout, 60*time.Second)
}
func (s *Server) keepAliveTimeout() time.Duration {
	return orDur(s.Limits.KeepAliveTimeout, 5*time.Second)
}
func (s *Server) maxDrain() int64 {
	if s.Limits.MaxDrain > 0 {
		return s.Limits.MaxDrain
	}
	return 4 << 20
}

func orInt(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

func orDur(v, def time.Duration) time.Duration {
	if v > 0 {
		return v
	}
	return def
}

func (s *Server) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}

// Serve accepts connections on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.shutting.Load() {
		s.mu.Unlock()
		ln.Close()
		return http.ErrServerClosed
	}
	if s.listeners == nil {
		s.listeners = map[net.Listener]struct{}{}
	}
	s.listeners[ln] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, ln)
		s.mu.Unlock()
	}()
	var delay time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.shutting.Load() {
				return http.ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, syscallEMFILE) {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				time.Sleep(delay)
				continue
			}
			return err
		}
		delay = 0
		c := &conn{s: s, nc: nc}
		if !s.track(c, true) {
			nc.Close()
			return http.ErrServerClosed
		}
		go c.serve()
	}
}

func (s *Server) track(c *conn, add bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if add {
		if s.shutting.Load() {
			return false
		}
		if s.conns == nil {
			s.conns = map[*conn]struct{}{}
		}
		s.conns[c] = struct{}{}
	} else {
		delete(s.conns, c)
	}
	return true
}

// Shutdown stops accepting, closes idle connections and waits for the
// active ones to finish their request.
func (s *Server) Shutdown(ctx context.Context) error {
	s.shutting.Store(true)
	s.mu.Lock()
	for ln := range s.listeners {
		ln.Close()
	}
	s.mu.Unlock()
	var h2err error
	s.mu.Lock()
	h2 := s.h2ln != nil
	s.mu.Unlock()
	if h2 {
		h2err = s.h2Server().Shutdown(ctx)
	}
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		s.mu.Lock()
		n := 0
		for c := range s.conns {
			if c.state.Load() != stateActive {
				c.nc.Close()
			} else {
				n++
			}
		}
		s.mu.Unlock()
		if n == 0 {
			return h2err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

func (s *Server) h2Server() *http.Server {
	s.h2once.Do(func() {
		if s.H2 == nil {
			s.H2 = &http.Server{Handler: s.Handler}
		}
		if s.H2.TLSConfig == nil {
			s.H2.TLSConfig = s.TLSConfig
		}
		s.mu.Lock()
		s.h2ln = &chanListener{ch: make(chan net.Conn), done: make(chan struct{})}
		s.mu.Unlock()
		go s.H2.Serve(s.h2ln)
	})
	return s.H2
}

// chanListener hands h2 connections to the net/http server.
type chanListener struct {
	ch        chan net.Conn
	done      chan struct{}
	closeOnce sync.Once
}

func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *chanListener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return nil
}

func (l *chanListener) Addr() net.Addr { return &net.TCPAddr{} }

const (
	stateIdle int32 = iota
	stateActive
)

// conn is one client connection.
type conn struct {
	s    *Server
	nc   net.Conn
	br   *bufio.Reader
	cr   *connReader
	body *body // of the current request
	// lingering: the server refused a request, whose body may follow.
	lingering bool
	bw        *bufio.Writer
	state     atomic.Int32
	lineBuf   []byte
	tls       *tls.ConnectionState
	remote    string
	ctx       context.Context
	nreq      int
	// writeDeadlineSet: the handler chose its own write deadline.
	writeDeadlineSet bool
	writeArmed       time.Time
	readDeadlineSet  bool
}

var bufPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 4096) }}
var wbufPool = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 4096) }}

func (c *conn) armRead() {
	if !c.readDeadlineSet {
		c.nc.SetReadDeadline(time.Now().Add(c.s.timeout()))
	}
}

// deadlineWriter sets the write deadline before each socket write.
type deadlineWriter struct{ c *conn }

// Setting a deadline costs a timer update (and may wake the netpoller), so
// it is renewed only when a second has passed since the last one.
func (w deadlineWriter) Write(p []byte) (int, error) {
	c := w.c
	if !c.writeDeadlineSet {
		if now := time.Now(); now.Sub(c.writeArmed) >= time.Second {
			c.writeArmed = now
			c.nc.SetWriteDeadline(now.Add(c.s.timeout()))
		}
	}
	return c.nc.Write(p)
}

func (c *conn) serve() {
	s := c.s
	handedOff := false
	defer func() {
		if !handedOff {
			c.nc.Close()
		}
		s.track(c, false)
	}()
	if s.TLSConfig != nil {
		tc := tls.Server(c.nc, s.TLSConfig)
		c.nc.SetDeadline(time.Now().Add(s.timeout()))
		if err := tc.Handshake(); err != nil {
			s.log().Debug("TLS handshake failed", "remote", c.nc.RemoteAddr().String(), "err", err)
			return
		}
		c.nc.SetDeadline(time.Time{})
		st := tc.ConnectionState()
		if st.NegotiatedProtocol == "h2" {
			s.h2Server()
			select {
			case s.h2ln.ch <- tc:
				handedOff = true // net/http owns it now
			case <-s.h2ln.done:
			}
			return
		}
		c.nc = tc
		c.tls = &st
	}
	c.remote = c.nc.RemoteAddr().String()
	c.cr = newConnReader(c.nc)
	c.br = bufPool.Get().(*bufio.Reader)
	c.br.Reset(c.cr)
	c.bw = wbufPool.Get().(*bufio.Writer)
	c.bw.Reset(deadlineWriter{c})
	c.lineBuf = make([]byte, 0, 256)
	defer func() {
		c.cr.abort()
		if c.lingering || c.body != nil && !c.body.done || c.br.Buffered() > 0 {
			c.state.Store(stateIdle)
			linger(c.nc)
		}
		c.br.Reset(nil)
		bufPool.Put(c.br)
		c.bw.Reset(nil)
		wbufPool.Put(c.bw)
	}()
	la := c.nc.LocalAddr()
	base := context.WithValue(context.Background(), http.LocalAddrContextKey, localAddr{la, la.String()})
	c.ctx = base
	for {
		if !c.serveOne() {
			return
		}
		if s.shutting.Load() {
			return
		}
	}
}

// localAddr is the connection's local address with its string made once,
// not once per request.
type localAddr struct {
	net.Addr
	s string
}

func (a localAddr) String() string { return a.s }

// readRequestLine skips empty lines and reads the request line; false
// means close (after an answer for a line too long or badly ended, silently
// on a timeout or EOF).
func (c *conn) readRequestLine() ([]byte, bool) {
	s := c.s
	for {
		if _, err := c.br.Peek(1); err != nil {
			return nil, false
		}
		c.state.Store(stateActive)
		if c.nreq > 0 {
			// The request's Timeout replaces KeepAliveTimeout, but only
			// when a read has to wait: most heads are in the buffer already.
			c.cr.deadlineOnRead = s.timeout()
		}
		line, err := readLine(c.br, c.lineBuf[:0], s.requestLine()+1)
		if err != nil {
			switch err {
			case errLineTooLong:
				c.fail(&statusError{http.StatusRequestURITooLong, "request line too long"})
			case errBareLF, errBareCR:
				c.fail(bad(err.Error()))
			}
			return nil, false
		}
		if len(line) > 0 {
			return line, true
		}
	}
}

// requestHost is the request's host: the absolute-form target's, else the
// one Host field (which HTTP/1.1 requires, and which must be valid).
func requestHost(h http.Header, rl requestLine, absHost string) (string, error) {
	host := ""
	hosts := h["Host"]
	switch {
	case len(hosts) > 1:
		return "", bad("several Host fields")
	case len(hosts) == 1:
		if hosts[0] == "" || !validHost(hosts[0]) {
			if !(hosts[0] == "" && rl.major == 1 && rl.minor == 0) {
				return "", bad("bad Host")
			}
		}
		host = hosts[0]
	case rl.major == 1 && rl.minor == 1 && absHost == "":
		return "", bad("no Host on HTTP/1.1")
	}
	if absHost != "" {
		host = absHost
	}
	return host, nil
}

// keepAlive decides whether the connection may serve another request.
func (c *conn) keepAlive(h http.Header, rl requestLine, closeAfter bool) bool {
	s := c.s
	keep := s.Limits.KeepAlive && !closeAfter && rl.major == 1
	conns := h["Connection"]
	if rl.minor == 0 {
		keep = keep && hasToken(conns, "keep-alive")
	} else {
		keep = keep && !hasToken(conns, "close")
	}
	if s.Limits.MaxKeepAliveRequests > 0 && c.nreq >= s.Limits.MaxKeepAliveRequests {
		keep = false
	}
	return keep
}

// attachBody gives r its body (nil: none) as the framing says.
func (c *conn) attachBody(r *http.Request, chunked bool, cl int64) *body {
	switch {
	case chunked:
		b := &body{c: c, chunked: true}
		r.ContentLength = -1
		r.TransferEncoding = []string{"chunked"}
		r.Body = b
		return b
	case cl > 0:
		b := &body{c: c, left: cl}
		r.ContentLength = cl
		r.Body = b
		return b
	case cl == 0:
		r.ContentLength = 0
	}
	return nil
}

// serveOne reads and answers one request; false means close.
func (c *conn) serveOne() bool {
	s := c.s
	// A background read may still watch the connection (started when the
	// last body was drained to its end): stop it before setting the read
	// deadline, which stopping it overwrites.
	c.cr.abort()
	c.state.Store(stateIdle)
	c.cr.deadlineOnRead = 0
	if c.nreq > 0 {
		c.nc.SetReadDeadline(time.Now().Add(s.keepAliveTimeout()))
	} else {
		c.nc.SetReadDeadline(time.Now().Add(s.timeout()))
	}
	line, ok := c.readRequestLine()
	if !ok {
		return false
	}
	rl, err := parseRequestLine(line)
	if err != nil {
		c.fail(err)
		return false
	}
	u, absHost, err := parseTarget(rl.method, rl.target)
	if err != nil {
		c.fail(err)
		return false
	}
	h := make(http.Header, 8)
	if rl.major >= 1 {
		if _, err := readFields(c.br, c.lineBuf[:0], s.fieldSize(), s.maxFields(), h); err != nil {
			var se *statusError
			if errors.As(err, &se) {
				c.fail(se)
			} else if isTimeout(err) {
				c.fail(&statusError{http.StatusRequestTimeout, "head not received in time"})
			}
			return false
		}
	}
	// The read deadline stays: each body read arms its own, and the
	// background read re-arms after a timeout.
	c.cr.deadlineOnRead = 0
	c.readDeadlineSet, c.writeDeadlineSet = false, false
	c.nreq++
	// Built on the stack: WithContext below makes the one heap copy.
	rv := http.Request{
		Method:     rl.method,
		URL:        u,
		Proto:      rl.proto,
		ProtoMajor: rl.major,
		ProtoMinor: rl.minor,
		Header:     h,
		RemoteAddr: c.remote,
		RequestURI: rl.target,
		TLS:        c.tls,
		Body:       http.NoBody,
	}
	if rv.Host, err = requestHost(h, rl, absHost); err != nil {
		c.fail(err)
		return false
	}
	delete(h, "Host")
	chunked, cl, closeAfter, err := framing(h)
	if err != nil {
		c.fail(err)
		return false
	}
	keep := c.keepAlive(h, rl, closeAfter)
	b := c.attachBody(&rv, chunked, cl)
	ctx := newRequestContext(c.ctx, c.cr, b == nil)
	r := rv.WithContext(ctx)
	w := &response{c: c, req: r, keep: keep, handlerHeader: make(http.Header, 4)}
	if rl.major == 0 {
		w.http09 = true
		w.keep = false
	}
	if ex, ok := h["Expect"]; ok && rl.major == 1 {
		if len(ex) != 1 || !strings.EqualFold(ex[0], "100-continue") {
			if rl.minor == 1 {
				c.fail(&statusError{http.StatusExpectationFailed, "unknown expectation"})
				return false
			}
		} else if b == nil {
			w.keep = false
		} else if rl.minor == 1 {
			b.continue_ = w.send100
		}
	}
	if r.Method == http.MethodOptions && rl.target == "*" && b == nil {
		// OPTIONS * asks about the server, not a resource (as net/http).
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusOK)
		return w.finish()
	}
	c.body = b
	if b != nil {
		b.ctx = ctx
	}
	ok = c.runHandler(w, r)
	ctx.cancel() // first: no watch starts after this
	c.cr.abort()
	if !ok {
		return false
	}
	if !w.finish() {
		return false
	}
	if !w.keep {
		return false
	}
	if b != nil && !b.drain(s.maxDrain()) {
		return false
	}
	return true
}

// runHandler calls the handler, recovering from panics; false = close now.
func (c *conn) runHandler(w *response, r *http.Request) (ok bool) {
	defer func() {
		if p := recover(); p != nil {
			ok = false
			if p == http.ErrAbortHandler {
				return
			}
			buf := make([]byte, 64<<10)
			buf = buf[:runtime.Stack(buf, false)]
			c.s.log().Error("http1: panic serving "+c.remote, "panic", fmt.Sprint(p), "stack", string(buf))
		}
	}()
	c.s.Handler.ServeHTTP(w, r)
	return true
}

// fail answers a request the server refuses, then the caller closes.
func (c *conn) fail(err error) {
	code := http.StatusBadRequest
	var se *statusError
	if errors.As(err, &se) {
		code = se.code
	}
	c.lingering = true
	c.s.log().Debug("http1: refused request", "remote", c.remote, "status", code, "err", err)
	r := &http.Request{Method: http.MethodGet, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: http.Header{}}
	w := &response{c: c, req: r, handlerHeader: make(http.Header, 4)}
	if c.s.ErrorPage != nil {
		c.s.ErrorPage(w, code)
	} else {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(code)
		io.WriteString(w, http.StatusText(code)+"\n")
	}
	w.WriteHeader(code)
	w.finish()
}

func hasToken(values []string, tok string) bool {
	for _, v := range values {
		for _, p := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(p), tok) {
				return true
			}
		}
	}
	return false
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
