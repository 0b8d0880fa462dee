// Package wsgiopt reads mod_wsgi's option=value lists (words.go), and
// the options of WSGIDaemonProcess into a config.Group, as mod_wsgi
// 4.9.4's wsgi_add_daemon_process does (mod_wsgi.c): each option checked in turn,
// with mod_wsgi's message. Integer options go through C's atoi and the
// memory limits through apr_atoi64, so "threads=abc" means 0 and
// "memory-limit=1G" means 1 byte; mod_wsgi accepts both silently,
// appserver accepts them too and says so (Lenient).
package wsgiopt

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/appserver/appserver/daemon"
	"github.com/appserver/appserver/parser"
	"github.com/appserver/appserver/server/config"
)

// NewSpec returns a group with mod_wsgi 4.9.4's defaults.
func NewSpec(name string) *daemon.Spec {
	return &daemon.Spec{
		Name:            name,
		Processes:       1,
		Threads:         15,
		Umask:           -1,
		ShutdownTimeout: 5 * time.Second,
		DeadlockTimeout: 300 * time.Second,
		GracefulTimeout: 15 * time.Second,
		ConnectTimeout:  15 * time.Second,
		ListenBacklog:   100,
	}
}

// Names are the option names mod_wsgi 4.9.4 accepts, for hints.
var Names = []string{
	"user", "group", "supplementary-groups", "processes", "threads", "umask", "chroot", "home",
	"lang", "locale", "python-home", "python-path", "python-eggs", "stack-size", "maximum-requests",
	"startup-timeout", "shutdown-timeout", "deadlock-timeout", "inactivity-timeout", "request-timeout",
	"graceful-timeout", "eviction-timeout", "restart-interval", "connect-timeout", "socket-timeout",
	"queue-timeout", "listen-backlog", "display-name", "send-buffer-size", "receive-buffer-size",
	"header-buffer-size", "response-buffer-size", "response-socket-timeout", "socket-user",
	"script-user", "script-group", "cpu-time-limit", "cpu-priority", "memory-limit",
	"virtual-memory-limit", "server-metrics", "newrelic-config-file", "newrelic-environment",
}

// Lenient is an option whose value mod_wsgi reads leniently: Read is what
// it makes of Value.
type Lenient struct {
	Name, Value string
	Read        int64
	Pos         parser.Position
}

// daemonParser holds the state of one WSGIDaemonProcess being read.
type daemonParser struct {
	newErr  ErrorFunc
	group   *config.Group
	spec    *daemon.Spec
	opt     Option
	pos     parser.Position
	lenient []Lenient
	host    []*parser.Error

	scriptUserSet, scriptGroupSet bool
}

func (p *daemonParser) fail(format string, a ...any) *parser.Error {
	return p.newErr(p.pos, format, a...)
}

// int reads an atoi option; bad is mod_wsgi's "Invalid <what>" text.
func (p *daemonParser) int(what string, ok func(int) bool) (int, *parser.Error) {
	if p.opt.Value == "" {
		return 0, p.fail("Invalid %s for WSGI daemon process.", what)
	}
	v := parser.Atoi(p.opt.Value)
	if !ok(v) {
		return 0, p.fail("Invalid %s for WSGI daemon process.", what)
	}
	if _, clean := parser.Atoi64(p.opt.Value); !clean {
		p.lenient = append(p.lenient, Lenient{Name: p.opt.Name, Value: p.opt.Value, Read: int64(v), Pos: p.pos})
	}
	return v, nil
}

func nonNegative(v int) bool { return v >= 0 }

// seconds reads a timeout option.
func (p *daemonParser) seconds(what string) (time.Duration, *parser.Error) {
	v, e := p.int(what, nonNegative)
	return time.Duration(v) * time.Second, e
}

// bytes64 reads a memory limit with apr_atoi64.
func (p *daemonParser) bytes64(what string) (int64, *parser.Error) {
	if p.opt.Value == "" {
		return 0, p.fail("Invalid %s for WSGI daemon process.", what)
	}
	v, clean := parser.Atoi64(p.opt.Value)
	if v < 0 {
		return 0, p.fail("Invalid %s for WSGI daemon process.", what)
	}
	if !clean {
		p.lenient = append(p.lenient, Lenient{Name: p.opt.Name, Value: p.opt.Value, Read: v, Pos: p.pos})
	}
	return v, nil
}

