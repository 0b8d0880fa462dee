package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Looking inside the workers on demand, over their control sockets: the
// stacks of the requests being handled, and thread profiles. Nothing here
// runs unless asked.

// ThreadStack is the Python stack of a thread handling a request.
type ThreadStack struct {
	Thread     int     `json:"thread"` // mod_wsgi.thread_id
	Method     string  `json:"method"`
	URI        string  `json:"uri"`
	AgeSeconds float64 `json:"age_seconds"`
	Stack      string  `json:"stack"` // traceback.format_stack, root first
}

// ProcessStacks is what one process answered to Stacks.
type ProcessStacks struct {
	PID     int           `json:"pid"`
	Threads []ThreadStack `json:"threads"`
	Error   string        `json:"error,omitempty"`
}

// ProcessProfile is one process's thread profile.
type ProcessProfile struct {
	PID     int `json:"pid"`
	Samples int `json:"samples"`
	// Folded is "frame;frame;... count" lines, root first, each frame
	// "function (file:first line)".
	Folded string `json:"-"`
	// Dropped counts the samples of the least sampled stacks left out to
	// keep the answer under 8 MB.
	Dropped int    `json:"dropped,omitempty"`
	Error   string `json:"error,omitempty"`
}

// MaxProfile is the longest profile Profile takes.
const MaxProfile = 5 * time.Minute

// serving returns the processes that answer control queries (their main
// loop runs once they are ready), by slot.
func (g *Group) serving() []*process {
	g.mu.Lock()
	var ps []*process
	for p := range g.all {
		if p.state == stReady || p.state == stDraining {
			ps = append(ps, p)
		}
	}
	g.mu.Unlock()
	slices.SortFunc(ps, func(a, b *process) int { return a.slot - b.slot })
	return ps
}

// each runs fn for every serving process at once and returns the results
// in slot order.
func each[T any](ps []*process, fn func(p *process) T) []T {
	out := make([]T, len(ps))
	var wg sync.WaitGroup
	for i, p := range ps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = fn(p)
		}()
	}
	wg.Wait()
	return out
}

// Stacks asks every ready or draining process for the Python stacks of its
// threads that are handling a request. A process that does not answer
// before ctx ends is reported with an Error.
func (g *Group) Stacks(ctx context.Context) []ProcessStacks {
	return each(g.serving(), func(p *process) ProcessStacks {
		out := ProcessStacks{PID: p.pid}
		b, err := p.query(ctx, "stacks")
		if err == nil {
			var r struct {
				Threads []ThreadStack `json:"threads"`
				Error   string        `json:"error"`
			}
			if err = json.Unmarshal(b, &r); err == nil {
				out.Threads, out.Error = r.Threads, r.Error
			}
		}
		if err != nil {
			out.Error = err.Error()
		}
		return out
	})
}

// Profile has every ready or draining process sample the stacks of all its
// Python threads (but the idle request threads and its main thread) about
// 100 times a second for d, and returns each one's folded stacks. The
// sampler thread exists only while a profile runs.
func (g *Group) Profile(ctx context.Context, d time.Duration) ([]ProcessProfile, error) {
	if d <= 0 || d > MaxProfile {
		return nil, fmt.Errorf("profile duration %s: give more than 0 and at most %s", d, MaxProfile)
	}
	ps := g.serving()
	if len(ps) == 0 {
		return nil, fmt.Errorf("group %s has no running process to profile", g.spec.Name)
	}
	ctx, cancel := context.WithTimeout(ctx, d+10*time.Second)
	defer cancel()
	secs := strconv.FormatFloat(d.Seconds(), 'f', -1, 64)
	return each(ps, func(p *process) ProcessProfile {
		out := ProcessProfile{PID: p.pid}
		b, err := p.query(ctx, "profile "+secs)
		if err == nil {
			var r struct {
				Samples int    `json:"samples"`
				Folded  string `json:"folded"`
				Dropped int    `json:"dropped"`
				Error   string `json:"error"`
			}
			if err = json.Unmarshal(b, &r); err == nil {
				out.Samples, out.Folded, out.Dropped, out.Error = r.Samples, r.Folded, r.Dropped, r.Error
			}
		}
		if err != nil {
			out.Error = err.Error()
		}
		return out
	}), nil
}
