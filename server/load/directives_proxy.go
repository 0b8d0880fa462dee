package load

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/appserver/appserver/parser"
	"github.com/appserver/appserver/server/config"
	"github.com/appserver/appserver/server/modules"
)

// mod_proxy and mod_proxy_http: reverse proxying to HTTP backends.
// Contexts and error strings are httpd 2.4's (checked with apache2 -t).

func init() {
	directives.add(
		&directiveDef{name: "ProxyPass", module: "mod_proxy.c", where: modules.Anywhere, arity: rawArgs,
			help: "a virtual path and a URL", setup: setupProxyPass(false)},
		&directiveDef{name: "ProxyPassMatch", module: "mod_proxy.c", where: modules.Anywhere, arity: rawArgs,
			help: "a virtual path and a URL", setup: setupProxyPass(true)},
		&directiveDef{name: "ProxyPassReverse", module: "mod_proxy.c", where: modules.Anywhere, arity: rawArgs,
			help: "a virtual path and a URL for reverse proxy behaviour", setup: setupProxyPassReverse},
		&directiveDef{name: "ProxyPreserveHost", module: "mod_proxy.c", where: modules.Anywhere, arity: argFlag,
			help: "on if we should preserve host header while proxying", setup: func(c *cmd) *parser.Error {
				on, ok := onOff(c.args[0])
				if !ok {
					return c.err("ProxyPreserveHost must be On or Off")
				}
				proxyDir(c).PreserveHost = &on
				return nil
			}},
		&directiveDef{name: "ProxyAddHeaders", module: "mod_proxy.c", where: modules.Anywhere, arity: argFlag,
			help: "on if X-Forwarded-* headers should be added or completed", setup: func(c *cmd) *parser.Error {
				on, _ := onOff(c.args[0])
				proxyDir(c).AddHeaders = &on
				return nil
			}},
		&directiveDef{name: "ProxyRequests", module: "mod_proxy.c", where: modules.RsrcConf, arity: argFlag,
			help: "on if the true proxy requests should be accepted", setup: func(c *cmd) *parser.Error {
				on, ok := onOff(c.args[0])
				if !ok {
					return c.err("ProxyRequests must be On or Off")
				}
				if on && !c.sc.discard {
					return c.err("ProxyRequests On: appserver is no forward proxy (only ProxyPass reverse proxying is implemented); use ProxyRequests Off")
				}
				return nil
			}},
		&directiveDef{name: "ProxyTimeout", module: "mod_proxy.c", where: modules.RsrcConf, arity: take1,
			help: "Set the timeout (in seconds) for a proxied connection. This overrides the server timeout", setup: func(c *cmd) *parser.Error {
				n, err := strconv.Atoi(c.args[0])
				if err != nil || n < 1 {
					return c.err("Proxy Timeout must be at least 1 second.")
				}
				proxyServer(c).Timeout = time.Duration(n) * time.Second
				return nil
			}},
	)
}

// onOff reads an FLAG argument as httpd does (case-insensitive On/Off).
func onOff(s string) (on, ok bool) {
	switch strings.ToLower(s) {
	case "on":
		return true, true
	case "off":
		return false, true
	}
	return false, false
}

func proxyDir(c *cmd) *config.ProxyDir {
	if c.sc.conf.Proxy == nil {
		c.sc.conf.Proxy = &config.ProxyDir{}
	}
	return c.sc.conf.Proxy
}

func proxyServer(c *cmd) *config.ProxyServer {
	if c.sc.vhost.Proxy == nil {
		c.sc.vhost.Proxy = &config.ProxyServer{}
	}
	return c.sc.vhost.Proxy
}

// proxyWorkerKeys are the worker parameters httpd accepts. appserver
// honours timeout= (and the flags nocanon, noquery); the others tune
// httpd's connection pool, which Go's Transport does on its own.
var proxyWorkerKeys = map[string]bool{
	"loadfactor": true, "retry": true, "ttl": true, "min": true, "max": true, "smax": true,
	"acquire": true, "timeout": true, "iobuffersize": true, "receivebuffersize": true,
	"keepalive": true, "disablereuse": true, "enablereuse": true, "route": true, "redirect": true,
	"status": true, "flushpackets": true, "flushwait": true, "ping": true, "lbset": true,
	"connectiontimeout": true, "flusher": true, "upgrade": true, "responsefieldsize": true,
	"secret": true, "mapping": true, "addressttl": true,
}

