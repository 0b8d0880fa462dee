package load

import (
	"math"
	"os/user"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/appserver/appserver/parser"
	"github.com/appserver/appserver/server/config"
	"github.com/appserver/appserver/server/modules"
)

// Apache core and the httpd modules whose directives appserver implements
// (mod_env, mod_alias, mod_authz_core's "Require all", mod_mime's
// AddHandler, mod_log_config, mod_ssl's engine and certificate, mod_unixd,
// the MPM's Listen). The help texts are httpd's, since they end its arity
// errors.

func init() {
	directives.add(
		&directiveDef{name: "ServerName", module: "core.c", where: modules.RsrcConf, arity: take1,
			help: "The hostname and port of the server", setup: setupServerName},
		&directiveDef{name: "ServerAlias", module: "core.c", where: modules.RsrcConf, arity: rawArgs, setup: setupServerAlias},
		&directiveDef{name: "ServerAdmin", module: "core.c", where: modules.RsrcConf, arity: take1,
			help: "The email address of the server administrator", setup: func(c *cmd) *parser.Error {
				c.sc.vhost.Admin = c.args[0]
				return nil
			}},
		&directiveDef{name: "DocumentRoot", module: "core.c", where: modules.RsrcConf, arity: take1,
			help: "Root directory of the document tree", setup: setupDocumentRoot},
		&directiveDef{name: "Listen", module: "event.c", where: modules.RsrcConf, forbid: globalOnly, arity: takeArgv,
			help: "A port number or a numeric IP address and a port number, and an optional protocol", setup: setupListen},
		&directiveDef{name: "SetEnv", module: "mod_env.c", where: modules.OrFileInfo, arity: take12,
			help: "an environment variable name and optional value to pass to CGI.", setup: setupSetEnv},
		&directiveDef{name: "UnsetEnv", module: "mod_env.c", where: modules.OrFileInfo, arity: iterate,
			help: "a list of variables to remove from the CGI environment.", setup: setupUnsetEnv},
		&directiveDef{name: "PassEnv", module: "mod_env.c", where: modules.OrFileInfo, arity: iterate,
			help: "a list of environment variables to pass to CGI.", setup: setupPassEnv},
		&directiveDef{name: "Alias", module: "mod_alias.c", where: modules.RsrcConf | modules.AccessConf, arity: take12,
			help: "a fakename and a realname, or a realname in a Location", setup: setupAlias(config.AliasFile)},
		&directiveDef{name: "ScriptAlias", module: "mod_alias.c", where: modules.RsrcConf | modules.AccessConf, arity: take12,
			help: "a fakename and a realname, or a realname in a Location", setup: setupAlias(config.AliasCGI)},
		&directiveDef{name: "AliasMatch", module: "mod_alias.c", where: modules.RsrcConf, arity: take2,
			help: "a regular expression and a filename", setup: setupAliasMatch(config.AliasFileMatch)},
		&directiveDef{name: "ScriptAliasMatch", module: "mod_alias.c", where: modules.RsrcConf, arity: take2,
			help: "a regular expression and a filename", setup: setupAliasMatch(config.AliasCGIMatch)},
		&directiveDef{name: "Require", module: "mod_authz_core.c", where: modules.OrAuthCfg, arity: rawArgs, setup: setupRequire},
		&directiveDef{name: "SetHandler", module: "core.c", where: modules.OrFileInfo, arity: take1,
			help: "a handler name that overrides any other configured handler", setup: setupSetHandler},
		&directiveDef{name: "DirectoryIndex", module: "mod_dir.c", where: modules.Anywhere, arity: rawArgs,
			help: "a list of file names", setup: setupDirectoryIndex},
		&directiveDef{name: "AddHandler", module: "mod_mime.c", where: modules.OrFileInfo, arity: iterate2,
			help: "a handler name followed by one or more file extensions", setup: setupAddHandler},
		&directiveDef{name: "Options", module: "core.c", where: modules.OrOptions, arity: rawArgs, setup: setupOptions},
		&directiveDef{name: "LimitRequestBody", module: "core.c", where: modules.OrAll, arity: take1,
			help: "Limit (in bytes) on maximum size of request message body", setup: setupLimitRequestBody},
		&directiveDef{name: "LimitRequestLine", module: "core.c", where: modules.RsrcConf, arity: take1,
			help: "Limit on maximum size of an HTTP request line", setup: setupServerLimit(func(v *config.VHost) **int { return &v.LimitRequestLine })},
		&directiveDef{name: "LimitRequestFieldsize", module: "core.c", where: modules.RsrcConf, arity: take1,
			help: "Limit on maximum size of an HTTP request header field", setup: setupServerLimit(func(v *config.VHost) **int { return &v.LimitRequestFieldSize })},
		&directiveDef{name: "LimitRequestFields", module: "core.c", where: modules.RsrcConf, arity: take1,
			help: "Limit (0 = unlimited) on max number of header fields in a request message", setup: setupServerLimit(func(v *config.VHost) **int { return &v.LimitRequestFields })},
		&directiveDef{name: "Timeout", module: "core.c", where: modules.RsrcConf, arity: take1,
			help: "Timeout duration (sec)", setup: setupTimeout},
		&directiveDef{name: "KeepAlive", module: "http_core.c", where: modules.RsrcConf, arity: argFlag, setup: setupKeepAlive},
		&directiveDef{name: "KeepAliveTimeout", module: "http_core.c", where: modules.RsrcConf, arity: take1,
			help: "Keep-Alive timeout duration (sec)", setup: setupKeepAliveTimeout},
		&directiveDef{name: "MaxKeepAliveRequests", module: "http_core.c", where: modules.RsrcConf, arity: take1,
			help: "Maximum number of Keep-Alive requests per connection, or 0 for infinite", setup: setupMaxKeepAliveRequests},
		&directiveDef{name: "ErrorLog", module: "core.c", where: modules.RsrcConf, arity: take1,
			help: "The filename of the error log", setup: setupErrorLog},
		&directiveDef{name: "CustomLog", module: "mod_log_config.c", where: modules.RsrcConf, arity: take23,
			help: `a file name, a custom log format string or format name, and an optional "env=" or "expr=" clause (see docs)`, setup: setupCustomLog},
		&directiveDef{name: "TransferLog", module: "mod_log_config.c", where: modules.RsrcConf, arity: take1,
			help: "the filename of the access log", setup: setupTransferLog},
		&directiveDef{name: "LogFormat", module: "mod_log_config.c", where: modules.RsrcConf, arity: take12,
			help: "a log format string (see docs) and an optional format name", setup: setupLogFormat},
		&directiveDef{name: "LogLevel", module: "core.c", where: modules.RsrcConf | modules.AccessConf, arity: iterate,
			help: "Level of verbosity in error logging", setup: setupLogLevel},
		&directiveDef{name: "SSLEngine", module: "mod_ssl.c", where: modules.RsrcConf, arity: take1,
			help: "SSL switch for the protocol engine ('on', 'off')", setup: setupSSLEngine},
		&directiveDef{name: "SSLCertificateFile", module: "mod_ssl.c", where: modules.RsrcConf, arity: take1,
			help: "SSL Server Certificate file ('/path/to/file' - PEM or DER encoded)", setup: setupSSLFile("SSLCertificateFile", func(v *config.VHost) *string { return &v.SSLCertificateFile })},
		&directiveDef{name: "SSLCertificateKeyFile", module: "mod_ssl.c", where: modules.RsrcConf, arity: take1,
			help: "SSL Server Private Key file ('/path/to/file' - PEM or DER encoded)", setup: setupSSLFile("SSLCertificateKeyFile", func(v *config.VHost) *string { return &v.SSLCertificateKeyFile })},
		&directiveDef{name: "GracefulShutdownTimeout", module: "event.c", where: modules.RsrcConf, forbid: globalOnly, arity: take1,
			help: "Maximum time in seconds to wait for child processes to complete transactions during shutdown",
			setup: func(c *cmd) *parser.Error {
				v := parser.Atoi(c.args[0])
				c.ld.atoiLint(c, 0, "GracefulShutdownTimeout", c.args[0], strconv.Itoa(v))
				d := time.Duration(max(v, 0)) * time.Second
				c.ld.cfg.GracefulShutdownTimeout = &d
				return nil
			}},
		&directiveDef{name: "PidFile", module: "core.c", where: modules.RsrcConf, forbid: globalOnly, arity: take1,
			help: "A file for logging the server process ID", setup: func(c *cmd) *parser.Error {
				c.ld.cfg.PidFile = c.ld.serverRelative(c.args[0])
				return nil
			}},
		&directiveDef{name: "User", module: "mod_unixd.c", where: modules.RsrcConf, forbid: globalOnly, arity: take1,
			help: "Effective user id for this server", setup: setupUser},
		&directiveDef{name: "Group", module: "mod_unixd.c", where: modules.RsrcConf, forbid: globalOnly, arity: take1,
			help: "Effective group id for this server", setup: setupGroup},
		&directiveDef{name: "MergeSlashes", module: "core.c", where: modules.RsrcConf, arity: argFlag, setup: func(c *cmd) *parser.Error {
			v := strings.EqualFold(c.args[0], "on")
			c.sc.vhost.MergeSlashes = &v
			return nil
		}},
		&directiveDef{name: "AllowEncodedSlashes", module: "core.c", where: modules.RsrcConf, arity: take1,
			help: "Allow URLs containing '/' encoded as '%2F'", setup: setupAllowEncodedSlashes},
		&directiveDef{name: "Error", module: "core.c", where: modules.Anywhere, arity: rawArgs, setup: setupError},
	)
}

