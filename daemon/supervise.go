package daemon

import (
	"slices"
	"time"
)

// supervise is the group's one background goroutine: on every kick or
// tick it applies the recycle rules and starts, drains and stops
// processes (reconcile).
func (g *Group) supervise() {
	defer g.wg.Done()
	t := time.NewTicker(g.tick)
	defer t.Stop()
	for {
		select {
		case <-g.done:
			return
		case <-g.kick:
		case <-t.C:
			if g.spec.MaximumRSS > 0 {
				g.sampleRSS()
			}
			if g.spec.DeadlockTimeout > 0 {
				g.pingAll()
			}
		}
		g.reconcile()
	}
}

// pingAll pings every serving process for deadlock-timeout.
func (g *Group) pingAll() {
	g.mu.Lock()
	ps := slices.Clone(g.ready)
	g.mu.Unlock()
	for _, p := range ps {
		p.ping()
	}
}

func (g *Group) sampleRSS() {
	g.mu.Lock()
	ps := slices.Clone(g.ready)
	g.mu.Unlock()
	for _, p := range ps {
		p.sampleRSS()
	}
}

// recycleReason says whether a serving process should be replaced now.
// Caller holds g.mu.
func (g *Group) recycleReason(p *process, now time.Time) Reason {
	s := g.spec
	if p.recycle != noReason {
		return p.recycle
	}
	// deadlock-timeout: the main thread did not answer a ping (it needs the
	// GIL to) for that long.
	if s.DeadlockTimeout > 0 && now.Sub(time.Unix(0, p.lastPong.Load())) > s.DeadlockTimeout {
		return ReasonDeadlockTimeout
	}
	if s.StartupTimeout > 0 && p.loadState == loadArmed && now.After(p.loadDeadline) {
		return ReasonStartupTimeout
	}
	if s.RequestTimeout > 0 && p.inflight > 0 {
		// mod_wsgi: the average age of the in-flight requests over the
		// configured threads, so one stuck request among many threads is
		// tolerated longer.
		var sum time.Duration
		for _, c := range p.conns {
			if !c.busySince.IsZero() {
				sum += now.Sub(c.busySince)
			}
		}
		if threads := max(s.Threads, 1); sum/time.Duration(threads) > s.RequestTimeout {
			return ReasonRequestTimeout
		}
	}
	if p.limit > 0 && p.served >= p.limit {
		return ReasonMaximumRequests
	}
	// Idle only, and never before the first request (no restart loops).
	if s.InactivityTimeout > 0 && p.served > 0 && p.inflight == 0 && now.Sub(p.lastActive) > s.InactivityTimeout {
		return ReasonInactivity
	}
	if s.RestartInterval > 0 && now.Sub(p.readyAt) > s.RestartInterval {
		return ReasonRestartInterval
	}
	if s.MaximumRSS > 0 && p.rss.Load() > s.MaximumRSS {
		return ReasonMaximumRSS
	}
	return noReason
}

