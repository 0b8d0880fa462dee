package daemon

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// Serve runs req on one of the group's processes and writes the response
// to w; the request body is r.Body. Requests wait in the group's FIFO
// queue while every thread is busy. Serve writes 500, 503 or 504 itself
// when the group cannot produce a response (see Options.ErrorResponse).
// If the worker fails after the response head was sent, Serve panics with
// http.ErrAbortHandler so that net/http aborts the client connection
// instead of passing off a truncated body as complete; callers must let
// that panic through.
func (g *Group) Serve(w http.ResponseWriter, r *http.Request, req *Request) {
	if g.scriptUID >= 0 || g.scriptGID >= 0 {
		if err := g.checkScriptOwner(req.Script); err != nil {
			g.fail(w, r, http.StatusForbidden, err)
			return
		}
	}
	bounces, retries := 0, 0
	for {
		waitStart := time.Now()
		c, status, err := g.acquire(r.Context())
		if req.Trace != nil {
			req.Trace.Queued += time.Since(waitStart)
		}
		if c == nil {
			if status != 0 {
				g.fail(w, r, status, err)
			}
			return
		}
		// Same bound as mod_wsgi's restart connects: enough to get past
		// every process of the group dying twice.
		switch g.exchange(c, w, r, req, retries < 2*len(g.slots)+1) {
		case outDone:
			return
		case outAbort:
			panic(http.ErrAbortHandler)
		case outRetry:
			retries++
			g.mu.Lock()
			g.stats.retries++
			g.mu.Unlock()
			g.log.Info("daemon: worker process died before it read the request; sending it to another process",
				"group", g.spec.Name, "pid", c.p.pid, "retry", retries, "uri", r.RequestURI)
		case outBounce:
			// The script changed: that process is being replaced; run the
			// request elsewhere, as mod_wsgi does, with the same limit.
			bounces++
			if bounces > 2*len(g.slots)+1 {
				g.fail(w, r, http.StatusServiceUnavailable,
					fmt.Errorf("Maximum number of WSGI daemon process restart connects reached for '%s'", g.spec.Name))
				return
			}
		}
	}
}

func (g *Group) fail(w http.ResponseWriter, r *http.Request, status int, err error) {
	if err != nil {
		g.log.Error("daemon: "+err.Error(), "group", g.spec.Name, "status", status, "uri", r.RequestURI)
	}
	if g.opts.ErrorResponse != nil {
		g.opts.ErrorResponse(w, r, status)
		return
	}
	http.Error(w, http.StatusText(status), status)
}

// waiter is a request queued for a thread. ch receives the connection
// (nil when the group stops).
type waiter struct {
	ch   chan *wconn
	enq  time.Time
	done bool // delivered or cancelled; guarded by g.mu
}

// waitQueue is a FIFO; cancelled waiters are skipped lazily.
type waitQueue struct {
	items []*waiter
	head  int
	n     int // live waiters
}

func (q *waitQueue) push(w *waiter) {
	if q.head > 64 && q.head > len(q.items)/2 {
		n := copy(q.items, q.items[q.head:])
		clear(q.items[n:])
		q.items = q.items[:n]
		q.head = 0
	}
	q.items = append(q.items, w)
	q.n++
}

func (q *waitQueue) pop() *waiter {
	for q.head < len(q.items) {
		w := q.items[q.head]
		q.items[q.head] = nil
		q.head++
		if !w.done {
			w.done = true
			q.n--
			return w
		}
	}
	q.items = q.items[:0]
	q.head = 0
	return nil
}

func (q *waitQueue) cancel(w *waiter) bool {
	if w.done {
		return false
	}
	w.done = true
	q.n--
	return true
}