func setupServerName(c *cmd) *parser.Error {
	arg := c.args[0]
	if hasWildcard(arg) {
		return c.errArg(0, "Invalid ServerName \"%s\" use ServerAlias to set multiple server names.", arg)
	}
	part := arg
	if i := strings.Index(arg, "://"); i >= 0 {
		part = arg[i+3:]
	}
	host, port := part, 0
	if i := strings.IndexByte(part, ':'); i >= 0 {
		host = part[:i]
		port = parser.Atoi(part[i+1:])
		if port <= 0 || port >= 65536 {
			return c.errArg(0, "The port number \"%s\" is outside the appropriate range (i.e., 1..65535).", arg)
		}
	}
	c.sc.vhost.Name = host
	c.sc.vhost.Port = port
	return nil
}

// hasWildcard is apr_fnmatch_test: '*', '?' or a closed '[...]'.
func hasWildcard(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '*', '?':
			return true
		case '[':
			if strings.IndexByte(s[i+1:], ']') >= 0 {
				return true
			}
		}
	}
	return false
}

func setupServerAlias(c *cmd) *parser.Error {
	if c.sc.vhost.IsMain {
		return c.err("ServerAlias only used in <VirtualHost>")
	}
	rest := c.d.Raw
	for {
		var w string
		w, _, rest = parser.GetWord(rest)
		if w == "" && rest == "" {
			break
		}
		if w == "" {
			continue
		}
		c.sc.vhost.Aliases = append(c.sc.vhost.Aliases, strings.ToLower(w))
	}
	return nil
}