func setupProxyPass(match bool) func(c *cmd) *parser.Error {
	return func(c *cmd) *parser.Error {
		if sec := c.sc.findParent("directory", "directorymatch", "files", "filesmatch"); sec != nil {
			return c.err("%s cannot occur within <%s> section", c.def.name, strings.TrimPrefix(sec.Name, "<"))
		}
		words := words(c.d.Raw)
		inLoc := c.sc.findParent("location", "locationmatch") != nil
		var pos []string // the path and URL, before the key=value words
		p := &config.ProxyPass{Pos: c.d.Pos}
		for _, w := range words {
			switch lw := strings.ToLower(w); {
			case lw == "nocanon":
				p.NoCanon = true
			case lw == "noquery":
				p.NoQuery = true
			case lw == "interpolate" || lw == "nomain":
			case !strings.Contains(w, "="):
				if len(pos) == 2 {
					return c.err("Invalid ProxyPass|ProxyPassMatch parameter. Parameter must be in the form 'key=value'.")
				}
				pos = append(pos, w)
			default:
				if len(pos) == 0 {
					pos = append(pos, w) // a path may contain '='
					continue
				}
				k, v, _ := strings.Cut(w, "=")
				k = strings.ToLower(k)
				if !proxyWorkerKeys[k] {
					return c.err("ProxyPass unknown Worker parameter")
				}
				if k == "timeout" {
					n, err := strconv.Atoi(v)
					if err != nil || n < 1 {
						return c.err("ProxyPass Timeout must be at least one second")
					}
					p.Timeout = time.Duration(n) * time.Second
				}
			}
		}
		switch {
		case inLoc && len(pos) == 2:
			return c.err("ProxyPass|ProxyPassMatch can not have a path when defined in a location.")
		case !inLoc && len(pos) < 2:
			return c.err("ProxyPass|ProxyPassMatch needs a path when not defined in a location")
		case len(pos) == 0:
			return c.err("ProxyPass|ProxyPassMatch needs a path when not defined in a location")
		}
		target := pos[len(pos)-1]
		if inLoc {
			p.Path = c.sc.section.Path
			p.Regex = c.sc.section.Regex
		} else {
			p.Path = pos[0]
			if match {
				re, err := config.CompileRegexp(p.Path)
				if err != nil {
					return c.errArg(0, "Regular expression could not be compiled.")
				}
				p.Regex = re
			}
		}
		if target == "!" {
			p.Exclude = true
		} else {
			if rest, ok := strings.CutPrefix(target, "unix:"); ok {
				// mod_proxy's UDS form: unix:/path/to.sock|http://host/path
				sock, u, found := strings.Cut(rest, "|")
				if !found || sock == "" {
					return c.err("ProxyPass URL must be absolute!: %s", target)
				}
				p.Socket, target = sock, u
			}
			u, err := url.Parse(target)
			if err != nil || u.Scheme == "" || u.Host == "" || !strings.Contains(target, "://") {
				return c.err("ProxyPass URL must be absolute!: %s", target)
			}
			switch strings.ToLower(u.Scheme) {
			case "http", "https":
			default:
				return c.err("%s %s: appserver proxies only to http:// and https:// backends (mod_proxy_http), not %s://", c.def.name, target, u.Scheme)
			}
			p.URL = target
		}
		if c.sc.discard {
			return nil
		}
		if inLoc {
			proxyDir(c).Pass = p
			return nil
		}
		ps := proxyServer(c)
		ps.Passes = append(ps.Passes, p)
		return nil
	}
}

func setupProxyPassReverse(c *cmd) *parser.Error {
	words := words(c.d.Raw)
	var pos []string
	for _, w := range words {
		if strings.EqualFold(w, "interpolate") {
			continue
		}
		pos = append(pos, w)
	}
	if len(pos) == 0 || len(pos) > 2 {
		return c.err("ProxyPassReverse takes one, two or three arguments, a virtual path and a URL for reverse proxy behaviour")
	}
	inLoc := c.sc.findParent("location", "locationmatch") != nil
	r := config.ProxyReverse{}
	switch {
	case inLoc && len(pos) == 2:
		return c.err("ProxyPassReverse can not have a path when defined in a location")
	case !inLoc && len(pos) < 2:
		return c.err("ProxyPassReverse needs a path when not defined in a location")
	case inLoc:
		r.Path, r.URL = c.sc.section.Path, pos[0]
	default:
		r.Path, r.URL = pos[0], pos[1]
	}
	if c.sc.discard {
		return nil
	}
	d := proxyDir(c)
	d.Reverse = append(d.Reverse, r)
	return nil
}

// words splits raw arguments as ap_getword_conf does.
func words(raw string) []string {
	var out []string
	for {
		w, q, rest := parser.GetWord(raw)
		if w == "" && q == 0 {
			return out
		}
		out = append(out, w)
		if len(rest) == len(raw) {
			return out
		}
		raw = rest
	}
}