// reconcile applies the rules once; the actions that block run after the
// lock is released.
func (g *Group) reconcile() {
	now := g.clock.Now()
	var acts []func()
	var evs []Event
	g.mu.Lock()
	if g.state != gsRunning {
		g.mu.Unlock()
		return
	}
	for i := range g.slots {
		s := &g.slots[i]
		if p := s.cur; p != nil && p.state == stReady && p.recycle == noReason {
			if r := g.recycleReason(p, now); r != noReason {
				evs = append(evs, g.markRecycle(p, r))
				switch r {
				case ReasonRequestTimeout:
					// Hard: stop dispatching now, log the stuck stacks, let
					// the others finish within shutdown-timeout, then kill.
					// The stuck requests then get 504.
					p.timedOut.Store(true)
					g.retire(p, now, g.shutdownTimeout(), noReason)
					acts = append(acts, func() { go p.dumpStacks(2 * time.Second) })
				case ReasonDeadlockTimeout, ReasonStartupTimeout:
					// Hard as well: a process that cannot take the GIL, or
					// whose application never loaded, serves nothing; new
					// requests wait for the replacement instead.
					g.retire(p, now, g.shutdownTimeout(), noReason)
					msg := "Daemon process deadlock timer expired, stopping process"
					var delay time.Duration
					if r == ReasonStartupTimeout {
						msg = "Application startup timer expired, stopping process"
						// The application never loaded: a failed start.
						delay = s.failures.fail(now)
						s.retryAt = now.Add(delay)
					}
					acts = append(acts, func() {
						g.log.Error("daemon: "+msg, "group", g.spec.Name, "pid", p.pid, "reason", r, "restart_in", delay)
					})
				}
			}
		}
		if !s.active || s.spawning || now.Before(s.retryAt) {
			continue
		}
		if s.cur == nil || s.cur.recycle != noReason {
			s.spawning = true
			g.wg.Add(1)
			acts = append(acts, func() { go g.startSlot(i, nil) })
		}
	}
	if g.dynamic {
		acts = append(acts, g.scale(now)...)
	}
	if i := g.rescue(now); i >= 0 {
		s := &g.slots[i]
		wait := s.retryAt.Sub(now)
		s.retryAt = now
		s.spawning = true
		g.wg.Add(1)
		acts = append(acts, func() {
			g.log.Warn("daemon: every process slot is backing off and none is left; starting one now",
				"group", g.spec.Name, "slot", i, "reason", "no live process", "skipped_backoff", wait)
			go g.startSlot(i, nil)
		})
	}
	for _, p := range g.retiring {
		switch p.state {
		case stDraining:
			if p.inflight == 0 || (!p.drainDeadline.IsZero() && now.After(p.drainDeadline)) {
				g.transition(p, stStopping, noReason)
				p.killAt = now.Add(g.shutdownTimeout())
				if p.inflight > 0 {
					acts = append(acts, p.kill)
				} else {
					acts = append(acts, p.closeControl)
				}
			}
		case stStopping:
			if now.After(p.killAt) {
				acts = append(acts, p.kill)
			}
		}
	}
	g.mu.Unlock()
	for _, a := range acts {
		a()
	}
	for _, e := range evs {
		g.emit(e)
	}
}

// rescue returns the slot to start now although its backoff has not
// ended, or -1. A group keeps at least one process whenever one can start:
// when every wanted slot is backing off and no process is serving or
// starting, the slot due first starts at once. The backoff still holds a
// real crash loop down: a rescue happens at most once per FailureBackoff,
// so a broken application costs one more start per backoff period, while
// a healthy one whose young processes were all killed gets a process back
// immediately. Caller holds g.mu.
func (g *Group) rescue(now time.Time) int {
	best := -1
	for i := range g.slots {
		s := &g.slots[i]
		if !s.active {
			continue
		}
		if s.spawning || s.cur != nil || !now.Before(s.retryAt) {
			return -1 // a process is alive or starting, or may start anyway
		}
		if best < 0 || s.retryAt.Before(g.slots[best].retryAt) {
			best = i
		}
	}
	if best < 0 {
		return -1
	}
	if !g.rescuedAt.IsZero() && now.Sub(g.rescuedAt) < g.slots[best].failures.backoff {
		return -1
	}
	g.rescuedAt = now
	return best
}

// youngAge and youngRequests define a process that "died young": ready
// for less than youngAge and fewer than youngRequests requests completed.
// Such a death most likely comes from the application (it crashes at
// import or on its first requests), so it counts toward the slot's
// backoff; a process that lived longer or served more proved that the
// application works and is replaced at once (kill -9, OOM killer).
const (
	youngAge      = 3 * time.Second
	youngRequests = 10
)

// diedYoung reports whether the ready process p died young at now.
// Caller holds g.mu.
func diedYoung(p *process, now time.Time) bool {
	return now.Sub(p.readyAt) < youngAge && p.completed < youngRequests
}

