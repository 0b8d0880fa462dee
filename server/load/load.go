package load

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/appserver/appserver/daemon"
	"github.com/appserver/appserver/parser"
	"github.com/appserver/appserver/server/config"
	"github.com/appserver/appserver/server/expr"
	"github.com/appserver/appserver/server/modules"
)

// Options control Load.
type Options struct {
	// Defines are the -D NAME switches.
	Defines []string
	// NoHostChecks turns problems that depend on this host (unknown users,
	// missing files and folders) into warnings of Kind "host", for checking a
	// config away from the machine it is meant for.
	NoHostChecks bool
	// LookupEnv reads the environment for ${VAR} and PassEnv. Nil means
	// os.LookupEnv.
	LookupEnv func(string) (string, bool)
	// ReadFile reads config files. Nil means os.ReadFile.
	ReadFile func(string) ([]byte, error)
	// Envvars is an apache2ctl envvars file whose variables ${VAR} sees
	// before the environment ("" = none).
	Envvars string
}

// Load reads the Apache config at path and everything it includes, and
// turns it into a Config the way httpd + mod_wsgi would: every directive is
// checked for context and arity with httpd's own messages, mod_wsgi's
// directives get their mod_wsgi meaning, other real Apache directives are
// recognised and ignored with a warning, and the result is linted.
//
// The error, when not nil, is a parser.ErrorList with every error found
// (read errors and directive errors), each "file:line:col: message". The
// Config is returned even then, as far as it could be built, so that callers
// can show the warnings too.
func File(path string, opts Options) (*config.Config, error) {
	var envvars map[string]string
	if opts.Envvars != "" {
		vars, err := ReadEnvvars(opts.Envvars)
		if err != nil {
			return nil, parser.ErrorList{{Pos: parser.Position{Filename: opts.Envvars, Line: 1, Column: 1},
				Msg: err.Error(), Hint: "fix the file, or name another with --envvars"}}
		}
		envvars = vars
		lookup := opts.LookupEnv
		if lookup == nil {
			lookup = os.LookupEnv
		}
		opts.LookupEnv = func(name string) (string, bool) {
			if v, ok := envvars[name]; ok {
				return v, true
			}
			return lookup(name)
		}
	}
	popts := parser.Options{
		Defines:      opts.Defines,
		LookupEnv:    opts.LookupEnv,
		NoHostChecks: opts.NoHostChecks,
		ReadFile:     opts.ReadFile,
		IsDirective:  implemented,
		Provided:     modules.Provided,
		Static:       modules.Static,
	}
	tree, err := parser.ReadFile(path, popts)
	var errs parser.ErrorList
	if err != nil {
		var list parser.ErrorList
		if errors.As(err, &list) {
			errs = append(errs, list...)
		} else {
			errs = append(errs, &parser.Error{Pos: parser.Position{Filename: path, Line: 1, Column: 1}, Msg: err.Error()})
		}
	}
	var cfg *config.Config
	if tree != nil {
		var walkErrs parser.ErrorList
		cfg, walkErrs = loadTree(tree, opts)
		errs = append(errs, walkErrs...)
		cfg.Envvars = opts.Envvars
	}
	if len(errs) > 0 {
		return cfg, errs
	}
	if cfg == nil {
		return nil, parser.ErrorList{{Pos: parser.Position{Filename: path, Line: 1, Column: 1}, Msg: "the config could not be read"}}
	}
	return cfg, nil
}

// loadTree walks a read config. It is Load minus the reading, so tests can
// feed hand-built trees.
func loadTree(tree *parser.Config, opts Options) (*config.Config, parser.ErrorList) {
	ld := newLoader(tree, opts)
	for _, w := range tree.Warnings {
		switch w.Kind {
		case parser.WarnUndefinedVar:
			ld.undefinedVar(w.Pos, w.Var)
		case parser.WarnHost:
			ld.warn(w.Pos, config.WarnHost, w.Msg)
		case parser.WarnCompat:
			ld.warn(w.Pos, config.WarnCompat, w.Msg)
		default:
			ld.warn(w.Pos, config.WarnLint, w.Msg)
		}
	}
	ld.walk(ld.top, tree.Root)
	ld.finish()
	return ld.cfg, ld.errs
}

