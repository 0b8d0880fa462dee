package load

import (
	"net"
	"strings"

	"github.com/appserver/appserver/parser"
	"github.com/appserver/appserver/server/config"
	"github.com/appserver/appserver/server/expr"
	"github.com/appserver/appserver/server/modules"
)

// sectionDef describes a section (container) appserver knows.
type sectionDef struct {
	name  string // canonical, without '<'
	where modules.Override
	run   func(ld *loader, sc *scope, d *parser.Directive, before []*parser.Directive)
}

// sectionNames lists the canonical names of every known section, for
// suggestions.
var sectionNames []string

var sectionDefs = map[string]*sectionDef{}

func addSection(defs ...*sectionDef) {
	for _, s := range defs {
		k := strings.ToLower(s.name)
		if _, dup := sectionDefs[k]; dup {
			panic("server: section registered twice: " + s.name)
		}
		sectionDefs[k] = s
		sectionNames = append(sectionNames, s.name)
	}
}

func init() {
	addSection(
		&sectionDef{name: "VirtualHost", where: modules.RsrcConf, run: (*loader).virtualHost},
		&sectionDef{name: "Location", where: modules.RsrcConf, run: dirSection(config.SectionLocation, false)},
		&sectionDef{name: "LocationMatch", where: modules.RsrcConf, run: dirSection(config.SectionLocationMatch, true)},
		&sectionDef{name: "Directory", where: modules.RsrcConf, run: dirSection(config.SectionDirectory, false)},
		&sectionDef{name: "DirectoryMatch", where: modules.RsrcConf, run: dirSection(config.SectionDirectoryMatch, true)},
		&sectionDef{name: "Files", where: modules.OrAll, run: dirSection(config.SectionFiles, false)},
		&sectionDef{name: "FilesMatch", where: modules.OrAll, run: dirSection(config.SectionFilesMatch, true)},
		&sectionDef{name: "If", where: modules.OrAll, run: ifSection},
		&sectionDef{name: "ElseIf", where: modules.OrAll, run: ifSection},
		&sectionDef{name: "Else", where: modules.OrAll, run: ifSection},
		&sectionDef{name: "Limit", where: modules.OrLimit | modules.OrAuthCfg, run: limitSection},
		&sectionDef{name: "LimitExcept", where: modules.OrLimit | modules.OrAuthCfg, run: limitSection},
		&sectionDef{name: "Proxy", where: modules.RsrcConf, run: proxySection},
		&sectionDef{name: "ProxyMatch", where: modules.RsrcConf, run: proxySection},
		&sectionDef{name: "RequireAll", where: modules.OrAuthCfg, run: requireSection(config.AuthzAll)},
		&sectionDef{name: "RequireAny", where: modules.OrAuthCfg, run: requireSection(config.AuthzAny)},
		&sectionDef{name: "RequireNone", where: modules.OrAuthCfg, run: requireSection(config.AuthzNone)},
		&sectionDef{name: "AuthnProviderAlias", where: modules.RsrcConf, run: ignoredSection("the aliased authentication provider is not defined")},
		&sectionDef{name: "AuthzProviderAlias", where: modules.RsrcConf, run: ignoredSection("the aliased authorization provider is not defined")},
		&sectionDef{name: "MDomain", where: modules.RsrcConf, run: ignoredSection("certificates are not obtained with ACME")},
		&sectionDef{name: "MDomainSet", where: modules.RsrcConf, run: ignoredSection("certificates are not obtained with ACME")},
	)
	for _, h := range []string{"PreTranslateName", "TranslateName", "Fixups", "MapToStorage", "CheckUserID", "TypeChecker", "AccessChecker", "AuthChecker"} {
		addSection(&sectionDef{name: "LuaHook" + h, where: modules.Anywhere, run: ignoredSection("the Lua hook does not run")})
	}
	addSection(&sectionDef{name: "LuaQuickHandler", where: modules.Anywhere, run: ignoredSection("the Lua handler does not run")})
	// Read-time conditionals are executed by the parser; should one reach
	// the walk (a tree built by hand), its body is spliced like httpd does
	// for a true branch.
	for _, n := range []string{"IfModule", "IfDefine", "IfVersion", "IfFile", "IfDirective", "IfSection"} {
		addSection(&sectionDef{name: n, where: modules.Anywhere, run: func(ld *loader, sc *scope, d *parser.Directive, _ []*parser.Directive) {
			ld.walkSpliced(sc, d.Body)
		}})
	}
}

// walkSpliced walks body as part of sc without closing sc's Require
// collection.
func (ld *loader) walkSpliced(sc *scope, body []*parser.Directive) {
	for i, d := range body {
		if d == nil {
			continue
		}
		if d.Section {
			ld.section(sc, d, body[:i])
			continue
		}
		ld.directive(sc, d)
	}
}

