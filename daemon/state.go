package daemon

// procState is where a process is in its life. It only moves forward:
//
//	starting -> ready -> draining -> stopping -> exited
//
// with shortcuts from starting (a failed start goes to stopping) and from
// every state to exited (the process died). g.transition is its only
// writer.
type procState int

const (
	stStarting procState = iota // spawned, waiting for "ready"
	stReady                     // takes requests
	stDraining                  // no new requests; stopped when idle
	stStopping                  // control socket closed or killed; waiting for exit
	stExited
)

func (s procState) String() string {
	return [...]string{"starting", "ready", "draining", "stopping", "exited"}[s]
}

// canMove reports whether a process may go from s to to. Staying in the
// same state is allowed (only the reason is recorded); nothing leaves
// stExited.
func (s procState) canMove(to procState) bool {
	switch {
	case s == to:
		return true
	case s == stExited:
		return false
	case to == stExited:
		return true
	}
	switch s {
	case stStarting:
		return to == stReady || to == stDraining || to == stStopping
	case stReady:
		return to == stDraining || to == stStopping
	case stDraining:
		return to == stStopping
	}
	return false
}

// transition is the only writer of p.state and p.reason: it moves p to
// state to and, when p has no stop reason yet, records reason (noReason
// leaves it unset). The first reason given sticks: the event at exit
// names why the process was first told to go. A move that the state
// machine does not allow is logged and ignored, never fatal.
// Caller holds g.mu.
func (g *Group) transition(p *process, to procState, reason Reason) {
	if !p.state.canMove(to) {
		g.log.Error("daemon: internal error: invalid process state change ignored",
			"group", g.spec.Name, "pid", p.pid, "from", p.state, "to", to, "reason", reason)
		return
	}
	p.state = to
	if p.reason == noReason {
		p.reason = reason
	}
}

// markRecycle is the only writer of p.recycle: it records that p is to be
// replaced for reason r, counts the recycle, and returns the event to emit
// once g.mu is released. Caller holds g.mu.
func (g *Group) markRecycle(p *process, r Reason) Event {
	p.recycle = r
	g.stats.recycles++
	return Event{Kind: EventRecycling, Slot: p.slot, PID: p.pid, Reason: r}
}