// lookupUser resolves a user option as the workers will (daemon.LookupUser):
// a name, or #uid. It returns the name to show, the uid (-1 when unknown)
// and a host problem, if any.
func (p *daemonParser) lookupUser(v, noIDMsg string) (string, int, *parser.Error) {
	uid, u, err := daemon.LookupUser(v)
	switch {
	case err != nil && v == "root":
		return v, 0, nil
	case err != nil && strings.HasPrefix(v, "#"):
		return v, -1, p.fail("%v", err)
	case err != nil:
		return v, -1, p.fail("bad user name %s: create the user or name an existing one", v)
	case u == nil:
		return v, int(uid), p.fail("%s (no user has uid %d on this host)", noIDMsg, uid)
	case strings.HasPrefix(v, "#"):
		return u.Username, int(uid), nil
	}
	return v, int(uid), nil
}

// lookupGroup resolves a group option as the workers will
// (daemon.LookupGroup). With noIDMsg "" an unknown #gid is accepted and
// the option is kept as written.
func (p *daemonParser) lookupGroup(v, noIDMsg string) (string, *parser.Error) {
	gid, g, err := daemon.LookupGroup(v)
	switch {
	case err != nil && strings.HasPrefix(v, "#"):
		return v, p.fail("%v", err)
	case err != nil:
		return v, p.fail("bad group name %s: create the group or name an existing one", v)
	case noIDMsg == "":
		return v, nil
	case g == nil:
		return v, p.fail("%s (no group has gid %d on this host)", noIDMsg, gid)
	}
	return g.Name, nil
}

// Option is one name=value option of the list, and where it was written.
type Option struct {
	Name, Value string
	Pos         parser.Position
}

// ErrorFunc makes the error of a directive at pos.
type ErrorFunc func(pos parser.Position, format string, a ...any) *parser.Error

// Result is what Read makes of one WSGIDaemonProcess.
type Result struct {
	Group *config.Group
	// Errs are the bad options, every one of them (mod_wsgi stops at the
	// first) so that one configtest run shows all there is to fix.
	Errs []*parser.Error
	// HostProblems are facts of this host the config does not fit (an
	// unknown user, a missing home=): errors unless host checks are off.
	HostProblems []*parser.Error
	// Lenient are the values mod_wsgi reads leniently, for a warning.
	Lenient []Lenient
	// ScriptUserAndGroup is set when both script-user and script-group
	// were given, which mod_wsgi refuses at the directive.
	ScriptUserAndGroup bool
}

// Read reads the options of group name in order.
func Read(name string, opts []Option, newErr ErrorFunc) Result {
	spec := NewSpec(name)
	p := &daemonParser{newErr: newErr, group: &config.Group{Spec: spec}, spec: spec}
	var errs []*parser.Error
	for _, opt := range opts {
		p.opt, p.pos = opt, opt.Pos
		set, ok := setters[opt.Name]
		if !ok {
			errs = append(errs, p.fail("Invalid option to WSGI daemon process definition. (%s)", Hint(opt.Name+"=", Names)))
			continue
		}
		if e := set(p); e != nil {
			errs = append(errs, e)
		}
	}
	return Result{Group: p.group, Errs: errs, HostProblems: p.host, Lenient: p.lenient,
		ScriptUserAndGroup: p.scriptUserSet && p.scriptGroupSet}
}

func (p *daemonParser) hostProblem(e *parser.Error) {
	p.host = append(p.host, e)
}

func dirExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// setters read each WSGIDaemonProcess option into the spec,
// with mod_wsgi 4.9.4's checks and messages.
var setters = map[string]func(p *daemonParser) *parser.Error{
	"user":                 (*daemonParser).setUser,
	"group":                (*daemonParser).setGroup,
	"supplementary-groups": (*daemonParser).setSupplementaryGroups,
	"processes": func(p *daemonParser) (e *parser.Error) {
		p.spec.Processes, e = p.int("process count", func(n int) bool { return n >= 1 })
		p.spec.ProcessesSet = true
		return e
	},
	// 4.9.4 allows 0 (service mode) up to WSGI_STACK_LAST-2.
	"threads":     intOpt("thread count", func(n int) bool { return n >= 0 && n < 65534 }, func(s *daemon.Spec) *int { return &s.Threads }),
	"umask":       (*daemonParser).setUmask,
	"chroot":      (*daemonParser).setChroot,
	"home":        (*daemonParser).setHome,
	"python-home": (*daemonParser).setPythonHome,
	"python-path": func(p *daemonParser) *parser.Error { p.spec.PythonPath = SplitPathList(p.opt.Value); return nil },
	"stack-size": func(p *daemonParser) *parser.Error {
		n, e := p.int("stack size", func(n int) bool { return n > 0 })
		p.spec.StackSize = int64(n)
		return e
	},
	"lang":                 stringOpt(func(s *daemon.Spec) *string { return &s.Lang }),
	"locale":               stringOpt(func(s *daemon.Spec) *string { return &s.Locale }),
	"python-eggs":          stringOpt(func(s *daemon.Spec) *string { return &s.PythonEggs }),
	"display-name":         stringOpt(func(s *daemon.Spec) *string { return &s.DisplayName }),
	"newrelic-config-file": func(p *daemonParser) *parser.Error { p.group.NewRelicConfigFile = p.opt.Value; return nil },
	"newrelic-environment": func(p *daemonParser) *parser.Error { p.group.NewRelicEnvironment = p.opt.Value; return nil },
	"maximum-requests":     intOpt("request count", nonNegative, func(s *daemon.Spec) *int { return &s.MaximumRequests }),
	"listen-backlog":       intOpt("listen backlog", nonNegative, func(s *daemon.Spec) *int { return &s.ListenBacklog }),
	"cpu-priority":         intOpt("CPU priority", anyInt, func(s *daemon.Spec) *int { return &s.CPUPriority }),
	"startup-timeout":      secondsOpt("startup timeout", func(s *daemon.Spec) *time.Duration { return &s.StartupTimeout }),
	"shutdown-timeout":     secondsOpt("shutdown timeout", func(s *daemon.Spec) *time.Duration { return &s.ShutdownTimeout }),
	"deadlock-timeout":     secondsOpt("deadlock timeout", func(s *daemon.Spec) *time.Duration { return &s.DeadlockTimeout }),
	"inactivity-timeout":   secondsOpt("inactivity timeout", func(s *daemon.Spec) *time.Duration { return &s.InactivityTimeout }),
	"request-timeout":      secondsOpt("request timeout", func(s *daemon.Spec) *time.Duration { return &s.RequestTimeout }),
	"graceful-timeout":     secondsOpt("graceful timeout", func(s *daemon.Spec) *time.Duration { return &s.GracefulTimeout }),
	"eviction-timeout":     secondsOpt("eviction timeout", func(s *daemon.Spec) *time.Duration { return &s.EvictionTimeout }),
	"restart-interval":     secondsOpt("restart interval", func(s *daemon.Spec) *time.Duration { return &s.RestartInterval }),
	"connect-timeout":      secondsOpt("connect timeout", func(s *daemon.Spec) *time.Duration { return &s.ConnectTimeout }),
	"socket-timeout":       secondsOpt("socket timeout", func(s *daemon.Spec) *time.Duration { return &s.SocketTimeout }),
	"queue-timeout":        secondsOpt("queue timeout", func(s *daemon.Spec) *time.Duration { return &s.QueueTimeout }),
	"response-socket-timeout": secondsOpt("response socket timeout", func(s *daemon.Spec) *time.Duration {
		return &s.ResponseSocketTimeout
	}),
	"cpu-time-limit":       secondsOpt("CPU time limit", func(s *daemon.Spec) *time.Duration { return &s.CPUTimeLimit }),
	"memory-limit":         bytesOpt("memory limit", func(s *daemon.Spec) *int64 { return &s.MemoryLimit }),
	"virtual-memory-limit": bytesOpt("virtual memory limit", func(s *daemon.Spec) *int64 { return &s.VirtualMemoryLimit }),
	"send-buffer-size": bufferOpt("send buffer size", 512, "Send buffer size must be >= 512 bytes, or 0 for system default.",
		func(s *daemon.Spec) *int { return &s.SendBufferSize }),
	"receive-buffer-size": bufferOpt("receive buffer size", 512, "Receive buffer size must be >= 512 bytes, or 0 for system default.",
		func(s *daemon.Spec) *int { return &s.ReceiveBufferSize }),
	"header-buffer-size": bufferOpt("header buffer size", 8192, "Header buffer size must be >= 8192 bytes, or 0 for default.",
		func(s *daemon.Spec) *int { return &s.HeaderBufferSize }),
	"response-buffer-size": groupBufferOpt("response buffer size", 65536, "Response buffer size must be >= 65536 bytes, or 0 for default.",
		func(g *config.Group) *int { return &g.ResponseBufferSize }),
	"socket-user":    (*daemonParser).setSocketUser,
	"script-user":    (*daemonParser).setScriptUser,
	"script-group":   (*daemonParser).setScriptGroup,
	"server-metrics": (*daemonParser).setServerMetrics,
}

