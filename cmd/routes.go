package cmd

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/appserver/appserver/daemon"
	"github.com/appserver/appserver/server/config"
	"github.com/appserver/appserver/server/route"
	"github.com/spf13/cobra"
)

func newRoutesCmd() *cobra.Command {
	var lf loadFlags
	var host, listen, remote string
	var asJSON, https bool
	var headers []string
	method := "GET"
	c := &cobra.Command{
		Use:   "routes -f FILE [--host HOST] [URL...]",
		Short: "Print the route table, or explain where each URL goes as Apache + mod_wsgi would",
		Long: `Without URLs, prints the route table: listeners, virtual hosts, daemon process
groups with their options, script aliases, and sections in merge order.

With URLs, explains each one: the status Apache would answer, the vhost, the
handler, the daemon process group and application group, the script with its
SCRIPT_NAME/PATH_INFO split, and the variables SetEnv, PassEnv and regex
captures add. URLs are request targets exactly as a client sends them
("/a/../b?q=1", "//x", "/%61dmin") or absolute URLs ("http://host/x").
Access rules that depend on the client ("Require ip", "Require local") are
decided for the client address --remote (default 127.0.0.1).
With --json, prints one JSON object per URL and line.`,
		RunE: func(c *cobra.Command, args []string) error {
			cfg, err := lf.load()
			if err != nil {
				w := c.ErrOrStderr()
				writeConfigtestText(w, asErrorList(err), nil, false, false)
				return &exitError{code: ExitFailed}
			}
			out := c.OutOrStdout()
			if len(args) == 0 {
				if asJSON {
					return writeRouteTableJSON(out, cfg)
				}
				writeRouteTable(out, cfg)
				return nil
			}
			ip, port, err := localAddr(cfg, listen)
			if err != nil {
				return &exitError{code: ExitUsage, err: err}
			}
			hdr, err := parseHeaderFlags(headers)
			if err != nil {
				return &exitError{code: ExitUsage, err: err}
			}
			table := route.Compile(cfg, route.Options{})
			for _, u := range args {
				req := route.Request{Method: strings.ToUpper(method), Target: u, Host: host, LocalIP: ip, LocalPort: port, HTTPS: https, RemoteIP: remote, Header: hdr}
				if pu, err := url.Parse(u); err == nil && pu.IsAbs() && host == "" {
					req.Host = pu.Host
				}
				r := followErrorDocument(table, req, table.Route(req))
				if asJSON {
					if err := json.NewEncoder(out).Encode(routeJSON(u, r)); err != nil {
						return err
					}
				} else {
					writeRouteText(out, u, r)
				}
			}
			return nil
		},
	}
	lf.register(c, true)
	c.Flags().StringVar(&host, "host", "", "the Host header to send (default: none, or the host of an absolute URL)")
	c.Flags().StringVar(&listen, "listen", "", "the listener IP:PORT the request arrives on (default: the first Listen)")
	c.Flags().BoolVar(&https, "https", false, "the request arrives over TLS")
	c.Flags().StringVar(&remote, "remote", "127.0.0.1", "the client IP address the request comes from (Require ip and Require local depend on it)")
	c.Flags().StringVar(&method, "method", "GET", "the request method (access rules in <Limit> depend on it)")
	c.Flags().StringArrayVar(&headers, "header", nil, "a request header 'Name: value' (repeatable; rewrite conditions and authentication depend on them)")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON (one object per URL and line)")
	return c
}

// localAddr picks the listener address a request is taken to arrive on.
func localAddr(cfg *config.Config, listen string) (string, int, error) {
	if listen != "" {
		h, p, err := net.SplitHostPort(listen)
		if err != nil {
			return "", 0, fmt.Errorf("--listen %q: want IP:PORT", listen)
		}
		port, err := strconv.Atoi(p)
		if err != nil {
			return "", 0, fmt.Errorf("--listen %q: bad port", listen)
		}
		return h, port, nil
	}
	if len(cfg.Listen) == 0 {
		return "127.0.0.1", 80, nil
	}
	l := cfg.Listen[0]
	ip := l.Addr
	if ip == "" {
		ip = "127.0.0.1"
	}
	return ip, l.Port, nil
}

