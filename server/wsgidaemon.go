package server

import (
	"fmt"
	"os"
	"os/user"
	"strconv"
	"strings"
	"time"

	"github.com/appserver/appserver/daemon"
	"github.com/appserver/appserver/parser"
)

// WSGIDaemonProcess, read as mod_wsgi 4.9.4's wsgi_add_daemon_process
// reads it (mod_wsgi.c): the name, then name=value options,
// each checked in turn with mod_wsgi's message for the first bad one.
// Integer options go through C's atoi and the memory limits through
// apr_atoi64, so "threads=abc" means 0 and "memory-limit=1G" means 1 byte;
// mod_wsgi accepts both silently, appserver accepts them too and says so.
//
// AppserverGroup adds appserver's own per-group settings to a group defined
// earlier; it is meant to sit in <IfModule appserver_module> so that Apache
// skips it.

func init() {
	directives.add(
		&directiveDef{name: "WSGIDaemonProcess", module: "mod_wsgi.c", where: rsrcConf, arity: rawArgs,
			help: "Specify details of daemon processes to start.", setup: setupWSGIDaemonProcess},
		&directiveDef{name: "AppserverGroup", module: "mod_appserver.c", where: rsrcConf, arity: rawArgs,
			help: "appserver settings for a WSGI daemon process group.", setup: setupAppserverGroup},
	)
}

