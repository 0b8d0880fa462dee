package daemon

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// bufPool holds the per-request buffers: the request head is encoded into
// one and body chunks are read into it behind room for a frame header.
var bufPool = sync.Pool{New: func() any {
	b := make([]byte, frameHeaderLen+maxChunk)
	return &b
}}

type outcome int

const (
	outDone   outcome = iota // response complete (or an error answer written)
	outAbort                 // the client connection must be aborted
	outBounce                // the script changed; retry on another process
	outRetry                 // the worker died before it read the request; retry elsewhere
)

// call is one request's exchange on a worker connection.
type call struct {
	g *Group
	c *wconn
	w http.ResponseWriter
	r *http.Request

	rc       *http.ResponseController
	st       exchState
	written  int64
	declared int64     // the application's Content-Length (-1 = none, or no body allowed)
	canRetry bool      // a request the worker never read may be sent again
	sentAt   time.Time // when the head went to the worker (with a Trace)
}

// reply is what becomes of the worker's response on its way to the
// client. It only rises, in this order; exchState.raise moves it.
type reply uint8

const (
	// replyPass: the worker's response goes to the client.
	replyPass reply = iota
	// replyDrop: the rest of the body is dropped quietly (beyond the
	// application's Content-Length, or a status that allows none); the
	// application runs on.
	replyDrop
	// replyCancelled: C was sent and the rest is dropped: the client is
	// gone, or its body could not be read.
	replyCancelled
	// replyRejected: an error answer went to the client in place of the
	// worker's response, and C was sent.
	replyRejected
)

// exchState is the state of one request exchange: where the response
// stands (reply and headSent) and the few flags that are independent of
// it.
type exchState struct {
	reply reply
	// headSent: the application's response head was written to the
	// client. It can follow an error answer (replyRejected) when the
	// worker's head was already on its way; such a head is the last one
	// accepted.
	headSent bool
	// bodyAsked: an R came, so the client's body may have been read.
	bodyAsked bool
	// bodyEOF: the client's body is read to its end, failed, or absent.
	bodyEOF bool
	// broken: the worker connection is closed or out of step; it is not
	// reused.
	broken bool
	// deadline: a write deadline is set on the client connection.
	deadline bool
}

// discarding reports whether the worker's output no longer reaches the
// client.
func (s *exchState) discarding() bool { return s.reply >= replyDrop }

// cancelled reports whether C was sent.
func (s *exchState) cancelled() bool { return s.reply >= replyCancelled }

// rejected reports whether an error answer replaced the response.
func (s *exchState) rejected() bool { return s.reply == replyRejected }

// answered reports whether the client has a response head, the
// application's or an error answer.
func (s *exchState) answered() bool { return s.headSent || s.rejected() }

// raise moves the reply up to r (never down) and reports whether C is to
// be sent now: the first move to replyCancelled or beyond.
func (s *exchState) raise(r reply) (sendCancel bool) {
	sendCancel = r >= replyCancelled && s.reply < replyCancelled
	s.reply = max(s.reply, r)
	return sendCancel
}

// dropRest stops passing the response body to the client, quietly.
func (s *exchState) dropRest() { s.raise(replyDrop) }

// cancel: the request is to stop (client gone, or its body failed); it
// reports whether C is to be sent now.
func (s *exchState) cancel() (sendCancel bool) { return s.raise(replyCancelled) }

// reject: an error answer went out in place of the response; it reports
// whether C is to be sent now.
func (s *exchState) reject() (sendCancel bool) { return s.raise(replyRejected) }

// bufferedResponse is how much response body can be written without
// reaching the client's socket: net/http buffers the first 2 KB of a body.
const bufferedResponse = 2048

func (g *Group) exchange(c *wconn, w http.ResponseWriter, r *http.Request, req *Request, canRetry bool) outcome {
	x := call{g: g, c: c, w: w, r: r, canRetry: canRetry, declared: -1}
	out := x.run(req)
	if out == outAbort && x.st.headSent && !x.st.discarding() {
		// Let the client have the status and what body there is, as
		// Apache does; the abort then marks the body as truncated.
		if x.rc == nil {
			x.rc = http.NewResponseController(w)
		}
		_ = x.rc.Flush()
	}
	if x.st.broken {
		// A closed connection usually means the process died; give its
		// exit a moment to arrive, so that a crash is handled as a crash
		// (with backoff) and not as a planned replacement.
		t := time.NewTimer(250 * time.Millisecond)
		select {
		case <-c.p.exited:
		case <-t.C:
		}
		t.Stop()
	}
	if x.st.deadline && out == outDone {
		// Leave no deadline behind for the connection's next request.
		_ = x.rc.SetWriteDeadline(time.Time{})
	}
	g.release(c, x.st.broken, out == outBounce)
	return out
}