// acquire returns an idle connection of the process with the fewest
// requests in flight, waiting in the queue if there is none. On failure
// it returns the status to answer (0 = the client went away).
func (g *Group) acquire(ctx context.Context) (*wconn, int, error) {
	now := g.clock.Now()
	g.mu.Lock()
	if g.state != gsRunning {
		g.mu.Unlock()
		return nil, http.StatusServiceUnavailable, errStopped
	}
	if g.spec.Threads == 0 {
		g.mu.Unlock()
		return nil, http.StatusServiceUnavailable,
			fmt.Errorf("WSGI daemon process group '%s' has no request threads (threads=0)", g.spec.Name)
	}
	if g.queue.n == 0 {
		if c := g.pick(); c != nil {
			g.assign(c, now)
			g.mu.Unlock()
			return c, 0, nil
		}
	}
	if b := g.spec.ListenBacklog; b > 0 && g.queue.n >= b && g.spec.ConnectTimeout <= 0 {
		// The backlog is full and connect-timeout allows no retry.
		g.stats.backlogFull++
		g.mu.Unlock()
		return nil, http.StatusServiceUnavailable, g.backlogError()
	}
	w := &waiter{ch: make(chan *wconn, 1), enq: time.Now()}
	g.queue.push(w)
	if g.dynamic {
		g.poke() // every thread is busy: maybe start another process
	}
	g.mu.Unlock()
	return g.wait(ctx, w)
}

func (g *Group) backlogError() error {
	return fmt.Errorf("Unable to connect to WSGI daemon process '%s' as listener backlog limit was exceeded "+
		"(listen-backlog=%d requests were already waiting for a thread; raise listen-backlog, processes or threads)",
		g.spec.Name, g.spec.ListenBacklog)
}

// beyondBacklog reports whether w is not among the first ListenBacklog
// waiters, i.e. it would still be retrying its connect under mod_wsgi.
// Caller holds g.mu.
func (g *Group) beyondBacklog(w *waiter) bool {
	b := g.spec.ListenBacklog
	if b <= 0 || g.queue.n <= b {
		return false
	}
	ahead := 0
	for _, x := range g.queue.items[g.queue.head:] {
		if x == w {
			return false
		}
		if !x.done {
			ahead++
			if ahead >= b {
				return true
			}
		}
	}
	return false
}

// quietWait is how long a queued request waits before it also listens for
// its client going away and for its timeouts.
const quietWait = 50 * time.Millisecond

func (g *Group) wait(ctx context.Context, w *waiter) (*wconn, int, error) {
	// queue-timeout answers 504 as soon as it passes (not when a thread
	// finally takes the request, as mod_wsgi does). Without it the wait is
	// bounded by socket-timeout, like a request stuck in mod_wsgi's
	// listener backlog.
	qt, what := g.spec.QueueTimeout, "Queue timeout expired"
	if qt <= 0 {
		qt, what = g.spec.SocketTimeout, "Timeout when waiting for a thread"
	}
	// Most waits last a few service times. Listening for the client going
	// away (a goroutine and a read on its connection) and the two timers
	// below cost more than such a wait, so the first quietWait of it
	// listens to the queue alone.
	quiet := quietWait
	for _, d := range [...]time.Duration{qt, g.spec.ConnectTimeout} {
		if d > 0 {
			quiet = min(quiet, d)
		}
	}
	t := time.NewTimer(quiet)
	select {
	case c := <-w.ch:
		t.Stop()
		if c == nil {
			return nil, http.StatusServiceUnavailable, errStopped
		}
		return c, 0, nil
	case <-t.C:
	}
	var qC, cC <-chan time.Time
	if qt > 0 {
		t.Reset(qt - quiet)
		defer t.Stop()
		qC = t.C
	}
	var ct *time.Timer
	if g.spec.ConnectTimeout > 0 {
		ct = time.NewTimer(g.spec.ConnectTimeout - quiet)
		defer ct.Stop()
		cC = ct.C
	}
	for {
		select {
		case c := <-w.ch:
			if c == nil {
				return nil, http.StatusServiceUnavailable, errStopped
			}
			return c, 0, nil
		case <-qC:
			g.mu.Lock()
			if g.beyondBacklog(w) {
				// Still "connecting" in mod_wsgi's terms: not in the
				// daemon's listen queue yet, so no queue-timeout; it gets
				// 503 at connect-timeout, or 504 once it is in the queue.
				g.mu.Unlock()
				qC = time.After(qt / 10)
				continue
			}
			ok := g.queue.cancel(w)
			if ok {
				g.stats.queueTimeouts++
			}
			g.mu.Unlock()
			if ok {
				return nil, http.StatusGatewayTimeout,
					fmt.Errorf("%s for WSGI daemon process '%s'.", what, g.spec.Name)
			}
			qC = nil // a connection is already on its way
		case <-cC:
			// connect-timeout: 503 if no process has been able to take
			// requests, or if the request is still beyond the first
			// listen-backlog waiters (mod_wsgi's connect retries to a full
			// listener backlog); otherwise keep waiting and look again later.
			g.mu.Lock()
			noProc, full := len(g.ready) == 0, g.beyondBacklog(w)
			ok := (noProc || full) && g.queue.cancel(w)
			if ok {
				if full {
					g.stats.backlogFull++
				} else {
					g.stats.connectTimeouts++
				}
			}
			g.mu.Unlock()
			if ok {
				if full {
					return nil, http.StatusServiceUnavailable, g.backlogError()
				}
				return nil, http.StatusServiceUnavailable,
					fmt.Errorf("Unable to connect to WSGI daemon process '%s': no process became available within connect-timeout", g.spec.Name)
			}
			ct.Reset(g.spec.ConnectTimeout)
		case <-ctx.Done():
			g.mu.Lock()
			ok := g.queue.cancel(w)
			g.mu.Unlock()
			if !ok {
				if c := <-w.ch; c != nil {
					g.release(c, false, false)
				}
			}
			return nil, 0, ctx.Err()
		}
	}
}

