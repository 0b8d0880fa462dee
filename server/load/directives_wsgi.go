package load

import (
	"net"
	"strconv"
	"strings"

	"github.com/appserver/appserver/daemon"
	"github.com/appserver/appserver/parser"
	"github.com/appserver/appserver/server/config"
	"github.com/appserver/appserver/server/modules"
	"github.com/appserver/appserver/server/wsgiopt"
)

// mod_wsgi 4.9.4's directives (except WSGIDaemonProcess, in wsgidaemon.go).
// Contexts, arities, help texts and error strings are mod_wsgi's own.

func init() {
	directives.add(
		&directiveDef{name: "WSGIScriptAlias", module: "mod_wsgi.c", where: modules.RsrcConf, arity: rawArgs,
			help: "Map location to target WSGI script file.", setup: setupWSGIScriptAlias(false)},
		&directiveDef{name: "WSGIScriptAliasMatch", module: "mod_wsgi.c", where: modules.RsrcConf, arity: rawArgs,
			help: "Map location pattern to target WSGI script file.", setup: setupWSGIScriptAlias(true)},
		&directiveDef{name: "WSGIImportScript", module: "mod_wsgi.c", where: modules.RsrcConf, arity: rawArgs,
			help: "Location of WSGI import script.", setup: setupWSGIImportScript},
		&directiveDef{name: "WSGIProcessGroup", module: "mod_wsgi.c", where: modules.RsrcConf | modules.AccessConf, arity: take1,
			help: "Name of the WSGI process group.", setup: setupWSGIProcessGroup},
		&directiveDef{name: "WSGIApplicationGroup", module: "mod_wsgi.c", where: modules.RsrcConf | modules.AccessConf, arity: take1,
			help: "Application interpreter group.", setup: func(c *cmd) *parser.Error {
				c.sc.conf.ApplicationGroup = &config.Setting{Value: c.args[0], Pos: c.d.Pos}
				return nil
			}},
		&directiveDef{name: "WSGICallableObject", module: "mod_wsgi.c", where: modules.OrFileInfo, arity: take1,
			help: "Name of entry point in WSGI script file.", setup: func(c *cmd) *parser.Error {
				c.sc.conf.CallableObject = &config.Setting{Value: c.args[0], Pos: c.d.Pos}
				return nil
			}},
		&directiveDef{name: "WSGIRestrictProcess", module: "mod_wsgi.c", where: modules.RsrcConf | modules.AccessConf, arity: rawArgs,
			help: "Limit selectable WSGI process groups.", setup: setupWSGIRestrictProcess},
		wsgiFlag("WSGIPassAuthorization", "Enable/Disable WSGI authorization.", func(d *config.DirConf) **bool { return &d.PassAuthorization }),
		wsgiFlag("WSGIScriptReloading", "Enable/Disable script reloading mechanism.", func(d *config.DirConf) **bool { return &d.ScriptReloading }),
		wsgiFlag("WSGIErrorOverride", "Enable/Disable overriding of error pages.", func(d *config.DirConf) **bool { return &d.ErrorOverride }),
		wsgiFlag("WSGIChunkedRequest", "Enable/Disable support for chunked requests.", func(d *config.DirConf) **bool { return &d.ChunkedRequest }),
		wsgiFlag("WSGIIgnoreActivity", "Enable/Disable reset of inactvity timeout.", func(d *config.DirConf) **bool { return &d.IgnoreActivity }),
		wsgiFlag("WSGIEnableSendfile", "Enable/Disable support for kernel sendfile.", func(d *config.DirConf) **bool { return &d.EnableSendfile }),
		&directiveDef{name: "WSGIMapHEADToGET", module: "mod_wsgi.c", where: modules.OrFileInfo, arity: take1,
			help: "Enable/Disable mapping of HEAD to GET.", setup: setupWSGIMapHEADToGET},
		&directiveDef{name: "WSGITrustedProxyHeaders", module: "mod_wsgi.c", where: modules.OrFileInfo, arity: rawArgs,
			help: "Specify a list of trusted proxy headers.", setup: setupWSGITrustedProxyHeaders},
		&directiveDef{name: "WSGITrustedProxies", module: "mod_wsgi.c", where: modules.OrFileInfo, arity: rawArgs,
			help: "Specify a list of trusted proxies.", setup: setupWSGITrustedProxies},
		&directiveDef{name: "WSGIPythonPath", module: "mod_wsgi.c", where: modules.RsrcConf, forbid: globalOnly, arity: take1,
			help: "Python module search path.", setup: func(c *cmd) *parser.Error {
				c.ld.cfg.PythonPath = wsgiopt.SplitPathList(c.args[0])
				return nil
			}},
		&directiveDef{name: "WSGIPythonHome", module: "mod_wsgi.c", where: modules.RsrcConf, forbid: globalOnly, arity: take1,
			help: "Python prefix/exec_prefix absolute path names.", setup: func(c *cmd) *parser.Error {
				c.ld.cfg.PythonHome = c.args[0]
				if !hostDirExists(c.args[0]) {
					c.ld.hostProblem(c.errArg(0, "WSGIPythonHome %s is not a directory: point it at the sys.prefix of the Python (or virtualenv) to use", c.args[0]))
				}
				return nil
			}},
		&directiveDef{name: "WSGIPythonOptimize", module: "mod_wsgi.c", where: modules.RsrcConf, forbid: globalOnly, arity: take1,
			help: "Set level of Python compiler optimisations.", setup: func(c *cmd) *parser.Error {
				c.ld.cfg.PythonOptimize = parser.Atoi(c.args[0]) // mod_wsgi reads it with atoi
				return nil
			}},
		&directiveDef{name: "WSGIPythonEggs", module: "mod_wsgi.c", where: modules.RsrcConf, forbid: globalOnly, arity: take1,
			help: "Python eggs cache directory.", setup: func(c *cmd) *parser.Error {
				c.ld.cfg.PythonEggs = c.args[0]
				return nil
			}},
		&directiveDef{name: "WSGISocketPrefix", module: "mod_wsgi.c", where: modules.RsrcConf, forbid: globalOnly, arity: take1,
			help: "Path prefix for the daemon process sockets.", setup: func(c *cmd) *parser.Error {
				c.ld.cfg.SocketPrefix = c.ld.serverRelative(c.args[0])
				return nil
			}},
		&directiveDef{name: "WSGIRestrictEmbedded", module: "mod_wsgi.c", where: modules.RsrcConf, forbid: globalOnly, arity: take1,
			help: "Enable/Disable use of embedded mode.", setup: func(c *cmd) *parser.Error {
				v, e := wsgiOnOff(c)
				if e != nil {
					return e
				}
				c.ld.cfg.RestrictEmbedded = v
				return nil
			}},
	)

	// Main-server-only settings of mod_wsgi that have no counterpart in
	// appserver: accepted (On/Off ones with mod_wsgi's validation) and
	// reported.
	noEffect := []struct {
		name, help, why string
		onOff           bool
	}{
		{"WSGISocketRotation", "Enable/Disable rotation of daemon process sockets.", "appserver names its daemon sockets itself", true},
		{"WSGILazyInitialization", "Enable/Disable lazy Python initialization.", "Python is always started in the worker processes", true},
		{"WSGIVerboseDebugging", "Enable/Disable verbose debugging messages.", "appserver has no such debug output", true},
		{"WSGIDontWriteBytecode", "Enable/Disable writing of byte code.", "set PYTHONDONTWRITEBYTECODE in the environment instead", true},
		{"WSGIDestroyInterpreter", "Enable/Disable destruction of Python interpreter.", "workers always exit without tearing down the interpreter", true},
		{"WSGIRestrictStdin", "Enable/Disable restrictions on use of STDIN.", "worker processes keep their standard streams", true},
		{"WSGIRestrictStdout", "Enable/Disable restrictions on use of STDOUT.", "worker processes keep their standard streams", true},
		{"WSGIRestrictSignal", "Enable/Disable restrictions on use of signal().", "signal handlers registered by applications are not intercepted", true},
		{"WSGICaseSensitivity", "Define whether file system is case sensitive.", "file names are compared as the file system does", true},
		{"WSGIServerMetrics", "Enabled/Disable access to server metrics.", "use appserver's metrics endpoint instead", true},
		{"WSGIPythonWarnings", "Control Python warning messages.", "set PYTHONWARNINGS in the environment instead", false},
		{"WSGINewRelicConfigFile", "New Relic monitoring agent configuration file.", "use the newrelic-config-file= option of WSGIDaemonProcess instead", false},
		{"WSGINewRelicEnvironment", "New Relic monitoring agent environment.", "use the newrelic-environment= option of WSGIDaemonProcess instead", false},
	}
	for _, ne := range noEffect {
		why, onOff := ne.why, ne.onOff
		directives.add(&directiveDef{name: ne.name, module: "mod_wsgi.c", where: modules.RsrcConf, forbid: globalOnly, arity: take1,
			help: ne.help, setup: func(c *cmd) *parser.Error {
				if onOff {
					if _, e := wsgiOnOff(c); e != nil {
						return e
					}
				}
				c.warn(ignoredKind(c.def.name), "%s has no effect in appserver: %s", c.def.name, why)
				return nil
			}})
	}
	directives.add(
		&directiveDef{name: "WSGIPythonHashSeed", module: "mod_wsgi.c", where: modules.RsrcConf, forbid: globalOnly, arity: take1,
			help: "Python hash seed.", setup: func(c *cmd) *parser.Error {
				v := c.args[0]
				if v != "random" {
					n, err := strconv.ParseUint(v, 10, 64)
					if err != nil || n > 4294967295 {
						return c.errArg(0, "WSGIPythonHashSeed must be \"random\" or an integer in range [0; 4294967295]")
					}
				}
				c.warn(config.WarnIgnored, "WSGIPythonHashSeed has no effect in appserver: set PYTHONHASHSEED in the environment instead")
				return nil
			}},
		&directiveDef{name: "WSGIAcceptMutex", module: "mod_wsgi.c", where: modules.RsrcConf, forbid: globalOnly, arity: take1,
			help: "Set accept mutex type for daemon processes.", setup: func(c *cmd) *parser.Error {
				switch strings.ToLower(c.args[0]) {
				case "default", "flock", "fcntl", "sysvsem", "posixsem", "pthread":
				default:
					return c.errArg(0, "Accept mutex lock mechanism '%s' is invalid. Valid accept mutex mechanisms for this platform are: default, flock, fcntl, sysvsem, posixsem, pthread.", c.args[0])
				}
				c.warn(config.WarnTuning, "WSGIAcceptMutex has no effect in appserver: workers do not share an accept mutex")
				return nil
			}},
	)
}

