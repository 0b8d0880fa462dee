package daemon

import (
	"fmt"
	"time"
)

// EventKind says what happened to a worker process.
type EventKind int

const (
	// EventSpawned: a process was started (not yet ready).
	EventSpawned EventKind = iota + 1
	// EventReady: the process connected and takes requests.
	EventReady
	// EventRecycling: the process will be replaced; Reason says why. After
	// a graceful reason it keeps serving until its replacement is ready,
	// then drains; after a hard one (request-timeout, deadlock-timeout,
	// startup-timeout) it takes no new requests from that moment.
	EventRecycling
	// EventSpawnFailed: a process could not be started or did not become
	// ready; Err says why and Backoff how long the slot waits to retry.
	EventSpawnFailed
	// EventExited: the process is gone. Reason is ReasonCrash for an exit
	// nobody asked for (Err has the status), else the recycle reason or
	// ReasonStop.
	EventExited
)

func (k EventKind) String() string {
	switch k {
	case EventSpawned:
		return "spawned"
	case EventReady:
		return "ready"
	case EventRecycling:
		return "recycling"
	case EventSpawnFailed:
		return "spawn-failed"
	case EventExited:
		return "exited"
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// Reason says why a process is recycled or why it exited: one of the
// Reason* constants. Its underlying type is string, so a Reason compares
// with an untyped string constant and converts with string(r).
type Reason string

// Reasons for recycling or exiting.
const (
	ReasonMaximumRequests Reason = "maximum-requests"
	ReasonInactivity      Reason = "inactivity-timeout"
	ReasonRestartInterval Reason = "restart-interval"
	ReasonRequestTimeout  Reason = "request-timeout"
	ReasonScriptReload    Reason = "script-reloading"
	ReasonFilesChanged    Reason = "reload-on-changes" // the quick start saw a source file change
	ReasonMaximumRSS      Reason = "maximum-rss"
	ReasonGracefulSignal  Reason = "graceful-signal" // SIGUSR1 sent to the worker
	ReasonCPUTimeLimit    Reason = "cpu-time-limit"  // SIGXCPU from RLIMIT_CPU
	ReasonBrokenConn      Reason = "broken-connection"
	ReasonStartupTimeout  Reason = "startup-timeout"  // the script did not load in time (hard)
	ReasonDeadlockTimeout Reason = "deadlock-timeout" // no thread could take the GIL (hard)
	ReasonIdleTimeout     Reason = "idle-timeout"     // dynamic groups: an idle process above MinProcesses stops
	ReasonCrash           Reason = "crash"
	ReasonStop            Reason = "stop"
	ReasonServiceExit     Reason = "service-exit" // threads=0: the import scripts finished
)

// Reasons used inside the package only.
const (
	// noReason: no recycle is wanted, or no stop reason is known yet.
	noReason Reason = ""
	// reasonStartFailed: the process did not become ready (spawn error,
	// failed required script, connect timeout, group stopping).
	reasonStartFailed Reason = "start failed"
)

// Event is one lifecycle event of a group's process, delivered to
// Options.OnEvent.
type Event struct {
	Time  time.Time
	Kind  EventKind
	Group string
	// Slot is the process's index in the group, 0..Processes-1; a
	// replacement takes its predecessor's slot.
	Slot int
	PID  int
	// Reason is one of the Reason* constants, or "".
	Reason Reason
	// Err is the exit status or start failure, when there is one.
	Err error
	// Backoff is the delay before the slot is started again (spawn
	// failures and crashes).
	Backoff time.Duration
}

func (e Event) String() string {
	s := fmt.Sprintf("group %q slot %d pid %d %s", e.Group, e.Slot, e.PID, e.Kind)
	if e.Reason != noReason {
		s += " (" + string(e.Reason) + ")"
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	if e.Backoff > 0 {
		s += fmt.Sprintf(", retry in %s", e.Backoff)
	}
	return s
}
