package http1

import (
	"context"
	"sync"
)

// requestContext is a request's context. Its Done channel is made only
// when someone asks for it, and only then does a background read watch the
// connection for the client going away. Most requests never ask (a worker
// exchange finds a gone client at its next write; only a wait in a queue
// listens), and the watch costs a goroutine, a read that finds nothing and
// a wakeup to stop it: a tenth of a small request's front-end work.
type requestContext struct {
	context.Context // the connection's: values, no deadline, never done
	cr              *connReader

	mu        sync.Mutex
	done      chan struct{}
	err       error
	watchable bool // no body, or the body has been read to its end
}

func newRequestContext(parent context.Context, cr *connReader, watchable bool) *requestContext {
	return &requestContext{Context: parent, cr: cr, watchable: watchable}
}

func (x *requestContext) Done() <-chan struct{} {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.done == nil {
		x.done = make(chan struct{})
		if x.err != nil {
			close(x.done)
		} else if x.watchable {
			x.cr.watch(x.cancel)
		}
	}
	return x.done
}

func (x *requestContext) Err() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.err
}

// cancel ends the context: the client went away, or the request is over.
// After it no watch starts.
func (x *requestContext) cancel() {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.err != nil {
		return
	}
	x.err = context.Canceled
	if x.done != nil {
		close(x.done)
	}
}

// bodyRead: the body is read to its end with nothing buffered behind it, so
// the connection may be watched now if the context is being listened to.
func (x *requestContext) bodyRead() {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.watchable = true
	if x.done != nil && x.err == nil {
		x.cr.watch(x.cancel)
	}
}

func (x *requestContext) String() string { return "http1.requestContext" }