// arm sets the socket-timeout deadline before a wait on the worker.
// Moving a deadline moves a runtime timer, which costs more than the rest
// of a small exchange, so it is pushed forward only when it was set more
// than a sixteenth of the timeout ago: a wait may then time out up to 6%
// early, never late.
func (x *call) arm() {
	t := x.g.spec.SocketTimeout
	if t <= 0 {
		return
	}
	now := time.Now()
	if d := now.Sub(x.c.armed); d >= 0 && d < t/16 {
		return
	}
	x.c.armed = now
	_ = x.c.nc.SetDeadline(now.Add(t))
}

func (x *call) run(req *Request) outcome {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	c := x.c

	var flags byte
	if req.ScriptReloading {
		flags |= headReloading
	}
	if req.Hook {
		flags |= headHook
	}
	hasBody := x.r.Body != nil && x.r.Body != http.NoBody && x.r.ContentLength != 0
	if !hasBody {
		flags |= headNoBody
		x.st.bodyEOF = true
	}
	frame, err := appendHead(buf[:0], req, flags)
	if err != nil {
		x.g.fail(x.w, x.r, http.StatusInternalServerError, err)
		return outDone
	}
	x.arm()
	if req.Trace != nil {
		x.sentAt = time.Now()
		req.Trace.PID = c.p.pid
	}
	if _, err := c.nc.Write(frame); err != nil {
		// EPIPE or ECONNRESET: the worker's end was closed, so it read
		// nothing of the request.
		if x.unseen(err, syscall.EPIPE, syscall.ECONNRESET) {
			return outRetry
		}
		return x.lost(err)
	}
	if hasBody {
		// Applications may answer before reading all of the body.
		_ = http.NewResponseController(x.w).EnableFullDuplex()
	}
	first := true
	answered := false // a frame came back
	for {
		if !first && c.br.Buffered() < frameHeaderLen {
			x.arm()
		}
		first = false
		h, err := readFrameHeader(c.br, &c.scratch)
		if err != nil {
			// An AF_UNIX stream peer that closes with unread data in its
			// receive queue makes our read fail with ECONNRESET (a plain
			// EOF when it had read everything). Before the first frame back
			// we have written only the head, so its tail was never read:
			// the application did not run. After a plain EOF it may have.
			if !answered && x.unseen(err, syscall.ECONNRESET) {
				return outRetry
			}
			return x.lost(err)
		}
		answered = true
		switch h.typ {
		case frameRead:
			if x.st.cancelled() {
				continue // nothing is sent after C
			}
			if err := x.sendBody(buf, h.count, h.flags&readWindow != 0); err != nil {
				return x.lost(err)
			}
		case frameStart:
			if out, stop := x.start(buf, h, req); stop {
				return out
			}
		case frameData:
			if !x.st.answered() {
				return x.protocol("response body before the head")
			}
			if err := x.copyData(h.length); err != nil {
				return x.lost(err)
			}
		case frameFinish:
			if t := req.Trace; t != nil {
				t.App = time.Since(x.sentAt)
				t.PeakGrowth = int64(h.count) << 10 // the worker counts KiB
			}
			return x.finish()
		case frameError:
			if req.Trace != nil {
				req.Trace.App = time.Since(x.sentAt)
			}
			return x.workerError(h.length)
		case frameReload:
			if x.st.headSent || h.length != 0 {
				return x.protocol("unexpected reload frame")
			}
			return outBounce
		default:
			return x.protocol(fmt.Sprintf("unknown frame type %q", h.typ))
		}
	}
}

