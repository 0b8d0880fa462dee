// Package daemon runs mod_wsgi-style daemon process groups: it spawns the
// Python worker processes of each group, dispatches requests to them, and
// recycles, restarts and names them.
package daemon

import "time"

// Spec is one WSGIDaemonProcess group, as configured. Field comments give the
// mod_wsgi 4.9 default that applies when the option is omitted; server/ fills
// the defaults in, so a Spec built by server.Load is complete.
type Spec struct {
	// Name is the group name, unique server-wide.
	Name string
	// Where the WSGIDaemonProcess directive is ("file:line:col"), for messages.
	Source string
	// VHost is the ServerName of the <VirtualHost> that defined the group, ""
	// for the main server. mod_wsgi lets only vhosts with the same ServerName
	// (or any, for a main-server group) use it.
	VHost string

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
	StackSize           int64 // bytes; 0 = OS default

	MaximumRequests   int           // 0 = off
	StartupTimeout    time.Duration // 0 = off
	ShutdownTimeout   time.Duration // default 5s
	DeadlockTimeout   time.Duration // default 300s
	InactivityTimeout time.Duration // 0 = off
	RequestTimeout    time.Duration // 0 = off
	GracefulTimeout   time.Duration // default 15s
	EvictionTimeout   time.Duration // 0 = use GracefulTimeout
	RestartInterval   time.Duration // 0 = off
	ConnectTimeout    time.Duration // default 15s
	SocketTimeout     time.Duration // 0 = the server's Timeout
	QueueTimeout      time.Duration // 0 = off
	ListenBacklog     int           // default 100

	SocketUser            string
	SendBufferSize        int
	ReceiveBufferSize     int
	HeaderBufferSize      int           // 0 = 32768
	ResponseBufferSize    int           // 0 = 65536
	ResponseSocketTimeout time.Duration // 0 = SocketTimeout
	ScriptUser            string
	ScriptGroup           string
	CPUTimeLimit          time.Duration // 0 = off; RLIMIT_CPU
	CPUPriority           int
	MemoryLimit           int64 // bytes; RLIMIT_DATA; 0 = off
	VirtualMemoryLimit    int64 // bytes; RLIMIT_AS; 0 = off
	ServerMetrics         bool
	NewRelicConfigFile    string
	NewRelicEnvironment   string

	// appserver extensions (AppserverGroup directive, see docs/configuration.md).

	// MaximumRSS recycles a process gracefully when its RSS passes it; 0 = off.
	MaximumRSS int64
	// MaximumRequestsJitter adds 0..N random requests to MaximumRequests per
	// process, so that processes do not recycle together.
	MaximumRequestsJitter int
	// MinProcesses and IdleTimeout make the process count dynamic: between
	// MinProcesses and Processes, idle ones above the minimum stop after
	// IdleTimeout. MinProcesses 0 with IdleTimeout 0 means static.
	MinProcesses int
	IdleTimeout  time.Duration

	// Preload lists scripts imported at process start (WSGIImportScript and
	// fully specified WSGIScriptAlias), in config order.
	Preload []Preload
}

// Preload is a script to import into an application group at process start.
type Preload struct {
	Script           string
	ApplicationGroup string // "" = %{GLOBAL}
	CallableObject   string // "" = not an app (WSGIImportScript)
}
