package load

import (
	"fmt"
	"strings"

	"github.com/appserver/appserver/parser"
	"github.com/appserver/appserver/server/config"
	"github.com/appserver/appserver/server/modules"
)

// limitOf returns the <Limit>/<LimitExcept> sc is in.
func limitOf(sc *scope) config.MethodLimit {
	for s := sc; s != nil; s = s.parent {
		if s.kind != scopeLimit || s.sec == nil {
			continue
		}
		m := config.MethodLimit{Methods: []string{}, Except: strings.EqualFold(s.sec.Name, "LimitExcept")}
		for _, v := range s.sec.Values() {
			if v != "" {
				m.Methods = append(m.Methods, strings.ToUpper(v))
			}
		}
		return m
	}
	return config.MethodLimit{}
}

// ifOuter returns the scope an <If>/<ElseIf>/<Else> around sc sits in, or
// nil when sc is not inside one (or the If is itself inside a <Proxy>,
// which never applies).
func ifOuter(sc *scope) *scope {
	var found *scope
	for s := sc; s != nil; s = s.parent {
		switch s.kind {
		case scopeProxy:
			return nil
		case scopeIf:
			found = s
		}
	}
	if found == nil {
		return nil
	}
	return found.parent
}

// denyFor records an AccessDeny for directive c. Inside <If> it goes to the
// section around the If (whose body appserver does not evaluate), for every
// method. It returns false when the directive is in a place that never
// applies.
func (c *cmd) denyFor(a *config.AccessDeny, why string) bool {
	a.Pos = c.d.Pos
	if a.Directive == "" {
		a.Directive = strings.TrimSpace(c.d.Name + " " + c.d.Raw)
	}
	target := c.sc
	if c.sc.discard {
		target = ifOuter(c.sc)
		if target == nil || target.discard {
			return false
		}
		a.Methods = config.MethodLimit{}
		why = fmt.Sprintf("it is inside <%s>, which appserver does not evaluate", c.sc.findParent("if", "elseif", "else").Name)
	}
	target.conf.Denies = append(target.conf.Denies, a)
	if why == "" && !c.sc.discard {
		return true // evaluated exactly: nothing to warn about
	}
	where := "this section"
	if target.section == nil {
		where = "this server"
	}
	if m := a.Methods.String(); m != "" {
		where += " for " + m
	}
	c.warn(config.WarnDenies, "%s: %s, so %s refuses (403) the requests it could apply to; replace it with \"Require all granted\" or \"Require all denied\" to decide access yourself", a.Directive, why, where)
	return true
}

func init() {
	directives.add(
		&directiveDef{name: "order", module: "mod_access_compat.c", where: accessDirs, arity: take1,
			help: "'allow,deny', 'deny,allow', or 'mutual-failure'", setup: setupOrder},
		&directiveDef{name: "allow", module: "mod_access_compat.c", where: accessDirs, arity: iterate2,
			help: "'from' followed by hostnames or IP-address wildcards", setup: setupAllowDeny},
		&directiveDef{name: "deny", module: "mod_access_compat.c", where: accessDirs, arity: iterate2,
			help: "'from' followed by hostnames or IP-address wildcards", setup: setupAllowDeny},
		&directiveDef{name: "Satisfy", module: "mod_access_compat.c", where: accessDirs, arity: take1,
			help: "access policy if both allow and require used ('all' or 'any')", setup: setupSatisfy},
		&directiveDef{name: "SSLRequireSSL", module: "mod_ssl.c", where: accessDirs, arity: noArgs,
			help: "Require the SSL protocol for the per-directory context", setup: func(c *cmd) *parser.Error {
				c.denyFor(&config.AccessDeny{UnlessTLS: true, Methods: limitOf(c.sc)}, "") // evaluated: 403 over plain HTTP
				return nil
			}},
		&directiveDef{name: "NSSRequireSSL", module: "mod_nss.c", where: accessDirs, arity: noArgs, setup: func(c *cmd) *parser.Error {
			c.denyFor(&config.AccessDeny{UnlessTLS: true, Methods: limitOf(c.sc)}, "") // evaluated: 403 over plain HTTP
			return nil
		}},
		&directiveDef{name: "SSLRequire", module: "mod_ssl.c", where: accessDirs, arity: rawArgs,
			help: "Require a boolean expression to evaluate to true for granting access", setup: func(c *cmd) *parser.Error {
				if strings.TrimSpace(c.d.Raw) == "" {
					return c.err("SSLRequire takes one argument, Require a boolean expression to evaluate to true for granting access")
				}
				c.denyFor(&config.AccessDeny{Methods: limitOf(c.sc)}, "appserver does not evaluate SSLRequire expressions")
				return nil
			}},
	)
}

// compatConf returns the AccessCompat of the scope's section, creating it.
// Inside <If> the directive is not evaluated: the section around it denies.
func (c *cmd) compatConf() *config.AccessCompat {
	if c.sc.discard {
		return nil
	}
	if c.sc.conf.Compat == nil {
		c.sc.conf.Compat = &config.AccessCompat{}
	}
	return c.sc.conf.Compat
}

func setupOrder(c *cmd) *parser.Error {
	v := strings.ToLower(c.args[0])
	switch v {
	case "allow,deny", "deny,allow", "mutual-failure":
	default:
		return c.err("unknown order")
	}
	if ac := c.compatConf(); ac != nil {
		ac.Rules = append(ac.Rules, config.CompatRule{Pos: c.d.Pos, Kind: config.CompatOrder, Value: v, Methods: limitOf(c.sc)})
	} else if v != "deny,allow" {
		c.denyFor(&config.AccessDeny{}, "")
	}
	return nil
}