// loader is the state of one walk over the tree.
type loader struct {
	opts      Options
	lookupEnv func(string) (string, bool)
	cfg       *config.Config
	errs      parser.ErrorList
	top       *scope

	// groups are the WSGIDaemonProcess groups defined so far, by name.
	groups map[string]*groupDef
	// vhostState keeps per-vhost facts the Config has no field for.
	vhostState map[*config.VHost]*vhostState
	// routes records literal process-group names requests can be sent to,
	// for the "group nobody routes to" lint.
	routes []groupRef
	// sections are the per-directory sections in file order, for the
	// Location lints.
	sections []*sectionInfo
	// files are the config files in reading order.
	files []string
	// undefinedLines are the lines with an undefined ${NAME}.
	undefinedLines map[lineKey]bool
}

// groupDef is a WSGIDaemonProcess definition and where it was made.
type groupDef struct {
	spec  *daemon.Spec
	pos   parser.Position
	vhost *config.VHost
}

// groupRef is a literal process-group name used by a directive.
type groupRef struct {
	name  string
	pos   parser.Position
	vhost *config.VHost
	what  string // "WSGIProcessGroup", "process-group="
}

// vhostState holds what the walk needs to know about a server beyond its
// VHost fields.
type vhostState struct {
	sslEngineSet bool
	logLevelSet  bool
	own          *config.DirConf // directives written at vhost top level
}

// state returns the walk state of vh, creating it for servers the walk
// made up (the scratch servers of <If> and <Proxy>).
func (ld *loader) state(vh *config.VHost) *vhostState {
	st := ld.vhostState[vh]
	if st == nil {
		st = &vhostState{own: vh.Defaults}
		ld.vhostState[vh] = st
	}
	return st
}

// sectionInfo is a per-directory section with where it was written.
type sectionInfo struct {
	sec   *config.Section
	vhost *config.VHost
	d     *parser.Directive
}

func newLoader(tree *parser.Config, opts Options) *loader {
	ld := &loader{
		opts:       opts,
		lookupEnv:  opts.LookupEnv,
		groups:     map[string]*groupDef{},
		vhostState: map[*config.VHost]*vhostState{},
		files:      tree.Files,
	}
	if ld.lookupEnv == nil {
		ld.lookupEnv = os.LookupEnv
	}
	main := &config.VHost{IsMain: true, Defaults: &config.DirConf{}, LogFormats: map[string]string{}}
	ld.vhostState[main] = &vhostState{own: main.Defaults}
	ld.cfg = &config.Config{File: tree.File, ServerRoot: tree.ServerRoot, Main: main}
	ld.top = &scope{kind: scopeServer, vhost: main, conf: main.Defaults, override: modules.ServerOverride}
	return ld
}

func (ld *loader) warn(pos parser.Position, kind config.WarningKind, msg string) {
	ld.cfg.Warnings = append(ld.cfg.Warnings, config.Warning{Pos: pos, Msg: msg, Kind: kind})
}

func (ld *loader) fail(e *parser.Error) {
	if e != nil && !ld.followsUndefinedVar(e) {
		ld.errs = append(ld.errs, e)
	}
}

// undefinedVar reports a ${NAME} that neither Define nor the environment
// sets. httpd only warns and keeps "${NAME}" as written, which then fails
// far from its cause (a folder '/etc/apache2/${APACHE_LOG_DIR}', a user
// '${APACHE_RUN_USER}', a script path that answers 500 for every
// request), so appserver refuses it; under NoHostChecks it is a host
// warning, as the variable may be set where the config runs.
func (ld *loader) undefinedVar(pos parser.Position, name string) {
	msg := "Config variable ${" + name + "} is not defined"
	if ld.undefinedLines == nil {
		ld.undefinedLines = map[lineKey]bool{}
	}
	ld.undefinedLines[lineKey{pos.Filename, pos.Line}] = true
	hint := "define it with Define " + name + " VALUE before this line, or set it in appserver's environment"
	switch {
	case strings.HasPrefix(name, "APACHE_") && ld.opts.Envvars == "":
		hint = "Debian's apache2ctl sets APACHE_* variables from the envvars file (/etc/apache2/envvars): " +
			"appserver reads the one next to the config, or --envvars FILE; or " + hint
	case ld.opts.Envvars != "":
		hint = ld.opts.Envvars + " does not set it either; " + hint
	}
	if ld.opts.NoHostChecks {
		ld.warn(pos, config.WarnHost, msg+" on this host: "+hint)
		return
	}
	ld.errs = append(ld.errs, &parser.Error{Pos: pos, Msg: msg, Hint: hint})
}