// newSpec returns a group with mod_wsgi 4.9.4's defaults.
func newSpec(name string) *daemon.Spec {
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

// daemonOptions are the option names mod_wsgi 4.9.4 accepts, for hints.
var daemonOptions = []string{
	"user", "group", "supplementary-groups", "processes", "threads", "umask", "chroot", "home",
	"lang", "locale", "python-home", "python-path", "python-eggs", "stack-size", "maximum-requests",
	"startup-timeout", "shutdown-timeout", "deadlock-timeout", "inactivity-timeout", "request-timeout",
	"graceful-timeout", "eviction-timeout", "restart-interval", "connect-timeout", "socket-timeout",
	"queue-timeout", "listen-backlog", "display-name", "send-buffer-size", "receive-buffer-size",
	"header-buffer-size", "response-buffer-size", "response-socket-timeout", "socket-user",
	"script-user", "script-group", "cpu-time-limit", "cpu-priority", "memory-limit",
	"virtual-memory-limit", "server-metrics", "newrelic-config-file", "newrelic-environment",
}

// lenientOpt is an option whose value mod_wsgi reads leniently.
type lenientOpt struct {
	name, value string
	read        int64
	pos         parser.Position
}

// daemonParser holds the state of one WSGIDaemonProcess being read.
type daemonParser struct {
	c       *cmd
	spec    *daemon.Spec
	opt     wsgiOption
	pos     parser.Position
	lenient []lenientOpt

	scriptUserSet, scriptGroupSet bool
}

func (p *daemonParser) fail(format string, a ...any) *parser.Error {
	return p.c.errAt(p.pos, format, a...)
}

// int reads an atoi option; bad is mod_wsgi's "Invalid <what>" text.
func (p *daemonParser) int(what string, ok func(int) bool) (int, *parser.Error) {
	if p.opt.value == "" {
		return 0, p.fail("Invalid %s for WSGI daemon process.", what)
	}
	v := cAtoi(p.opt.value)
	if !ok(v) {
		return 0, p.fail("Invalid %s for WSGI daemon process.", what)
	}
	if _, clean := cAtoi64(p.opt.value); !clean {
		p.lenient = append(p.lenient, lenientOpt{name: p.opt.name, value: p.opt.value, read: int64(v), pos: p.pos})
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
	if p.opt.value == "" {
		return 0, p.fail("Invalid %s for WSGI daemon process.", what)
	}
	v, clean := cAtoi64(p.opt.value)
	if v < 0 {
		return 0, p.fail("Invalid %s for WSGI daemon process.", what)
	}
	if !clean {
		p.lenient = append(p.lenient, lenientOpt{name: p.opt.name, value: p.opt.value, read: v, pos: p.pos})
	}
	return v, nil
}

// lookupUser resolves a user option like ap_uname2id: a name, or #uid.
// It returns the uid (-1 when unknown) and a host problem, if any.
func (p *daemonParser) lookupUser(v, noIDMsg string) (string, int, *parser.Error) {
	if strings.HasPrefix(v, "#") {
		uid := cAtoi(v[1:])
		u, err := user.LookupId(strconv.Itoa(uid))
		if err != nil {
			return v, uid, p.fail("%s (no user has uid %d on this host)", noIDMsg, uid)
		}
		return u.Username, uid, nil
	}
	u, err := user.Lookup(v)
	if err != nil {
		if v == "root" {
			return v, 0, nil
		}
		return v, -1, p.fail("bad user name %s: create the user or name an existing one", v)
	}
	uid, _ := strconv.Atoi(u.Uid)
	return v, uid, nil
}

// lookupGroup resolves a group option like ap_gname2id.
func (p *daemonParser) lookupGroup(v, noIDMsg string) (string, *parser.Error) {
	if strings.HasPrefix(v, "#") {
		gid := cAtoi(v[1:])
		g, err := user.LookupGroupId(strconv.Itoa(gid))
		if err != nil {
			if noIDMsg == "" {
				return v, nil
			}
			return v, p.fail("%s (no group has gid %d on this host)", noIDMsg, gid)
		}
		if noIDMsg == "" {
			return v, nil
		}
		return g.Name, nil
	}
	if _, err := user.LookupGroup(v); err != nil {
		return v, p.fail("bad group name %s: create the group or name an existing one", v)
	}
	return v, nil
}

func setupWSGIDaemonProcess(c *cmd) *parser.Error {
	raw := c.d.Raw
	name, _, rest := parser.GetWord(raw)
	if name == "" {
		return c.err("Name of WSGI daemon process not supplied. (write WSGIDaemonProcess NAME option=value ...)")
	}
	spec := newSpec(name)
	p := &daemonParser{c: c, spec: spec}
	i := len(raw) - len(rest)
	option := func(opt wsgiOption, pos parser.Position) *parser.Error {
		p.opt, p.pos = opt, pos
		set, ok := daemonOptionSetters[opt.name]
		if !ok {
			return p.fail("Invalid option to WSGI daemon process definition. (%s)", optionHint(opt.name+"=", daemonOptions))
		}
		return set(p)
	}
	// Every bad option is reported, not only the first as mod_wsgi does,
	// so that one run of configtest shows all there is to fix.
	var errs []*parser.Error
	if e := eachWSGIOption(c, raw, i, "Invalid option to WSGI daemon process definition.", daemonOptions, func(opt wsgiOption, pos parser.Position) *parser.Error {
		if e := option(opt, pos); e != nil {
			errs = append(errs, e)
		}
		return nil
	}); e != nil {
		errs = append(errs, e)
	}
	if p.scriptUserSet && p.scriptGroupSet {
		errs = append(errs, c.err("Only one of script-user and script-group allowed."))
	}
	if len(errs) > 0 {
		if c.ld.groups[name] == nil && !c.sc.discard {
			// Known, though broken: no follow-on "names no group" lint.
			c.ld.groups[name] = &groupDef{spec: spec, pos: c.d.Pos, vhost: c.sc.vhost}
		}
		for _, e := range errs {
			c.ld.fail(e)
		}
		return nil
	}
	if prev := c.ld.groups[name]; prev != nil {
		return c.err("Name duplicates previous WSGI daemon definition. (group '%s' is already defined at %s)", name, fmtPos(prev.pos))
	}
	if c.sc.discard {
		return nil
	}
	spec.Source = fmtPos(c.d.Pos)
	if !c.sc.vhost.IsMain {
		spec.VHost = c.sc.vhost.Name
	}
	g := &groupDef{spec: spec, pos: c.d.Pos, vhost: c.sc.vhost, lenient: p.lenient}
	c.ld.groups[name] = g
	c.ld.cfg.Groups = append(c.ld.cfg.Groups, spec)
	for _, l := range p.lenient {
		c.ld.warn(l.pos, WarnLint, lenientMessage(l))
	}
	return nil
}

// daemonOptionSetters read each WSGIDaemonProcess option into the spec,
// with mod_wsgi 4.9.4's checks and messages.
var daemonOptionSetters = map[string]func(p *daemonParser) *parser.Error{
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
	"python-path": func(p *daemonParser) *parser.Error { p.spec.PythonPath = splitPathList(p.opt.value); return nil },
	"stack-size": func(p *daemonParser) *parser.Error {
		n, e := p.int("stack size", func(n int) bool { return n > 0 })
		p.spec.StackSize = int64(n)
		return e
	},
	"lang":                 stringOpt(func(s *daemon.Spec) *string { return &s.Lang }),
	"locale":               stringOpt(func(s *daemon.Spec) *string { return &s.Locale }),
	"python-eggs":          stringOpt(func(s *daemon.Spec) *string { return &s.PythonEggs }),
	"display-name":         stringOpt(func(s *daemon.Spec) *string { return &s.DisplayName }),
	"newrelic-config-file": stringOpt(func(s *daemon.Spec) *string { return &s.NewRelicConfigFile }),
	"newrelic-environment": stringOpt(func(s *daemon.Spec) *string { return &s.NewRelicEnvironment }),
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
	"response-buffer-size": bufferOpt("response buffer size", 65536, "Response buffer size must be >= 65536 bytes, or 0 for default.",
		func(s *daemon.Spec) *int { return &s.ResponseBufferSize }),
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
		*field(p.spec) = p.opt.value
		return nil
	}
}

// bufferOpt is a socket buffer size: 0 (the default) or at least least.
func bufferOpt(what string, least int, tooSmall string, field func(*daemon.Spec) *int) func(*daemonParser) *parser.Error {
	return func(p *daemonParser) *parser.Error {
		n, e := p.int(what, anyInt)
		*field(p.spec) = n
		if e == nil && n < least && n != 0 {
			return p.fail("%s", tooSmall)
		}
		return e
	}
}

// namedUser reads a user option that may not be empty (what names it in
// mod_wsgi's message), reporting a user unknown on this host.
func (p *daemonParser) namedUser(what, noIDMsg string) (string, int, *parser.Error) {
	if p.opt.value == "" {
		return "", -1, p.fail("Invalid %s for WSGI daemon process.", what)
	}
	name, uid, he := p.lookupUser(p.opt.value, noIDMsg)
	if he != nil {
		p.c.ld.hostProblem(he)
	}
	return name, uid, nil
}

// namedGroup is namedUser for a group option.
func (p *daemonParser) namedGroup(what, noIDMsg string) (string, *parser.Error) {
	if p.opt.value == "" {
		return "", p.fail("Invalid %s for WSGI daemon process.", what)
	}
	g, he := p.lookupGroup(p.opt.value, noIDMsg)
	if he != nil {
		p.c.ld.hostProblem(he)
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
	for _, g := range strings.Split(p.opt.value, ",") {
		if g == "" {
			// ap_getword stops at the first empty item.
			break
		}
		if _, he := p.lookupGroup(g, ""); he != nil {
			p.c.ld.hostProblem(he)
		}
		p.spec.SupplementaryGroups = append(p.spec.SupplementaryGroups, g)
	}
	return nil
}

func (p *daemonParser) setUmask() *parser.Error {
	v := p.opt.value
	u, err := strconv.ParseInt(strings.TrimLeft(v, " \t"), 8, 64)
	if v == "" || err != nil || u < 0 {
		return p.fail("Invalid umask for WSGI daemon process. (write an octal mask such as umask=0022)")
	}
	p.spec.Umask = int(u)
	return nil
}

func (p *daemonParser) setChroot() *parser.Error {
	v := p.opt.value
	if os.Geteuid() != 0 {
		p.c.ld.hostProblem(p.fail("Cannot chroot WSGI daemon process when not root."))
	}
	if !strings.HasPrefix(v, "/") {
		return p.fail("Invalid chroot directory for WSGI daemon process. (write an absolute path)")
	}
	p.spec.Chroot = v
	return nil
}

func (p *daemonParser) setHome() *parser.Error {
	v := p.opt.value
	if !strings.HasPrefix(v, "/") {
		return p.fail("Invalid home directory for WSGI daemon process. (write an absolute path)")
	}
	if !hostDirExists(v) {
		p.c.ld.hostProblem(p.fail("home directory %s does not exist: mod_wsgi would loop forever failing to chdir into it; create it or fix home=", v))
	}
	p.spec.Home = v
	return nil
}

func (p *daemonParser) setPythonHome() *parser.Error {
	v := p.opt.value
	if v != "" && !hostDirExists(v) {
		p.c.ld.hostProblem(p.fail("python-home %s is not a directory: point it at the sys.prefix of the virtualenv (the folder holding bin/python and pyvenv.cfg)", v))
	}
	p.spec.PythonHome = v
	return nil
}

func (p *daemonParser) setSocketUser() (e *parser.Error) {
	p.spec.SocketUser, _, e = p.namedUser("socket user", "Couldn't determine user name from socket user.")
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
	switch v := p.opt.value; {
	case strings.EqualFold(v, "on"):
		p.spec.ServerMetrics = true
	case strings.EqualFold(v, "off"):
		p.spec.ServerMetrics = false
	default:
		return p.fail("Invalid server metrics flag for WSGI daemon process. (write server-metrics=On or server-metrics=Off)")
	}
	return nil
}

// lenientMessage explains what mod_wsgi made of a value that is not a
// plain number, and what to write instead.
func lenientMessage(l lenientOpt) string {
	switch l.name {
	case "memory-limit", "virtual-memory-limit":
		unit := "bytes"
		if l.read == 1 {
			unit = "byte"
		}
		msg := fmt.Sprintf("%s=%s means %d %s: mod_wsgi reads only the leading digits and the value is in bytes", l.name, l.value, l.read, unit)
		if b, ok := parseByteSize(l.value); ok {
			msg += fmt.Sprintf("; write %s=%d for %s", l.name, b, l.value)
		} else {
			msg += "; write the limit as a plain number of bytes"
		}
		return msg
	case "threads":
		if l.read == 0 {
			return fmt.Sprintf("threads=%s is read as threads=0 by mod_wsgi (atoi), which is service mode: no requests are served, only WSGIImportScript runs; write a number of threads", l.value)
		}
	case "processes", "maximum-requests", "listen-backlog", "stack-size", "cpu-priority",
		"send-buffer-size", "receive-buffer-size", "header-buffer-size", "response-buffer-size":
	default:
		if l.read == 0 {
			return fmt.Sprintf("%s=%s is read as %s=0 by mod_wsgi (atoi), which turns it off; write a whole number of seconds", l.name, l.value, l.name)
		}
		return fmt.Sprintf("%s=%s is read as %s=%d by mod_wsgi (atoi reads only the leading digits, in seconds); write %s=%d", l.name, l.value, l.name, l.read, l.name, l.read)
	}
	return fmt.Sprintf("%s=%s is read as %s=%d by mod_wsgi (atoi reads only the leading digits); write %s=%d", l.name, l.value, l.name, l.read, l.name, l.read)
}

// parseByteSize reads bytes with an optional K, M, G or T suffix (powers of
// 1024), as appserver's own directives allow.
func parseByteSize(s string) (int64, bool) {
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

var appserverGroupOptions = []string{"maximum-rss", "maximum-requests-jitter", "min-processes", "idle-timeout", "allow-root"}

func setupAppserverGroup(c *cmd) *parser.Error {
	raw := c.d.Raw
	name, _, rest := parser.GetWord(raw)
	if name == "" {
		return c.err("AppserverGroup needs the name of a WSGIDaemonProcess group: write AppserverGroup NAME option=value ...")
	}
	g := c.ld.groups[name]
	if g == nil {
		return c.errArg(0, "AppserverGroup %s: no WSGIDaemonProcess named '%s' comes before this line; define the group first", name, name)
	}
	spec := g.spec
	i := len(raw) - len(rest)
	minSet := false
	if e := eachWSGIOption(c, raw, i, "Invalid option to AppserverGroup.", appserverGroupOptions, func(opt wsgiOption, pos parser.Position) *parser.Error {
		switch opt.name {
		case "maximum-rss":
			b, ok := parseByteSize(opt.value)
			if !ok {
				return c.errAt(pos, "Invalid maximum-rss %q for AppserverGroup: write bytes, optionally with a K, M or G suffix (maximum-rss=512M)", opt.value)
			}
			spec.MaximumRSS = b
		case "maximum-requests-jitter":
			n, err := strconv.Atoi(opt.value)
			if err != nil || n < 0 {
				return c.errAt(pos, "Invalid maximum-requests-jitter %q for AppserverGroup: write a whole number of requests, 0 or more", opt.value)
			}
			spec.MaximumRequestsJitter = n
		case "min-processes":
			n, err := strconv.Atoi(opt.value)
			if err != nil || n < 0 {
				return c.errAt(pos, "Invalid min-processes %q for AppserverGroup: write a whole number of processes, 0 or more", opt.value)
			}
			if n > spec.Processes {
				return c.errAt(pos, "min-processes=%d is more than processes=%d of group '%s': lower it or raise processes= on the WSGIDaemonProcess", n, spec.Processes, name)
			}
			spec.MinProcesses, minSet = n, true
		case "idle-timeout":
			n, err := strconv.Atoi(opt.value)
			if err != nil || n < 0 {
				return c.errAt(pos, "Invalid idle-timeout %q for AppserverGroup: write a whole number of seconds, 0 or more", opt.value)
			}
			spec.IdleTimeout = time.Duration(n) * time.Second
		case "allow-root":
			switch strings.ToLower(opt.value) {
			case "on":
				spec.AllowRoot = true
			case "off":
				spec.AllowRoot = false
			default:
				return c.errAt(pos, "Invalid allow-root %q for AppserverGroup: write On or Off", opt.value)
			}
		default:
			return c.errAt(pos, "Invalid option to AppserverGroup. (%s)", optionHint(opt.name+"=", appserverGroupOptions))
		}
		return nil
	}); e != nil {
		return e
	}
	if minSet && spec.IdleTimeout == 0 && spec.MinProcesses < spec.Processes {
		c.warn(WarnLint, "min-processes=%d has no effect without idle-timeout: the group always runs processes=%d; add idle-timeout=SECONDS", spec.MinProcesses, spec.Processes)
	}
	return nil
}
