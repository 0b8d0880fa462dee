package load

import (
	"strconv"
	"strings"
	"time"

	"github.com/appserver/appserver/parser"
	"github.com/appserver/appserver/server/config"
	"github.com/appserver/appserver/server/modules"
	"github.com/appserver/appserver/server/wsgiopt"
)

// WSGIDaemonProcess defines a group (package wsgiopt reads its options as
// mod_wsgi 4.9.4 does). AppserverGroup adds appserver's own per-group
// settings to a group defined earlier; it is meant to sit in
// <IfModule appserver_module> so that Apache skips it.

func init() {
	directives.add(
		&directiveDef{name: "WSGIDaemonProcess", module: "mod_wsgi.c", where: modules.RsrcConf, arity: rawArgs,
			help: "Specify details of daemon processes to start.", setup: setupWSGIDaemonProcess},
		&directiveDef{name: "AppserverGroup", module: "mod_appserver.c", where: modules.RsrcConf, arity: rawArgs,
			help: "appserver settings for a WSGI daemon process group.", setup: setupAppserverGroup},
		&directiveDef{name: "AppserverControlSocket", module: "mod_appserver.c", where: modules.RsrcConf, forbid: globalOnly, arity: take1,
			help: "Path of the unix socket appserver status and profile connect to.", setup: func(c *cmd) *parser.Error {
				c.ld.cfg.ControlSocket = c.ld.serverRelative(c.args[0])
				return nil
			}},
		&directiveDef{name: "AppserverMonitor", module: "mod_appserver.c", where: modules.RsrcConf, forbid: globalOnly, arity: argFlag,
			help: "Off: count no requests for the status page and metrics, and let workers skip their per-request peak RSS reading.",
			setup: func(c *cmd) *parser.Error {
				c.ld.cfg.MonitorOff = strings.EqualFold(c.args[0], "off")
				return nil
			}},
	)
}

func setupWSGIDaemonProcess(c *cmd) *parser.Error {
	raw := c.d.Raw
	name, _, rest := parser.GetWord(raw)
	if name == "" {
		return c.err("Name of WSGI daemon process not supplied. (write WSGIDaemonProcess NAME option=value ...)")
	}
	var opts []wsgiopt.Option
	wordsErr := eachWSGIOption(c, raw, len(raw)-len(rest), "Invalid option to WSGI daemon process definition.", wsgiopt.Names, func(w wsgiopt.Word, pos parser.Position) *parser.Error {
		opts = append(opts, wsgiopt.Option{Name: w.Name, Value: w.Value, Pos: pos})
		return nil
	})
	res := wsgiopt.Read(name, opts, c.errAt)
	group := res.Group
	spec := group.Spec
	for _, he := range res.HostProblems {
		c.ld.hostProblem(he)
	}
	errs := res.Errs
	if wordsErr != nil {
		errs = append(errs, wordsErr)
	}
	if res.ScriptUserAndGroup {
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
		return c.err("Name duplicates previous WSGI daemon definition. (group '%s' is already defined at %s)", name, parser.FormatPos(prev.pos))
	}
	if c.sc.discard {
		return nil
	}
	spec.Source = parser.FormatPos(c.d.Pos)
	if !c.sc.vhost.IsMain {
		group.VHost = c.sc.vhost.Name
	}
	g := &groupDef{spec: spec, pos: c.d.Pos, vhost: c.sc.vhost}
	c.ld.groups[name] = g
	c.ld.cfg.Groups = append(c.ld.cfg.Groups, group)
	for _, l := range res.Lenient {
		c.ld.warn(l.Pos, config.WarnLint, l.Message())
	}
	return nil
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
	if e := eachWSGIOption(c, raw, i, "Invalid option to AppserverGroup.", appserverGroupOptions, func(opt wsgiopt.Word, pos parser.Position) *parser.Error {
		switch opt.Name {
		case "maximum-rss":
			b, ok := wsgiopt.ParseByteSize(opt.Value)
			if !ok {
				return c.errAt(pos, "Invalid maximum-rss %q for AppserverGroup: write bytes, optionally with a K, M or G suffix (maximum-rss=512M)", opt.Value)
			}
			spec.MaximumRSS = b
		case "maximum-requests-jitter":
			n, err := strconv.Atoi(opt.Value)
			if err != nil || n < 0 {
				return c.errAt(pos, "Invalid maximum-requests-jitter %q for AppserverGroup: write a whole number of requests, 0 or more", opt.Value)
			}
			spec.MaximumRequestsJitter = n
		case "min-processes":
			n, err := strconv.Atoi(opt.Value)
			if err != nil || n < 0 {
				return c.errAt(pos, "Invalid min-processes %q for AppserverGroup: write a whole number of processes, 0 or more", opt.Value)
			}
			if n > spec.Processes {
				return c.errAt(pos, "min-processes=%d is more than processes=%d of group '%s': lower it or raise processes= on the WSGIDaemonProcess", n, spec.Processes, name)
			}
			spec.MinProcesses, minSet = n, true
		case "idle-timeout":
			n, err := strconv.Atoi(opt.Value)
			if err != nil || n < 0 {
				return c.errAt(pos, "Invalid idle-timeout %q for AppserverGroup: write a whole number of seconds, 0 or more", opt.Value)
			}
			spec.IdleTimeout = time.Duration(n) * time.Second
		case "allow-root":
			switch strings.ToLower(opt.Value) {
			case "on":
				spec.AllowRoot = true
			case "off":
				spec.AllowRoot = false
			default:
				return c.errAt(pos, "Invalid allow-root %q for AppserverGroup: write On or Off", opt.Value)
			}
		default:
			return c.errAt(pos, "Invalid option to AppserverGroup. (%s)", wsgiopt.Hint(opt.Name+"=", appserverGroupOptions))
		}
		return nil
	}); e != nil {
		return e
	}
	if minSet && spec.IdleTimeout == 0 && spec.MinProcesses < spec.Processes {
		c.warn(config.WarnLint, "min-processes=%d has no effect without idle-timeout: the group always runs processes=%d; add idle-timeout=SECONDS", spec.MinProcesses, spec.Processes)
	}
	return nil
}
