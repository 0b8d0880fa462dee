package load

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/appserver/appserver/parser"
	"github.com/appserver/appserver/server/config"
	"github.com/appserver/appserver/server/modules"
)

// mod_rewrite and mod_alias's redirects: the directives are typed here with
// mod_rewrite.c's and mod_alias.c's messages; package route evaluates them.

func init() {
	directives.add(
		&directiveDef{name: "RewriteEngine", module: "mod_rewrite.c", where: modules.Anywhere, arity: argFlag,
			help: "On or Off to enable or disable (default) the whole rewriting engine", setup: setupRewriteEngine},
		&directiveDef{name: "RewriteOptions", module: "mod_rewrite.c", where: modules.Anywhere, arity: iterate,
			help: "List of option strings to set", setup: setupRewriteOptions},
		&directiveDef{name: "RewriteBase", module: "mod_rewrite.c", where: modules.Anywhere, arity: take1,
			help: "the base URL of the per-directory context", setup: setupRewriteBase},
		&directiveDef{name: "RewriteCond", module: "mod_rewrite.c", where: modules.Anywhere, arity: rawArgs,
			help: "an input string and a to be applied regexp-pattern", setup: setupRewriteCond},
		&directiveDef{name: "RewriteRule", module: "mod_rewrite.c", where: modules.Anywhere, arity: rawArgs,
			help: "an URL-applied regexp-pattern and a substitution URL", setup: setupRewriteRule},
		&directiveDef{name: "RewriteMap", module: "mod_rewrite.c", where: modules.RsrcConf, arity: take23,
			help: "a mapname and a filename and options", setup: setupRewriteMap},
		&directiveDef{name: "Redirect", module: "mod_alias.c", where: modules.Anywhere, arity: take123,
			help: "an optional status, then document to be redirected and destination URL", setup: setupRedirect},
		&directiveDef{name: "RedirectMatch", module: "mod_alias.c", where: modules.Anywhere, arity: take23,
			help: "an optional status, then a regular expression and destination URL", setup: setupRedirect},
		&directiveDef{name: "RedirectTemp", module: "mod_alias.c", where: modules.Anywhere, arity: take2,
			help: "a document to be redirected, then the destination URL", setup: setupRedirect},
		&directiveDef{name: "RedirectPermanent", module: "mod_alias.c", where: modules.Anywhere, arity: take2,
			help: "a document to be redirected, then the destination URL", setup: setupRedirect},
	)
}

// rewriteServer is the server config of the scope's server, created on
// first use (httpd creates it with the first mod_rewrite directive).
func (c *cmd) rewriteServer() *config.RewriteServer {
	vh := c.sc.vhost
	if vh.Rewrite == nil {
		vh.Rewrite = &config.RewriteServer{Maps: map[string]*config.RewriteMap{}}
	}
	return vh.Rewrite
}

// rewriteDir is the per-directory config of the scope, created on first
// use; Directory is the section's path with a trailing '/'.
func (c *cmd) rewriteDir() *config.RewriteDir {
	c.rewriteServer() // a directive in a vhost's section gives the vhost a config too
	if c.sc.conf.Rewrite == nil {
		rd := &config.RewriteDir{}
		if c.sc.dirPath() && c.sc.section != nil {
			p := c.sc.section.Path
			if c.sc.section.Kind == config.SectionDirectory {
				p = cleanDirPath(p)
			}
			if !strings.HasSuffix(p, "/") {
				p += "/"
			}
			rd.Directory = p
		}
		c.sc.conf.Rewrite = rd
	}
	return c.sc.conf.Rewrite
}

// cleanDirPath is the canonical form httpd gives a <Directory> path
// (apr_filepath_merge: no "." or ".." segments, no slash runs).
func cleanDirPath(p string) string {
	var segs []string
	for _, s := range strings.Split(p, "/") {
		switch s {
		case "", ".":
		case "..":
			if len(segs) > 0 {
				segs = segs[:len(segs)-1]
			}
		default:
			segs = append(segs, s)
		}
	}
	return "/" + strings.Join(segs, "/")
}