func setupDocumentRoot(c *cmd) *parser.Error {
	p := c.ld.serverRelative(c.args[0])
	if !hostDirExists(p) {
		c.ld.hostProblem(c.errArg(0, "DocumentRoot '%s' is not a directory, or is not readable: create it or point DocumentRoot at an existing directory", p))
	}
	c.sc.vhost.DocumentRoot = p
	return nil
}

func setupListen(c *cmd) *parser.Error {
	if len(c.args) < 1 || len(c.args) > 2 {
		return c.err("Listen requires 1 or 2 arguments.")
	}
	host, port, ok := parser.ParseAddrPort(c.args[0])
	if !ok {
		return c.errArg(0, "Invalid address or port")
	}
	if host == "*" {
		host = ""
	}
	if port == 0 {
		return c.errArg(0, "Port must be specified")
	}
	proto := "http"
	if port == 443 {
		proto = "https"
	}
	if len(c.args) == 2 {
		proto = strings.ToLower(c.args[1])
		if proto != "http" && proto != "https" {
			c.ld.warn(c.argPos(1), config.WarnCompat, "Listen protocol "+c.args[1]+" is not served by appserver, which speaks http and https only")
		}
	}
	for _, l := range c.ld.cfg.Listen {
		if l.Port == port && l.Addr == host {
			return c.err("Cannot define multiple Listeners on the same IP:port")
		}
	}
	c.ld.cfg.Listen = append(c.ld.cfg.Listen, config.Listen{Pos: c.d.Pos, Addr: host, Port: port, Proto: proto})
	return nil
}