// wsgiFlag defines one of mod_wsgi's per-directory On/Off directives.
func wsgiFlag(name, help string, field func(*config.DirConf) **bool) *directiveDef {
	return &directiveDef{name: name, module: "mod_wsgi.c", where: modules.OrFileInfo, arity: take1, help: help,
		setup: func(c *cmd) *parser.Error {
			v, e := wsgiOnOff(c)
			if e != nil {
				return e
			}
			*field(c.sc.conf) = &v
			return nil
		}}
}

// wsgiOnOff reads mod_wsgi's On/Off argument, with its message.
func wsgiOnOff(c *cmd) (bool, *parser.Error) {
	switch {
	case strings.EqualFold(c.args[0], "on"):
		return true, nil
	case strings.EqualFold(c.args[0], "off"):
		return false, nil
	}
	return false, c.errArg(0, "%s must be one of: Off | On", c.def.name)
}

func setupWSGIMapHEADToGET(c *cmd) *parser.Error {
	var v string
	switch strings.ToLower(c.args[0]) {
	case "on":
		v = "On"
	case "off":
		v = "Off"
	case "auto":
		v = "Auto"
	default:
		return c.errArg(0, "WSGIMapHEADToGET must be one of: Off | On | Auto")
	}
	c.sc.conf.MapHEADToGET = v
	if !c.sc.discard {
		c.ld.cfg.MapHEADToGETExplicit = true
	}
	return nil
}