func anyInt(int) bool { return true }

func intOpt(what string, ok func(int) bool, field func(*daemon.Spec) *int) func(*daemonParser) *parser.Error {
	return func(p *daemonParser) (e *parser.Error) {
		*field(p.spec), e = p.int(what, ok)
		return e
	}
}

func secondsOpt(what string, field func(*daemon.Spec) *time.Duration) func(*daemonParser) *parser.Error {
	return func(p *daemonParser) (e *parser.Error) {
		*field(p.spec), e = p.seconds(what)
		return e
	}
}

func bytesOpt(what string, field func(*daemon.Spec) *int64) func(*daemonParser) *parser.Error {
	return func(p *daemonParser) (e *parser.Error) {
		*field(p.spec), e = p.bytes64(what)
		return e
	}
}

func stringOpt(field func(*daemon.Spec) *string) func(*daemonParser) *parser.Error {
	return func(p *daemonParser) *parser.Error {
		*field(p.spec) = p.opt.Value
		return nil
	}
}

// bufferOpt is a socket buffer size: 0 (the default) or at least least.
func bufferOpt(what string, least int, tooSmall string, field func(*daemon.Spec) *int) func(*daemonParser) *parser.Error {
	return groupBufferOpt(what, least, tooSmall, func(g *config.Group) *int { return field(g.Spec) })
}

func groupBufferOpt(what string, least int, tooSmall string, field func(*config.Group) *int) func(*daemonParser) *parser.Error {
	return func(p *daemonParser) *parser.Error {
		n, e := p.int(what, anyInt)
		*field(p.group) = n
		if e == nil && n < least && n != 0 {
			return p.fail("%s", tooSmall)
		}
		return e
	}
}

// namedUser reads a user option that may not be empty (what names it in
// mod_wsgi's message), reporting a user unknown on this host.
func (p *daemonParser) namedUser(what, noIDMsg string) (string, int, *parser.Error) {
	if p.opt.Value == "" {
		return "", -1, p.fail("Invalid %s for WSGI daemon process.", what)
	}
	name, uid, he := p.lookupUser(p.opt.Value, noIDMsg)
	if he != nil {
		p.hostProblem(he)
	}
	return name, uid, nil
}

// namedGroup is namedUser for a group option.
func (p *daemonParser) namedGroup(what, noIDMsg string) (string, *parser.Error) {
	if p.opt.Value == "" {
		return "", p.fail("Invalid %s for WSGI daemon process.", what)
	}
	g, he := p.lookupGroup(p.opt.Value, noIDMsg)
	if he != nil {
		p.hostProblem(he)
	}
	return g, nil
}

func (p *daemonParser) setUser() *parser.Error {
	name, uid, e := p.namedUser("user", "Couldn't determine user name from uid.")
	if e == nil && uid == 0 {
		return p.fail("WSGI process blocked from running as root. (name an unprivileged user in user=)")
	}
	p.spec.User = name
	return e
}

func (p *daemonParser) setGroup() (e *parser.Error) {
	p.spec.Group, e = p.namedGroup("group", "")
	return e
}

func (p *daemonParser) setSupplementaryGroups() *parser.Error {
	p.spec.SupplementaryGroups = nil
	for _, g := range strings.Split(p.opt.Value, ",") {
		if g == "" {
			// ap_getword stops at the first empty item.
			break
		}
		if _, he := p.lookupGroup(g, ""); he != nil {
			p.hostProblem(he)
		}
		p.spec.SupplementaryGroups = append(p.spec.SupplementaryGroups, g)
	}
	return nil
}

func (p *daemonParser) setUmask() *parser.Error {
	v := p.opt.Value
	u, err := strconv.ParseInt(strings.TrimLeft(v, " \t"), 8, 64)
	if v == "" || err != nil || u < 0 {
		return p.fail("Invalid umask for WSGI daemon process. (write an octal mask such as umask=0022)")
	}
	p.spec.Umask = int(u)
	return nil
}

func (p *daemonParser) setChroot() *parser.Error {
	v := p.opt.Value
	if os.Geteuid() != 0 {
		p.hostProblem(p.fail("Cannot chroot WSGI daemon process when not root."))
	}
	if !strings.HasPrefix(v, "/") {
		return p.fail("Invalid chroot directory for WSGI daemon process. (write an absolute path)")
	}
	p.spec.Chroot = v
	return nil
}