type lineKey struct {
	file string
	line int
}

// followsUndefinedVar reports whether e is about a value that still holds
// an undefined "${NAME}": the error on that variable says it better.
func (ld *loader) followsUndefinedVar(e *parser.Error) bool {
	return strings.Contains(e.Msg, "${") && ld.undefinedLines[lineKey{e.Pos.Filename, e.Pos.Line}]
}

// hostProblem reports a problem that depends on this machine: an error, or
// a "host" warning under NoHostChecks.
func (ld *loader) hostProblem(e *parser.Error) {
	if e == nil || ld.followsUndefinedVar(e) {
		return
	}
	if ld.opts.NoHostChecks {
		ld.warn(e.Pos, config.WarnHost, e.Msg)
		return
	}
	ld.fail(e)
}

// serverRelative resolves p against ServerRoot as ap_server_root_relative
// does; pipes and syslog targets are left alone by callers.
func (ld *loader) serverRelative(p string) string {
	if p == "" || filepath.IsAbs(p) || ld.cfg.ServerRoot == "" {
		return p
	}
	return filepath.Join(ld.cfg.ServerRoot, p)
}

// scopeKind tells what kind of place a directive is in.
type scopeKind int

const (
	scopeServer scopeKind = iota
	scopeVHost
	scopeDirectory // <Directory>, <DirectoryMatch>
	scopeLocation  // <Location>, <LocationMatch>
	scopeFiles     // <Files>, <FilesMatch>
	scopeIf        // <If>, <ElseIf>, <Else>
	scopeLimit     // <Limit>, <LimitExcept>
	scopeProxy     // <Proxy>, <ProxyMatch>
	scopeRequire   // <RequireAll>, <RequireAny>, <RequireNone>
)

// scope is one level of the walk.
type scope struct {
	kind   scopeKind
	parent *scope
	// sec is the section that opened this scope (nil at top level). Its
	// name as written is what httpd's messages show.
	sec      *parser.Directive
	vhost    *config.VHost
	conf     *config.DirConf // where per-directory settings go
	section  *config.Section // the Directory/Location/Files section, if any
	override modules.Override
	// discard is set inside sections appserver does not evaluate (<If>,
	// <Proxy>): directives are checked but their settings go nowhere.
	discard bool
	// require collects the Require lines of this scope (see require.go
	// logic in directives_core.go).
	require *requireNode
	// rewriteConds are the RewriteCond lines waiting for their RewriteRule.
	rewriteConds []*config.RewriteCondition
	// ifCond is, for an <If>/<ElseIf>/<Else> scope, when its body applies
	// (its expression, and not those of the branches before it); nil when
	// appserver cannot evaluate it. Header and RequestHeader use it.
	ifCond *expr.Expr
}

// limited reports whether the scope is inside <Limit>/<LimitExcept>.
func (sc *scope) limited() bool {
	for s := sc; s != nil; s = s.parent {
		if s.kind == scopeLimit {
			return true
		}
	}
	return false
}

// dirPath reports whether the scope is a per-directory one (httpd's
// cmd->path != NULL).
func (sc *scope) dirPath() bool {
	for s := sc; s != nil; s = s.parent {
		switch s.kind {
		case scopeDirectory, scopeLocation, scopeFiles, scopeIf, scopeProxy:
			return true
		}
	}
	return false
}

// findParent returns the nearest enclosing section whose lower-cased name
// is one of names.
func (sc *scope) findParent(names ...string) *parser.Directive {
	for s := sc; s != nil; s = s.parent {
		if s.sec == nil {
			continue
		}
		n := strings.ToLower(s.sec.Name)
		for _, want := range names {
			if n == want {
				return s.sec
			}
		}
	}
	return nil
}