func setupSetEnv(c *cmd) *parser.Error {
	name := c.args[0]
	value := ""
	if len(c.args) > 1 {
		value = c.args[1]
	}
	if strings.Contains(name, "=") {
		// mod_env's AH10032: the variable is still set, literally named A=B.
		i := strings.IndexByte(name, '=')
		c.warn(config.WarnLint, "Spurious usage of '=' in an environment variable name. 'SetEnv %s %s' expected instead?", name[:i], name[i+1:])
	}
	c.sc.conf.Env = append(c.sc.conf.Env, config.EnvOp{Op: config.EnvSet, Name: name, Value: value, Pos: c.d.Pos})
	return nil
}

func setupUnsetEnv(c *cmd) *parser.Error {
	for i, name := range c.args {
		c.sc.conf.Env = append(c.sc.conf.Env, config.EnvOp{Op: config.EnvUnset, Name: name, Pos: c.argPos(i)})
	}
	return nil
}

func setupPassEnv(c *cmd) *parser.Error {
	for i, name := range c.args {
		v, ok := c.ld.lookupEnv(name)
		if !ok {
			// mod_env's AH01506; the variable is simply not passed.
			c.ld.warn(c.argPos(i), "lint", "PassEnv variable "+name+" was undefined: set it in appserver's environment or remove it from PassEnv")
			continue
		}
		c.sc.conf.Env = append(c.sc.conf.Env, config.EnvOp{Op: config.EnvPass, Name: name, Value: v, Pos: c.argPos(i)})
	}
	return nil
}

func setupAlias(kind config.AliasKind) func(c *cmd) *parser.Error {
	return func(c *cmd) *parser.Error {
		if c.sc.dirPath() {
			// mod_alias: one argument inside a <Location> maps that location.
			if len(c.args) == 2 {
				return c.err("%s cannot occur within directory context", c.def.name)
			}
			if msg := contextError(c.def.name, c.sc, notInDirectory|notInFiles); msg != "" {
				return c.err("%s", msg)
			}
			target := c.args[0]
			a := &config.Alias{Pos: c.d.Pos, Target: target, Kind: kind}
			if c.sc.section != nil {
				a.URL = c.sc.section.Path
				a.Regex = c.sc.section.Regex
			}
			c.ld.addAlias(c, a)
			return nil
		}
		if len(c.args) != 2 {
			return c.err("%s must have two arguments when used globally", c.def.name)
		}
		a := &config.Alias{Pos: c.d.Pos, URL: c.args[0], Target: c.args[1], Kind: kind}
		c.ld.addAlias(c, a)
		return nil
	}
}