func (p *daemonParser) setHome() *parser.Error {
	v := p.opt.Value
	if !strings.HasPrefix(v, "/") {
		return p.fail("Invalid home directory for WSGI daemon process. (write an absolute path)")
	}
	if !dirExists(v) {
		p.hostProblem(p.fail("home directory %s does not exist: mod_wsgi would loop forever failing to chdir into it; create it or fix home=", v))
	}
	p.spec.Home = v
	return nil
}

func (p *daemonParser) setPythonHome() *parser.Error {
	v := p.opt.Value
	if v != "" && !dirExists(v) {
		p.hostProblem(p.fail("python-home %s is not a directory: point it at the sys.prefix of the virtualenv (the folder holding bin/python and pyvenv.cfg)", v))
	}
	p.spec.PythonHome = v
	return nil
}

func (p *daemonParser) setSocketUser() (e *parser.Error) {
	p.group.SocketUser, _, e = p.namedUser("socket user", "Couldn't determine user name from socket user.")
	return e
}

func (p *daemonParser) setScriptUser() (e *parser.Error) {
	p.spec.ScriptUser, _, e = p.namedUser("script user", "Couldn't determine uid from script user.")
	p.scriptUserSet = e == nil
	return e
}

func (p *daemonParser) setScriptGroup() (e *parser.Error) {
	p.spec.ScriptGroup, e = p.namedGroup("script group", "Couldn't determine gid from script group.")
	p.scriptGroupSet = e == nil
	return e
}

func (p *daemonParser) setServerMetrics() *parser.Error {
	switch v := p.opt.Value; {
	case strings.EqualFold(v, "on"):
		p.group.ServerMetrics = true
	case strings.EqualFold(v, "off"):
		p.group.ServerMetrics = false
	default:
		return p.fail("Invalid server metrics flag for WSGI daemon process. (write server-metrics=On or server-metrics=Off)")
	}
	return nil
}

// Message explains what mod_wsgi made of a value that is not a
// plain number, and what to write instead.
func (l Lenient) Message() string {
	switch l.Name {
	case "memory-limit", "virtual-memory-limit":
		unit := "bytes"
		if l.Read == 1 {
			unit = "byte"
		}
		msg := fmt.Sprintf("%s=%s means %d %s: mod_wsgi reads only the leading digits and the value is in bytes", l.Name, l.Value, l.Read, unit)
		if b, ok := ParseByteSize(l.Value); ok {
			msg += fmt.Sprintf("; write %s=%d for %s", l.Name, b, l.Value)
		} else {
			msg += "; write the limit as a plain number of bytes"
		}
		return msg
	case "threads":
		if l.Read == 0 {
			return fmt.Sprintf("threads=%s is read as threads=0 by mod_wsgi (atoi), which is service mode: no requests are served, only WSGIImportScript runs; write a number of threads", l.Value)
		}
	case "processes", "maximum-requests", "listen-backlog", "stack-size", "cpu-priority",
		"send-buffer-size", "receive-buffer-size", "header-buffer-size", "response-buffer-size":
	default:
		if l.Read == 0 {
			return fmt.Sprintf("%s=%s is read as %s=0 by mod_wsgi (atoi), which turns it off; write a whole number of seconds", l.Name, l.Value, l.Name)
		}
		return fmt.Sprintf("%s=%s is read as %s=%d by mod_wsgi (atoi reads only the leading digits, in seconds); write %s=%d", l.Name, l.Value, l.Name, l.Read, l.Name, l.Read)
	}
	return fmt.Sprintf("%s=%s is read as %s=%d by mod_wsgi (atoi reads only the leading digits); write %s=%d", l.Name, l.Value, l.Name, l.Read, l.Name, l.Read)
}

// ParseByteSize reads bytes with an optional K, M, G or T suffix (powers of
// 1024), as appserver's own directives allow.
func ParseByteSize(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	mult := int64(1)
	if s != "" {
		switch s[len(s)-1] {
		case 'k', 'K':
			mult = 1 << 10
		case 'm', 'M':
			mult = 1 << 20
		case 'g', 'G':
			mult = 1 << 30
		case 't', 'T':
			mult = 1 << 40
		}
		if mult != 1 {
			s = s[:len(s)-1]
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return 0, false
	}
	return n * mult, true
}
