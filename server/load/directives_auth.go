package load

import (
	"strings"

	"github.com/appserver/appserver/parser"
	"github.com/appserver/appserver/server/config"
)

// Authentication: mod_authn_core (AuthType, AuthName), mod_auth_basic
// (AuthBasicProvider), mod_authn_file (AuthUserFile) and
// mod_authz_groupfile (AuthGroupFile). Evaluated per request by
// config.Access; inside <If> they are not evaluated, but a Require there
// already refuses (fail closed), so they are simply dropped.

// authnProviders are the AuthBasicProvider names of the modules httpd and
// mod_wsgi ship; only "file" is evaluated.
var authnProviders = map[string]bool{"file": true, "dbm": true, "dbd": true, "ldap": true, "socache": true,
	"anon": true, "wsgi": true}

func init() {
	directives.add(
		&directiveDef{name: "AuthType", module: "mod_authn_core.c", where: accessDirs, arity: take1,
			help: "an HTTP authorization type (e.g., \"Basic\")", setup: setupAuthType},
		&directiveDef{name: "AuthName", module: "mod_authn_core.c", where: accessDirs, arity: take1,
			help: "the authentication realm (e.g. \"Members Only\")", setup: setupAuthName},
		&directiveDef{name: "AuthBasicProvider", module: "mod_auth_basic.c", where: accessDirs, arity: iterate,
			help: "specify the auth providers for a directory or location", setup: setupAuthBasicProvider},
		&directiveDef{name: "AuthUserFile", module: "mod_authn_file.c", where: accessDirs, arity: take1,
			help: "text file containing user IDs and passwords", setup: setupAuthFile(false)},
		&directiveDef{name: "AuthGroupFile", module: "mod_authz_groupfile.c", where: accessDirs, arity: take1,
			help: "text file containing group names and member user IDs", setup: setupAuthFile(true)},
		&directiveDef{name: "WSGIAuthUserScript", module: "mod_wsgi.c", where: accessDirs, arity: rawArgs, setup: setupHookScript("auth user")},
		&directiveDef{name: "WSGIAuthGroupScript", module: "mod_wsgi.c", where: accessDirs, arity: rawArgs, setup: setupHookScript("auth group")},
		&directiveDef{name: "WSGIAccessScript", module: "mod_wsgi.c", where: accessDirs, arity: rawArgs, setup: setupHookScript("access")},
	)
}

func setupAuthType(c *cmd) *parser.Error {
	if c.sc.discard {
		return nil
	}
	v := c.args[0]
	if strings.EqualFold(v, "None") {
		v = "" // mod_authn_core: None unsets the type
	} else if !strings.EqualFold(v, "Basic") {
		c.warn(config.WarnDenies, "AuthType %s is not implemented (only Basic is): requests that need a user here get 500, as from Apache without the module", v)
	}
	c.sc.conf.AuthType = &v
	return nil
}

func setupAuthName(c *cmd) *parser.Error {
	if c.sc.discard {
		return nil
	}
	v := c.args[0]
	if strings.Contains(v, "%{") {
		c.warn(config.WarnIgnored, "AuthName %s: expressions in the realm are not evaluated; the realm is sent as written", v)
	}
	v = escapeQuotes(v)
	c.sc.conf.AuthName = &v
	return nil
}

// escapeQuotes is ap_escape_quotes: a backslash before every double quote
// not already escaped.
func escapeQuotes(s string) string {
	if !strings.Contains(s, `"`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s):
			b.WriteString(s[i : i+2])
			i++
		case s[i] == '"':
			b.WriteString(`\"`)
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

func setupAuthBasicProvider(c *cmd) *parser.Error {
	var ps []string
	for i, p := range c.args {
		if !authnProviders[p] {
			return c.errArg(i, "Unknown Authn provider: %s", p)
		}
		if p != "file" && p != "wsgi" && !c.sc.discard {
			c.warn(config.WarnDenies, "AuthBasicProvider %s is not implemented (only file and wsgi are): it knows no user, so users it would accept get 401 (fail closed)", p)
		}
		ps = append(ps, p)
	}
	if !c.sc.discard {
		c.sc.conf.AuthBasicProvider = ps
	}
	return nil
}

func setupAuthFile(group bool) func(c *cmd) *parser.Error {
	return func(c *cmd) *parser.Error {
		if c.sc.discard {
			return nil
		}
		path := c.ld.serverRelative(c.args[0])
		f, err := config.NewAuthFile(path, c.d.Pos, group)
		if err != nil {
			c.warn(config.WarnDenies, "%s %s cannot be read (%v): requests that authenticate here get 500, as from Apache, until it can be", c.def.name, path, err)
		} else if !group {
			for _, h := range unsupportedHashes(f) {
				c.warn(config.WarnDenies, "%s %s: user %s has a password hash appserver cannot check (only bcrypt, $apr1$, $1$, $5$, $6$ and {SHA} are; traditional DES crypt is not): that user gets 401", c.def.name, path, h)
			}
		}
		if group {
			c.sc.conf.AuthGroupFile = f
		} else {
			c.sc.conf.AuthUserFile = f
		}
		return nil
	}
}

// unsupportedHashes lists the users of f whose password field
// CheckPassword cannot verify (at most a few, for the warning).
func unsupportedHashes(f *config.AuthFile) []string {
	var out []string
	for _, u := range f.Users() {
		pw, _, _ := f.Password(u)
		if pw != "" && !config.HashSupported(pw) {
			out = append(out, u)
			if len(out) == 5 {
				break
			}
		}
	}
	return out
}

// setupHookScript reads "path [application-group=NAME]" as mod_wsgi's
// wsgi_set_*_script do. The scripts run in the embedded group's process
// (mod_wsgi runs them in Apache's children, never in a daemon).
func setupHookScript(what string) func(c *cmd) *parser.Error {
	return func(c *cmd) *parser.Error {
		path, _, rest := parser.GetWord(c.d.Raw)
		if path == "" {
			return c.err("Location of %s script not supplied.", what)
		}
		hs := &config.HookScript{Path: path, Pos: c.d.Pos}
		for w, _, r := parser.GetWord(rest); w != ""; w, _, r = parser.GetWord(r) {
			v, ok := strings.CutPrefix(w, "application-group=")
			if !ok {
				return c.err("Invalid option to WSGI %s script definition.", what)
			}
			if v == "" {
				return c.err("Invalid name for WSGI application group.")
			}
			if v == "%{GLOBAL}" {
				v = ""
			}
			hs.AppGroup = v
		}
		if c.sc.discard {
			if what == "access" {
				c.denyFor(&config.AccessDeny{}, "")
			}
			return nil
		}
		c.ld.cfg.UsesAuthHooks = true
		switch what {
		case "auth user":
			c.sc.conf.AuthUserScript = hs
		case "auth group":
			c.sc.conf.AuthGroupScript = hs
		default:
			c.sc.conf.AccessScript = hs
		}
		return nil
	}
}