// child returns a new scope nested in sc.
func (sc *scope) child(kind scopeKind, sec *parser.Directive) *scope {
	return &scope{
		kind:     kind,
		parent:   sc,
		sec:      sec,
		vhost:    sc.vhost,
		conf:     sc.conf,
		section:  sc.section,
		override: sc.override,
		discard:  sc.discard,
	}
}

// walk runs every directive and section of body in scope sc.
func (ld *loader) walk(sc *scope, body []*parser.Directive) {
	ld.walkSpliced(sc, body)
	ld.finishRequire(sc)
}

// directive runs one plain directive.
func (ld *loader) directive(sc *scope, d *parser.Directive) {
	key := strings.ToLower(d.Name)
	if def := directives[key]; def != nil {
		ld.run(sc, d, def)
		return
	}
	if ig := modules.IgnoredByName[key]; ig != nil {
		ld.ignored(sc, d, ig)
		return
	}
	if ig := modules.ThirdPartyByPrefix(key, d.Name); ig != nil {
		ld.ignored(sc, d, ig)
		return
	}
	ld.fail(&parser.Error{Pos: d.Pos, Msg: unknownCommand(d.Name), IncludedFrom: d.IncludedFrom})
}

// run checks context and arity the way httpd's invoke_cmd does, then calls
// the directive's setup.
func (ld *loader) run(sc *scope, d *parser.Directive, def *directiveDef) {
	c := &cmd{ld: ld, d: d, def: def, sc: sc}
	if def.where&sc.override == 0 {
		ld.fail(c.err("%s", overrideError(def.name, sc)))
		return
	}
	if def.arity != rawArgs {
		args := d.Values()
		if msg := arityError(def, args); msg != "" {
			ld.fail(c.err("%s", msg))
			return
		}
		c.args = trimArgs(def.arity, args)
	}
	if def.forbid != 0 {
		if e := c.check(def.forbid); e != nil {
			ld.fail(e)
			return
		}
	}
	if def.setup != nil {
		ld.fail(def.setup(c))
	}
}

// ignored handles a real Apache directive appserver does not implement.
func (ld *loader) ignored(sc *scope, d *parser.Directive, ig *modules.IgnoredDef) {
	if ig.Where&sc.override == 0 {
		ld.fail(&parser.Error{Pos: d.Pos, Msg: overrideError(ig.Name, sc), IncludedFrom: d.IncludedFrom})
		return
	}
	if ig.GlobalOnly {
		if msg := contextError(ig.Name, sc, globalOnly); msg != "" {
			ld.fail(&parser.Error{Pos: d.Pos, Msg: msg, IncludedFrom: d.IncludedFrom})
			return
		}
	}
	if sc.discard {
		return
	}
	ld.warn(d.Pos, ignoredKind(ig.Name), ig.Name+" is ignored: "+ig.Loss())
}

// ignoredKind is the warning kind of an ignored directive: tuning when
// nothing a client sees depends on it.
func ignoredKind(name string) config.WarningKind {
	if modules.Tuning(name) {
		return config.WarnTuning
	}
	return config.WarnIgnored
}

// finish runs what httpd does after reading (ap_fixup_virtual_hosts) and
// the lint.
func (ld *loader) finish() {
	cfg := ld.cfg
	main := cfg.Main
	for _, vh := range cfg.VHosts {
		st := ld.state(vh)
		inheritServer(vh, main, st)
		vh.Defaults = config.MergeDirConf(main.Defaults, st.own)
	}
	for _, group := range cfg.Groups {
		g := group.Spec
		def := ld.groups[g.Name]
		if g.SocketTimeout == 0 {
			// mod_wsgi: socket-timeout 0 means the Timeout of the server
			// the group is defined in (httpd's default is 60 s).
			timeout := 60
			if def != nil && def.vhost != nil && def.vhost.Timeout != nil {
				timeout = *def.vhost.Timeout
			} else if main.Timeout != nil {
				timeout = *main.Timeout
			}
			g.SocketTimeout = time.Duration(timeout) * time.Second
		}
		if group.VHost != "" || def == nil || def.vhost == nil || def.vhost.IsMain {
			continue
		}
		// A vhost without ServerName is named after the main server once
		// httpd fixes the vhosts up, which is the name mod_wsgi compares
		// at request time.
		group.VHost = main.Name
	}
	ld.lint()
	ld.sortWarnings()
}