// finish handles an F frame: the response is complete.
func (x *call) finish() outcome {
	if !x.st.answered() {
		return x.protocol("response finished before the head")
	}
	if x.c.br.Buffered() != 0 {
		x.st.broken = true // out of step; do not reuse
	}
	if x.declared >= 0 && x.written < x.declared && !x.st.discarding() {
		x.g.log.Warn("daemon: the application's response is shorter than its Content-Length; the client connection is closed",
			"group", x.g.spec.Name, "content_length", x.declared, "sent", x.written, "uri", x.r.RequestURI)
	}
	if x.st.rejected() {
		return outDone
	}
	if x.st.cancelled() {
		return outAbort
	}
	return outDone
}

// workerError handles an E frame of n bytes: the application failed.
// Before any head the client gets a 500; after one, the connection is
// aborted.
func (x *call) workerError(n uint32) outcome {
	msg, err := x.readMessage(n)
	if err != nil {
		return x.lost(err)
	}
	if x.st.rejected() {
		return outDone
	}
	if x.st.headSent || x.st.cancelled() {
		if msg != "" {
			x.g.log.Error("daemon: "+msg, "group", x.g.spec.Name, "uri", x.r.RequestURI)
		}
		return outAbort
	}
	var e error
	if msg != "" {
		e = errors.New(msg)
	}
	x.g.fail(x.w, x.r, http.StatusInternalServerError, e)
	return outDone
}

// unseen reports whether err (one of errnos) on the worker connection
// means the request may be sent again: the worker never read it, nothing
// of the client's body was consumed and nothing was answered.
func (x *call) unseen(err error, errnos ...syscall.Errno) bool {
	// (rejected implies cancelled.)
	if !x.canRetry || x.st.headSent || x.st.cancelled() || x.written > 0 {
		return false
	}
	if x.st.bodyAsked {
		return false // the client's body may have been read
	}
	for _, e := range errnos {
		if errors.Is(err, e) {
			x.st.broken = true
			return true
		}
	}
	return false
}

// lost handles a failed read or write on the worker connection: the
// worker died, was killed, or did not answer within socket-timeout.
func (x *call) lost(err error) outcome {
	x.st.broken = true
	g := x.g
	status := http.StatusInternalServerError
	msg := "Truncated or oversized response headers received from daemon process"
	if errors.Is(err, os.ErrDeadlineExceeded) {
		status = http.StatusGatewayTimeout
		msg = "Timeout when reading response headers from daemon process"
		g.mu.Lock()
		g.stats.socketTimeouts++
		g.mu.Unlock()
	}
	if x.c.p.timedOut.Load() {
		status = http.StatusGatewayTimeout
		msg = "Daemon process was restarted by request-timeout while serving"
	}
	if x.st.rejected() {
		return outDone // the error answer is out already
	}
	if x.st.headSent || x.st.cancelled() {
		if !x.st.cancelled() {
			g.log.Error("daemon: Failed to proxy response from daemon process", "group", g.spec.Name, "err", err, "uri", x.r.RequestURI)
		}
		return outAbort
	}
	g.fail(x.w, x.r, status, fmt.Errorf("%s '%s': %v", msg, g.spec.Name, err))
	return outDone
}

// reject answers the client with a 500 instead of the worker's response,
// and cancels the request so the application stops; the rest of its
// frames are read and dropped, keeping the connection in step.
func (x *call) reject(err error) error {
	x.g.fail(x.w, x.r, http.StatusInternalServerError, err)
	return x.sendCancel(x.st.reject())
}

// cancel tells the worker to stop the request (C), once.
func (x *call) cancel() error { return x.sendCancel(x.st.cancel()) }

// sendCancel sends C when first is set (the state's first move to
// cancelled or beyond).
func (x *call) sendCancel(first bool) error {
	if !first {
		return nil
	}
	var hdr [frameHeaderLen]byte
	putHeader(hdr[:], frameCancel, 0, 0, 0)
	x.arm()
	_, err := x.c.nc.Write(hdr[:])
	return err
}

// armWrite sets response-socket-timeout (else socket-timeout) as the
// deadline of the next writes to the client.
func (x *call) armWrite() {
	t := x.g.spec.ResponseSocketTimeout
	if t <= 0 {
		t = x.g.spec.SocketTimeout
	}
	if t <= 0 {
		return
	}
	if x.rc == nil {
		x.rc = http.NewResponseController(x.w)
	}
	if x.rc.SetWriteDeadline(time.Now().Add(t)) == nil {
		x.st.deadline = true
	}
}