func setupAliasMatch(kind config.AliasKind) func(c *cmd) *parser.Error {
	return func(c *cmd) *parser.Error {
		re, err := config.CompileRegexp(c.args[0])
		if err != nil {
			return c.errArg(0, "Regular expression could not be compiled.")
		}
		a := &config.Alias{Pos: c.d.Pos, URL: c.args[0], Regex: re, Target: c.args[1], Kind: kind}
		c.ld.addAlias(c, a)
		return nil
	}
}

// addAlias records an Alias-family directive and checks its target.
func (ld *loader) addAlias(c *cmd, a *config.Alias) {
	c.sc.vhost.FileAliases = append(c.sc.vhost.FileAliases, a)
	if a.Kind.CGI() && !c.sc.discard {
		c.warn(config.WarnCompat, "%s maps %s to CGI scripts, which appserver does not run: requests there get 404 (serve the app with WSGIScriptAlias instead)", c.def.name, a.URL)
	}
	if a.Regex != nil || strings.Contains(a.Target, "$") || c.sc.discard {
		return
	}
	// mod_alias uses the target as written (no ServerRoot resolution).
	if _, err := hostStat(a.Target); err != nil {
		ld.hostProblem(c.errArg(len(c.args)-1, "%s target %s does not exist: create it or fix the path", c.def.name, a.Target))
	}
}

func setupSetHandler(c *cmd) *parser.Error {
	v := c.args[0]
	if strings.EqualFold(v, "none") {
		v = "None"
	} else {
		// ap_str_tolower: handler names are compared lower-cased.
		v = strings.ToLower(v)
	}
	c.sc.conf.Handler = &config.Setting{Value: v, Pos: c.d.Pos}
	return nil
}

func setupAddHandler(c *cmd) *parser.Error {
	handler := strings.ToLower(c.args[0])
	if c.sc.conf.AddHandlers == nil {
		c.sc.conf.AddHandlers = map[string]string{}
	}
	for _, ext := range c.args[1:] {
		ext = strings.ToLower(strings.TrimPrefix(ext, "."))
		c.sc.conf.AddHandlers[ext] = handler
	}
	if handler != "wsgi-script" && !c.sc.discard {
		c.warn(config.WarnIgnored, "AddHandler %s is ignored: appserver runs only the wsgi-script handler", c.args[0])
	}
	return nil
}

// optionNames are the words core's Options accepts.
var optionNames = map[string]string{
	"indexes": "Indexes", "includes": "Includes", "includesnoexec": "IncludesNOEXEC",
	"followsymlinks": "FollowSymLinks", "symlinksifownermatch": "SymLinksIfOwnerMatch",
	"execcgi": "ExecCGI", "multiviews": "MultiViews", "runscripts": "ExecCGI",
	"all": "All", "none": "None",
}

func setupOptions(c *cmd) *parser.Error {
	var opts []string
	rest := c.d.Raw
	first := true
	relative, absolute := false, false
	for {
		var w string
		w, _, rest = parser.GetWord(rest)
		if w == "" {
			break
		}
		sign := ""
		if w[0] == '+' || w[0] == '-' {
			sign, w = w[:1], w[1:]
			relative = true
		} else {
			absolute = true
		}
		if relative && absolute {
			return c.err("Either all Options must start with + or -, or no Option may.")
		}
		name, ok := optionNames[strings.ToLower(w)]
		if !ok {
			return c.err("Illegal option %s", w)
		}
		if name == "None" {
			if sign != "" {
				return c.err("You may not use 'Options +None' or 'Options -None'.")
			}
			if !first {
				return c.err("'Options None' must be the first Option given.")
			}
		}
		if name == "All" && sign != "" {
			return c.err("You may not use 'Options +All' or 'Options -All'.")
		}
		opts = append(opts, sign+name)
		first = false
	}
	if opts == nil {
		opts = []string{}
	}
	c.sc.conf.Options = config.MergeOptions(c.sc.conf.Options, opts)
	return nil
}

