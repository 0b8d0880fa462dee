package route

import (
	"net/url"
	"time"

	"github.com/appserver/appserver/parser"
	"github.com/appserver/appserver/server/config"
)

// HandlerProxy: mod_proxy's proxy-server handler; Route.ProxyURL is where
// the request goes.
const HandlerProxy Handler = "proxy"

// proxyTable is a server's mod_proxy mappings: the main server's
// ProxyPass lines, then the vhost's (ProxyPassInherit On, checked on
// Apache 2.4: the main server's mapping of the same path wins).
type proxyTable struct {
	passes  []*config.ProxyPass
	timeout time.Duration
	// inLocations: some <Location> has a one-argument ProxyPass.
	inLocations bool
	// unevaluated are <Proxy> sections with access rules: they refuse.
	unevaluated []parser.Position
}

func newProxyTable(v, main *config.VHost, locs []*config.Section) *proxyTable {
	pt := &proxyTable{}
	for _, h := range []*config.VHost{main, v} {
		if h == nil || h.Proxy == nil {
			continue
		}
		pt.passes = append(pt.passes, h.Proxy.Passes...)
		pt.unevaluated = append(pt.unevaluated, h.Proxy.Unevaluated...)
		if h.Proxy.Timeout != 0 {
			pt.timeout = h.Proxy.Timeout
		}
	}
	for _, s := range locs {
		if s.Conf != nil && s.Conf.Proxy != nil && s.Conf.Proxy.Pass != nil {
			pt.inLocations = true
		}
	}
	if len(pt.passes) == 0 && !pt.inLocations {
		return nil
	}
	return pt
}

// proxyTranslate is mod_proxy's translate_name hook, which runs before
// mod_alias's and mod_wsgi's: the ProxyPass of the last matching
// <Location> first (httpd 2.4 walks locations before translating), then
// the server's in order. The first match wins; a "!" match stops the
// search and lets the other modules map the URL.
func (st *serverTable) proxyTranslate(uri, rawPath, query string) (backend string, p *config.ProxyPass) {
	pt := st.proxy
	if pt.inLocations {
		var buf [32]int32
		var loc *config.ProxyPass
		for _, i := range st.locs.match(buf[:0], uri, noSlashRuns(uri)) {
			if c := st.locs.secs[i].sec.Conf; c != nil && c.Proxy != nil && c.Proxy.Pass != nil {
				loc = c.Proxy.Pass
			}
		}
		if loc != nil {
			if u, ok := proxyMatch(loc, uri, rawPath, query); ok {
				return u, loc
			}
		}
	}
	for _, p := range pt.passes {
		u, ok := proxyMatch(p, uri, rawPath, query)
		if !ok {
			continue
		}
		if p.Exclude {
			return "", nil
		}
		return u, p
	}
	return "", nil
}

// proxyMatch maps uri (decoded) through one ProxyPass. The remainder of
// the path is escaped again (proxy_http's canonicalisation) unless
// nocanon asks for the client's bytes (rawPath, undecoded); the query
// string always follows (noquery only concerns FastCGI's SCRIPT_FILENAME;
// checked on Apache 2.4.71).
func proxyMatch(p *config.ProxyPass, uri, rawPath, query string) (string, bool) {
	var u string
	if p.Regex != nil {
		m := p.Regex.FindSubmatchIndex(uri)
		if m == nil {
			return "", false
		}
		if p.Exclude {
			return "", true
		}
		u = regSub(p.URL, uri, m)
		if u == p.URL {
			// No substitution: the whole URI is appended, as mod_proxy does.
			u = p.URL + escapeProxyPath(uri)
		}
	} else {
		l := aliasMatches(uri, p.Path)
		if l <= 0 {
			return "", false
		}
		if p.Exclude {
			return "", true
		}
		rest := escapeProxyPath(uri[l:])
		if p.NoCanon {
			if rl := aliasMatches(rawPath, p.Path); rl > 0 {
				rest = rawPath[rl:]
			}
		}
		u = p.URL + rest
	}
	if query != "" {
		u += "?" + query
	}
	return u, true
}

// escapeProxyPath escapes a decoded path for the backend's request line.
func escapeProxyPath(p string) string {
	return (&url.URL{Path: p}).EscapedPath()
}

// ServerHostname is the chosen server's name (httpd's
// r->server->server_hostname: its ServerName, else the main server's),
// which mod_proxy_http sends as X-Forwarded-Server.
func (r *Route) ServerHostname() string {
	if r.server == nil {
		return ""
	}
	return r.server.name
}