func (g *Group) headerBufferSize() int {
	if g.spec.HeaderBufferSize > 0 {
		return g.spec.HeaderBufferSize
	}
	return 32768
}

// start handles an S frame: the response head. stop is set when the
// exchange ends here with out.
func (x *call) start(buf []byte, h frameHeader, req *Request) (out outcome, stop bool) {
	if x.st.headSent || h.length > maxHeadLen {
		return x.protocol("unexpected or oversized response head"), true
	}
	p := buf[:0]
	if int(h.length) > cap(buf) {
		p = make([]byte, h.length)
	}
	p = p[:h.length]
	if _, err := io.ReadFull(x.c.br, p); err != nil {
		return x.lost(err), true
	}
	rh, bad, err := decodeResponseHead(p, h.count)
	if err != nil {
		return x.protocol(err.Error()), true
	}
	if limit := x.g.headerBufferSize(); rh.longest > limit-3 {
		// mod_wsgi reads each "Name: value" line plus CRLF into a
		// buffer of header-buffer-size bytes that keeps one for NUL.
		if err := x.reject(fmt.Errorf("Truncated or oversized response headers received from daemon process '%s': %s "+
			"(a response header line of %d bytes is longer than header-buffer-size=%d allows)",
			x.g.spec.Name, req.Script, rh.longest, limit)); err != nil {
			return x.lost(err), true
		}
		return 0, false
	}
	if len(bad) > 0 {
		x.g.log.Error("daemon: dropped invalid response headers", "group", x.g.spec.Name, "headers", bad, "uri", x.r.RequestURI)
	}
	hdr := x.w.Header()
	rh.apply(hdr)
	if v := hdr["Vary"]; len(v) > 0 {
		if f := fixVary(v); f != "" {
			hdr["Vary"] = []string{f}
		}
	}
	x.writeHead(rh)
	return 0, false
}

// writeHead sends the application's status and headers, with its own
// reason phrase when the client writer can send one.
func (x *call) writeHead(rh responseHead) {
	hdr := x.w.Header()
	if cl := hdr.Get("Content-Length"); cl != "" && x.r.Method != http.MethodHead && bodyAllowed(rh.code) {
		if n, err := strconv.ParseInt(cl, 10, 64); err == nil && n >= 0 {
			x.declared = n
		}
	}
	rw, ok := x.w.(interface{ WriteHeaderReason(int, string) })
	if ok && rh.reason != "" { // "" also for the standard phrase
		rw.WriteHeaderReason(rh.code, rh.reason)
	} else {
		x.w.WriteHeader(rh.code)
	}
	x.st.headSent = true
}

func bodyAllowed(code int) bool {
	return code >= 200 && code != http.StatusNoContent && code != http.StatusNotModified
}

func (x *call) protocol(what string) outcome {
	return x.lost(fmt.Errorf("protocol error: %s", what))
}

func (x *call) readMessage(n uint32) (string, error) {
	const keep = 8 << 10
	b := make([]byte, min(n, keep))
	if _, err := io.ReadFull(x.c.br, b); err != nil {
		return "", err
	}
	if n > keep {
		if _, err := x.c.br.Discard(int(n - keep)); err != nil {
			return "", err
		}
	}
	return string(b), nil
}

// sendBody answers an R with one B (up to want bytes) or an E. With
// window (a body of known length), it sends as many B frames as it takes
// to pass on up to want bytes, each as soon as it is read from the client,
// all but the last flagged bodyMore: one round trip per window instead of
// one per chunk, and still never more in flight than the worker asked for.
func (x *call) sendBody(buf []byte, want uint32, window bool) error {
	x.st.bodyAsked = true
	c := x.c
	if !x.st.bodyEOF {
		left := int64(maxChunk)
		if want > 0 && (window || int64(want) < left) {
			left = int64(want)
		}
		for left > 0 {
			n := int(min(left, maxChunk))
			k, err := x.r.Body.Read(buf[frameHeaderLen : frameHeaderLen+n])
			if err != nil {
				x.st.bodyEOF = true
				if !errors.Is(err, io.EOF) {
					return x.bodyFailed(err)
				}
			}
			if k > 0 {
				left -= int64(k)
				var flags byte
				if window && left > 0 && !x.st.bodyEOF {
					flags = bodyMore
				}
				putHeader(buf, frameBody, flags, 0, uint32(k))
				x.arm()
				if _, err := c.nc.Write(buf[:frameHeaderLen+k]); err != nil || flags == 0 {
					return err
				}
				continue
			}
			if x.st.bodyEOF {
				break
			}
		}
	}
	putHeader(buf, frameEnd, 0, 0, 0)
	x.arm()
	_, err := c.nc.Write(buf[:frameHeaderLen])
	return err
}