func setupLimitRequestBody(c *cmd) *parser.Error {
	s := c.args[0]
	v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return c.errArg(0, "LimitRequestBody argument is not parsable.")
		}
		return c.errArg(0, "LimitRequestBody requires a non-negative integer.")
	}
	if v < 0 {
		return c.errArg(0, "LimitRequestBody requires a non-negative integer.")
	}
	c.sc.conf.LimitRequestBody = &v
	return nil
}

// setupServerLimit handles LimitRequestLine/Fieldsize/Fields: httpd reads
// them with atoi and only refuses negative numbers.
func setupServerLimit(field func(*config.VHost) **int) func(c *cmd) *parser.Error {
	return func(c *cmd) *parser.Error {
		v := parser.Atoi(c.args[0])
		if v < 0 {
			return c.errArg(0, "%s \"%s\" must be a non-negative integer", c.def.name, c.args[0])
		}
		c.ld.atoiLint(c, 0, c.def.name, c.args[0], strconv.Itoa(v))
		*field(c.sc.vhost) = &v
		return nil
	}
}

func setupTimeout(c *cmd) *parser.Error {
	v := parser.Atoi(c.args[0])
	c.ld.atoiLint(c, 0, "Timeout", c.args[0], strconv.Itoa(v))
	c.sc.vhost.Timeout = &v
	return nil
}

func setupKeepAlive(c *cmd) *parser.Error {
	v := strings.EqualFold(c.args[0], "on")
	c.sc.vhost.KeepAlive = &v
	return nil
}

func setupKeepAliveTimeout(c *cmd) *parser.Error {
	ms, ok := parseTimeoutParameter(c.args[0])
	if !ok {
		return c.errArg(0, "KeepAliveTimeout has wrong format")
	}
	secs := int((ms + 999) / 1000)
	if ms%1000 != 0 {
		c.ld.warn(c.argPos(0), "compat", "KeepAliveTimeout "+c.args[0]+" is rounded up to "+strconv.Itoa(secs)+"s: appserver keeps whole seconds")
	}
	c.sc.vhost.KeepAliveTimeout = &secs
	return nil
}

// parseTimeoutParameter is ap_timeout_parameter_parse: a number with an
// optional unit ms, s, mi or h (default s), in milliseconds.
func parseTimeoutParameter(s string) (int64, bool) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 {
		return 0, false
	}
	n, err := strconv.ParseInt(s[:i], 10, 64)
	if err != nil {
		return 0, false
	}
	var mult int64
	switch strings.ToLower(s[i:]) {
	case "", "s":
		mult = 1000
	case "ms":
		mult = 1
	case "mi":
		mult = 60 * 1000
	case "h":
		mult = 3600 * 1000
	default:
		return 0, false
	}
	if n > math.MaxInt64/mult {
		return 0, false
	}
	return n * mult, true
}

func setupMaxKeepAliveRequests(c *cmd) *parser.Error {
	v := parser.Atoi(c.args[0])
	c.ld.atoiLint(c, 0, "MaxKeepAliveRequests", c.args[0], strconv.Itoa(v))
	c.sc.vhost.MaxKeepAliveRequests = &v
	return nil
}

// logTarget reports whether a log target names a file (not a pipe or
// syslog) and resolves it.
func (ld *loader) logTarget(t string) (string, bool) {
	if strings.HasPrefix(t, "|") || strings.HasPrefix(t, "syslog") {
		return t, false
	}
	return ld.serverRelative(t), true
}

// checkLogDir reports a missing log folder the way httpd does at startup
// (AH02291/AH02297).
func (ld *loader) checkLogDir(c *cmd, file, what string) {
	dir := path.Dir(file)
	if !hostDirExists(dir) {
		ld.hostProblem(c.errArg(0, "Cannot access directory '%s/' for %s: create the folder or log somewhere else", dir, what))
	}
}

