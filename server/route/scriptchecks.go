package route

import (
	"net"

	"github.com/appserver/appserver/parser"
	"github.com/appserver/appserver/server/config"
)

// ScriptCheck is a WSGI script a config maps a URL to, and what would load
// it: found by routing a request for the alias's URL, as serve would.
type ScriptCheck struct {
	Pos              parser.Position // the WSGIScriptAlias
	Script           string
	ProcessGroup     string
	ApplicationGroup string
	CallableObject   string
}

// ScriptChecks lists the scripts of the WSGIScriptAlias lines that map a
// URL prefix to a file; WSGIScriptAliasMatch targets and folders depend on
// the URL and are left out.
func (t *Table) ScriptChecks() []ScriptCheck {
	c := t.cfg
	var out []ScriptCheck
	seen := map[ScriptCheck]bool{}
	for _, v := range append([]*config.VHost{c.Main}, c.VHosts...) {
		if v == nil {
			continue
		}
		ip, port := vhostAddress(c, v)
		for _, sa := range v.ScriptAliases {
			if sa.Regex != nil {
				continue
			}
			r := t.Route(Request{Target: sa.URL, Host: v.Name, LocalIP: ip, LocalPort: port})
			if r.Handler != HandlerWSGI || r.Script == "" {
				continue
			}
			ck := ScriptCheck{Script: r.Script, ProcessGroup: r.ProcessGroup, ApplicationGroup: r.ApplicationGroup, CallableObject: r.CallableObject}
			if seen[ck] {
				continue
			}
			seen[ck] = true
			ck.Pos = sa.Pos
			out = append(out, ck)
		}
	}
	return out
}

// vhostAddress is an address a request for v can arrive on.
func vhostAddress(c *config.Config, v *config.VHost) (string, int) {
	port := 80
	if len(c.Listen) > 0 {
		port = c.Listen[0].Port
	}
	for _, a := range v.Addrs {
		if a.Port != 0 {
			port = a.Port
		}
		if ip := net.ParseIP(a.Host); ip != nil {
			return a.Host, port
		}
	}
	return "127.0.0.1", port
}
