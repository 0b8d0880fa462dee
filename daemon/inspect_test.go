package daemon

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestStacksAndProfile: over the control socket, a process reports the
// stack of the request it is handling, and a profile counts where its
// threads are; idle request threads stay out of it.
func TestStacksAndProfile(t *testing.T) {
	spec := testSpec("inspect")
	spec.Processes = 2
	h := newHarness(t, spec)
	idle, err := h.g.Profile(context.Background(), 300*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if len(idle) != 2 {
		t.Fatalf("profile of 2 processes: %+v", idle)
	}
	for _, p := range idle {
		if p.Error != "" || p.Samples < 10 || p.Folded != "" {
			t.Errorf("idle process %d: error %q, %d samples, folded %q (want no stacks)", p.PID, p.Error, p.Samples, p.Folded)
		}
	}

	done := make(chan struct{})
	go func() {
		defer close(done)
		h.get("/sleep?s=2")
	}()
	defer func() { <-done }()
	var found *ThreadStack
	var pids []int
	for deadline := time.Now().Add(5 * time.Second); found == nil && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		pids = pids[:0]
		for _, ps := range h.g.Stacks(context.Background()) {
			if ps.Error != "" {
				t.Fatalf("pid %d: %s", ps.PID, ps.Error)
			}
			pids = append(pids, ps.PID)
			for i := range ps.Threads {
				if strings.Contains(ps.Threads[i].Stack, "in application") { // not still importing the script
					found = &ps.Threads[i]
				}
			}
		}
	}
	if len(pids) != 2 {
		t.Errorf("stacks of %d processes, want 2", len(pids))
	}
	if found == nil {
		t.Fatal("no request thread in the stacks while /sleep runs")
	}
	if found.Method != "GET" || found.URI != "/sleep?s=2" || found.Thread < 1 || found.AgeSeconds <= 0 {
		t.Errorf("stack of /sleep: %+v", *found)
	}
	prof, err := h.g.Profile(context.Background(), 500*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	var folded string
	for _, p := range prof {
		folded += p.Folded
	}
	if !strings.Contains(folded, ";application ("+testApp(t)+":") || !strings.Contains(folded, "serve (appserver worker)") {
		t.Errorf("profile while /sleep runs:\n%s", folded)
	}
	if _, err := h.g.Profile(context.Background(), 0); err == nil {
		t.Error("a profile of 0s was accepted")
	}
}