func setupSatisfy(c *cmd) *parser.Error {
	v := strings.ToLower(c.args[0])
	if v != "all" && v != "any" {
		return c.err("Satisfy either 'any' or 'all'.")
	}
	if ac := c.compatConf(); ac != nil {
		ac.Rules = append(ac.Rules, config.CompatRule{Pos: c.d.Pos, Kind: config.CompatSatisfy, Value: v, Methods: limitOf(c.sc)})
	}
	return nil
}

func setupAllowDeny(c *cmd) *parser.Error {
	if !strings.EqualFold(c.args[0], "from") {
		return c.err("allow and deny must be followed by 'from'")
	}
	kind := config.CompatKind(strings.ToLower(c.def.name))
	hosts := append([]string(nil), c.args[1:]...)
	var parsed []config.CompatHost
	for i, h := range hosts {
		p, msg := config.ParseCompatHost(h)
		if msg != "" {
			return c.errArg(i+1, "%s", msg)
		}
		parsed = append(parsed, p)
	}
	ac := c.compatConf()
	if ac == nil {
		if kind == config.CompatDeny {
			c.denyFor(&config.AccessDeny{}, "")
		}
		return nil
	}
	ac.Rules = append(ac.Rules, config.CompatRule{Pos: c.d.Pos, Kind: kind, Hosts: hosts, Parsed: parsed, Methods: limitOf(c.sc)})
	for _, h := range parsed {
		if h.Kind == config.CompatHostName {
			c.ld.cfg.UsesHostNames = true // matched by double reverse DNS per request
		}
	}
	return nil
}

// ignoredWarn is the "ignored" warning of a directive that lost its place in
// the ignored table because some of its forms restrict access.
func (c *cmd) ignoredWarn(loss string) {
	if !c.sc.discard {
		c.warn(config.WarnIgnored, "%s is ignored: %s", c.def.name, loss)
	}
}

// setupAllowMethods: mod_allowmethods answers 405 to methods not listed
// (HEAD goes with GET); "reset" lifts an outer list. Evaluated exactly.
func setupAllowMethods(c *cmd) *parser.Error {
	ms := []string{}
	for _, a := range c.args {
		if strings.EqualFold(a, "reset") {
			if len(c.args) > 1 {
				return c.err("\"reset\" cannot be used with other methods")
			}
			break
		}
		ms = append(ms, strings.ToUpper(a))
	}
	if c.sc.discard {
		if len(ms) > 0 {
			c.denyFor(&config.AccessDeny{}, "")
		}
		return nil
	}
	c.sc.conf.AllowMethods = ms
	return nil
}

// setupAuthMerging records how this section's Require combines with the
// parent's (mod_authz_core); MergeDirConf applies it.
func setupAuthMerging(c *cmd) *parser.Error {
	v := strings.ToLower(c.args[0])
	switch v {
	case "off", "and", "or":
	default:
		return c.err("AuthMerging must be one of: Off | And | Or")
	}
	if !c.sc.discard {
		c.sc.conf.AuthMerging = v
	}
	return nil
}

// accessDirs is where httpd allows the access and authentication
// directives: directory sections, AuthConfig overrides, <Limit>.
const accessDirs = modules.AccessConf | modules.OrAuthCfg | modules.OrLimit

func init() {
	directives.add(
		&directiveDef{name: "AllowMethods", module: "mod_allowmethods.c", where: accessDirs, arity: iterate,
			help: "only allow specific methods", setup: setupAllowMethods},
		&directiveDef{name: "AuthMerging", module: "mod_authz_core.c", where: accessDirs, arity: take1,
			help:  "controls how a <Directory>, <Location>, or similar directive's authorization directives are combined with those of its predecessor",
			setup: setupAuthMerging},
		&directiveDef{name: "SSLVerifyClient", module: "mod_ssl.c", where: modules.Anywhere, arity: take1,
			help: "SSL Client verify type ('none', 'optional', 'require', 'optional_no_ca')", setup: func(c *cmd) *parser.Error {
				mode := strings.ToLower(c.args[0])
				switch mode {
				case "none", "optional", "require", "optional_no_ca":
				default:
					return c.err("SSLVerifyClient: Invalid argument '%s'", c.args[0])
				}
				if !c.sc.dirPath() {
					// Server level: the handshake asks (server/listen.go).
					o := tlsOpts(c)
					o.VerifyClient, o.VerifyClientPos = mode, c.d.Pos
					return nil
				}
				// Per directory httpd renegotiates; Go's server cannot, so
				// only a certificate the handshake verified satisfies it.
				switch mode {
				case "require":
					c.denyFor(&config.AccessDeny{UnlessClientCert: true}, "only a client certificate verified in the handshake (SSLVerifyClient optional or require at server level) meets it: Go's server does not renegotiate")
				default:
					c.ignoredWarn("a per-directory SSLVerifyClient needs a renegotiation Go's server does not do; set it at server level")
				}
				return nil
			}},
		&directiveDef{name: "AllowOverride", module: "core.c", where: modules.AccessConf, arity: rawArgs, setup: func(c *cmd) *parser.Error {
			if v := strings.TrimSpace(c.d.Raw); v == "" || strings.EqualFold(v, "None") {
				return nil // .htaccess files are not read by httpd either
			}
			c.ignoredWarn(".htaccess files are never read, so access rules in them (Require, Deny, RewriteRule) do not apply: move them into this section")
			return nil
		}},
	)
}