// section runs one section.
func (ld *loader) section(sc *scope, d *parser.Directive, before []*parser.Directive) {
	def := sectionDefs[strings.ToLower(d.Name)]
	if def == nil {
		ld.fail(&parser.Error{Pos: d.Pos, Msg: unknownCommand("<" + d.Name), IncludedFrom: d.IncludedFrom})
		return
	}
	if def.where&sc.override == 0 {
		ld.fail(secErr(d, overrideError("<"+def.name, sc)))
		return
	}
	def.run(ld, sc, d, before)
}

func secErr(d *parser.Directive, msg string) *parser.Error {
	return &parser.Error{Pos: d.Pos, Msg: msg, IncludedFrom: d.IncludedFrom}
}

// openerErrors returns httpd's errors for a section opener without '>' or
// (when needArgs) without arguments.
func openerErrors(d *parser.Directive, canonical string, needArgs bool) *parser.Error {
	if d.MissingGT {
		return secErr(d, "<"+canonical+"> directive missing closing '>'")
	}
	if needArgs && strings.TrimSpace(d.Raw) == "" && len(d.Args) == 0 {
		return secErr(d, "<"+canonical+"> directive requires additional arguments")
	}
	return nil
}

func (ld *loader) virtualHost(sc *scope, d *parser.Directive, _ []*parser.Directive) {
	if msg := contextError("<VirtualHost", sc, globalOnly); msg != "" {
		ld.fail(secErr(d, msg))
		return
	}
	if e := openerErrors(d, "VirtualHost", true); e != nil {
		ld.fail(e)
		return
	}
	vh := &config.VHost{Pos: d.Pos, Defaults: &config.DirConf{}, LogFormats: map[string]string{}}
	for i, a := range d.Args {
		if a.Value == "" {
			continue
		}
		addr, msg := parseVHostAddr(a.Value, ld.cfg.Main.Port)
		if msg != "" {
			ld.fail(&parser.Error{Pos: d.Args[i].Pos, Msg: msg, IncludedFrom: d.IncludedFrom})
			return
		}
		if addr.Host != "*" && net.ParseIP(addr.Host) == nil {
			ld.warn(d.Args[i].Pos, config.WarnCompat, "<VirtualHost> address "+a.Value+
				" is a host name: appserver does not resolve it, so the vhost is chosen by name only; write its IP address or * instead")
		}
		vh.Addrs = append(vh.Addrs, addr)
	}
	ld.cfg.VHosts = append(ld.cfg.VHosts, vh)
	ld.vhostState[vh] = &vhostState{own: vh.Defaults}
	child := &scope{kind: scopeVHost, parent: sc, sec: d, vhost: vh, conf: vh.Defaults, override: modules.ServerOverride}
	ld.walk(child, d.Body)
}

// parseVHostAddr parses one <VirtualHost> address as httpd's get_addresses
// does: host[:port], [v6][:port], *, _default_, port * for any port, a
// missing port meaning defaultPort.
func parseVHostAddr(text string, defaultPort int) (config.VHostAddr, string) {
	w := text
	wild := false
	if len(w) > 2 && strings.HasSuffix(w, ":*") {
		w = w[:len(w)-2]
		wild = true
	}
	host, port, ok := parser.ParseAddrPort(w)
	if !ok {
		return config.VHostAddr{}, "The address or port is invalid"
	}
	if host == "" {
		return config.VHostAddr{}, "Missing address for VirtualHost"
	}
	if port == 0 && !wild {
		port = defaultPort
	}
	if host == "*" || strings.EqualFold(host, "_default_") {
		host = "*"
	}
	return config.VHostAddr{Host: host, Port: port, Text: text}, ""
}

