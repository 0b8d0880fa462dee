// Package daemon runs mod_wsgi-style daemon process groups: it spawns the
// Python worker processes of each group, dispatches requests to them, and
// recycles, restarts and names them.
package daemon

import "time"

// Spec is one WSGIDaemonProcess group, as configured. Field comments give the
// mod_wsgi 4.9 default that applies when the option is omitted; server/wsgiopt
// fills the defaults in, so a Spec built by server/load is complete.
type Spec struct {
	// Name is the group name, unique server-wide.
	Name string
	// Where the WSGIDaemonProcess directive is ("file:line:col"), for messages.
	Source string

	// Processes is the number of processes (default 1).
	Processes int
	// ProcessesSet records whether processes= was written: it alone makes
	// wsgi.multiprocess True (mod_wsgi quirk, kept).
	ProcessesSet bool
	// Threads per process (default 15). 0 is mod_wsgi's service mode.
	Threads int
	// DisplayName is the process title; "%{GROUP}" means "(wsgi:NAME)". Empty
	// leaves the title alone.
	DisplayName string

	Home                string   // cwd of the workers; "" = the user's home, or unchanged
	User, Group         string   // name or #id; "" = the server's User/Group
	SupplementaryGroups []string // setgroups(); nil = initgroups(User)
	Umask               int      // -1 = inherited
	Chroot              string
	Lang, Locale        string
	PythonHome          string // sys.prefix of the interpreter (venv or /usr); "" = WSGIPythonHome, else python3 on PATH
	PythonPath          []string
	PythonEggs          string
	PythonOptimize      int   // PYTHONOPTIMIZE (WSGIPythonOptimize); 0 = the environment's
	StackSize           int64 // bytes; 0 = OS default

	MaximumRequests int // 0 = off
	// StartupTimeout restarts (hard) a process whose first script load has
	// not succeeded this long after the first attempt; 0 = off.
	StartupTimeout  time.Duration
	ShutdownTimeout time.Duration // default 5s
	// DeadlockTimeout restarts (hard) a process whose main thread has not
	// answered a ping for this long because it cannot take the GIL (a C
	// extension holding it); default 300s, 0 = off.
	DeadlockTimeout   time.Duration
	InactivityTimeout time.Duration // 0 = off
	RequestTimeout    time.Duration // 0 = off
	GracefulTimeout   time.Duration // default 15s
	EvictionTimeout   time.Duration // 0 = use GracefulTimeout
	RestartInterval   time.Duration // 0 = off
	ConnectTimeout    time.Duration // default 15s
	SocketTimeout     time.Duration // 0 = the server's Timeout
	QueueTimeout      time.Duration // 0 = off
	// ListenBacklog caps the requests waiting for a thread; one beyond it
	// waits up to ConnectTimeout for a place, then gets 503 (what
	// mod_wsgi's connect retries to a full socket backlog give). mod_wsgi's
	// default is 100; 0 here means no cap.
	ListenBacklog int

	SendBufferSize    int
	ReceiveBufferSize int
	// HeaderBufferSize: a response header line ("Name: value") of
	// HeaderBufferSize-2 bytes or more gets the client a 500. 0 = 32768.
	HeaderBufferSize int
	// ResponseSocketTimeout bounds each write of the response to the
	// client; when it passes the request is cancelled and the connection
	// aborted. 0 = SocketTimeout (0 too = none).
	ResponseSocketTimeout time.Duration
	// ScriptUser and ScriptGroup (name or "#id"; at most one is set): the
	// WSGI script and its folder must belong to them and not be writable
	// by others, or the request gets 403.
	ScriptUser  string
	ScriptGroup string
	// CPUTimeLimit is RLIMIT_CPU (soft; hard = soft+1s+ShutdownTimeout):
	// SIGXCPU at the soft limit recycles the process gracefully. 0 = off.
	CPUTimeLimit time.Duration
	// CPUPriority is the workers' nice value, set by the front end (so a
	// negative one works when it runs as root). 0 = unchanged.
	CPUPriority        int
	MemoryLimit        int64 // bytes; RLIMIT_DATA; 0 = off
	VirtualMemoryLimit int64 // bytes; RLIMIT_AS; 0 = off

	// appserver extensions (AppserverGroup directive, see docs/configuration.md).

	// MaximumRSS recycles a process gracefully when its RSS passes it; 0 = off.
	MaximumRSS int64
	// MaximumRequestsJitter adds 0..N random requests to MaximumRequests per
	// process, so that processes do not recycle together.
	MaximumRequestsJitter int
	// MinProcesses and IdleTimeout make the process count dynamic: the
	// group starts MinProcesses (0 is allowed: none until the first
	// request); while requests wait for a thread it starts more, up to
	// Processes (one per Threads waiting requests not already covered by
	// a starting process); a process above the minimum stops once it has
	// had nothing to do for IdleTimeout. IdleTimeout 0 means static:
	// always Processes.
	MinProcesses int
	IdleTimeout  time.Duration
	// AllowRoot lets this group's workers run as root when the front end
	// runs as root and no user is configured (default: nobody).
	AllowRoot bool
	// NoPeakRSS stops the workers reading their peak RSS around each
	// request (Trace.PeakGrowth stays 0): AppserverMonitor Off.
	NoPeakRSS bool

	// Preload lists scripts imported at process start (WSGIImportScript and
	// fully specified WSGIScriptAlias), in config order.
	Preload []Preload
}

// Preload is a script to import into an application group at process start.
type Preload struct {
	Script           string
	ApplicationGroup string // "" = %{GLOBAL}
	CallableObject   string // "" = not an app (WSGIImportScript)
	// Required makes a script that fails to load, or lacks its callable,
	// fail the process start (and so Group.Start) with the Python error,
	// as gunicorn does; mod_wsgi only logs it.
	Required bool
}
