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
// reads it (see modwsgi-reference §2): the name, then name=value options,
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
	var scriptUserSet, scriptGroupSet bool
	i := len(raw) - len(rest)
	option := func(opt wsgiOption, pos parser.Position) *parser.Error {
		p.opt, p.pos = opt, pos
		v := opt.value
		var e *parser.Error
		switch opt.name {
		case "user":
			if v == "" {
				return p.fail("Invalid user for WSGI daemon process.")
			}
			name, uid, he := p.lookupUser(v, "Couldn't determine user name from uid.")
			if uid == 0 {
				return p.fail("WSGI process blocked from running as root. (name an unprivileged user in user=)")
			}
			if he != nil {
				c.ld.hostProblem(he)
			}
			spec.User = name
		case "group":
			if v == "" {
				return p.fail("Invalid group for WSGI daemon process.")
			}
			g, he := p.lookupGroup(v, "")
			if he != nil {
				c.ld.hostProblem(he)
			}
			spec.Group = g
		case "supplementary-groups":
			spec.SupplementaryGroups = nil
			for _, g := range strings.Split(v, ",") {
				if g == "" {
					// ap_getword stops at the first empty item.
					break
				}
				if _, he := p.lookupGroup(g, ""); he != nil {
					c.ld.hostProblem(he)
				}
				spec.SupplementaryGroups = append(spec.SupplementaryGroups, g)
			}
		case "processes":
			spec.Processes, e = p.int("process count", func(n int) bool { return n >= 1 })
			spec.ProcessesSet = true
		case "threads":
			// 4.9.4 allows 0 (service mode) up to WSGI_STACK_LAST-2.
			spec.Threads, e = p.int("thread count", func(n int) bool { return n >= 0 && n < 65534 })
		case "umask":
			u, err := strconv.ParseInt(strings.TrimLeft(v, " \t"), 8, 64)
			if v == "" || err != nil || u < 0 {
				return p.fail("Invalid umask for WSGI daemon process. (write an octal mask such as umask=0022)")
			}
			spec.Umask = int(u)
		case "chroot":
			if os.Geteuid() != 0 {
				c.ld.hostProblem(p.fail("Cannot chroot WSGI daemon process when not root."))
			}
			if !strings.HasPrefix(v, "/") {
				return p.fail("Invalid chroot directory for WSGI daemon process. (write an absolute path)")
			}
			spec.Chroot = v
		case "home":
			if !strings.HasPrefix(v, "/") {
				return p.fail("Invalid home directory for WSGI daemon process. (write an absolute path)")
			}
			if !hostDirExists(v) {
				c.ld.hostProblem(p.fail("home directory %s does not exist: mod_wsgi would loop forever failing to chdir into it; create it or fix home=", v))
			}
			spec.Home = v
		case "lang":
			spec.Lang = v
		case "locale":
			spec.Locale = v
		case "python-home":
			if v != "" && !hostDirExists(v) {
				c.ld.hostProblem(p.fail("python-home %s is not a directory: point it at the sys.prefix of the virtualenv (the folder holding bin/python and pyvenv.cfg)", v))
			}
			spec.PythonHome = v
		case "python-path":
			spec.PythonPath = splitPathList(v)
		case "python-eggs":
			spec.PythonEggs = v
		case "stack-size":
			var n int
			n, e = p.int("stack size", func(n int) bool { return n > 0 })
			spec.StackSize = int64(n)
		case "maximum-requests":
			spec.MaximumRequests, e = p.int("request count", nonNegative)
		case "startup-timeout":
			spec.StartupTimeout, e = p.seconds("startup timeout")
		case "shutdown-timeout":
			spec.ShutdownTimeout, e = p.seconds("shutdown timeout")
		case "deadlock-timeout":
			spec.DeadlockTimeout, e = p.seconds("deadlock timeout")
		case "inactivity-timeout":
			spec.InactivityTimeout, e = p.seconds("inactivity timeout")
		case "request-timeout":
			spec.RequestTimeout, e = p.seconds("request timeout")
		case "graceful-timeout":
			spec.GracefulTimeout, e = p.seconds("graceful timeout")
		case "eviction-timeout":
			spec.EvictionTimeout, e = p.seconds("eviction timeout")
		case "restart-interval":
			spec.RestartInterval, e = p.seconds("restart interval")
		case "connect-timeout":
			spec.ConnectTimeout, e = p.seconds("connect timeout")
		case "socket-timeout":
			spec.SocketTimeout, e = p.seconds("socket timeout")
		case "queue-timeout":
			spec.QueueTimeout, e = p.seconds("queue timeout")
		case "listen-backlog":
			spec.ListenBacklog, e = p.int("listen backlog", nonNegative)
		case "display-name":
			spec.DisplayName = v
		case "send-buffer-size":
			spec.SendBufferSize, e = p.int("send buffer size", func(int) bool { return true })
			if e == nil && spec.SendBufferSize < 512 && spec.SendBufferSize != 0 {
				return p.fail("Send buffer size must be >= 512 bytes, or 0 for system default.")
			}
		case "receive-buffer-size":
			spec.ReceiveBufferSize, e = p.int("receive buffer size", func(int) bool { return true })
			if e == nil && spec.ReceiveBufferSize < 512 && spec.ReceiveBufferSize != 0 {
				return p.fail("Receive buffer size must be >= 512 bytes, or 0 for system default.")
			}
		case "header-buffer-size":
			spec.HeaderBufferSize, e = p.int("header buffer size", func(int) bool { return true })
			if e == nil && spec.HeaderBufferSize < 8192 && spec.HeaderBufferSize != 0 {
				return p.fail("Header buffer size must be >= 8192 bytes, or 0 for default.")
			}
		case "response-buffer-size":
			spec.ResponseBufferSize, e = p.int("response buffer size", func(int) bool { return true })
			if e == nil && spec.ResponseBufferSize < 65536 && spec.ResponseBufferSize != 0 {
				return p.fail("Response buffer size must be >= 65536 bytes, or 0 for default.")
			}
		case "response-socket-timeout":
			spec.ResponseSocketTimeout, e = p.seconds("response socket timeout")
		case "socket-user":
			if v == "" {
				return p.fail("Invalid socket user for WSGI daemon process.")
			}
			name, _, he := p.lookupUser(v, "Couldn't determine user name from socket user.")
			if he != nil {
				c.ld.hostProblem(he)
			}
			spec.SocketUser = name
		case "script-user":
			if v == "" {
				return p.fail("Invalid script user for WSGI daemon process.")
			}
			name, _, he := p.lookupUser(v, "Couldn't determine uid from script user.")
			if he != nil {
				c.ld.hostProblem(he)
			}
			spec.ScriptUser, scriptUserSet = name, true
		case "script-group":
			if v == "" {
				return p.fail("Invalid script group for WSGI daemon process.")
			}
			g, he := p.lookupGroup(v, "Couldn't determine gid from script group.")
			if he != nil {
				c.ld.hostProblem(he)
			}
			spec.ScriptGroup, scriptGroupSet = g, true
		case "cpu-time-limit":
			spec.CPUTimeLimit, e = p.seconds("CPU time limit")
		case "cpu-priority":
			spec.CPUPriority, e = p.int("CPU priority", func(int) bool { return true })
		case "memory-limit":
			spec.MemoryLimit, e = p.bytes64("memory limit")
		case "virtual-memory-limit":
			spec.VirtualMemoryLimit, e = p.bytes64("virtual memory limit")
		case "server-metrics":
			switch {
			case strings.EqualFold(v, "on"):
				spec.ServerMetrics = true
			case strings.EqualFold(v, "off"):
				spec.ServerMetrics = false
			default:
				return p.fail("Invalid server metrics flag for WSGI daemon process. (write server-metrics=On or server-metrics=Off)")
			}
		case "newrelic-config-file":
			spec.NewRelicConfigFile = v
		case "newrelic-environment":
			spec.NewRelicEnvironment = v
		default:
			return p.fail("Invalid option to WSGI daemon process definition. (%s)", optionHint(opt.name+"=", daemonOptions))
		}
		if e != nil {
			return e
		}
		return nil
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
	if scriptUserSet && scriptGroupSet {
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
		c.ld.warn(l.pos, "lint", lenientMessage(l))
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
		c.warn("lint", "min-processes=%d has no effect without idle-timeout: the group always runs processes=%d; add idle-timeout=SECONDS", spec.MinProcesses, spec.Processes)
	}
	return nil
}
