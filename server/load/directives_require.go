package load

import (
	"strings"

	"github.com/appserver/appserver/parser"
	"github.com/appserver/appserver/server/config"
	"github.com/appserver/appserver/server/expr"
)

// appserver evaluates "Require all granted|denied" at load time and "Require
// ip|local|method|env|host|forward-dns|valid-user|user|group|wsgi-group"
// per request (mod_authz_host, mod_authz_user, mod_authz_groupfile,
// mod_wsgi). Every other provider (expr, ldap-*, ...) needs data or
// modules appserver does not have, so it is treated as "cannot grant": a section whose access depends
// on one is denied (403). Failing closed is deliberate: serving a URL its
// config restricts would be worse than refusing it. The warning says how
// to open it.

// knownMethods are the method names ap_method_number_of knows.
var knownMethods = map[string]bool{"GET": true, "HEAD": true, "PUT": true, "POST": true, "DELETE": true,
	"CONNECT": true, "OPTIONS": true, "TRACE": true, "PATCH": true, "PROPFIND": true, "PROPPATCH": true,
	"MKCOL": true, "COPY": true, "MOVE": true, "LOCK": true, "UNLOCK": true, "VERSION-CONTROL": true,
	"CHECKOUT": true, "UNCHECKOUT": true, "CHECKIN": true, "UPDATE": true, "LABEL": true, "REPORT": true,
	"MKWORKSPACE": true, "MKACTIVITY": true, "BASELINE-CONTROL": true, "MERGE": true}

// requireNode collects the rules of one <RequireAll|Any|None> or of the
// implicit <RequireAny> of a section.
type requireNode struct {
	op    config.AuthzKind // AuthzAny, AuthzAll, AuthzNone
	rules []*config.AuthzRule
}

func static(v config.Authz) *config.AuthzRule {
	return &config.AuthzRule{Kind: config.AuthzStatic, Value: v}
}

// rule returns the node as one rule, combined as mod_authz_core does. It
// is static when none of its rules depends on the request, or when a
// static one decides whatever the others say (a grant in <RequireAny>, a
// denial in <RequireAll>, a grant in <RequireNone>).
func (n *requireNode) rule() *config.AuthzRule {
	var granted, denied, unknown, dynamic bool
	for _, r := range n.rules {
		if r.Kind != config.AuthzStatic {
			dynamic = true
			continue
		}
		switch r.Value {
		case config.AuthzGranted:
			granted = true
		case config.AuthzDenied:
			denied = true
		case config.AuthzUnknown:
			unknown = true
		}
	}
	decided := !dynamic ||
		n.op == config.AuthzAny && granted ||
		n.op == config.AuthzAll && denied ||
		n.op == config.AuthzNone && granted
	if decided {
		return static(config.Combine(n.op, granted, denied, unknown))
	}
	return &config.AuthzRule{Kind: n.op, Rules: n.rules}
}

// requireScope returns the scope collecting Require rules for sc: the
// nearest <RequireX> or per-directory section.
func requireScope(sc *scope) *scope {
	for s := sc; s != nil; s = s.parent {
		switch s.kind {
		case scopeRequire, scopeDirectory, scopeLocation, scopeFiles, scopeIf, scopeProxy:
			return s
		}
	}
	return nil
}

// knownAuthzProviders are the Require providers of the modules httpd ships
// and of mod_wsgi; others are accepted with a warning since third-party
// modules add their own.
var knownAuthzProviders = map[string]bool{
	"all": true, "env": true, "ip": true, "local": true, "host": true, "forward-dns": true,
	"method": true, "expr": true, "user": true, "group": true, "valid-user": true,
	"file-owner": true, "file-group": true, "dbd-group": true, "dbm-group": true,
	"ldap-user": true, "ldap-group": true, "ldap-dn": true, "ldap-attribute": true,
	"ldap-filter": true, "ssl": true, "ssl-verify-client": true, "wsgi-group": true,
}

