package http1

import (
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

var syscallEMFILE = syscall.EMFILE

const pendingMax = 4096

// response is the http.ResponseWriter of one request.
type response struct {
	c             *conn
	req           *http.Request
	handlerHeader http.Header
	keep          bool
	http09        bool

	status      int
	reason      string
	wroteHeader bool // the handler chose a status
	headWritten bool // the head is on its way to the socket
	done        bool
	pending     []byte
	declared    int64 // Content-Length the handler set, -1 if none
	written     int64
	chunking    bool
	bodyAllowed bool
}

func (w *response) Header() http.Header { return w.handlerHeader }

func (w *response) WriteHeader(code int) { w.WriteHeaderReason(code, "") }

// WriteHeaderReason answers with a custom reason phrase ("299 Custom Thing").
func (w *response) WriteHeaderReason(code int, reason string) {
	if w.wroteHeader || w.done {
		return
	}
	if code >= 100 && code < 200 {
		if code == 100 || w.headWritten || w.http09 {
			return
		}
		bw := w.c.bw
		writeStatusLine(bw, code, reason)
		writeFields(bw, w.handlerHeader, false)
		bw.WriteString("\r\n")
		bw.Flush()
		return
	}
	if code < 100 || code > 999 {
		panic("http1: invalid WriteHeader code " + strconv.Itoa(code))
	}
	w.wroteHeader = true
	w.status, w.reason = code, reason
	w.declared = -1
	if v := w.handlerHeader["Content-Length"]; len(v) > 0 {
		if n, err := strconv.ParseInt(strings.TrimSpace(v[0]), 10, 64); err == nil && n >= 0 {
			w.declared = n
		} else {
			delete(w.handlerHeader, "Content-Length")
		}
	}
	w.bodyAllowed = w.req.Method != http.MethodHead && code != http.StatusNoContent && code != http.StatusNotModified
}

func (w *response) Write(p []byte) (int, error) {
	if w.done {
		return 0, http.ErrHijacked
	}
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if !w.bodyAllowed {
		return 0, http.ErrBodyNotAllowed
	}
	var err error
	if w.declared >= 0 && w.written+int64(len(p)) > w.declared {
		p = p[:w.declared-w.written]
		err = http.ErrContentLength
	}
	w.written += int64(len(p))
	if !w.headWritten {
		if len(w.pending)+len(p) <= pendingMax {
			if w.pending == nil {
				w.pending = make([]byte, 0, min(pendingMax, max(len(p), 512)))
			}
			w.pending = append(w.pending, p...)
			return len(p), err
		}
		w.commit(false)
	}
	if e := w.writeBody(p); e != nil {
		return 0, e
	}
	return len(p), err
}

func (w *response) WriteString(s string) (int, error) { return w.Write([]byte(s)) }

func (w *response) writeBody(p []byte) error {
	if len(p) == 0 {
		return nil
	}
	bw := w.c.bw
	if w.chunking {
		bw.WriteString(strconv.FormatInt(int64(len(p)), 16))
		bw.WriteString("\r\n")
		bw.Write(p)
		_, err := bw.WriteString("\r\n")
		return err
	}
	_, err := bw.Write(p)
	return err
}

var closeStatus = map[int]bool{400: true, 408: true, 411: true, 413: true, 414: true, 431: true}

// commit writes the head and the pending body; final means the handler
// has returned, so the whole body is known.
func (w *response) commit(final bool) {
	w.headWritten = true
	pending := w.pending
	w.pending = nil
	if w.http09 {
		w.writeBody(pending)
		return
	}
	h := w.handlerHeader
	delete(h, "Transfer-Encoding")
	if closeStatus[w.status] || hasToken(h["Connection"], "close") {
		w.keep = false
	}
	setCL := false
	if w.bodyAllowed && w.declared < 0 {
		switch {
		case final:
			setCL = true
		case w.req.ProtoMinor >= 1:
			w.chunking = true
		default:
			w.keep = false
		}
	}
	bw := w.c.bw
	writeStatusLine(bw, w.status, w.reason)
	writeFields(bw, h, true)
	if setCL {
		bw.WriteString("Content-Length: ")
		bw.WriteString(strconv.Itoa(len(pending)))
		bw.WriteString("\r\n")
	}
	if w.chunking {
		bw.WriteString("Transfer-Encoding: chunked\r\n")
	}
	if !w.keep {
		if !hasToken(h["Connection"], "close") {
			bw.WriteString("Connection: close\r\n")
		}
	} else if w.req.ProtoMinor == 0 {
		bw.WriteString("Connection: keep-alive\r\n")
	}
	bw.WriteString("\r\n")
	w.writeBody(pending)
}

// send100 answers Expect: 100-continue at the first body read.
func (w *response) send100() {
	if w.wroteHeader || w.headWritten {
		return
	}
	w.c.bw.WriteString("HTTP/1.1 100 Continue\r\n\r\n")
	w.c.bw.Flush()
}

// finish completes the response after the handler; false = close.
func (w *response) finish() bool {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if !w.headWritten {
		w.commit(true)
	}
	w.done = true
	if w.chunking {
		w.c.bw.WriteString("0\r\n\r\n")
	}
	if w.declared >= 0 && w.written < w.declared && w.bodyAllowed {
		w.keep = false
	}
	if err := w.c.bw.Flush(); err != nil {
		return false
	}
	return w.keep && !w.http09
}

func (w *response) Flush() { w.FlushError() }

func (w *response) FlushError() error {
	if w.done {
		return http.ErrHijacked
	}
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if !w.headWritten {
		w.commit(false)
	}
	return w.c.bw.Flush()
}

func (w *response) SetReadDeadline(t time.Time) error {
	w.c.readDeadlineSet = true
	return w.c.nc.SetReadDeadline(t)
}

func (w *response) SetWriteDeadline(t time.Time) error {
	w.c.writeArmed = time.Time{}
	w.c.writeDeadlineSet = true
	return w.c.nc.SetWriteDeadline(t)
}

// EnableFullDuplex: reading the body while writing is always allowed.
func (w *response) EnableFullDuplex() error { return nil }

type stringWriter interface {
	WriteString(string) (int, error)
}

func writeStatusLine(bw stringWriter, code int, reason string) {
	if reason == "" {
		reason = http.StatusText(code)
		if reason == "" {
			reason = "Unknown"
		}
	}
	bw.WriteString("HTTP/1.1 ")
	bw.WriteString(strconv.Itoa(code))
	bw.WriteString(" ")
	bw.WriteString(sanitize(reason))
	bw.WriteString("\r\n")
}

func writeFields(bw stringWriter, h http.Header, date bool) {
	for k, vs := range h {
		for _, v := range vs {
			bw.WriteString(k)
			bw.WriteString(": ")
			bw.WriteString(sanitize(v))
			bw.WriteString("\r\n")
		}
	}
	if _, ok := h["Date"]; date && !ok {
		bw.WriteString("Date: ")
		bw.WriteString(httpDate())
		bw.WriteString("\r\n")
	}
}

func sanitize(v string) string {
	if strings.ContainsAny(v, "\r\n\x00") {
		return strings.NewReplacer("\r", " ", "\n", " ", "\x00", " ").Replace(v)
	}
	return v
}

type dateCache struct {
	sec int64
	s   string
}

var cachedDate atomic.Pointer[dateCache]

func httpDate() string {
	now := time.Now()
	if d := cachedDate.Load(); d != nil && d.sec == now.Unix() {
		return d.s
	}
	d := &dateCache{sec: now.Unix(), s: now.UTC().Format(http.TimeFormat)}
	cachedDate.Store(d)
	return d.s
}