func setupWSGIProcessGroup(c *cmd) *parser.Error {
	v := c.args[0]
	c.sc.conf.ProcessGroup = &config.Setting{Value: v, Pos: c.d.Pos}
	if !c.sc.discard && !strings.HasPrefix(v, "%") {
		c.ld.routes = append(c.ld.routes, groupRef{name: v, pos: c.argPos(0), vhost: c.sc.vhost, what: "WSGIProcessGroup"})
	}
	return nil
}

func setupWSGIRestrictProcess(c *cmd) *parser.Error {
	list := []string{}
	for _, w := range rawWords(c.d.Raw) {
		if w == "%{GLOBAL}" {
			w = ""
		}
		list = append(list, w)
	}
	c.sc.conf.RestrictProcess = list
	return nil
}

// rawWords tokenises a RAW_ARGS string with GetWord, the way mod_wsgi's
// "while (*args) ap_getword_conf" loops do.
func rawWords(raw string) []string {
	var out []string
	rest := strings.TrimLeft(raw, " \t\r\n\v\f")
	for rest != "" {
		var w string
		w, _, rest = parser.GetWord(rest)
		out = append(out, w)
	}
	return out
}

func setupWSGITrustedProxyHeaders(c *cmd) *parser.Error {
	if c.sc.conf.TrustedProxyHeaders == nil {
		c.sc.conf.TrustedProxyHeaders = []string{}
	}
	c.sc.conf.TrustedProxyHeaders = append(c.sc.conf.TrustedProxyHeaders, rawWords(c.d.Raw)...)
	return nil
}