func setupRequire(c *cmd) *parser.Error {
	raw := c.d.Raw
	word, _, rest := parser.GetWord(raw)
	negated := false
	if strings.EqualFold(word, "not") {
		negated = true
		word, _, rest = parser.GetWord(rest)
	}
	rs := requireScope(c.sc)
	v, dyn, e := requireRule(c, word, rest, negated)
	if e != nil {
		return e
	}
	// httpd parses the provider's arguments first, then refuses a
	// negation where it cannot take effect.
	if negated && (rs == nil || rs.kind != scopeRequire || rs.require.op == config.AuthzAny) {
		return c.err("negative Require directive has no effect in <RequireAny> directive")
	}
	if negated {
		switch v {
		case config.AuthzGranted:
			v = config.AuthzDenied
		case config.AuthzDenied:
			v = config.AuthzNeutral
		}
	}
	if c.sc.discard {
		// Inside <If>: a Require that could refuse makes the section
		// around the If refuse (fail closed).
		if v != config.AuthzGranted {
			c.denyFor(&config.AccessDeny{}, "")
		}
		return nil
	}
	if c.sc.limited() {
		if v == config.AuthzGranted {
			c.warn(config.WarnIgnored, "Require inside <%s> is ignored: appserver does not grant access by request method, so these methods get the enclosing section's access rule", c.sc.findParent("limit", "limitexcept").Name)
		} else {
			c.denyFor(&config.AccessDeny{Methods: limitOf(c.sc)}, "appserver does not evaluate Require per method")
		}
		return nil
	}
	if rs == nil {
		return nil
	}
	if rs.require == nil {
		rs.require = &requireNode{op: config.AuthzAny}
	}
	if dyn == nil {
		dyn = static(v)
	}
	rs.require.rules = append(rs.require.rules, dyn)
	return nil
}