// bodyFailed handles an error reading the client's body: the client was
// too slow (Timeout), sent more than LimitRequestBody, broke the chunked
// framing or went away. Apache answers such a request itself (408, 413,
// 400) whatever the application was doing, so the answer goes out here
// when no response head has, and the worker gets C: the application's read
// raises ClientGone, which ends it without a traceback.
func (x *call) bodyFailed(err error) error {
	status := bodyErrorStatus(err)
	x.g.log.Error("daemon: Request data read error when proxying data to daemon process",
		"group", x.g.spec.Name, "err", err, "status", status, "uri", x.r.RequestURI)
	if !x.st.answered() {
		x.g.fail(x.w, x.r, status, nil)
		return x.sendCancel(x.st.reject())
	}
	return x.sendCancel(x.st.cancel())
}

// bodyErrorStatus is Apache's answer to a failed read of the request body.
func bodyErrorStatus(err error) int {
	var tooLarge *http.MaxBytesError
	var coded interface{ StatusCode() int }
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return http.StatusRequestTimeout
	case errors.As(err, &tooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.As(err, &coded):
		return coded.StatusCode()
	}
	return http.StatusBadRequest
}

// copyData streams one D frame from the worker to the client without
// holding more than the connection's read buffer.
func (x *call) copyData(n uint32) error {
	br := x.c.br
	remaining := int(n)
	x.written += int64(n)
	armed := false
	if !x.st.discarding() && x.written > bufferedResponse {
		// Only a write that can reach the client's socket needs the
		// deadline; a small response waits in net/http's buffer.
		x.armWrite()
		armed = true
	}
	for remaining > 0 {
		if br.Buffered() == 0 {
			x.arm()
			if _, err := br.Peek(1); err != nil {
				return err
			}
		}
		k := min(remaining, br.Buffered())
		b, _ := br.Peek(k)
		if !x.st.discarding() {
			if _, err := x.w.Write(b); err != nil {
				if err := x.clientFailed(err); err != nil {
					return err
				}
			}
		}
		_, _ = br.Discard(k)
		remaining -= k
	}
	// Flush only when nothing more is waiting: a response that arrived
	// whole goes out in one write when the handler returns.
	if !x.st.discarding() && br.Buffered() == 0 {
		if !armed {
			x.armWrite()
		}
		if x.rc == nil {
			x.rc = http.NewResponseController(x.w)
		}
		if err := x.rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
			return x.clientFailed(err)
		}
	}
	return nil
}

// clientFailed handles a failed write to the client. A body the status
// does not allow, or bytes beyond the declared Content-Length, are dropped
// quietly (Apache does the same); anything else means the client is gone:
// tell the worker (C) so the application stops at its next write.
func (x *call) clientFailed(err error) error {
	x.st.dropRest()
	if errors.Is(err, http.ErrContentLength) {
		x.g.log.Warn("daemon: the application's response is longer than its Content-Length; the rest was dropped",
			"group", x.g.spec.Name, "content_length", x.declared, "uri", x.r.RequestURI)
		return nil
	}
	if errors.Is(err, http.ErrBodyNotAllowed) {
		return nil
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		x.g.log.Error("daemon: Failed to write response data to the client within response-socket-timeout",
			"group", x.g.spec.Name, "uri", x.r.RequestURI)
	}
	return x.cancel()
}

// fixVary is httpd's fix_vary (http_filters.c): every Vary value split on
// commas and spaces, duplicates dropped (case-insensitively), joined with
// "," into one header line.
func fixVary(values []string) string {
	var out []string
	for _, v := range values {
		for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
			dup := false
			for _, o := range out {
				dup = dup || strings.EqualFold(o, f)
			}
			if !dup {
				out = append(out, f)
			}
		}
	}
	return strings.Join(out, ",")
}