type routeOut struct {
	URL              string            `json:"url"`
	Status           int               `json:"status"`
	Reason           string            `json:"reason,omitempty"`
	VHost            string            `json:"vhost"`
	Handler          route.Handler     `json:"handler"`
	ProcessGroup     string            `json:"process_group"`
	ApplicationGroup string            `json:"application_group"`
	Script           string            `json:"script"`
	ScriptName       string            `json:"script_name"`
	PathInfo         string            `json:"path_info"`
	File             string            `json:"file,omitempty"`
	Location         string            `json:"location,omitempty"`
	Proxy            string            `json:"proxy,omitempty"` // the backend URL of a ProxyPass
	Env              map[string]string `json:"env"`
}

func routeJSON(u string, r *route.Route) routeOut {
	o := routeOut{
		URL: u, Status: r.Status, Reason: r.Reason, VHost: vhostLabel(r.VHost), Handler: r.Handler,
		ProcessGroup: r.ProcessGroup, ApplicationGroup: r.ApplicationGroup, Script: r.Script,
		ScriptName: r.ScriptName, PathInfo: r.PathInfo, File: r.File, Location: r.RedirectURL, Proxy: r.ProxyURL, Env: r.Env,
	}
	if o.Env == nil {
		o.Env = map[string]string{}
	}
	if o.Handler == "" {
		o.Handler = route.HandlerNone
	}
	return o
}

func vhostLabel(v *config.VHost) string {
	switch {
	case v == nil:
		return ""
	case v.IsMain:
		return "main server"
	case v.Name != "":
		return v.Name
	}
	var addrs []string
	for _, a := range v.Addrs {
		addrs = append(addrs, a.Text)
	}
	return fmt.Sprintf("<VirtualHost %s> at %s:%d", strings.Join(addrs, " "), v.Pos.Filename, v.Pos.Line)
}

func writeRouteText(w io.Writer, u string, r *route.Route) {
	o := routeJSON(u, r)
	fmt.Fprintf(w, "%s\n", u)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	line := func(k, v string) { fmt.Fprintf(tw, "  %s\t%s\n", k, v) }
	status := strconv.Itoa(o.Status)
	if o.Reason != "" {
		status += " (" + o.Reason + ")"
	}
	line("status", status)
	line("vhost", o.VHost)
	line("handler", string(o.Handler))
	if o.Handler == route.HandlerWSGI {
		line("process group", quoteEmpty(o.ProcessGroup, "(embedded: %{GLOBAL})"))
		line("application group", quoteEmpty(o.ApplicationGroup, "(main interpreter: %{GLOBAL})"))
		line("script", o.Script)
		line("SCRIPT_NAME", strconv.Quote(o.ScriptName))
		line("PATH_INFO", strconv.Quote(o.PathInfo))
	}
	if o.File != "" {
		line("file", o.File)
	}
	if o.Location != "" {
		line("location", o.Location)
	}
	if o.Handler == route.HandlerProxy {
		line("proxied to", o.Proxy)
	}
	keys := make([]string, 0, len(o.Env))
	for k := range o.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		line("env "+k, strconv.Quote(o.Env[k]))
	}
	tw.Flush()
}

func quoteEmpty(s, empty string) string {
	if s == "" {
		return empty
	}
	return s
}