// requireRule reads one Require's provider and arguments: the outcome
// when it is known at load time (v), or the rule decided per request
// (dyn, with v AuthzUnknown where it is not evaluated: <If>, <Limit>).
func requireRule(c *cmd, word, rest string, negated bool) (v config.Authz, dyn *config.AuthzRule, e *parser.Error) {
	raw := c.d.Raw
	switch {
	case word == "all":
		arg, _, extra := parser.GetWord(rest)
		switch {
		case extra != "":
			return v, nil, c.err("Argument for 'Require all' must be 'granted' or 'denied'")
		case strings.EqualFold(arg, "granted"):
			v = config.AuthzGranted
		case strings.EqualFold(arg, "denied"):
			v = config.AuthzDenied
		default:
			return v, nil, c.err("Argument for 'Require all' must be 'granted' or 'denied'")
		}
	case word == "ip":
		dyn = &config.AuthzRule{Kind: config.AuthzIP, Negated: negated}
		for w, _, r := parser.GetWord(rest); w != ""; w, _, r = parser.GetWord(r) {
			n, msg := config.ParseIPNetwork(w)
			if msg != "" {
				return v, nil, c.err("%s", msg)
			}
			dyn.IPs = append(dyn.IPs, n)
		}
		if len(dyn.IPs) == 0 {
			return v, nil, c.err("'require ip' requires an argument")
		}
		v = config.AuthzUnknown // where it is not evaluated (<If>, <Limit>)
	case word == "local":
		dyn = &config.AuthzRule{Kind: config.AuthzLocal, Negated: negated}
		v = config.AuthzUnknown
	case word == "valid-user", word == "user", word == "group", word == "wsgi-group":
		kind := map[string]config.AuthzKind{"valid-user": config.AuthzValidUser, "user": config.AuthzUser, "group": config.AuthzGroup,
			"wsgi-group": config.AuthzWSGIGroup}[word]
		dyn = &config.AuthzRule{Kind: kind, Negated: negated}
		if word != "valid-user" {
			if strings.Contains(rest, "%{") {
				// httpd reads the names as an expression string.
				v = config.AuthzUnknown
				dyn = nil
				if !c.sc.discard && !c.sc.limited() {
					c.warn(config.WarnDenies, "Require %s with %%{...} expressions is not evaluated: it never grants (fail closed)", strings.TrimSpace(raw))
				}
				break
			}
			for w, _, r := parser.GetWord(rest); w != ""; w, _, r = parser.GetWord(r) {
				dyn.Names = append(dyn.Names, w)
			}
		}
		v = config.AuthzUnknown
	case word == "host", word == "forward-dns":
		kind := config.AuthzHost
		if word == "forward-dns" {
			kind = config.AuthzForwardDNS
		}
		dyn = &config.AuthzRule{Kind: kind, Negated: negated}
		for w, _, r := parser.GetWord(rest); w != ""; w, _, r = parser.GetWord(r) {
			dyn.Names = append(dyn.Names, w)
		}
		c.ld.cfg.UsesHostNames = true
		v = config.AuthzUnknown
	case word == "env":
		dyn = &config.AuthzRule{Kind: config.AuthzEnv, Negated: negated}
		for w, _, r := parser.GetWord(rest); w != ""; w, _, r = parser.GetWord(r) {
			dyn.Names = append(dyn.Names, w)
		}
		v = config.AuthzUnknown
	case word == "method":
		dyn = &config.AuthzRule{Kind: config.AuthzMethod, Negated: negated}
		for w, _, r := parser.GetWord(rest); w != ""; w, _, r = parser.GetWord(r) {
			if !knownMethods[w] {
				return v, nil, c.err("Invalid Method '%s'", w)
			}
			if w == "HEAD" {
				w = "GET" // one method number
			}
			dyn.Names = append(dyn.Names, w)
		}
		v = config.AuthzUnknown
	case word == "expr":
		// The rest of the line is the expression; one quoted word is
		// unquoted first (measured: both forms work in httpd 2.4).
		text := strings.TrimSpace(rest)
		if w, _, extra := parser.GetWord(rest); extra == "" && text != "" && (text[0] == '"' || text[0] == '\'') {
			text = w
		}
		e, err := expr.Parse(text)
		if err != nil {
			return v, nil, c.err("Cannot parse expression in require line: %s", err.Error())
		}
		if u := e.Unsupported(); len(u) > 0 && !c.sc.discard {
			c.warn(config.WarnDenies, "Require expr: appserver cannot evaluate %s, so this rule never grants (fail closed)", strings.Join(u, ", "))
		}
		dyn = &config.AuthzRule{Kind: config.AuthzExpr, Negated: negated, Expr: e}
		v = config.AuthzUnknown
	case word == "":
		return v, nil, c.err("Unknown Authz provider: ")
	default:
		v = config.AuthzUnknown
		if !c.sc.discard && !c.sc.limited() {
			if !knownAuthzProviders[strings.ToLower(word)] {
				c.warn(config.WarnIgnored, "Require %s: unknown authorization provider %q; appserver treats it as never granting, so this section is denied (403) unless another Require grants it", word, word)
			} else {
				c.warn(config.WarnIgnored, "Require %s is not evaluated by appserver and never grants: this section is denied (403) unless another Require grants it; write \"Require all granted\" to serve it", strings.TrimSpace(raw))
			}
		}
	}
	return v, dyn, nil
}

// finishRequire turns the Require rules collected in a per-directory
// section into its DirConf.Require.
func (ld *loader) finishRequire(sc *scope) {
	if sc.require == nil || sc.discard {
		return
	}
	switch sc.kind {
	case scopeDirectory, scopeLocation, scopeFiles:
	default:
		return
	}
	r := sc.require.rule()
	switch {
	case r.Kind != config.AuthzStatic:
		sc.conf.Require, sc.conf.RequireRule = "request", r
	case r.Value == config.AuthzGranted:
		sc.conf.Require = "granted"
	default:
		// Neutral (nothing granted), denied, or unknown: httpd answers 403
		// when no rule grants.
		sc.conf.Require = "denied"
	}
}

func requireSection(op config.AuthzKind) func(*loader, *scope, *parser.Directive, []*parser.Directive) {
	return func(ld *loader, sc *scope, d *parser.Directive, _ []*parser.Directive) {
		canonical := sectionDefs[strings.ToLower(d.Name)].name
		if e := openerErrors(d, canonical, false); e != nil {
			ld.fail(e)
			return
		}
		child := sc.child(scopeRequire, d)
		child.require = &requireNode{op: op}
		ld.walkSpliced(child, d.Body)
		if sc.limited() {
			return
		}
		rs := requireScope(sc)
		if rs == nil {
			return
		}
		if rs.require == nil {
			rs.require = &requireNode{op: config.AuthzAny}
		}
		rs.require.rules = append(rs.require.rules, child.require.rule())
	}
}
