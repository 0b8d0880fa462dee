package load

import (
	"strings"

	"github.com/appserver/appserver/parser"
	"github.com/appserver/appserver/server/config"
)

// appserver evaluates only "Require all granted|denied". Every other
// provider (ip, host, valid-user, ldap-*, ...) needs request data or
// authentication modules appserver does not have, so it is treated as
// "cannot grant": a section whose access depends on one is denied (403).
// Failing closed is deliberate: serving a URL its config restricts would
// be worse than refusing it. The warning says how to open it.

// authz is the outcome of a Require rule as far as appserver can tell.
type authz int

const (
	authzNeutral authz = iota
	authzGranted
	authzDenied
	authzUnknown // a provider appserver cannot evaluate
)

// requireNode collects the rules of one <RequireAll|Any|None> or of the
// implicit <RequireAny> of a section.
type requireNode struct {
	op   string // "any", "all", "none"
	vals []authz
}

func (n *requireNode) result() authz {
	has := func(v authz) bool {
		for _, x := range n.vals {
			if x == v {
				return true
			}
		}
		return false
	}
	switch n.op {
	case "all":
		switch {
		case has(authzDenied):
			return authzDenied
		case has(authzUnknown):
			return authzUnknown
		case has(authzGranted):
			return authzGranted
		}
	case "none":
		switch {
		case has(authzGranted):
			return authzDenied
		case has(authzUnknown):
			return authzUnknown
		}
	default:
		switch {
		case has(authzGranted):
			return authzGranted
		case has(authzUnknown):
			return authzUnknown
		case has(authzDenied):
			return authzDenied
		}
	}
	return authzNeutral
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
	if word == "not" {
		negated = true
		word, _, rest = parser.GetWord(rest)
	}
	rs := requireScope(c.sc)
	if negated && (rs == nil || rs.kind != scopeRequire || rs.require.op == "any") {
		return c.err("negative Require directive has no effect in <RequireAny> directive")
	}
	var v authz
	switch {
	case word == "all":
		arg, _, extra := parser.GetWord(rest)
		switch {
		case extra != "":
			return c.err("Argument for 'Require all' must be 'granted' or 'denied'")
		case strings.EqualFold(arg, "granted"):
			v = authzGranted
		case strings.EqualFold(arg, "denied"):
			v = authzDenied
		default:
			return c.err("Argument for 'Require all' must be 'granted' or 'denied'")
		}
	case word == "":
		return c.err("Unknown Authz provider: ")
	default:
		v = authzUnknown
		if !c.sc.discard && !c.sc.limited() {
			if !knownAuthzProviders[strings.ToLower(word)] {
				c.warn(config.WarnIgnored, "Require %s: unknown authorization provider %q; appserver treats it as never granting, so this section is denied (403) unless another Require grants it", word, word)
			} else {
				c.warn(config.WarnIgnored, "Require %s is not evaluated by appserver and never grants: this section is denied (403) unless another Require grants it; write \"Require all granted\" to serve it", strings.TrimSpace(raw))
			}
		}
	}
	if negated {
		switch v {
		case authzGranted:
			v = authzDenied
		case authzDenied:
			v = authzNeutral
		}
	}
	if c.sc.discard {
		// Inside <If>: a Require that could refuse makes the section
		// around the If refuse (fail closed).
		if v != authzGranted {
			c.denyFor(&config.AccessDeny{}, "")
		}
		return nil
	}
	if c.sc.limited() {
		if v == authzGranted {
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
		rs.require = &requireNode{op: "any"}
	}
	rs.require.vals = append(rs.require.vals, v)
	return nil
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
	switch sc.require.result() {
	case authzGranted:
		sc.conf.Require = "granted"
	default:
		// Neutral (nothing granted), denied, or unknown: httpd answers 403
		// when no rule grants.
		sc.conf.Require = "denied"
	}
}

func requireSection(op string) func(*loader, *scope, *parser.Directive, []*parser.Directive) {
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
			rs.require = &requireNode{op: "any"}
		}
		rs.require.vals = append(rs.require.vals, child.require.result())
	}
}