// scale applies MinProcesses and IdleTimeout: one more process for every
// Threads requests waiting beyond the processes already on their way, and
// the stop of idle processes above the minimum, highest slot first (the
// dispatcher prefers the first ready process on ties, so under light load
// the later ones are the idle ones). Caller holds g.mu.
func (g *Group) scale(now time.Time) []func() {
	var acts []func()
	active, starting := 0, 0
	for i := range g.slots {
		if s := &g.slots[i]; s.active {
			active++
			if s.cur == nil && s.spawning {
				starting++
			}
		}
	}
	if g.queue.n > 0 {
		threads := max(g.spec.Threads, 1)
		need := (g.queue.n+threads-1)/threads - starting
		for i := range g.slots {
			if need <= 0 {
				break
			}
			s := &g.slots[i]
			if s.active || s.spawning || now.Before(s.retryAt) {
				continue
			}
			s.active = true
			s.spawning = true
			need--
			g.wg.Add(1)
			acts = append(acts, func() { go g.startSlot(i, nil) })
		}
		return acts
	}
	for i := len(g.slots) - 1; i >= 0 && active > g.minProcs; i-- {
		s := &g.slots[i]
		p := s.cur
		if !s.active || s.spawning || p == nil || p.state != stReady || p.recycle != noReason ||
			p.inflight > 0 || now.Sub(p.lastActive) < g.spec.IdleTimeout {
			continue
		}
		s.active = false
		active--
		g.retire(p, now, 0, ReasonIdleTimeout)
		acts = append(acts, func() {
			g.log.Info("daemon: stopping an idle process", "group", g.spec.Name, "pid", p.pid,
				"idle_timeout", g.spec.IdleTimeout, "min_processes", g.minProcs)
		})
	}
	return acts
}

// processExited is called once per process after it was reaped.
func (g *Group) processExited(p *process) {
	now := g.clock.Now()
	g.mu.Lock()
	prev := p.state
	g.transition(p, stExited, noReason)
	p.idle = nil
	delete(g.all, p)
	g.ready = slices.DeleteFunc(g.ready, func(q *process) bool { return q == p })
	g.retiring = slices.DeleteFunc(g.retiring, func(q *process) bool { return q == p })
	s := &g.slots[p.slot]
	if s.cur == p {
		s.cur = nil
	}
	ev := Event{Kind: EventExited, Slot: p.slot, PID: p.pid, Reason: p.reason}
	young := false
	age := now.Sub(p.readyAt)
	completed := p.completed
	if p.waitErr != nil {
		ev.Err = p.waitErr
	}
	switch {
	case prev == stReady && g.state == gsRunning:
		// Nobody asked it to stop.
		if g.spec.Threads == 0 && p.waitErr == nil {
			ev.Reason = ReasonServiceExit
			ev.Backoff = time.Second
		} else {
			ev.Reason = ReasonCrash
			ev.Err = exitError(p.waitErr)
			young = diedYoung(p, now)
			if young {
				ev.Backoff = s.failures.fail(now)
			} else {
				// It proved the application works: forget the slot's
				// earlier start failures too.
				s.failures.reset()
			}
			g.stats.crashes++
		}
		s.retryAt = now.Add(ev.Backoff)
	case prev == stStarting && ev.Reason == noReason:
		ev.Reason = ReasonCrash // startSlot counts it as a failed start
	case ev.Reason == noReason:
		ev.Reason = ReasonStop
	}
	g.mu.Unlock()
	if ev.Reason == ReasonCrash && prev == stReady {
		reason := "died after it served"
		if young {
			reason = "died young"
		}
		g.log.Error("daemon: worker process died, restarting", "group", g.spec.Name, "slot", p.slot, "pid", p.pid,
			"reason", reason, "err", ev.Err, "age", age.Round(time.Millisecond), "requests", completed, "restart_in", ev.Backoff)
	}
	g.emit(ev)
	g.poke()
}