// dirSection returns the runner of a per-directory section.
func dirSection(baseKind config.SectionKind, isMatch bool) func(*loader, *scope, *parser.Directive, []*parser.Directive) {
	return func(ld *loader, sc *scope, d *parser.Directive, _ []*parser.Directive) {
		kind := baseKind // "~" turns it into the Match kind for this section only
		def := sectionDefs[strings.ToLower(d.Name)]
		canonical := def.name
		if kind == config.SectionFiles || kind == config.SectionFilesMatch {
			if msg := contextError("<"+canonical, sc, notInLocation|notInLimit); msg != "" {
				ld.fail(secErr(d, msg))
				return
			}
		}
		if e := openerErrors(d, canonical, true); e != nil {
			ld.fail(e)
			return
		}
		args := d.Values()
		path := ""
		if len(args) > 0 {
			path = args[0]
			args = args[1:]
		}
		regex := isMatch
		if !isMatch && path == "~" {
			regex = true
			path = ""
			if len(args) > 0 {
				path = args[0]
				args = args[1:]
			}
			switch kind {
			case config.SectionLocation:
				kind = config.SectionLocationMatch
			case config.SectionDirectory:
				kind = config.SectionDirectoryMatch
			case config.SectionFiles:
				kind = config.SectionFilesMatch
			}
		}
		if len(args) > 0 {
			ld.fail(secErr(d, "Multiple <"+canonical+"> arguments not (yet) supported."))
			return
		}
		sec := &config.Section{Pos: d.Pos, Kind: kind, Path: path, Conf: &config.DirConf{}}
		if regex {
			re, err := config.CompileRegexp(path)
			if err != nil {
				ld.fail(secErr(d, "Regex could not be compiled"))
				return
			}
			sec.Regex = re
		}
		var scKind scopeKind
		switch kind {
		case config.SectionLocation, config.SectionLocationMatch:
			scKind = scopeLocation
		case config.SectionDirectory, config.SectionDirectoryMatch:
			scKind = scopeDirectory
		default:
			scKind = scopeFiles
		}
		if !sc.discard {
			if sc.section != nil {
				sc.section.Nested = append(sc.section.Nested, sec)
			} else {
				sc.vhost.Sections = append(sc.vhost.Sections, sec)
			}
			ld.sections = append(ld.sections, &sectionInfo{sec: sec, vhost: sc.vhost, d: d})
		}
		child := sc.child(scKind, d)
		child.conf = sec.Conf
		child.section = sec
		child.override = modules.DirOverride
		child.require = nil
		ld.walk(child, d.Body)
	}
}

func ifSection(ld *loader, sc *scope, d *parser.Directive, before []*parser.Directive) {
	canonical := sectionDefs[strings.ToLower(d.Name)].name
	if e := openerErrors(d, canonical, canonical != "Else"); e != nil {
		ld.fail(e)
		return
	}
	if canonical == "Else" && len(d.Args) > 0 {
		ld.fail(secErr(d, "<Else> does not take an argument"))
		return
	}
	if canonical != "If" {
		prev := false
		for _, b := range before {
			if b != nil && b.Section && (b.Is("If") || b.Is("ElseIf")) {
				prev = true
			}
		}
		if !prev {
			ld.fail(secErr(d, "<Else> or <ElseIf> section without previous <If> or <ElseIf> section in same scope"))
			return
		}
	}
	cond := ifCondition(canonical, d, before)
	if !sc.discard {
		headers, others := countHeaderDirectives(d.Body)
		switch {
		case cond != nil && others == 0:
			// Only Header/RequestHeader inside: all of it applies.
		case cond != nil && headers > 0:
			ld.warn(d.Pos, config.WarnIgnored, "<"+canonical+"> is partly evaluated: its Header and RequestHeader directives apply when it matches; the other directives inside it never apply")
		default:
			ld.warn(d.Pos, config.WarnIgnored, "<"+canonical+"> is ignored: appserver does not evaluate request-time expressions, so the directives inside it never apply")
		}
	}
	walkDiscarded(ld, sc, scopeIf, d, cond)
}

// countHeaderDirectives counts the Header/RequestHeader directives of body
// (nested sections included) and the others.
func countHeaderDirectives(body []*parser.Directive) (headers, others int) {
	for _, b := range body {
		switch {
		case b == nil:
		case b.Section:
			h, o := countHeaderDirectives(b.Body)
			headers, others = headers+h, others+o+1
		case b.Is("Header") || b.Is("RequestHeader"):
			headers++
		default:
			others++
		}
	}
	return headers, others
}

// ifCondition is when the body of an <If>, <ElseIf> or <Else> applies: its
// own expression, and not those of the <If>/<ElseIf> just before it in the
// same scope. nil when one of them does not parse with package expr (the
// body then never applies, as before).
func ifCondition(canonical string, d *parser.Directive, before []*parser.Directive) *expr.Expr {
	var conds []*expr.Expr
	if canonical != "Else" {
		e := sectionExpr(d)
		if e == nil {
			return nil
		}
		conds = append(conds, e)
	}
	if canonical != "If" {
		for i := len(before) - 1; i >= 0; i-- {
			b := before[i]
			if b == nil || !b.Section || !(b.Is("If") || b.Is("ElseIf")) {
				continue
			}
			e := sectionExpr(b)
			if e == nil {
				return nil
			}
			conds = append(conds, expr.Not(e))
			if b.Is("If") {
				break
			}
		}
	}
	return expr.And(conds...)
}

