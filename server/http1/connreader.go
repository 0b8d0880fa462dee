package http1

import (
	"io"
	"net"
	"sync"
	"time"
)

// connReader is what the connection's bufio.Reader reads from. While a
// handler runs with the request body fully read (or none), a background
// read of one byte watches the connection: EOF or an error there means
// the client is gone, and the request's context is cancelled. A byte it
// gets (the next pipelined request) is handed to the next Read.
type connReader struct {
	nc      net.Conn
	mu      sync.Mutex
	cond    *sync.Cond
	inRead  bool
	aborted bool
	hasByte bool
	b       [1]byte
	// deadlineOnRead, when set, is the read deadline to set before the
	// next read from the connection (set and read by the connection's
	// goroutine only).
	deadlineOnRead time.Duration
}

func newConnReader(nc net.Conn) *connReader {
	r := &connReader{nc: nc}
	r.cond = sync.NewCond(&r.mu)
	return r
}

func (r *connReader) Read(p []byte) (int, error) {
	r.abort()
	if len(p) == 0 {
		return 0, nil
	}
	r.mu.Lock()
	if r.hasByte {
		r.hasByte = false
		p[0] = r.b[0]
		r.mu.Unlock()
		return 1, nil
	}
	r.mu.Unlock()
	if d := r.deadlineOnRead; d > 0 {
		r.deadlineOnRead = 0
		r.nc.SetReadDeadline(time.Now().Add(d))
	}
	return r.nc.Read(p)
}

// watch starts the background read; cancel is called if the client goes.
func (r *connReader) watch(cancel func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.inRead || r.hasByte {
		return
	}
	r.inRead = true
	go func() {
		n, err := r.nc.Read(r.b[:])
		for n == 0 && isTimeout(err) && r.rearm() {
			n, err = r.nc.Read(r.b[:])
		}
		r.mu.Lock()
		if n == 1 {
			r.hasByte = true
		}
		gone := err != nil && !r.aborted
		r.inRead = false
		r.cond.Broadcast()
		r.mu.Unlock()
		if gone {
			cancel() // outside r.mu: cancel takes the context's lock
		}
	}()
}

var aLongTimeAgo = time.Unix(1, 0)

// abort stops the background read, if any, and waits for it.
func (r *connReader) abort() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.inRead {
		return
	}
	r.aborted = true
	r.nc.SetReadDeadline(aLongTimeAgo)
	for r.inRead {
		r.cond.Wait()
	}
	r.aborted = false
	// The deadline stays in the past: every read path sets its own.
}

// rearm clears a deadline left from the request head so that the
// background read goes on, unless abort is under way (checked under the
// lock abort sets its past deadline with, so neither undoes the other).
func (r *connReader) rearm() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.aborted {
		return false
	}
	r.nc.SetReadDeadline(time.Time{})
	return true
}

// linger half-closes a connection the server is closing with request
// bytes possibly unread, and discards what still arrives for a moment,
// so that the client gets the response rather than a reset.
func linger(nc net.Conn) {
	cw, ok := nc.(interface{ CloseWrite() error })
	if !ok {
		return
	}
	if cw.CloseWrite() != nil {
		return
	}
	nc.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	io.CopyN(io.Discard, nc, 256<<10)
}
