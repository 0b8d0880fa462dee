package server

import (
	"context"
	"log/slog"
	"net"

	"github.com/appserver/appserver/daemon"
	"github.com/appserver/appserver/parser"
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
func (c *Config) ScriptChecks() []ScriptCheck {
	var out []ScriptCheck
	seen := map[ScriptCheck]bool{}
	for _, v := range append([]*VHost{c.Main}, c.VHosts...) {
		if v == nil {
			continue
		}
		ip, port := c.vhostAddress(v)
		for _, sa := range v.ScriptAliases {
			if sa.Regex != nil {
				continue
			}
			r := c.Route(Request{Target: sa.URL, Host: v.Name, LocalIP: ip, LocalPort: port})
			if r.Handler != "wsgi" || r.Script == "" {
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
func (c *Config) vhostAddress(v *VHost) (string, int) {
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

// CheckScripts starts one process of each group the scripts route to, with
// every one of its scripts preloaded as required, and stops it again: a
// script that does not import or lacks its callable is reported with the
// Python error. Scripts of the embedded group ("") are skipped and counted
// in unchecked.
func CheckScripts(ctx context.Context, cfg *Config, opts FrontendOptions) (checked, unchecked int, errs parser.ErrorList) {
	f := &Frontend{cfg: cfg, opts: opts, log: opts.Logger}
	if f.log == nil {
		f.log = slog.Default()
	}
	byGroup := map[string][]ScriptCheck{}
	for _, ck := range cfg.ScriptChecks() {
		if ck.ProcessGroup == "" {
			unchecked++
			continue
		}
		byGroup[ck.ProcessGroup] = append(byGroup[ck.ProcessGroup], ck)
	}
	for _, spec := range cfg.Groups {
		checks := byGroup[spec.Name]
		if len(checks) == 0 {
			continue
		}
		s := f.withServerUser(spec)
		s.Processes, s.MinProcesses = 1, 0
		s.Preload = nil
		for _, ck := range checks {
			s.Preload = append(s.Preload, daemon.Preload{Script: ck.Script, ApplicationGroup: ck.ApplicationGroup,
				CallableObject: ck.CallableObject, Required: true})
		}
		g := daemon.NewGroup(s, f.groupOptions(s))
		err := g.Start(ctx)
		_ = g.Stop(context.Background())
		if err != nil {
			errs = append(errs, &parser.Error{Pos: checks[0].Pos, Msg: err.Error()})
			continue
		}
		checked += len(checks)
	}
	return checked, unchecked, errs
}
