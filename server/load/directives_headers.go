package load

import (
	"strings"

	"github.com/appserver/appserver/parser"
	"github.com/appserver/appserver/server/config"
	"github.com/appserver/appserver/server/expr"
	"github.com/appserver/appserver/server/modules"
)

// mod_headers (Header, RequestHeader) and mod_setenvif (SetEnvIf,
// SetEnvIfNoCase, BrowserMatch, BrowserMatchNoCase, SetEnvIfExpr). Their
// argument checks and messages follow mod_headers.c header_cmd and
// mod_setenvif.c add_setenvif_core, as Apache 2.4 prints them.

func init() {
	directives.add(
		&directiveDef{name: "Header", module: "mod_headers.c", where: modules.OrFileInfo, arity: rawArgs, setup: setupHeader(false)},
		&directiveDef{name: "RequestHeader", module: "mod_headers.c", where: modules.OrFileInfo, arity: rawArgs, setup: setupHeader(true)},
		&directiveDef{name: "SetEnvIf", module: "mod_setenvif.c", where: modules.OrFileInfo, arity: rawArgs, setup: setupSetEnvIf("SetEnvIf", "", false)},
		&directiveDef{name: "SetEnvIfNoCase", module: "mod_setenvif.c", where: modules.OrFileInfo, arity: rawArgs, setup: setupSetEnvIf("SetEnvIfNoCase", "", true)},
		&directiveDef{name: "BrowserMatch", module: "mod_setenvif.c", where: modules.OrFileInfo, arity: rawArgs, setup: setupSetEnvIf("BrowserMatch", "User-Agent", false)},
		&directiveDef{name: "BrowserMatchNoCase", module: "mod_setenvif.c", where: modules.OrFileInfo, arity: rawArgs, setup: setupSetEnvIf("BrowserMatchNoCase", "User-Agent", true)},
		&directiveDef{name: "SetEnvIfExpr", module: "mod_setenvif.c", where: modules.OrFileInfo, arity: rawArgs, setup: setupSetEnvIfExpr},
	)
}

const headerActions = "first argument must be 'add', 'set', 'setifempty', 'append', 'merge', 'unset', 'echo', 'note', 'edit', or 'edit*'."

func setupHeader(request bool) func(c *cmd) *parser.Error {
	return func(c *cmd) *parser.Error {
		name := "Header"
		if request {
			name = "RequestHeader"
		}
		args := c.d.Args
		word := func(i int) (string, bool) {
			if i < len(args) {
				return args[i].Value, true
			}
			return "", false
		}
		i := 0
		always := false
		action, _ := word(0)
		if !request {
			switch strings.ToLower(action) {
			case "always":
				always, i = true, 1
			case "onsuccess":
				i = 1
			}
			action, _ = word(i)
		}
		i++
		hdr, _ := word(i)
		value, hasValue := word(i + 1)
		subs, hasSubs := word(i + 2)
		envclause, hasEnv := word(i + 3)
		envIdx := i + 3 // the argument the env clause came from
		if len(args) > i+4 {
			return c.err("%s has too many arguments", name)
		}
		op := &config.HeaderOp{Pos: c.d.Pos, Action: config.HeaderAction(strings.ToLower(action))}
		switch op.Action {
		case config.HeaderSet, config.HeaderSetIfEmpty, config.HeaderAdd, config.HeaderAppend, config.HeaderMerge,
			config.HeaderUnset, config.HeaderEcho, config.HeaderNote, config.HeaderEdit, config.HeaderEditAll:
		default:
			return c.err("%s", headerActions)
		}
		if op.Action == config.HeaderNote && request {
			return c.err("RequestHeader does not support the 'note' action")
		}
		if op.Action == config.HeaderEdit || op.Action == config.HeaderEditAll {
			if !hasSubs {
				return c.err("Header edit requires a match and a substitution")
			}
			re, err := config.CompileRegexp(value)
			if err != nil {
				return c.errArg(i+1, "Header edit regex could not be compiled")
			}
			op.Regex, op.Subs = re, subs
			hasValue = false
		} else {
			if hasEnv {
				return c.err("Too many arguments to directive")
			}
			envclause, hasEnv, envIdx = subs, hasSubs, i+2
		}
		switch op.Action {
		case config.HeaderUnset, config.HeaderEcho:
			if hasValue {
				if hasEnv {
					if op.Action == config.HeaderUnset {
						return c.err("header unset takes two arguments")
					}
					return c.err("Header echo takes two arguments")
				}
				envclause, hasEnv, hasValue, envIdx = value, true, false, i+1
			}
			if op.Action == config.HeaderEcho {
				if request {
					return c.err("Header echo only valid on Header directives")
				}
				re, err := config.CompileRegexp(hdr)
				if err != nil {
					return c.errArg(i, "Header echo regex could not be compiled")
				}
				op.Regex = re
			}
		case config.HeaderEdit, config.HeaderEditAll:
		default:
			if !hasValue {
				return c.err("Header requires three arguments")
			}
		}
		if hasEnv {
			if e := headerCondition(c, op, name, envclause, envIdx); e != nil {
				return e
			}
		}
		if k := strings.IndexByte(hdr, ':'); k >= 0 {
			hdr = hdr[:k]
		}
		op.Name = hdr
		if hasValue {
			if e := headerValue(c, op, value, i+1); e != nil {
				return e
			}
		}
		conf := c.sc.conf
		if c.sc.discard {
			// Inside <If>: the entry goes to the scope around it, under the
			// <If>'s condition; elsewhere (<Proxy>) it is only checked.
			if conf, op.If = ifTarget(c.sc); conf == nil {
				return nil
			}
		}
		switch {
		case request:
			conf.RequestHeaders = append(conf.RequestHeaders, op)
		case always:
			conf.HeadersAlways = append(conf.HeadersAlways, op)
		default:
			conf.HeadersOnSuccess = append(conf.HeadersOnSuccess, op)
		}
		return nil
	}
}