func setupErrorLog(c *cmd) *parser.Error {
	t, isFile := c.ld.logTarget(c.args[0])
	c.sc.vhost.ErrorLog = t
	if isFile {
		what := "main error log"
		if !c.sc.vhost.IsMain {
			what = "error log of vhost defined at " + parser.FormatPos(c.sc.sec.Pos)
		}
		c.ld.checkLogDir(c, t, what)
	}
	return nil
}

func setupCustomLog(c *cmd) *parser.Error {
	cl := config.CustomLog{Pos: c.d.Pos, Format: c.args[1]}
	if strings.Contains(cl.Format, "%") {
		if _, err := config.CompileLogFormat(cl.Format); err != nil {
			return c.errArg(1, "%s", err.Error())
		}
	}
	if len(c.args) == 3 {
		cond := c.args[2]
		if !strings.HasPrefix(strings.ToLower(cond), "env=") && !strings.HasPrefix(strings.ToLower(cond), "expr=") {
			return c.errArg(2, "error in condition clause")
		}
		cl.Cond = cond
	}
	t, isFile := c.ld.logTarget(c.args[0])
	cl.Target = t
	if isFile {
		c.ld.checkLogDir(c, t, "log file '"+t+"' defined at "+parser.FormatPos(c.d.Pos))
	}
	c.sc.vhost.CustomLogs = append(c.sc.vhost.CustomLogs, cl)
	return nil
}

func setupTransferLog(c *cmd) *parser.Error {
	t, isFile := c.ld.logTarget(c.args[0])
	if isFile {
		c.ld.checkLogDir(c, t, "log file '"+t+"' defined at "+parser.FormatPos(c.d.Pos))
	}
	// TransferLog uses the last LogFormat without a nickname ("" here).
	c.sc.vhost.CustomLogs = append(c.sc.vhost.CustomLogs, config.CustomLog{Pos: c.d.Pos, Target: t})
	return nil
}

func setupLogFormat(c *cmd) *parser.Error {
	name := ""
	if len(c.args) == 2 {
		name = c.args[1]
	}
	if _, err := config.CompileLogFormat(c.args[0]); err != nil {
		return c.errArg(0, "%s", err.Error())
	}
	c.sc.vhost.LogFormats[name] = c.args[0]
	return nil
}

var logLevels = map[string]bool{
	"emerg": true, "alert": true, "crit": true, "error": true, "warn": true, "notice": true,
	"info": true, "debug": true, "trace1": true, "trace2": true, "trace3": true, "trace4": true,
	"trace5": true, "trace6": true, "trace7": true, "trace8": true,
}

const logLevelHelp = "Log level keyword must be one of emerg/alert/crit/error/warn/notice/info/debug/trace1/.../trace8"

func setupLogLevel(c *cmd) *parser.Error {
	for i, a := range c.args {
		level := a
		if j := strings.LastIndexByte(a, ':'); j >= 0 {
			level = a[j+1:]
			if !logLevels[strings.ToLower(level)] {
				return c.errArg(i, "%s: %s", a, logLevelHelp)
			}
			continue
		}
		if !logLevels[strings.ToLower(level)] {
			return c.errArg(i, "%s", logLevelHelp)
		}
	}
	if c.sc.dirPath() {
		if !c.sc.discard {
			c.warn(config.WarnIgnored, "LogLevel inside <%s> is ignored: appserver logs at the server's level everywhere", c.sc.sec.Name)
		}
		return nil
	}
	c.sc.vhost.LogLevel = strings.Join(c.args, " ")
	c.ld.state(c.sc.vhost).logLevelSet = true
	return nil
}

func setupSSLEngine(c *cmd) *parser.Error {
	switch strings.ToLower(c.args[0]) {
	case "on":
		c.sc.vhost.SSLEngine = true
	case "off":
		c.sc.vhost.SSLEngine = false
	case "optional":
		c.warn(config.WarnCompat, "'SSLEngine optional' is no longer supported (by httpd either): TLS stays off here")
		c.sc.vhost.SSLEngine = false
	default:
		return c.errArg(0, "Argument must be On or Off")
	}
	c.ld.state(c.sc.vhost).sslEngineSet = true
	return nil
}