func setupRewriteEngine(c *cmd) *parser.Error {
	if c.sc.discard {
		return nil
	}
	on := strings.EqualFold(c.args[0], "on")
	if !c.sc.dirPath() {
		s := c.rewriteServer()
		s.Engine, s.EngineSet = on, true
	}
	d := c.rewriteDir()
	d.Engine, d.EngineSet = on, true
	return nil
}

var rewriteOptionNames = map[string]config.RewriteOption{
	"inherit": config.RewriteInherit, "inheritbefore": config.RewriteInheritBefore,
	"inheritdown": config.RewriteInheritDown, "inheritdownbefore": config.RewriteInheritDownBefore,
	"ignoreinherit": config.RewriteIgnoreInherit, "allownoslash": config.RewriteAllowNoSlash,
	"allowanyuri": config.RewriteAllowAnyURI, "mergebase": config.RewriteMergeBase,
	"ignorecontextinfo": config.RewriteIgnoreContextInfo, "legacyprefixdocroot": config.RewriteLegacyPrefixDocRoot,
	"longurloptimization": config.RewriteLongURLOptimization,
}

func setupRewriteOptions(c *cmd) *parser.Error {
	var opts config.RewriteOption
	for _, a := range c.args {
		// ITERATE hands each word over; one quoted word may hold several.
		for _, w := range strings.Fields(a) {
			if o, ok := rewriteOptionNames[strings.ToLower(w)]; ok {
				opts |= o
				continue
			}
			if len(w) >= 13 && strings.EqualFold(w[:13], "MaxRedirects=") {
				c.warn(config.WarnLint, "RewriteOptions: MaxRedirects option has been removed in favor of the global LimitInternalRecursion directive and will be ignored.")
				continue
			}
			return c.err("RewriteOptions: unknown option '%s'", w)
		}
	}
	if c.sc.discard {
		return nil
	}
	if !c.sc.dirPath() {
		s := c.rewriteServer()
		s.Options |= opts
		s.OptionsSet = true
	}
	d := c.rewriteDir()
	d.Options |= opts
	d.OptionsSet = true
	return nil
}

func setupRewriteBase(c *cmd) *parser.Error {
	a := c.args[0]
	switch {
	case !c.sc.dirPath():
		return c.err("RewriteBase: only valid in per-directory config files")
	case a == "":
		return c.err("RewriteBase: empty URL not allowed")
	case a[0] != '/':
		return c.err("RewriteBase: argument is not a valid URL")
	}
	if !c.sc.discard {
		d := c.rewriteDir()
		d.Base, d.BaseSet = a, true
	}
	return nil
}