func setupWSGITrustedProxies(c *cmd) *parser.Error {
	if c.sc.conf.TrustedProxies == nil {
		c.sc.conf.TrustedProxies = []string{}
	}
	for _, w := range rawWords(c.d.Raw) {
		if msg := checkTrustedProxy(w); msg != "" {
			return c.err("Unable to parse trusted proxy IP address/subnet of \"%s\".%s", w, msg)
		}
		c.sc.conf.TrustedProxies = append(c.sc.conf.TrustedProxies, w)
	}
	return nil
}

// checkTrustedProxy validates one WSGITrustedProxies entry as mod_wsgi's
// wsgi_looks_like_ip plus apr_ipsubnet_create do. It returns "" when fine,
// " <APR reason>" when APR refuses it, and " (hint)" when it is not even
// shaped like an address (mod_wsgi rejects host names).
func checkTrustedProxy(w string) string {
	set := "0123456789./"
	if strings.Contains(w, ":") {
		set = "0123456789abcdef:/"
	}
	if w == "" || strings.Trim(w, set) != "" {
		return " (host names are not accepted: write an IP address or subnet such as 10.0.0.0/8)"
	}
	ip, mask, hasMask := strings.Cut(w, "/")
	if strings.Contains(ip, ":") {
		if p := net.ParseIP(ip); p == nil || p.To4() != nil && !strings.Contains(ip, "::") {
			return " The specified IP address is invalid."
		}
		if hasMask {
			if n, err := strconv.Atoi(mask); err != nil || n < 1 || n > 128 {
				return " The specified network mask is invalid."
			}
		}
		return ""
	}
	parts := strings.Split(ip, ".")
	if len(parts) > 4 {
		return " The specified IP address is invalid."
	}
	for _, p := range parts {
		if n, err := strconv.Atoi(p); err != nil || n < 0 || n > 255 {
			return " The specified IP address is invalid."
		}
	}
	if hasMask {
		if n, err := strconv.Atoi(mask); err == nil {
			if n < 1 || n > 32 {
				return " The specified network mask is invalid."
			}
		} else if m := net.ParseIP(mask); m == nil || m.To4() == nil {
			return " The specified network mask is invalid."
		}
	}
	return ""
}

// eachWSGIOption runs fn on every name=value option of raw from offset i,
// as mod_wsgi's option loops do. A word without '=' is an error with the
// directive's own message (invalid) and a hint from the known names.
func eachWSGIOption(c *cmd, raw string, i int, invalid string, known []string, fn func(opt wsgiopt.Word, pos parser.Position) *parser.Error) *parser.Error {
	for i < len(raw) {
		opt, next, ok := wsgiopt.Next(raw, i)
		if !ok {
			if strings.TrimSpace(raw[i:]) == "" {
				return nil
			}
			return c.errAt(rawPos(c.d, opt.Off), "%s (%s)", invalid, wsgiopt.Hint(raw[opt.Off:], known))
		}
		i = next
		if e := fn(opt, rawPos(c.d, opt.Off)); e != nil {
			return e
		}
	}
	return nil
}