// headerCondition reads a Header's last argument into op: "early",
// env=[!]VAR or expr=EXPR (argument idx, for messages).
func headerCondition(c *cmd, op *config.HeaderOp, name, clause string, idx int) *parser.Error {
	switch {
	case strings.EqualFold(clause, "early"):
		op.Early = true
	case len(clause) >= 4 && strings.EqualFold(clause[:4], "env="):
		v := clause[4:]
		if v == "" || v == "!" {
			return c.errArg(idx, "error: missing environment variable name. envclause should be in the form env=envar")
		}
		op.Env, op.EnvNot = strings.TrimPrefix(v, "!"), v[0] == '!'
	case len(clause) >= 5 && strings.EqualFold(clause[:5], "expr="):
		e, err := expr.Parse(clause[5:])
		if err != nil {
			return c.errArg(idx, "Can't parse envclause/expression: %s", err.Error())
		}
		op.Cond = e
		if u := e.Unsupported(); len(u) > 0 {
			c.warn(config.WarnCompat, "%s: appserver cannot evaluate %s in expr=; the directive is applied as Apache applies it when evaluation fails (error logged, header changed)", name, strings.Join(u, ", "))
		}
	default:
		return c.errArg(idx, "Unknown parameter: %s", clause)
	}
	return nil
}

// headerValue reads a Header's value (argument idx) into op: an
// expr=string, else text with format specifiers.
func headerValue(c *cmd, op *config.HeaderOp, value string, idx int) *parser.Error {
	if len(value) >= 5 && strings.EqualFold(value[:5], "expr=") {
		s, err := expr.ParseString(value[5:])
		if err != nil {
			return c.errArg(idx, "Can't parse value expression : %s", err.Error())
		}
		op.ValueExpr = s
		return nil
	}
	f, msg := parseHeaderFormat(value)
	if msg != "" {
		return c.errArg(idx, "%s", msg)
	}
	op.Value = f
	return nil
}

// parseHeaderFormat splits a mod_headers value into text and %t, %D,
// %{VAR}e, %{VAR}s specifiers; in text, \n \r \t \\ are escapes.
func parseHeaderFormat(s string) ([]config.HeaderFormat, string) {
	var out []config.HeaderFormat
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			out = append(out, config.HeaderFormat{Text: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && strings.IndexByte(`\rnt`, s[i+1]) >= 0:
			i++
			lit.WriteByte(map[byte]byte{'\\': '\\', 'r': '\r', 'n': '\n', 't': '\t'}[s[i]])
		case c != '%':
			lit.WriteByte(c)
		case i+1 == len(s) || s[i+1] == '%':
			lit.WriteByte('%')
			i++
		default:
			i++
			arg := ""
			if s[i] == '{' {
				end := strings.IndexByte(s[i:], '}')
				if end < 0 {
					// ap_getword takes the rest; no tag letter follows.
					return nil, "Unrecognized header format %"
				}
				arg = s[i+1 : i+end]
				i += end + 1
				if i >= len(s) {
					return nil, "Unrecognized header format %"
				}
			}
			switch s[i] {
			case 't', 'D', 'e', 's':
				flush()
				out = append(out, config.HeaderFormat{Tag: s[i], Text: arg})
			default:
				return nil, "Unrecognized header format %" + s[i:i+1]
			}
		}
	}
	flush()
	return out, ""
}