// parseRewriteArgs is mod_rewrite's own argument splitter (parseargline):
// up to three words, each optionally quoted, with "\ " keeping a space.
// ok is false when there are fewer than two.
func parseRewriteArgs(s string) (a []string, _ string, ok bool) {
	i := 0
	word := func() (string, bool) {
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		var quote byte
		if i < len(s) && (s[i] == '"' || s[i] == '\'') {
			quote = s[i]
			i++
		}
		start := i
		for ; i < len(s); i++ {
			if (isSpace(s[i]) && quote == 0) || (quote != 0 && s[i] == quote) {
				break
			}
			if s[i] == '\\' && i+1 < len(s) && isSpace(s[i+1]) {
				i++
			}
		}
		w := s[start:i]
		ended := i >= len(s)
		if !ended {
			i++ // the terminator
		}
		return w, ended
	}
	w1, end := word()
	if end {
		return []string{w1}, "", false
	}
	w2, end := word()
	a = []string{w1, w2}
	if end {
		return a, "", true
	}
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	if i >= len(s) {
		return a, "", true
	}
	w3, _ := word()
	// httpd 2.4's parser ignores anything after the third word; the flag
	// parser checks the brackets.
	return append(a, w3), "", true
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// rewriteFlags splits "[a,b=c]" as cmd_parseflagfield does and calls set
// for each flag.
func rewriteFlags(field string, set func(key, val string) string) string {
	if len(field) < 2 || field[0] != '[' || field[len(field)-1] != ']' {
		return "bad flag delimiters"
	}
	for _, f := range strings.Split(field[1:len(field)-1], ",") {
		f = strings.TrimLeft(f, " \t")
		if f == "" {
			continue
		}
		f = strings.TrimRight(f, " \t")
		key, val, _ := strings.Cut(f, "=")
		if err := set(key, val); err != "" {
			return err
		}
	}
	return ""
}

func setupRewriteCond(c *cmd) *parser.Error {
	a, _, ok := parseRewriteArgs(c.d.Raw)
	if !ok {
		return c.err("RewriteCond: bad argument line '%s'", strings.TrimSpace(c.d.Raw))
	}
	cd := &config.RewriteCondition{Pos: c.d.Pos, Input: a[0]}
	if len(a) == 3 {
		if err := rewriteFlags(a[2], func(key, _ string) string {
			switch strings.ToLower(key) {
			case "nocase", "nc":
				cd.NoCase = true
			case "ornext", "or":
				cd.OrNext = true
			case "novary", "nv":
				cd.NoVary = true
			default:
				return "unknown flag '" + key + "'"
			}
			return ""
		}); err != "" {
			return c.err("RewriteCond: %s", err)
		}
	}
	p := a[1]
	if strings.HasPrefix(p, "!") {
		cd.Not = true
		p = p[1:]
	}
	cd.Kind = config.CondRegex
	if strings.EqualFold(a[0], "expr") {
		cd.Kind = config.CondExpr
	} else if len(p) >= 2 {
		if p[0] == '-' {
			if len(p) == 2 {
				switch p[1] {
				case 'f':
					cd.Kind = config.CondFileExists
				case 's':
					cd.Kind = config.CondFileSize
				case 'd':
					cd.Kind = config.CondFileDir
				case 'x':
					cd.Kind = config.CondFileExec
				case 'h', 'L', 'l':
					cd.Kind = config.CondFileLink
				case 'U':
					cd.Kind = config.CondLookupURL
				case 'F':
					cd.Kind = config.CondLookupFile
				}
			} else if len(p) >= 4 {
				switch p[1:3] {
				case "lt":
					cd.Kind, p = config.CondIntLT, p[3:]
				case "le":
					cd.Kind, p = config.CondIntLE, p[3:]
				case "gt":
					cd.Kind, p = config.CondIntGT, p[3:]
				case "ge":
					cd.Kind, p = config.CondIntGE, p[3:]
				case "eq":
					cd.Kind, p = config.CondIntEQ, p[3:]
				case "ne":
					cd.Kind, p = config.CondIntEQ, p[3:]
					cd.Not = !cd.Not
				}
			}
		} else {
			switch p[0] {
			case '>':
				if p[1] == '=' {
					cd.Kind, p = config.CondStrGE, p[2:]
				} else {
					cd.Kind, p = config.CondStrGT, p[1:]
				}
			case '<':
				if p[1] == '=' {
					cd.Kind, p = config.CondStrLE, p[2:]
				} else {
					cd.Kind, p = config.CondStrLT, p[1:]
				}
			case '=':
				cd.Kind, p = config.CondStrEQ, p[1:]
				if p == `""` {
					p = ""
				}
			}
		}
	}
	if cd.Kind != config.CondRegex && (cd.Kind < config.CondStrLT || cd.Kind > config.CondStrGE) && cd.NoCase {
		c.warn(config.WarnLint, "RewriteCond: NoCase option for non-regex pattern '%s' is not supported and will be ignored.", p)
		cd.NoCase = false
	}
	cd.Pattern = p
	switch cd.Kind {
	case config.CondRegex:
		src := p
		if cd.NoCase {
			src = "(?i)" + src
		}
		re, err := config.CompileRegexp(src)
		if err != nil {
			return c.err("RewriteCond: cannot compile regular expression '%s'", p)
		}
		cd.Regex = re
	case config.CondExpr:
		if !c.sc.discard {
			c.warn(config.WarnIgnored, "RewriteCond expr is not evaluated: it counts as false, or as true where its rule refuses the request ([F], [G], a non-3xx [R=]) so the refusal is kept (fail closed)")
		}
	}
	c.sc.rewriteConds = append(c.sc.rewriteConds, cd)
	return nil
}

// validResponseCode is httpd's ap_index_of_response: the status codes it
// knows a line for.
func validResponseCode(n int) bool {
	switch {
	case n >= 100 && n <= 103, n >= 200 && n <= 226, n >= 300 && n <= 308,
		n >= 400 && n <= 451, n >= 500 && n <= 511:
		return true
	}
	return false
}

func setupRewriteRule(c *cmd) *parser.Error {
	a, _, ok := parseRewriteArgs(c.d.Raw)
	if !ok {
		return c.err("RewriteRule: bad argument line '%s'", strings.TrimSpace(c.d.Raw))
	}
	r := &config.RewriteRule{Pos: c.d.Pos, Text: strings.TrimSpace(c.d.Name + " " + c.d.Raw), Status: 302, MaxRounds: 10000}
	if len(a) == 3 {
		if err := rewriteFlags(a[2], func(key, val string) string { return setRuleFlag(c, r, key, val) }); err != "" {
			return c.err("RewriteRule: %s", err)
		}
	}
	pat := a[0]
	if strings.HasPrefix(pat, "!") {
		r.Not = true
		pat = pat[1:]
	}
	src := pat
	if r.NoCase {
		src = "(?i)" + src
	}
	re, err := config.CompileRegexp(src)
	if err != nil {
		return c.err("RewriteRule: cannot compile regular expression '%s'", pat)
	}
	r.Pattern, r.Regex = pat, re
	r.Subst = a[1]
	r.NoSub = r.NoSub || a[1] == "-"
	r.Conds = c.sc.rewriteConds
	c.sc.rewriteConds = nil

	if c.sc.discard {
		// Inside <If>: not evaluated; a refusing rule refuses the
		// section around the If instead (fail closed).
		if r.StatusOnly && r.Status >= 400 {
			c.denyFor(&config.AccessDeny{Status: r.Status}, "")
		}
		return nil
	}
	if r.Proxy {
		c.warn(config.WarnIgnored, "RewriteRule [P]: appserver has no proxy; a request this rule matches is refused (403), as Apache without mod_proxy does")
	}
	if len(r.Cookies) > 0 {
		c.warn(config.WarnIgnored, "RewriteRule [CO]: the cookie is not set")
	}
	if r.Type != "" || r.Handler != "" {
		c.warn(config.WarnIgnored, "RewriteRule [T]/[H]: the forced type or handler is not applied")
	}
	if c.sc.dirPath() {
		d := c.rewriteDir()
		d.Rules = append(d.Rules, r)
	} else {
		s := c.rewriteServer()
		s.Rules = append(s.Rules, r)
	}
	return nil
}

// setRuleFlag is cmd_rewriterule_setflag; it returns mod_rewrite's error.
func setRuleFlag(c *cmd, r *config.RewriteRule, key, val string) string {
	if key == "" {
		return "unknown flag ''"
	}
	k, rest := strings.ToLower(key[:1]), strings.ToLower(key[1:])
	unknown := "unknown flag '" + key + "'"
	switch k {
	case "b":
		switch rest {
		case "", "ackrefescaping":
			r.EscapeBackrefs = true
			r.BackrefEscapes = val
		case "np", "ackrefernoplus":
			r.BackrefNoPlus = true
		default:
			return unknown
		}
	case "c":
		switch rest {
		case "", "hain":
			r.Chain = true
		case "o", "ookie":
			r.Cookies = append(r.Cookies, val)
		default:
			return unknown
		}
	case "d":
		if rest == "" || rest == "pi" || rest == "iscardpath" {
			r.DiscardPathInfo = true
		}
	case "e":
		switch rest {
		case "", "nv":
			r.Env = append(r.Env, val)
		case "nd":
			r.End = true
		default:
			return unknown
		}
	case "f":
		if rest != "" && rest != "orbidden" {
			return unknown
		}
		r.StatusOnly, r.NoSub, r.Status = true, true, 403
	case "g":
		if rest != "" && rest != "one" {
			return unknown
		}
		r.StatusOnly, r.NoSub, r.Status = true, true, 410
	case "h":
		if rest != "" && rest != "andler" {
			return unknown
		}
		r.Handler = val
	case "l":
		if rest != "" && rest != "ast" {
			return unknown
		}
		r.Last = true
	case "n":
		switch rest {
		case "e", "oescape":
			r.NoEscape = true
		case "", "ext":
			r.Next = true
			if val != "" {
				r.MaxRounds, _ = strconv.Atoi(val)
			}
		case "s", "osubreq":
			r.NoSubReq = true
		case "c", "ocase":
			r.NoCase = true
		default:
			return unknown
		}
	case "p":
		switch rest {
		case "", "roxy":
			r.Proxy = true
		case "t", "assthrough":
			r.PassThrough = true
		default:
			return unknown
		}
	case "q":
		switch rest {
		case "sa", "sappend":
			r.QSAppend = true
		case "sd", "sdiscard":
			r.QSDiscard = true
		case "sl", "slast":
			r.QSLast = true
		default:
			return unknown
		}
	case "r":
		if rest != "" && rest != "edirect" {
			return unknown
		}
		r.Redirect = true
		if val == "" {
			return ""
		}
		status := 0
		switch {
		case strings.EqualFold(val, "permanent"):
			status = 301
		case strings.EqualFold(val, "temp"):
			status = 302
		case strings.EqualFold(val, "seeother"):
			status = 303
		case val[0] >= '0' && val[0] <= '9':
			status = atoiPrefix(val)
			if status != 500 && !validResponseCode(status) {
				return fmt.Sprintf("invalid HTTP response code '%s' for flag 'R'", val)
			}
			if status < 300 || status > 399 {
				r.StatusOnly, r.NoSub = true, true
			}
		}
		r.Status = status
	case "s":
		if rest != "" && rest != "kip" {
			return unknown
		}
		r.Skip = atoiPrefix(val)
	case "u":
		switch rest {
		case "nsafeallow3f":
			r.UnsafeAllow3F = true
		case "nsafeprefixstat":
			r.UnsafePrefixStat = true
		default:
			return unknown
		}
	case "t":
		if rest != "" && rest != "ype" {
			return unknown
		}
		r.Type = val
	default:
		return unknown
	}
	return ""
}

// atoiPrefix is C's atoi: the leading digits, 0 when there are none.
func atoiPrefix(s string) int {
	n := 0
	for i := 0; i < len(s) && s[i] >= '0' && s[i] <= '9' && n < 1<<30; i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

func setupRewriteMap(c *cmd) *parser.Error {
	name, spec := c.args[0], c.args[1]
	m := &config.RewriteMap{Pos: c.d.Pos, Name: name}
	typ, rest, found := strings.Cut(spec, ":")
	lt := strings.ToLower(typ)
	check := ""
	switch {
	case found && (lt == "txt" || lt == "rnd"):
		m.Type, m.File = lt, c.ld.serverRelative(rest)
		check = m.File
	case found && lt == "int":
		switch rest {
		case "tolower", "toupper", "escape", "unescape":
		default:
			return c.err("RewriteMap: internal map not found:%s", rest)
		}
		m.Type, m.File = "int", rest
	case found && lt == "prg":
		m.Type, m.File = "prg", rest
		if f := strings.Fields(rest); len(f) > 0 {
			check = c.ld.serverRelative(f[0])
		}
		c.warn(config.WarnIgnored, "RewriteMap %s: prg maps are not run: every lookup fails (the default value is used), and a rule that refuses requests counts its conditions on this map as true (fail closed)", name)
	case strings.HasPrefix(lt, "dbm"), found && (lt == "dbd" || lt == "fastdbd"):
		m.Type = "dbm"
		if lt == "dbd" || lt == "fastdbd" {
			return c.err("RewriteMap types dbd and fastdbd require mod_dbd!")
		}
		c.warn(config.WarnIgnored, "RewriteMap %s: dbm maps are not read: every lookup fails (the default value is used), and a rule that refuses requests counts its conditions on this map as true (fail closed)", name)
	default:
		m.Type, m.File = "txt", c.ld.serverRelative(spec)
		check = m.File
	}
	if check != "" {
		if _, err := os.Stat(check); err != nil {
			c.ld.hostProblem(c.err("RewriteMap: file for map %s not found:%s", name, check))
		}
	}
	if !c.sc.discard {
		c.rewriteServer().Maps[name] = m
	}
	return nil
}

// setupRedirect is mod_alias's add_redirect_internal.
func setupRedirect(c *cmd) *parser.Error {
	args := c.args
	status := 302
	if strings.EqualFold(c.def.name, "RedirectPermanent") {
		status = 301
	}
	useRegex := strings.EqualFold(c.def.name, "RedirectMatch")
	arg1 := args[0]
	arg2, arg3 := "", ""
	has2, has3 := len(args) > 1, len(args) > 2
	if has2 {
		arg2 = args[1]
	}
	if has3 {
		arg3 = args[2]
	}
	grok := true
	switch {
	case strings.EqualFold(arg1, "permanent"):
		status = 301
	case strings.EqualFold(arg1, "temp"):
		status = 302
	case strings.EqualFold(arg1, "seeother"):
		status = 303
	case strings.EqualFold(arg1, "gone"):
		status = 410
	case arg1 != "" && arg1[0] >= '0' && arg1[0] <= '9':
		status = atoiPrefix(arg1)
	default:
		grok = false
	}
	if has3 && !grok {
		return c.err("Redirect: invalid first argument (of three)")
	}
	// The one-argument forms ("Redirect [status] URL" in a section, or
	// "Redirect gone"): the URL is an ap_expr string, taken literally here.
	var one *config.Redirect
	switch {
	case !c.sc.dirPath():
		// At server level httpd 2.4 knows only the URL-path forms.
	case grok && has2 && !has3 && status != 410:
		one = &config.Redirect{URL: arg2}
	case grok && !has2 && status == 410:
		one = &config.Redirect{}
	case !grok && !has2:
		one = &config.Redirect{URL: arg1}
	}
	if one != nil {
		one.Pos, one.Directive, one.Status = c.d.Pos, strings.TrimSpace(c.d.Name+" "+c.d.Raw), status
		if strings.Contains(one.URL, "%{") {
			c.warn(config.WarnIgnored, "%s: the expression in the URL is not evaluated: it is sent as written", c.def.name)
		}
		if !c.sc.discard {
			c.sc.conf.DirRedirect = one
		} else if status < 300 || status > 399 {
			c.denyFor(&config.AccessDeny{Status: status}, "")
		}
		return nil
	}
	fake, url := arg2, arg3
	hasURL := has3
	if grok && !has2 {
		c.warn(config.WarnLint, "%s %s names no URL-path: outside a section httpd accepts it, then its processes crash on every request (measured); appserver never matches it", c.def.name, arg1)
	}
	if !has3 && !grok {
		fake, url, hasURL = arg1, arg2, has2
	}
	rd := &config.Redirect{Pos: c.d.Pos, Directive: strings.TrimSpace(c.d.Name + " " + c.d.Raw), Path: fake, Status: status}
	if useRegex {
		re, err := config.CompileRegexp(fake)
		if err != nil {
			return c.err("Regular expression could not be compiled.")
		}
		rd.Regex = re
	}
	if status >= 300 && status <= 399 {
		if !hasURL {
			return c.err("URL to redirect to is missing")
		}
		if !useRegex && !isURL(url) && !strings.HasPrefix(url, "/") {
			return c.err("Redirect to non-URL")
		}
	} else if hasURL {
		return c.err("Redirect URL not valid for this status")
	}
	rd.URL = url
	if c.sc.discard {
		if status < 300 || status > 399 {
			c.denyFor(&config.AccessDeny{Status: status}, "")
		}
		return nil
	}
	if c.sc.dirPath() {
		c.sc.conf.Redirects = append(c.sc.conf.Redirects, rd)
	} else {
		c.sc.vhost.Redirects = append(c.sc.vhost.Redirects, rd)
	}
	return nil
}

// isURL is ap_is_url: a scheme of letters, digits, '+', '-' or '.'
// followed by ':'.
func isURL(u string) bool {
	for i := 0; i < len(u); i++ {
		c := u[i]
		if c == ':' {
			return i > 0
		}
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	return false
}