func writeRouteTable(w io.Writer, cfg *config.Config) {
	fmt.Fprintf(w, "Config: %s\n", cfg.File)
	if len(cfg.Listen) > 0 {
		fmt.Fprintf(w, "\nListen:\n")
		for _, l := range cfg.Listen {
			addr := l.Addr
			if addr == "" {
				addr = "*"
			}
			fmt.Fprintf(w, "  %s:%d %s\n", addr, l.Port, l.Proto)
		}
	}
	fmt.Fprintf(w, "\nDaemon process groups:\n")
	if len(cfg.Groups) == 0 {
		fmt.Fprintf(w, "  (none: every WSGI request runs in the embedded group)\n")
	}
	for _, g := range cfg.Groups {
		fmt.Fprintf(w, "  %s  %s\n      %s\n", g.Spec.Name, g.Spec.Source, strings.Join(groupOptions(g.Spec), " "))
	}
	for _, v := range append([]*config.VHost{cfg.Main}, cfg.VHosts...) {
		if v == nil {
			continue
		}
		fmt.Fprintf(w, "\n%s", vhostLabel(v))
		if !v.IsMain {
			var addrs []string
			for _, a := range v.Addrs {
				addrs = append(addrs, a.Text)
			}
			fmt.Fprintf(w, "  <VirtualHost %s> %s:%d", strings.Join(addrs, " "), v.Pos.Filename, v.Pos.Line)
			if len(v.Aliases) > 0 {
				fmt.Fprintf(w, "  aliases: %s", strings.Join(v.Aliases, " "))
			}
		}
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, sa := range v.ScriptAliases {
			kind := "WSGIScriptAlias"
			if sa.Regex != nil {
				kind = "WSGIScriptAliasMatch"
			}
			fmt.Fprintf(tw, "  %s\t%s\t-> %s\t%s\n", kind, sa.URL, sa.Target, scriptAliasOptions(sa))
		}
		for _, a := range v.FileAliases {
			fmt.Fprintf(tw, "  %s\t%s\t-> %s\t\n", a.Kind, a.URL, a.Target)
		}
		if v.Proxy != nil {
			for _, p := range v.Proxy.Passes {
				kind, to := "ProxyPass", p.URL
				if p.Regex != nil {
					kind = "ProxyPassMatch"
				}
				if p.Exclude {
					to = "! (not proxied)"
				}
				fmt.Fprintf(tw, "  %s\t%s\t-> %s\t\n", kind, p.Path, to)
			}
		}
		if s := dirConfSummary(v.Defaults); s != "" {
			fmt.Fprintf(tw, "  defaults\t\t%s\t\n", s)
		}
		tw.Flush()
		sections := v.Sections
		if !v.IsMain && cfg.Main != nil {
			sections = append(append([]*config.Section{}, cfg.Main.Sections...), v.Sections...)
		}
		if len(sections) > 0 {
			fmt.Fprintf(w, "  sections, in merge order (later wins):\n")
			tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
			for i, s := range sections {
				fmt.Fprintf(tw, "  %3d  %s\t%s\t%s:%d\n", i+1, sectionLabel(s), dirConfSummary(s.Conf), s.Pos.Filename, s.Pos.Line)
			}
			tw.Flush()
		}
	}
}

func sectionLabel(s *config.Section) string {
	switch s.Kind {
	case config.SectionLocation:
		return "<Location " + s.Path + ">"
	case config.SectionLocationMatch:
		return "<LocationMatch " + strconv.Quote(s.Path) + ">"
	case config.SectionDirectory:
		return "<Directory " + s.Path + ">"
	case config.SectionDirectoryMatch:
		return "<DirectoryMatch " + strconv.Quote(s.Path) + ">"
	case config.SectionFiles:
		return "<Files " + s.Path + ">"
	default:
		return "<FilesMatch " + strconv.Quote(s.Path) + ">"
	}
}

func dirConfSummary(d *config.DirConf) string {
	if d == nil {
		return ""
	}
	var parts []string
	add := func(k string, s *config.Setting) {
		if s != nil {
			parts = append(parts, k+"="+s.Value)
		}
	}
	add("WSGIProcessGroup", d.ProcessGroup)
	add("WSGIApplicationGroup", d.ApplicationGroup)
	add("WSGICallableObject", d.CallableObject)
	add("SetHandler", d.Handler)
	if d.Proxy != nil && d.Proxy.Pass != nil {
		to := d.Proxy.Pass.URL
		if d.Proxy.Pass.Exclude {
			to = "!"
		}
		parts = append(parts, "ProxyPass="+to)
	}
	switch {
	case d.Require == "request":
		parts = append(parts, "Require="+d.RequireRule.String())
	case d.Require != "":
		parts = append(parts, "Require=all "+d.Require)
	}
	for _, e := range d.Env {
		switch e.Op {
		case config.EnvSet:
			parts = append(parts, "SetEnv "+e.Name+"="+strconv.Quote(e.Value))
		case config.EnvUnset:
			parts = append(parts, "UnsetEnv "+e.Name)
		case config.EnvPass:
			parts = append(parts, "PassEnv "+e.Name)
		}
	}
	return strings.Join(parts, " ")
}

func scriptAliasOptions(sa *config.ScriptAlias) string {
	var parts []string
	if sa.ProcessGroup != nil {
		parts = append(parts, "process-group="+*sa.ProcessGroup)
	}
	if sa.ApplicationGroup != nil {
		parts = append(parts, "application-group="+*sa.ApplicationGroup)
	}
	if sa.CallableObject != nil {
		parts = append(parts, "callable-object="+*sa.CallableObject)
	}
	if sa.PassAuthorization != nil {
		parts = append(parts, "pass-authorization="+strconv.FormatBool(*sa.PassAuthorization))
	}
	return strings.Join(parts, " ")
}