// sectionExpr parses the expression of an <If> or <ElseIf> as core.c reads
// it: the text before '>', without its surrounding quotes.
func sectionExpr(d *parser.Directive) *expr.Expr {
	src := strings.TrimSpace(d.Raw)
	if len(src) >= 2 && (src[0] == '"' || src[0] == '\'') && src[len(src)-1] == src[0] {
		src = src[1 : len(src)-1]
	}
	e, err := expr.Parse(src)
	if err != nil || len(e.Unsupported()) > 0 {
		return nil
	}
	return e
}

// scratchVHost stands in for vh inside sections whose settings are thrown
// away, so that vhost-level side effects (Alias in a section) go nowhere.
func scratchVHost(vh *config.VHost) *config.VHost {
	return &config.VHost{IsMain: vh.IsMain, Name: vh.Name, Defaults: &config.DirConf{}, LogFormats: map[string]string{}}
}

func limitSection(ld *loader, sc *scope, d *parser.Directive, _ []*parser.Directive) {
	canonical := sectionDefs[strings.ToLower(d.Name)].name
	if e := openerErrors(d, canonical, true); e != nil {
		ld.fail(e)
		return
	}
	child := sc.child(scopeLimit, d)
	ld.walkSpliced(child, d.Body)
}

func proxySection(ld *loader, sc *scope, d *parser.Directive, _ []*parser.Directive) {
	canonical := sectionDefs[strings.ToLower(d.Name)].name
	if e := openerErrors(d, canonical, false); e != nil {
		ld.fail(e)
		return
	}
	if !sc.discard {
		if proxyRestricts(d.Body) {
			// Fail closed: what the section would restrict is refused.
			if sc.vhost.Proxy == nil {
				sc.vhost.Proxy = &config.ProxyServer{}
			}
			sc.vhost.Proxy.Unevaluated = append(sc.vhost.Proxy.Unevaluated, d.Pos)
			ld.warn(d.Pos, config.WarnIgnored, "<"+canonical+"> is not evaluated: it restricts access, so every proxied request of this server is refused (403); put the access rules in a <Location> instead")
		} else {
			ld.warn(d.Pos, config.WarnIgnored, "<"+canonical+"> is ignored: appserver does not evaluate <Proxy> sections (this one grants access only, which proxied requests have anyway)")
		}
	}
	walkDiscarded(ld, sc, scopeProxy, d, nil)
}

// proxyRestricts reports whether a <Proxy> body could refuse a request:
// anything about access except "Require all granted" and "Allow from all"
// (with an Order) counts.
func proxyRestricts(body []*parser.Directive) bool {
	allowAll := false
	for _, d := range body {
		if strings.EqualFold(d.Name, "Allow") && strings.EqualFold(strings.Join(strings.Fields(d.Raw), " "), "from all") {
			allowAll = true
		}
	}
	for _, d := range body {
		raw := strings.ToLower(strings.Join(strings.Fields(d.Raw), " "))
		switch name := strings.ToLower(d.Name); {
		case name == "require" && raw == "all granted":
		case name == "allow" && raw == "from all":
		case name == "order" && allowAll:
		case d.Body != nil && proxyRestricts(d.Body) || d.Body == nil && accessDirectiveNames[name]:
			return true
		}
	}
	return false
}

// accessDirectiveNames are the directives that can refuse a request.
var accessDirectiveNames = map[string]bool{
	"require": true, "allow": true, "deny": true, "order": true, "satisfy": true, "allowmethods": true,
	"authtype": true, "authname": true, "authuserfile": true, "authgroupfile": true, "authbasicprovider": true,
	"sslrequire": true, "sslrequiressl": true, "sslverifyclient": true, "wsgiaccessscript": true,
	"rewriterule": true, "authmerging": true,
}

// walkDiscarded checks the body of a section whose settings never apply
// (<If>, <Proxy>): every directive is validated, nothing is kept.
func walkDiscarded(ld *loader, sc *scope, kind scopeKind, d *parser.Directive, cond *expr.Expr) {
	child := sc.child(kind, d)
	child.ifCond = cond
	child.override = modules.DirOverride
	child.discard = true
	child.conf = &config.DirConf{}
	child.vhost = scratchVHost(sc.vhost)
	child.section = nil
	child.require = nil
	ld.walk(child, d.Body)
}

func ignoredSection(loss string) func(*loader, *scope, *parser.Directive, []*parser.Directive) {
	return func(ld *loader, sc *scope, d *parser.Directive, _ []*parser.Directive) {
		canonical := sectionDefs[strings.ToLower(d.Name)].name
		if e := openerErrors(d, canonical, false); e != nil {
			ld.fail(e)
			return
		}
		if !sc.discard {
			ld.warn(d.Pos, config.WarnIgnored, "<"+canonical+"> is ignored: "+loss)
		}
	}
}