func setupSSLFile(name string, field func(*config.VHost) *string) func(c *cmd) *parser.Error {
	return func(c *cmd) *parser.Error {
		p := c.ld.serverRelative(c.args[0])
		if fi, err := hostStat(p); err != nil || fi.Size() == 0 {
			c.ld.hostProblem(c.errArg(0, "%s: file '%s' does not exist or is empty", name, p))
		}
		f := field(c.sc.vhost)
		if *f != "" {
			c.warn(config.WarnCompat, "%s given twice in one server: appserver uses the last one (%s) and not %s", name, p, *f)
		}
		*f = p
		return nil
	}
}

func setupUser(c *cmd) *parser.Error {
	name := c.args[0]
	if !strings.HasPrefix(name, "#") {
		if _, err := user.Lookup(name); err != nil {
			c.ld.hostProblem(c.errArg(0, "bad user name %s: create the user or name an existing one", name))
		}
	}
	c.ld.cfg.User = name
	return nil
}

func setupGroup(c *cmd) *parser.Error {
	name := c.args[0]
	if !strings.HasPrefix(name, "#") {
		if _, err := user.LookupGroup(name); err != nil {
			c.ld.hostProblem(c.errArg(0, "bad group name %s: create the group or name an existing one", name))
		}
	}
	c.ld.cfg.Group = name
	return nil
}

func setupAllowEncodedSlashes(c *cmd) *parser.Error {
	switch strings.ToLower(c.args[0]) {
	case "on":
		c.sc.vhost.AllowEncodedSlashes = "On"
	case "off":
		c.sc.vhost.AllowEncodedSlashes = "Off"
	case "nodecode":
		c.sc.vhost.AllowEncodedSlashes = "NoDecode"
	default:
		return c.errArg(0, "AllowEncodedSlashes must be On, Off, or NoDecode")
	}
	return nil
}

func setupError(c *cmd) *parser.Error {
	msg := strings.TrimSpace(c.d.Raw)
	if msg == "" {
		return c.err("The Error directive was used with no message.")
	}
	if len(msg) >= 2 && (msg[0] == '"' || msg[0] == '\'') && msg[len(msg)-1] == msg[0] {
		msg = msg[1 : len(msg)-1]
	}
	return c.err("%s", msg)
}

// atoiLint warns when httpd's atoi reads text that is not a plain number.
func (ld *loader) atoiLint(c *cmd, argIdx int, what, written, meant string) {
	if _, clean := parser.Atoi64(written); clean || c.sc.discard {
		return
	}
	ld.warn(c.argPos(argIdx), "lint", what+" "+written+" is read as "+meant+" (httpd reads only leading digits): write the number "+meant+" if that is what you mean")
}

// setupDirectoryIndex is mod_dir's add_index: names are added to the
// section's list (a second line appends), "disabled" alone clears it, and
// no name at all leaves an empty list. A name is tried in the requested
// directory; one starting with "/" is a URL that httpd looks up as a
// sub-request, which appserver does not do (skipped, with a warning).
func setupDirectoryIndex(c *cmd) *parser.Error {
	var names []string
	for w, _, r := parser.GetWord(c.d.Raw); w != ""; w, _, r = parser.GetWord(r) {
		names = append(names, w)
	}
	if c.sc.discard {
		return nil
	}
	list := c.sc.conf.DirectoryIndex
	if list == nil {
		list = []string{}
	}
	if len(names) == 1 && strings.EqualFold(names[0], "disabled") {
		list = list[:0]
		names = nil
	}
	for _, n := range names {
		if strings.HasPrefix(n, "/") {
			c.warn(config.WarnIgnored, "DirectoryIndex %s is skipped: appserver serves index files from the requested directory only, not URLs", n)
			continue
		}
		list = append(list, n)
	}
	c.sc.conf.DirectoryIndex = list
	return nil
}