func groupOptions(g *daemon.Spec) []string {
	opts := []string{
		"processes=" + strconv.Itoa(g.Processes),
		"threads=" + strconv.Itoa(g.Threads),
	}
	if g.DisplayName != "" {
		opts = append(opts, "display-name="+g.DisplayName)
	}
	if g.MaximumRequests > 0 {
		opts = append(opts, "maximum-requests="+strconv.Itoa(g.MaximumRequests))
	}
	dur := func(k string, d interface{ Seconds() float64 }) {
		if s := d.Seconds(); s > 0 {
			opts = append(opts, k+"="+strconv.FormatFloat(s, 'f', -1, 64))
		}
	}
	dur("inactivity-timeout", g.InactivityTimeout)
	dur("request-timeout", g.RequestTimeout)
	dur("queue-timeout", g.QueueTimeout)
	dur("restart-interval", g.RestartInterval)
	for k, v := range map[string]string{"user": g.User, "group": g.Group, "home": g.Home, "python-home": g.PythonHome} {
		if v != "" {
			opts = append(opts, k+"="+v)
		}
	}
	sort.Strings(opts[2:])
	return opts
}

func writeRouteTableJSON(w io.Writer, cfg *config.Config) error {
	type group struct {
		Name    string   `json:"name"`
		Source  string   `json:"source"`
		Options []string `json:"options"`
	}
	type section struct {
		Section string `json:"section"`
		Source  string `json:"source"`
		Sets    string `json:"sets"`
	}
	type vhost struct {
		Name     string    `json:"name"`
		Aliases  []string  `json:"aliases,omitempty"`
		Sections []section `json:"sections"`
	}
	out := struct {
		Groups []group `json:"groups"`
		VHosts []vhost `json:"vhosts"`
	}{Groups: []group{}, VHosts: []vhost{}}
	for _, g := range cfg.Groups {
		out.Groups = append(out.Groups, group{g.Spec.Name, g.Spec.Source, groupOptions(g.Spec)})
	}
	for _, v := range append([]*config.VHost{cfg.Main}, cfg.VHosts...) {
		if v == nil {
			continue
		}
		sections := v.Sections
		if !v.IsMain && cfg.Main != nil {
			sections = append(append([]*config.Section{}, cfg.Main.Sections...), v.Sections...)
		}
		vh := vhost{Name: vhostLabel(v), Aliases: v.Aliases, Sections: []section{}}
		for _, s := range sections {
			vh.Sections = append(vh.Sections, section{sectionLabel(s), fmt.Sprintf("%s:%d", s.Pos.Filename, s.Pos.Line), dirConfSummary(s.Conf)})
		}
		out.VHosts = append(out.VHosts, vh)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// parseHeaderFlags reads --header values ("Name: value") into a header.
func parseHeaderFlags(list []string) (http.Header, error) {
	if len(list) == 0 {
		return nil, nil
	}
	h := http.Header{}
	for _, l := range list {
		name, value, ok := strings.Cut(l, ":")
		name = strings.TrimSpace(name)
		if !ok || name == "" || strings.ContainsAny(name, " \t") {
			return nil, fmt.Errorf("--header %q: want 'Name: value'", l)
		}
		h.Add(name, strings.TrimSpace(value))
	}
	return h, nil
}

// followErrorDocument is the route that answers an error, as httpd takes
// it from the ErrorDocument for the error's status: a local URL is routed
// as its internal redirect (a static document keeps the error's status;
// an error routing it keeps the original answer), an external URL is a
// 302, a string the error's status.
func followErrorDocument(table *route.Table, req route.Request, r *route.Route) *route.Route {
	if r.Status < 400 || r.Conf == nil || r.Conf.Responses == nil {
		return r
	}
	doc := r.Conf.Responses.ErrorDocuments[r.Status]
	switch {
	case doc == "" || doc == "default" || doc[0] == '"':
		return r
	case doc[0] == '/':
		req.Method, req.Target = http.MethodGet, doc
		d := table.Route(req)
		if d.Status != http.StatusOK {
			return r
		}
		out := *d
		out.Reason = fmt.Sprintf("ErrorDocument %d %s", r.Status, doc)
		if out.Handler != route.HandlerWSGI {
			out.Status = r.Status
		}
		return &out
	default:
		out := *r
		out.Status, out.Reason = http.StatusFound, fmt.Sprintf("ErrorDocument %d %s", r.Status, doc)
		out.Handler, out.File = route.HandlerNone, ""
		return &out
	}
}