// setEnvIfSpecial are mod_setenvif's request attributes (matched
// case-insensitively).
var setEnvIfSpecial = map[string]bool{"remote_host": true, "remote_addr": true, "server_addr": true,
	"request_method": true, "request_protocol": true, "request_uri": true}

// isRegexAttr is mod_setenvif's is_header_regex: an attribute with any
// regex metacharacter is a pattern over header names.
func isRegexAttr(s string) bool { return strings.ContainsAny(s, "^$.[]()|*+?{}\\") }

func setupSetEnvIf(name, fixedAttr string, nocase bool) func(c *cmd) *parser.Error {
	return func(c *cmd) *parser.Error {
		args := c.d.Args
		attr := fixedAttr
		if attr == "" {
			if len(args) == 0 || args[0].Value == "" {
				return c.err("Missing header-field name for %s", name)
			}
			attr, args = args[0].Value, args[1:]
		}
		if len(args) == 0 || args[0].Value == "" {
			return c.err("Missing regular expression for %s", name)
		}
		src := args[0].Value
		if nocase {
			src = "(?i)" + src
		}
		re, err := config.CompileRegexp(src)
		if err != nil {
			return c.errAt(args[0].Pos, "%s regex could not be compiled.", name)
		}
		rule := &config.SetEnvIfRule{Pos: c.d.Pos, Attr: attr, Regex: re}
		if low := strings.ToLower(attr); setEnvIfSpecial[low] {
			rule.Special = low
		} else if isRegexAttr(attr) {
			// mod_setenvif compiles header-name patterns case-insensitively.
			if rule.AttrRegex, err = config.CompileRegexp("(?i)" + attr); err != nil {
				return c.err("%s regex could not be compiled.", name)
			}
		}
		vars, perr := setEnvIfVars(c, name, args[1:])
		if perr != nil {
			return perr
		}
		rule.Vars = vars
		addSetEnvIf(c, rule)
		return nil
	}
}

func setupSetEnvIfExpr(c *cmd) *parser.Error {
	args := c.d.Args
	if len(args) == 0 || args[0].Value == "" {
		return c.err("Missing expression for SetEnvIfExpr")
	}
	e, err := expr.Parse(args[0].Value)
	if err != nil {
		return c.errAt(args[0].Pos, "Could not parse expression \"%s\": %s", args[0].Value, err.Error())
	}
	if u := e.Unsupported(); len(u) > 0 {
		c.warn(config.WarnCompat, "SetEnvIfExpr: appserver cannot evaluate %s; the variables are never set", strings.Join(u, ", "))
	}
	vars, perr := setEnvIfVars(c, "SetEnvIfExpr", args[1:])
	if perr != nil {
		return perr
	}
	addSetEnvIf(c, &config.SetEnvIfRule{Pos: c.d.Pos, Expr: e, Vars: vars})
	return nil
}

func setEnvIfVars(c *cmd, name string, args []parser.Arg) ([]config.SetEnvVar, *parser.Error) {
	var vars []config.SetEnvVar
	for _, a := range args {
		w := a.Value
		if w == "" {
			break // ap_getword_conf's empty word ends the list
		}
		switch {
		case w[0] == '!':
			vars = append(vars, config.SetEnvVar{Name: w[1:], Unset: true})
		default:
			k, v, ok := strings.Cut(w, "=")
			if !ok {
				v = "1"
			}
			vars = append(vars, config.SetEnvVar{Name: k, Value: v})
		}
	}
	if len(vars) == 0 {
		return nil, c.err("Missing envariable expression for %s", name)
	}
	return vars, nil
}

// addSetEnvIf files a rule where mod_setenvif does: rules outside any
// section are the server's (run in post-read-request), the others the
// section's (run in the header parser).
func addSetEnvIf(c *cmd, rule *config.SetEnvIfRule) {
	if c.sc.dirPath() || c.sc.vhost == nil {
		c.sc.conf.SetEnvIf = append(c.sc.conf.SetEnvIf, rule)
		return
	}
	c.sc.vhost.SetEnvIf = append(c.sc.vhost.SetEnvIf, rule)
}

// ifTarget returns the settings of the scope around the <If> sections sc
// is in, and their combined condition; nil when one of them cannot be
// evaluated or sc is inside a section that never applies (<Proxy>).
func ifTarget(sc *scope) (*config.DirConf, *expr.Expr) {
	var conds []*expr.Expr
	s := sc
	for ; s != nil && s.discard; s = s.parent {
		switch s.kind {
		case scopeIf:
			if s.ifCond == nil {
				return nil, nil
			}
			conds = append(conds, s.ifCond)
		case scopeProxy:
			return nil, nil
		}
	}
	if s == nil || len(conds) == 0 {
		return nil, nil
	}
	return s.conf, expr.And(conds...)
}