// sortWarnings orders warnings by where they point (files in reading
// order), so that lint findings sit among the others.
func (ld *loader) sortWarnings() {
	order := map[string]int{}
	for i, f := range ld.files {
		order[f] = i
	}
	idx := func(f string) int {
		if i, ok := order[f]; ok {
			return i
		}
		return len(order)
	}
	sort.SliceStable(ld.cfg.Warnings, func(i, j int) bool {
		a, b := ld.cfg.Warnings[i].Pos, ld.cfg.Warnings[j].Pos
		if fa, fb := idx(a.Filename), idx(b.Filename); fa != fb {
			return fa < fb
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
}

// inheritServer gives vh the server-level settings it did not set itself
// (§7.4 of the Apache reference: merge_server_config of core, http_core,
// mod_log_config, mod_ssl).
func inheritServer(vh, main *config.VHost, st *vhostState) {
	if vh.Timeout == nil {
		vh.Timeout = main.Timeout
	}
	if vh.KeepAlive == nil {
		vh.KeepAlive = main.KeepAlive
	}
	if vh.KeepAliveTimeout == nil {
		vh.KeepAliveTimeout = main.KeepAliveTimeout
	}
	if vh.MaxKeepAliveRequests == nil {
		vh.MaxKeepAliveRequests = main.MaxKeepAliveRequests
	}
	if vh.LimitRequestLine == nil {
		vh.LimitRequestLine = main.LimitRequestLine
	}
	if vh.LimitRequestFieldSize == nil {
		vh.LimitRequestFieldSize = main.LimitRequestFieldSize
	}
	if vh.LimitRequestFields == nil {
		vh.LimitRequestFields = main.LimitRequestFields
	}
	if vh.ErrorLog == "" {
		vh.ErrorLog = main.ErrorLog
	}
	// mod_log_config: a vhost with no CustomLog of its own logs where the
	// main server does.
	if vh.CustomLogs == nil {
		vh.CustomLogs = append([]config.CustomLog(nil), main.CustomLogs...)
	}
	formats := make(map[string]string, len(main.LogFormats)+len(vh.LogFormats))
	for k, v := range main.LogFormats {
		formats[k] = v
	}
	for k, v := range vh.LogFormats {
		formats[k] = v
	}
	vh.LogFormats = formats
	if !st.logLevelSet {
		vh.LogLevel = main.LogLevel
	}
	// mod_ssl merges SSLEngine and the certificate files too, which is why
	// "SSLEngine on" in the main server turns TLS on in every vhost.
	if !st.sslEngineSet {
		vh.SSLEngine = main.SSLEngine
	}
	if vh.SSLCertificateFile == "" {
		vh.SSLCertificateFile = main.SSLCertificateFile
	}
	if vh.SSLCertificateKeyFile == "" {
		vh.SSLCertificateKeyFile = main.SSLCertificateKeyFile
	}
	vh.TLS = config.MergeTLS(main.TLS, vh.TLS)
	if vh.MergeSlashes == nil {
		vh.MergeSlashes = main.MergeSlashes
	}
	if vh.AllowEncodedSlashes == "" {
		vh.AllowEncodedSlashes = main.AllowEncodedSlashes
	}
	if vh.DocumentRoot == "" {
		vh.DocumentRoot = main.DocumentRoot
	}
}

// hostStat is os.Stat, named for what the loader uses it for: host checks.
func hostStat(p string) (os.FileInfo, error) { return os.Stat(p) }

// hostFileExists reports whether p names an existing file.
func hostFileExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir()
}

// hostDirExists reports whether p names an existing directory.
func hostDirExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// implemented answers <IfDirective name> and <IfSection name> (asked as
// "<name"): true for the directives and sections appserver gives meaning to,
// as httpd answers for those of its loaded modules.
func implemented(name string) bool {
	if strings.HasPrefix(name, "<") {
		_, ok := sectionDefs[strings.ToLower(name[1:])]
		return ok
	}
	k := strings.ToLower(name)
	_, ok := directives[k]
	// RewriteRule/RewriteCond are read only for refusals; mod_rewrite is
	// not there.
	return ok && k != "rewriterule" && k != "rewritecond"
}