// rawPos maps an offset in d.Raw to a file position, through the argument
// tokens (which were cut from the same text and carry positions).
func rawPos(d *parser.Directive, off int) parser.Position {
	best := d.RawPos
	if best.Line == 0 {
		best = d.Pos
	}
	bestStart := 0
	if len(d.Args) == 0 {
		best.Column += off
		best.Offset += off
		return best
	}
	rest := d.Raw
	for k := 0; k < len(d.Args); k++ {
		trimmed := strings.TrimLeft(rest, " \t\r\n\v\f")
		start := len(d.Raw) - len(trimmed)
		if trimmed == "" || start > off {
			break
		}
		best, bestStart = d.Args[k].Pos, start
		_, _, rest = parser.GetWord(trimmed)
	}
	best.Column += off - bestStart
	best.Offset += off - bestStart
	return best
}

// groupAccessError is mod_wsgi's check that a preloaded script's process
// group was defined earlier and may be used from this server (the
// accessible/matchable rules of WSGIImportScript, which 4.9.4 also applies
// to fully specified WSGIScriptAlias).
func (ld *loader) groupAccessError(c *cmd, pos parser.Position, name string) *parser.Error {
	g := ld.groups[name]
	if g == nil {
		return c.errAt(pos, "WSGI process group not yet configured. (no WSGIDaemonProcess named '%s' comes before this line: define the group first)", name)
	}
	if g.vhost == nil || g.vhost.IsMain {
		return nil
	}
	cur, own := c.sc.vhost.Name, g.vhost.Name
	switch {
	case cur != "" && own != "" && cur != own:
		return c.errAt(pos, "WSGI process group not accessible. (group '%s' is defined in the <VirtualHost> at %s with ServerName %s, and this server is %s: define the group at top level or in a vhost with the same ServerName)", name, parser.FormatPos(g.vhost.Pos), own, cur)
	case cur == "" && own != "":
		return c.errAt(pos, "WSGI process group not matchable. (group '%s' is defined in a <VirtualHost> with ServerName %s, and this server has no ServerName before this line: add one, or define the group at top level)", name, own)
	case cur != "" && own == "":
		return c.errAt(pos, "WSGI process group not matchable. (group '%s' is defined in the <VirtualHost> at %s, which has no ServerName: give it ServerName %s, or define the group at top level)", name, parser.FormatPos(g.vhost.Pos), cur)
	}
	return nil
}

func setupWSGIScriptAlias(match bool) func(c *cmd) *parser.Error {
	return func(c *cmd) *parser.Error {
		raw := c.d.Raw
		url, _, rest := parser.GetWord(raw)
		if url == "" || rest == "" {
			return c.err("%s requires at least two arguments, %s", c.def.name, c.def.help)
		}
		target, _, after := parser.GetWord(rest)
		if target == "" {
			return c.err("%s requires at least two arguments, %s", c.def.name, c.def.help)
		}
		i := len(raw) - len(after)
		sa := &config.ScriptAlias{Pos: c.d.Pos, URL: url, Target: target}
		var pgPos parser.Position
		if e := eachWSGIOption(c, raw, i, "Invalid option to WSGI script alias definition.", scriptAliasOptions, func(opt wsgiopt.Word, pos parser.Position) *parser.Error {
			switch opt.Name {
			case "application-group":
				if opt.Value == "" {
					return c.errAt(pos, "Invalid name for WSGI application group.")
				}
				v := opt.Value
				if v == "%{GLOBAL}" {
					v = ""
				}
				sa.ApplicationGroup = &v
			case "process-group":
				if opt.Value == "" {
					return c.errAt(pos, "Invalid name for WSGI process group.")
				}
				v := opt.Value
				if v == "%{GLOBAL}" {
					v = ""
				}
				sa.ProcessGroup = &v
				pgPos = pos
			case "callable-object":
				if opt.Value == "" {
					return c.errAt(pos, "Invalid name for WSGI callable object.")
				}
				v := opt.Value
				sa.CallableObject = &v
			case "pass-authorization":
				var v bool
				switch {
				case strings.EqualFold(opt.Value, "on"):
					v = true
				case strings.EqualFold(opt.Value, "off"):
				default:
					return c.errAt(pos, "Invalid value for authorization flag. (write pass-authorization=On or pass-authorization=Off)")
				}
				sa.PassAuthorization = &v
			default:
				return c.errAt(pos, "Invalid option to WSGI script alias definition. (%s)", wsgiopt.Hint(opt.Name+"=", scriptAliasOptions))
			}
			return nil
		}); e != nil {
			return e
		}
		if match {
			re, err := config.CompileRegexp(url)
			if err != nil {
				return c.errAt(c.argPos(0), "Regular expression could not be compiled. (%v)", err)
			}
			sa.Regex = re
		}
		pg, ag := sa.ProcessGroup, sa.ApplicationGroup
		if pg != nil && ag != nil && !strings.Contains(*pg, "%{") && !strings.Contains(*ag, "%{") &&
			!(match && strings.Contains(target, "$")) {
			if *pg != "" {
				if e := c.ld.groupAccessError(c, pgPos, *pg); e != nil {
					return e
				}
				callable := "application"
				if sa.CallableObject != nil {
					callable = *sa.CallableObject
				}
				if !c.sc.discard {
					g := c.ld.groups[*pg]
					g.spec.Preload = append(g.spec.Preload, daemon.Preload{Script: target, ApplicationGroup: *ag, CallableObject: callable})
				}
			} else if !c.sc.discard {
				c.warn(config.WarnCompat, "%s would preload %s into the Apache child processes (process-group=%%{GLOBAL}); appserver has no embedded mode, so nothing is preloaded there", c.def.name, target)
			}
		}
		if pg != nil && *pg != "" && !strings.HasPrefix(*pg, "%") && !c.sc.discard {
			c.ld.routes = append(c.ld.routes, groupRef{name: *pg, pos: pgPos, vhost: c.sc.vhost, what: "process-group="})
		}
		c.sc.vhost.ScriptAliases = append(c.sc.vhost.ScriptAliases, sa)
		if !c.sc.discard && !strings.Contains(target, "$") {
			if _, err := hostStat(target); err != nil {
				c.ld.hostProblem(c.errAt(c.argPos(1), "WSGI script %s does not exist: create it or fix the %s target", target, c.def.name))
			}
		}
		return nil
	}
}