// pick takes an idle connection from the ready process with the fewest
// requests in flight. Caller holds g.mu.
func (g *Group) pick() *wconn {
	var best *process
	for _, p := range g.ready {
		if len(p.idle) > 0 && (best == nil || p.inflight < best.inflight) {
			best = p
		}
	}
	if best == nil {
		return nil
	}
	c := best.idle[len(best.idle)-1]
	best.idle = best.idle[:len(best.idle)-1]
	return c
}

// assign accounts for c starting a request. Caller holds g.mu.
func (g *Group) assign(c *wconn, now time.Time) {
	p := c.p
	p.inflight++
	p.served++
	p.lastActive = now
	c.busySince = now
	g.inflight++
	g.stats.requests++
	if p.limit > 0 && p.served == p.limit {
		g.poke() // maximum-requests: start the replacement
	}
}

// dequeued hands c to the first waiter, if any. Caller holds g.mu.
func (g *Group) dequeued(c *wconn, now time.Time) bool {
	w := g.queue.pop()
	if w == nil {
		return false
	}
	wait := time.Since(w.enq)
	g.stats.queueWaits++
	g.stats.queueWaitTotal += wait
	g.stats.queueWaitMax = max(g.stats.queueWaitMax, wait)
	g.assign(c, now)
	w.ch <- c
	return true
}

// release returns c after a request. broken: the connection is unusable
// (closed here; the process gets replaced). reload: the worker found the
// script changed; the process is taken out of service at once.
func (g *Group) release(c *wconn, broken, reload bool) {
	now := g.clock.Now()
	var ev *Event
	g.mu.Lock()
	p := c.p
	p.inflight--
	g.inflight--
	c.busySince = time.Time{}
	p.lastActive = now
	if !broken {
		p.completed++
	}
	switch {
	case broken:
		p.live--
		if p.state == stReady && p.recycle == noReason && !p.hasExited() {
			e := g.markRecycle(p, ReasonBrokenConn)
			ev = &e
		}
		g.poke()
	case reload:
		p.idle = append(p.idle, c)
		if p.state == stReady {
			e := g.markRecycle(p, ReasonScriptReload)
			g.retire(p, now, g.graceTimeout(), noReason)
			ev = &e
		}
		g.poke()
	case p.state == stReady:
		if !g.dequeued(c, now) {
			p.idle = append(p.idle, c)
		}
	default:
		p.idle = append(p.idle, c)
		if p.inflight == 0 {
			g.poke() // a draining process can stop now
		}
	}
	if g.drained != nil && g.inflight == 0 {
		select {
		case <-g.drained:
		default:
			close(g.drained)
		}
	}
	g.mu.Unlock()
	if broken {
		c.nc.Close()
	}
	if ev != nil {
		g.emit(*ev)
	}
}