var scriptAliasOptions = []string{"process-group", "application-group", "callable-object", "pass-authorization"}

func setupWSGIImportScript(c *cmd) *parser.Error {
	raw := c.d.Raw
	script, _, rest := parser.GetWord(raw)
	if script == "" {
		return c.err("Location of import script not supplied.")
	}
	i := len(raw) - len(rest)
	var pg, ag *string
	var pgPos parser.Position
	if e := eachWSGIOption(c, raw, i, "Invalid option to WSGI import script definition.", importScriptOptions, func(opt wsgiopt.Word, pos parser.Position) *parser.Error {
		v := opt.Value
		switch opt.Name {
		case "application-group":
			if v == "" {
				return c.errAt(pos, "Invalid name for WSGI application group.")
			}
			ag = &v
		case "process-group":
			if v == "" {
				return c.errAt(pos, "Invalid name for WSGI process group.")
			}
			pg, pgPos = &v, pos
		default:
			return c.errAt(pos, "Invalid option to WSGI import script definition. (%s)", wsgiopt.Hint(opt.Name+"=", importScriptOptions))
		}
		return nil
	}); e != nil {
		return e
	}
	if ag == nil {
		return c.err("Name of WSGI application group required. (add application-group=NAME, or application-group=%%{GLOBAL})")
	}
	if *ag == "%{GLOBAL}" {
		*ag = ""
	}
	if pg == nil {
		return c.err("Name of WSGI process group required. (add process-group=NAME naming a WSGIDaemonProcess)")
	}
	if *pg == "%{GLOBAL}" {
		*pg = ""
	}
	if *pg != "" {
		if e := c.ld.groupAccessError(c, pgPos, *pg); e != nil {
			return e
		}
	}
	if c.sc.discard {
		return nil
	}
	c.ld.cfg.ImportScripts = append(c.ld.cfg.ImportScripts, &config.ImportScript{Pos: c.d.Pos, Script: script, ProcessGroup: *pg, ApplicationGroup: *ag})
	if *pg != "" {
		g := c.ld.groups[*pg]
		g.spec.Preload = append(g.spec.Preload, daemon.Preload{Script: script, ApplicationGroup: *ag})
	} else {
		c.warn(config.WarnCompat, "WSGIImportScript %s targets the Apache child processes (process-group=%%{GLOBAL}); appserver has no embedded mode, so it is not imported anywhere", script)
	}
	if _, err := hostStat(script); err != nil {
		c.ld.hostProblem(c.errArg(0, "WSGI import script %s does not exist: create it or fix the path", script))
	}
	return nil
}

var importScriptOptions = []string{"process-group", "application-group"}
