package route

import (
	"fmt"
	"maps"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/appserver/appserver/server/config"
)

// Request is what routing needs to know about one HTTP request.
type Request struct {
	Method string // "" = GET
	// Target is the request-target as sent: origin-form "/p?q" (not yet
	// decoded or normalised) or absolute-form "http://host/p".
	Target string
	// Host is the Host header; "" = none (HTTP/1.0).
	Host string
	// LocalIP and LocalPort are the address the connection came in on; they
	// choose the candidate vhosts. LocalIP "" means 127.0.0.1.
	LocalIP   string
	LocalPort int
	// HTTPS is true on a TLS listener; ClientVerified when its client
	// sent a certificate that was verified (SSLVerifyClient).
	HTTPS          bool
	ClientVerified bool
	// Header holds the request headers, for RewriteCond; nil is a request
	// without any.
	Header http.Header
	// Proto is the request's protocol ("" = HTTP/1.1), for
	// %{THE_REQUEST}, %{SERVER_PROTOCOL} and SetEnvIf Request_Protocol;
	// RemotePort the client's port.
	Proto      string
	RemotePort string
	// RemoteIP is the client's address as the connection has it (never
	// from a proxy header: appserver has no mod_remoteip), for Require ip
	// and Require local. "" is unknown: those rules grant nothing.
	RemoteIP string
	// Hooks runs mod_wsgi's auth and access scripts; nil (routes) makes
	// what depends on them fail closed.
	Hooks config.AuthHooks
	// Resolver answers host-name access rules; nil (routes) makes them
	// fail closed.
	Resolver config.HostResolver
}

// Route is the decision Apache + mod_wsgi would make for a Request.
type Route struct {
	// Status is 200 when a handler will run, else what Apache answers before
	// any handler (400 bad path, 404 encoded slash or no mapping, 401
	// authentication, 403 Require all denied, 500 unknown daemon group).
	Status int
	// Reason says why Status is not 200, in the words of Apache's error log.
	Reason string
	// Challenge is the WWW-Authenticate value of a 401 ("" = none).
	Challenge string
	// AuthType is set once a user was authenticated: then User and
	// AuthType are REMOTE_USER and AUTH_TYPE. On a 401, User is the user
	// the credentials named (httpd's r->user, which the access log shows).
	User, AuthType string
	// RemoteHost is REMOTE_HOST: the client's name when an access rule
	// looked it up (double reverse) and found one; set by the front end.
	RemoteHost string

	VHost *config.VHost
	// URI is the normalised, decoded path (httpd's r->uri); Query the raw
	// query string.
	URI   string
	Query string

	Handler Handler

	// For HandlerWSGI:
	ProcessGroup      string        // resolved name; "" = embedded (%{GLOBAL})
	Group             *config.Group // nil when ProcessGroup names no group
	ApplicationGroup  string        // as mod_wsgi reports it ("" = %{GLOBAL})
	Script            string        // SCRIPT_FILENAME
	ScriptName        string
	PathInfo          string
	CallableObject    string
	PassAuthorization bool

	// RedirectURL is the Location of a redirect (Status 3xx) that
	// mod_alias or mod_rewrite answers; Vary lists the request headers
	// RewriteCond looked at (mod_rewrite adds them to the response's Vary).
	RedirectURL string
	Vary        []string

	// ContextPrefix and ContextDocumentRoot are what a prefix Alias sets
	// (ap_set_context_info): its URL-path and its target; "" otherwise.
	ContextPrefix, ContextDocumentRoot string

	// File is the file HandlerStatic serves.
	File string

	// For HandlerProxy: the backend URL (with the query string), the
	// ProxyPass that mapped it, and ProxyTimeout (0: the server's Timeout).
	ProxyURL     string
	ProxyPass    *config.ProxyPass
	ProxyTimeout time.Duration

	// Location is the last <Location> or <LocationMatch> that applied, and
	// ScriptAlias the WSGIScriptAlias that mapped the URL (nil: none).
	// Label names the route by them, for per-route metrics.
	Location    *config.Section
	ScriptAlias *config.ScriptAlias

	// Env holds every variable SetEnv, PassEnv and regex captures
	// (MATCH_NAME) add, after mod_env merging; nil when there are none.
	// The map may be shared with other requests: do not modify it.
	Env map[string]string

	// Conf is the merged per-directory config (shared: do not modify). Its
	// Env lists every operation that applied; Env above is the result.
	Conf *config.DirConf

	// envIf holds what SetEnvIf set, once envIfDone (the access phase
	// needed it before the environ was built).
	envIf     map[string]string
	envIfDone bool

	// server and cwd map further URIs on the chosen server (PathTranslated).
	server *serverTable
	cwd    string
	table  *Table
	// scriptMtime is the WSGI script's mtime from the walk (zero when the
	// walk did not stat a real file), for the worker's reload check.
	ScriptMtime time.Time

	// ServerName and ServerPort are SERVER_NAME and SERVER_PORT as httpd
	// computes them with UseCanonicalName Off: the request's host (else the
	// server's ServerName) and the Host header's port (else the ServerName
	// port, else 80 or 443).
	ServerName string
	ServerPort int
}

// Label names the part of the site a request went to, as the config
// wrote it: the <Location> that applied ("/admin", "~ ^/$" for a regex),
// else the WSGIScriptAlias URL, else "" (the rest). Labels come from the
// config, never from the request, so there are as many as it has sections.
func (r *Route) Label() string {
	switch {
	case r.Location != nil && r.Location.Regex != nil:
		return "~ " + r.Location.Path
	case r.Location != nil:
		return r.Location.Path
	case r.ScriptAlias != nil && r.ScriptAlias.Regex != nil:
		return "~ " + r.ScriptAlias.URL
	case r.ScriptAlias != nil:
		return r.ScriptAlias.URL
	}
	return ""
}

// Handler is what answers a routed request.
type Handler string

const (
	HandlerWSGI   Handler = "wsgi"   // a WSGI application (mod_wsgi's wsgi-script)
	HandlerStatic Handler = "static" // a file under DocumentRoot or an Alias
	HandlerNone   Handler = "none"   // nothing: Status says what the client gets
	// SetHandler server-status and server-metrics: the monitor's status
	// page and Prometheus exposition.
	HandlerStatus  Handler = "server-status"
	HandlerMetrics Handler = "server-metrics"
	// SetHandler appserver-ready: 200 while the server takes requests,
	// 503 while it stops or a group has no process ready (load balancers).
	HandlerReady Handler = "appserver-ready"
)

// Options are the host facts routing depends on. Zero values mean the
// running host's: os.Stat, the working directory, the host name.
type Options struct {
	// Stat looks files up (the walk of the URL-to-file mapping).
	Stat StatFunc
	// Cwd resolves relative file names, as apr_filepath_merge does with
	// the server's working directory.
	Cwd string
	// Hostname names a main server that has no ServerName.
	Hostname string
}

// Table is a Config compiled for routing. It is safe for concurrent use
// and never changes; a changed Config needs a new Compile.
type Table struct {
	cfg     *config.Config
	stat    StatFunc
	main    *serverTable
	servers []*serverTable // the vhosts, in file order
	vhosts  *vhostIndex
	groups  map[string]*config.Group

	restrictEmbedded bool
	cwd              string // Options.Cwd

	// merged caches merge results by the chain of DirConfs merged, so that
	// the common requests of a site merge nothing at all.
	mergedMu sync.RWMutex
	merged   map[mergeKey]*mergedConf
}

// Merge cache bounds: chains longer than maxChain are merged every time,
// and the cache stops growing at maxMergeCache entries.
const (
	maxChain      = 16
	maxMergeCache = 4096
)

// mergeKey identifies a merge: the DirConfs merged, in order, and how
// many of them came from each walk.
type mergeKey struct {
	n, dirs, files int
	confs          [maxChain]*config.DirConf
}

// mergedConf is a merged per-directory config and its mod_env table.
type mergedConf struct {
	conf   *config.DirConf
	modEnv map[string]string // nil when empty
}

// mergeChain merges chain[0] (the server defaults) with the sections that
// follow, in order: dirs sections from the directory walk, files from the
// file walk, then those of the location walk.
func (t *Table) mergeChain(chain []*config.DirConf, dirs, files int) *mergedConf {
	if len(chain) > maxChain {
		return computeMerge(chain, dirs, files)
	}
	k := mergeKey{dirs: dirs, files: files}
	k.n = copy(k.confs[:], chain)
	t.mergedMu.RLock()
	mc, ok := t.merged[k]
	t.mergedMu.RUnlock()
	if ok {
		return mc
	}
	mc = computeMerge(chain, dirs, files)
	t.mergedMu.Lock()
	if len(t.merged) < maxMergeCache {
		t.merged[k] = mc
	}
	t.mergedMu.Unlock()
	return mc
}

func computeMerge(chain []*config.DirConf, dirs, files int) *mergedConf {
	conf := chain[0]
	for _, c := range chain[1:] {
		conf = config.MergeDirConf(conf, c)
	}
	if conf == nil {
		conf = &config.DirConf{}
	}
	groups := [3][]*config.DirConf{chain[1 : 1+dirs], chain[1+dirs : 1+dirs+files], chain[1+dirs+files:]}
	if az := mergeAuthzGroups(chain[0], groups); az.Require != conf.Require || az.Rule != conf.RequireRule {
		c := *conf
		c.Require, c.RequireRule = az.Require, az.Rule
		conf = &c
	}
	mc := &mergedConf{conf: conf}
	table := map[string]string{}
	if chain[0] != nil {
		applyEnv(table, chain[0].Env)
	}
	for _, g := range groups {
		mergeEnvGroup(table, g)
	}
	if len(table) > 0 {
		mc.modEnv = table
	}
	return mc
}

// mergeAuthzGroups merges the Require rules as httpd's walks do: each
// walk merges its matching sections with each other, then the result onto
// the config so far (config.AuthzState says why the order matters).
func mergeAuthzGroups(defaults *config.DirConf, groups [3][]*config.DirConf) config.AuthzState {
	acc, _ := config.AuthzOf(defaults)
	for _, g := range groups {
		var walk config.AuthzState
		has := false
		for _, c := range g {
			own, ok := config.AuthzOf(c)
			switch {
			case !ok:
			case !has:
				walk, has = own, true
			default:
				walk = config.MergeAuthz(walk, own)
			}
		}
		if has {
			acc = config.MergeAuthz(acc, walk)
		}
	}
	return acc
}

// mergeEnvGroup merges the mod_env settings of one walk's sections into
// table the way httpd does. Each walk first merges its matching sections
// with each other (the first one as is), then the result onto the
// per-directory config; mod_env's merge keeps no UnsetEnv list, and httpd
// skips sections without mod_env directives. So an UnsetEnv removes a
// variable set before the walk only when its section is the walk's only
// one with SetEnv/UnsetEnv/PassEnv (verified on Apache 2.4.71: two
// matching <Location>s, one with "UnsetEnv KEEP", keep a server-level KEEP).
func mergeEnvGroup(table map[string]string, group []*config.DirConf) {
	var only *config.DirConf
	n := 0
	for _, c := range group {
		if c != nil && len(c.Env) > 0 {
			only = c
			n++
		}
	}
	switch {
	case n == 1:
		applyEnv(table, only.Env)
	case n > 1:
		folded := map[string]string{}
		for _, c := range group {
			if c != nil {
				applyEnv(folded, c.Env)
			}
		}
		for k, v := range folded {
			table[k] = v
		}
	}
}

// applyEnv applies SetEnv/PassEnv/UnsetEnv operations in order.
func applyEnv(table map[string]string, ops []config.EnvOp) {
	for _, op := range ops {
		switch op.Op {
		case config.EnvSet, config.EnvPass:
			table[op.Name] = op.Value
		case config.EnvUnset:
			delete(table, op.Name)
		}
	}
}

// serverTable is one server (main or vhost) with its settings resolved and
// the main server's sections, aliases and defaults folded in as httpd does
// when it fixes up virtual hosts.
type serverTable struct {
	v            *config.VHost
	name         string // server_hostname: ServerName, or inherited
	port         int    // the server's port: ServerName's, else the address's
	exactAliases []string
	wildAliases  []string

	// rewrite is the server's mod_rewrite config after httpd's vhost merge
	// (nil: no server-context rules run); maps the RewriteMaps lookups
	// see; redirects mod_alias's server-context Redirects (the vhost's,
	// then the main server's).
	rewrite    *config.RewriteServer
	maps       map[string]*config.RewriteMap
	redirects  []*config.Redirect
	locRewrite bool // a <Location> sets RewriteEngine
	dirRewrite bool // a section has RewriteRules

	mergeSlashes bool
	slashes      int // encodedSlashes*
	docRoot      string
	defaults     *config.DirConf

	locs          locationIndex
	dirs          []dirMatcher
	files         []*config.Section     // server-level <Files>: main's, then the vhost's
	scriptAliases []*config.ScriptAlias // the vhost's, then the main server's
	fileAliases   []*config.Alias       // likewise
	proxy         *proxyTable           // nil: no ProxyPass applies here
}

// Compile builds the routing tables of c, resolving what Options leaves
// zero from the running host.
func Compile(c *config.Config, o Options) *Table {
	if o.Stat == nil {
		o.Stat = os.Stat
	}
	if o.Cwd == "" {
		o.Cwd, _ = os.Getwd()
	}
	if o.Hostname == "" {
		o.Hostname = localHostname()
	}
	main := c.Main
	if main == nil {
		main = &config.VHost{IsMain: true}
	}
	t := &Table{cfg: c, stat: o.Stat, cwd: o.Cwd, groups: map[string]*config.Group{}, restrictEmbedded: c.RestrictEmbedded, merged: map[mergeKey]*mergedConf{}}
	for _, g := range c.Groups {
		if _, dup := t.groups[g.Spec.Name]; !dup {
			t.groups[g.Spec.Name] = g
		}
	}
	mainName := main.Name
	if mainName == "" {
		mainName = o.Hostname
	}
	t.main = newServerTable(main, nil, mainName, main.Port)
	for _, vh := range c.VHosts {
		name, port := vh.Name, vh.Port
		if name == "" {
			// httpd names a vhost without ServerName after the main server
			// (for an IP-based one it would ask reverse DNS) and gives it
			// the port of its first address.
			name = mainName
			if len(vh.Addrs) > 0 {
				port = vh.Addrs[0].Port
			}
		}
		t.servers = append(t.servers, newServerTable(vh, main, name, port))
	}
	t.vhosts = buildVhostIndex(t.servers)
	return t
}

// Config is the Config t was compiled from.
func (t *Table) Config() *config.Config { return t.cfg }

func newServerTable(v, main *config.VHost, name string, port int) *serverTable {
	st := &serverTable{v: v, name: name, port: port, defaults: v.Defaults}
	for _, a := range v.Aliases {
		if strings.ContainsAny(a, "*?") {
			st.wildAliases = append(st.wildAliases, a)
		} else {
			st.exactAliases = append(st.exactAliases, a)
		}
	}
	var sections []*config.Section
	mergeSlashes, slashes, docRoot := v.MergeSlashes, v.AllowEncodedSlashes, v.DocumentRoot
	st.scriptAliases = append(st.scriptAliases, v.ScriptAliases...)
	st.fileAliases = append(st.fileAliases, v.FileAliases...)
	st.redirects = append(st.redirects, v.Redirects...)
	st.rewrite = v.Rewrite
	if main != nil {
		st.redirects = append(st.redirects, main.Redirects...)
		if v.Rewrite != nil {
			st.rewrite = config.MergeRewriteServer(main.Rewrite, v.Rewrite)
		}
	}
	switch {
	case st.rewrite != nil:
		st.maps = st.rewrite.Maps
	case main != nil && main.Rewrite != nil:
		st.maps = main.Rewrite.Maps // the vhost shares the main server's config
	}
	if main != nil {
		sections = append(sections, main.Sections...)
		st.scriptAliases = append(st.scriptAliases, main.ScriptAliases...)
		st.fileAliases = append(st.fileAliases, main.FileAliases...)
		if mergeSlashes == nil {
			mergeSlashes = main.MergeSlashes
		}
		if slashes == "" {
			slashes = main.AllowEncodedSlashes
		}
		if docRoot == "" {
			docRoot = main.DocumentRoot
		}
		if st.defaults == nil {
			st.defaults = main.Defaults
		}
	}
	sections = append(sections, v.Sections...)
	st.mergeSlashes = mergeSlashes == nil || *mergeSlashes
	st.slashes = encodedSlashMode(slashes)
	st.docRoot = docRoot

	var locs, dirs []*config.Section
	for _, s := range sections {
		switch s.Kind {
		case config.SectionLocation, config.SectionLocationMatch:
			locs = append(locs, s)
		case config.SectionDirectory, config.SectionDirectoryMatch:
			dirs = append(dirs, s)
		case config.SectionFiles, config.SectionFilesMatch:
			st.files = append(st.files, s)
		}
	}
	st.locs = newLocationIndex(locs)
	for _, s := range locs {
		if s.Conf != nil && s.Conf.Rewrite != nil && s.Conf.Rewrite.EngineSet {
			st.locRewrite = true
		}
	}
	for _, s := range sections {
		if s.Conf != nil && s.Conf.Rewrite != nil && len(s.Conf.Rewrite.Rules) > 0 {
			st.dirRewrite = true
		}
	}
	st.proxy = newProxyTable(v, main, locs)
	st.dirs = newDirSections(dirs)
	return st
}

// Route decides what Apache + mod_wsgi would do with req: which server
// answers, what r->uri is, which sections apply, and which handler runs
// with which settings. It is safe for concurrent use.
func (t *Table) Route(req Request) *Route {
	r := t.route(req)
	t.setEnvIf(&req, r) // setenvif.go
	return r
}

func (t *Table) route(req Request) *Route {
	r := &Route{Status: 200, Handler: HandlerNone}
	ip := localAddr(req.LocalIP)
	st := t.selectServer(ip, req.LocalPort, "")
	r.VHost = st.v

	tg, bad := parseTarget(req.Target, req.HTTPS)
	if req.Method == "CONNECT" && req.Target != "" && req.Target[0] != '/' {
		// ap_parse_uri: an authority-form CONNECT target has no path, and
		// r->uri is "/" (REQUEST_URI stays the authority).
		tg, bad = target{path: "/"}, ""
	}
	if bad != "" {
		return r.fail(400, bad)
	}
	var rh requestHost
	if tg.hasHost {
		var ok bool
		if rh, ok = canonHost(tg.host, false); !ok {
			return r.fail(400, "Client sent malformed Host header: "+tg.host)
		}
		rh.port, rh.hasPort = tg.port, tg.hasPort
	} else if req.Host != "" {
		var ok bool
		if rh, ok = canonHost(req.Host, true); !ok {
			return r.fail(400, "Client sent malformed Host header: "+req.Host)
		}
	}
	if rh.name != "" {
		st = t.selectServer(ip, req.LocalPort, rh.name)
		r.VHost = st.v
	}
	r.server, r.cwd, r.table = st, t.cwd, t
	r.Query = tg.query
	r.ServerName = rh.name
	if r.ServerName == "" {
		r.ServerName = st.name
	}
	switch {
	case rh.hasPort:
		r.ServerPort = rh.port
	case st.port != 0:
		r.ServerPort = st.port
	case req.HTTPS:
		r.ServerPort = 443
	default:
		r.ServerPort = 80
	}

	if tg.star {
		if req.Method == "OPTIONS" {
			// "OPTIONS *" is answered by the core with the server's Allow.
			r.URI = "*"
			return r
		}
		return r.fail(400, "invalid URI path (*)")
	}
	uri, status, reason := normalizePath(tg.path, st.mergeSlashes, st.slashes)
	if status != 0 {
		return r.fail(status, reason)
	}
	r.URI = uri

	// The decider lives for this call only (nothing it points to outlives
	// it but values copied into r), so it is reused: it is the largest
	// object a request allocates.
	d := deciderPool.Get().(*decider)
	*d = decider{t: t, st: st, r: r, stat: t.stat, uri: uri, method: strings.ToUpper(req.Method), https: req.HTTPS, header: req.Header, host: req.Host,
		remote: req.RemoteIP, local: ip, hooks: req.Hooks, resolver: req.Resolver, reqv: req, hostname: rh.name, query: tg.query, hasQuery: strings.IndexByte(req.Target, '?') >= 0,
		proto: req.Proto, remotePort: req.RemotePort, target: req.Target, origTarget: req.Target, rawPath: tg.path, clientVerified: req.ClientVerified}
	d.req = &d.reqv
	if d.proto == "" {
		d.proto = "HTTP/1.1"
	}
	d.run()
	*d = decider{}
	deciderPool.Put(d)
	return r
}

var deciderPool = sync.Pool{New: func() any { return new(decider) }}

func (r *Route) fail(status int, reason string) *Route {
	r.Status, r.Reason = status, reason
	return r
}

// localAddr parses Request.LocalIP ("" = 127.0.0.1).
func localAddr(s string) netip.Addr {
	if s == "" {
		return netip.AddrFrom4([4]byte{127, 0, 0, 1})
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}
	}
	return ip.Unmap()
}

// remoteAddr parses Request.RemoteIP; "" or a bad address is the zero
// Addr, which no Require ip or local rule grants.
func remoteAddr(s string) netip.Addr {
	if s == "" {
		return netip.Addr{}
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}
	}
	return ip.WithZone("").Unmap()
}

// decider carries one request through httpd's phases after the URI is
// known: translate, map to storage (directory and file walk), location
// walk, access check, type check, fixups.
type decider struct {
	t    *Table
	st   *serverTable
	r    *Route
	stat StatFunc
	uri  string
	// rawPath is the request's path as sent (for ProxyPass nocanon).
	rawPath        string
	clientVerified bool
	// method and https are what access rules look at.
	method string
	https  bool
	header http.Header
	host   string
	// remote (unparsed) and local are the connection's addresses, for
	// Require ip and Require local.
	remote   string
	local    netip.Addr
	hooks    config.AuthHooks
	resolver config.HostResolver
	// req is the request being routed, for SetEnvIf before the access phase
	// (reqv holds it for the top-level decider).
	req  *Request
	reqv Request

	m        mapping
	walk     walkResult
	captures map[string]string

	// hostname is the request's host name, for the group names.
	hostname string
	// query is r->args (hasQuery: the target had a '?').
	query    string
	hasQuery bool
	// For mod_rewrite's variables.
	// origTarget is the request line's target (THE_REQUEST), target the
	// current request's (an internal redirect's new URI).
	origTarget, proto, remotePort string
	target                        string // the request-target as sent

	// What mod_rewrite and internal redirects add: its variables
	// (SCRIPT_URL, SCRIPT_URI, [E=]) and those it unset, the REDIRECT_*
	// variables of an internal redirect, the file a server-context rule
	// mapped the URI to, whether [END] was hit, the reason of a status.
	rwEnv       map[string]string
	rwUnset     map[string]bool
	redirectEnv map[string]string
	preset      *mapping
	rwEnd       bool
	rwReason    string
	vary        []string
	// depth counts internal redirects; noRewrite is set for -U look-ups.
	depth     int
	noRewrite bool
	internal  bool // r holds the route of an internal redirect
	// subreq: a sub-request (PATH_TRANSLATED's look-up), where rules with
	// [R] or [NS] do not run and an internal redirect only leaves its
	// target in subTarget ("redirect:" in httpd's r->filename).
	subreq    bool
	subTarget string
}

func (d *decider) run() {
	r, st := d.r, d.st
	// mod_proxy translates first (its hook runs before mod_rewrite's), then
	// mod_rewrite's server rules and mod_alias's redirects.
	var proxy *config.ProxyPass
	if st.proxy != nil && d.preset == nil {
		r.ProxyURL, proxy = st.proxyTranslate(d.uri, d.rawPath, r.Query)
	}
	if proxy == nil && (d.translateRewrite() || (d.preset == nil && d.aliasRedirect(dirRedirectOf(st.defaults), st.redirects))) {
		r.Env = d.rewriteEnvironment(nil)
		r.Vary = d.vary
		return
	}
	if d.preset != nil {
		d.m = *d.preset
	} else if proxy == nil {
		d.m = st.translate(d.uri)
	}
	hasFile := d.m.kind != mapNone
	mc := d.mapToStorage()
	conf := mc.conf
	r.Conf = conf
	d.access(conf)
	if r.Status == 200 && (conf.Rewrite != nil || conf.DirRedirect != nil || len(conf.Redirects) > 0) {
		// The fixups of mod_rewrite, then of mod_alias.
		if d.fixupRewrite(mc) || d.aliasRedirect(conf.DirRedirect, conf.Redirects) {
			if !d.internal {
				r.Env = d.environment(mc)
				r.Vary = d.vary
			}
			return
		}
	}
	if proxy != nil {
		// mod_proxy set the handler at translate time.
		r.Handler, r.ProxyPass, r.ProxyTimeout = HandlerProxy, proxy, st.proxy.timeout
		if u := st.proxy.unevaluated; len(u) > 0 && r.Status == 200 {
			r.fail(403, fmt.Sprintf("access rules of <Proxy> at %s:%d are not evaluated by appserver: %s", u[0].Filename, u[0].Line, d.uri))
		}
		r.Env = d.environment(mc)
		return
	}
	d.setHandler(conf, hasFile)
	r.Env = d.environment(mc)
	r.Vary = d.vary
	if d.m.kind == mapAlias && d.m.alias != nil && d.m.alias.Regex == nil {
		r.ContextPrefix, r.ContextDocumentRoot = d.m.alias.URL, d.m.alias.Target
	}
	if r.Status != 200 || !hasFile {
		return
	}
	if d.walk.ftype == ftDir && !strings.HasSuffix(d.uri, "/") {
		// mod_dir (loaded in every stock Apache) redirects a directory
		// request without its trailing slash, whatever the handler.
		r.fail(301, "mod_dir DirectorySlash: redirect to "+d.uri+"/")
		return
	}
	if r.Handler == HandlerStatic {
		d.static()
	}
	if r.Status == 200 && r.Handler == HandlerWSGI {
		d.wsgi(d.hostname)
	}
}

// mapToStorage walks the mapped file's directories (and <Files>) and then
// the <Location> sections, and merges what applies, in httpd's order.
func (d *decider) mapToStorage() *mergedConf {
	// chain is what to merge, in order, starting with the defaults.
	var buf [maxChain]*config.DirConf
	chain := append(buf[:0], d.st.defaults)
	dirs, files := 0, 0
	if d.m.kind != mapNone {
		fn := d.m.filename
		if !strings.HasPrefix(fn, "/") && d.t.cwd != "" {
			fn = d.t.cwd + "/" + fn
			d.m.target = d.t.cwd + "/" + d.m.target
		}
		full := canonFilename(fn)
		wk := newWalker(d.stat, &d.m, full)
		d.walk = walkFile(full, &wk)
		chain, dirs, files = d.directories(chain)
	}
	chain = d.locations(chain)
	return d.t.mergeChain(chain, dirs, files)
}

// access runs httpd's access, authentication and authorization phases
// with conf; a refusal sets r's status, a granted user r.User.
func (d *decider) access(conf *config.DirConf) {
	r := d.r
	ar := config.AccessReq{Method: d.method, Uri: d.uri, Https: d.https, Header: d.header, Host: d.host,
		Hooks: d.hooks, Resolver: d.resolver, ClientVerified: d.clientVerified}
	// mod_setenvif's rules ran in post-read-request and the header parser,
	// both before the access checker: Allow from env= and Require env see
	// their variables (mod_env's SetEnv comes later, in the fixups).
	// The variables and addresses are worked out only when a rule may
	// look at them: otherwise Access decides by method and static rules.
	if conf.Require == "request" || conf.Compat != nil || conf.AccessScript != nil {
		ar.Env = d.t.envIfVars(d.req, r)
		if len(d.rwEnv) > 0 { // and mod_rewrite's [E=] of the translate phase
			env := make(map[string]string, len(ar.Env)+len(d.rwEnv))
			maps.Copy(env, ar.Env)
			maps.Copy(env, d.rwEnv)
			ar.Env = env
		}
		if conf.Require == "request" && conf.RequireRule.HasExpr() {
			// For Require expr: the request's variables and headers.
			ar.Expr = &envIfState{req: *d.req, r: r, env: ar.Env}
		}
		ar.RemoteIP, ar.LocalIP = remoteAddr(d.remote), d.local
	}
	res := config.Access(conf, &ar)
	if res.Status == 0 {
		r.User, r.AuthType = res.User, res.AuthType
		return
	}
	switch {
	case res.Status == 401 || res.Status == 500:
		// httpd's authn/authz messages end with the URI already.
	case res.Reason != "":
		what := d.walk.filename
		if what == "" {
			what = d.uri
		}
		res.Reason += ": " + what
	}
	r.fail(res.Status, res.Reason)
	r.Challenge, r.User = res.Challenge, res.User
}

// setHandler decides the handler as httpd's type checker and mod_wsgi do:
// the mapping, AddHandler by extension, then SetHandler.
func (d *decider) setHandler(conf *config.DirConf, hasFile bool) {
	r := d.r
	handler := ""
	switch {
	case d.m.kind == mapWSGI:
		handler = "wsgi-script"
	case d.m.kind == mapAlias && d.m.alias.Kind.CGI():
		handler = "cgi-script"
	}
	if hasFile && d.walk.ftype != ftDir {
		// mod_mime: each extension of the file name that has an AddHandler
		// sets the handler, the last one winning.
		if h := addHandlerFor(conf.AddHandlers, d.walk.filename); h != "" {
			handler = h
		}
	}
	if conf.Handler != nil && !strings.EqualFold(conf.Handler.Value, "none") {
		// SetHandler overrides everything; "SetHandler None" overrides
		// nothing, so a WSGIScriptAlias still runs.
		handler = strings.ToLower(conf.Handler.Value)
	}
	switch handler {
	case "wsgi-script", "application/x-httpd-wsgi":
		r.Handler = HandlerWSGI
	case "server-status":
		r.Handler = HandlerStatus
	case "server-metrics":
		r.Handler = HandlerMetrics
	case "appserver-ready":
		r.Handler = HandlerReady
	case "cgi-script":
		// httpd without mod_cgi would hand the script's source to the
		// client; appserver runs no CGI and refuses instead.
		r.Handler = HandlerNone
		if r.Status == 200 {
			r.fail(404, "CGI script not served (appserver runs no CGI): "+d.walk.full)
		}
	default:
		if !hasFile {
			r.Handler = HandlerNone
			if r.Status == 200 {
				r.fail(404, "no DocumentRoot or alias maps "+d.uri)
			}
		} else {
			// httpd's default handler serves any handler no module claims
			// as a plain file.
			r.Handler = HandlerStatic
			r.File = d.walk.full
		}
	}
}

// defaultIndex is mod_dir's DirectoryIndex when none is set.
var defaultIndex = []string{"index.html"}

// static is what httpd's default handler (after mod_dir's DirectoryIndex)
// does with the mapped file.
func (d *decider) static() {
	r, w := d.r, &d.walk
	switch {
	case w.ftype == ftNone || (w.ftype == ftFile && w.pathInfo != ""):
		r.fail(404, "File does not exist: "+w.full)
	case w.ftype == ftDir:
		names := defaultIndex
		if r.Conf != nil && r.Conf.DirectoryIndex != nil {
			names = r.Conf.DirectoryIndex
		}
		for _, n := range names {
			index := w.filename + n
			if fi, err := d.stat(index); err == nil && !fi.IsDir() {
				r.File = index
				return
			}
		}
		r.fail(404, "Attempt to serve directory: "+w.filename)
	}
}

// directories adds the <Directory>, <DirectoryMatch> and <Files> sections
// that apply to the walked file to chain, in httpd's order, and says how
// many of each walk it added.
func (d *decider) directories(chain []*config.DirConf) (_ []*config.DirConf, dirs, files int) {
	w := &d.walk
	var nested []*config.Section
	for i := range d.st.dirs {
		ds := &d.st.dirs[i]
		if ds.re != nil {
			if !ds.re.MatchString(w.filename) {
				continue
			}
			d.captures = addCaptures(d.captures, ds.re, ds.names, w.filename)
		} else if !ds.dirMatches(w.full, w.levels) {
			continue
		}
		chain = append(chain, ds.sec.Conf)
		dirs++
		nested = append(nested, ds.sec.Nested...)
	}
	base := w.filename[strings.LastIndexByte(w.filename, '/')+1:]
	for _, list := range [2][]*config.Section{d.st.files, nested} {
		for _, s := range list {
			if s.Kind != config.SectionFiles && s.Kind != config.SectionFilesMatch {
				continue
			}
			if !fileSectionMatches(s, base) {
				continue
			}
			if s.Kind == config.SectionFilesMatch && s.Regex != nil {
				d.captures = addCaptures(d.captures, s.Regex, matchNames(s.Regex), base)
			}
			chain = append(chain, s.Conf)
			files++
		}
	}
	return chain, dirs, files
}

// locations adds the matching Location sections to chain in file order.
func (d *decider) locations(chain []*config.DirConf) []*config.DirConf {
	var buf [32]int32
	ids := d.st.locs.match(buf[:0], d.uri, noSlashRuns(d.uri))
	for _, i := range ids {
		ls := &d.st.locs.secs[i]
		if ls.kind == locRegex && ls.names != nil {
			d.captures = addCaptures(d.captures, ls.re, ls.names, d.uri)
		}
		chain = append(chain, ls.sec.Conf)
		d.r.Location = ls.sec
	}
	return chain
}

// environment is r->subprocess_env as far as routing sets it: regex
// captures, then mod_env's table (applied at fixups, so it wins).
func (d *decider) environment(mc *mergedConf) map[string]string {
	if d.captures == nil {
		return d.rewriteEnvironment(mc.modEnv)
	}
	for k, v := range mc.modEnv {
		d.captures[k] = v
	}
	return d.rewriteEnvironment(d.captures)
}

// addHandlerFor is mod_mime's handler lookup over the extensions of a file
// name ("a.wsgi.bak" has extensions wsgi and bak).
func addHandlerFor(handlers map[string]string, filename string) string {
	if len(handlers) == 0 {
		return ""
	}
	base := filename[strings.LastIndexByte(filename, '/')+1:]
	dot := strings.IndexByte(base, '.')
	if dot < 0 {
		return ""
	}
	h := ""
	for _, ext := range strings.Split(base[dot+1:], ".") {
		if ext == "" {
			continue
		}
		if v, ok := handlers[strings.ToLower(ext)]; ok {
			h = v
		}
	}
	return strings.ToLower(h)
}

// wsgi applies mod_wsgi's handler checks and resolves the groups.
func (d *decider) wsgi(hostname string) {
	r, conf, w := d.r, d.r.Conf, &d.walk
	aliased := d.m.kind == mapWSGI
	file := w.filename
	if !aliased && !config.OptionSet(conf.Options, "ExecCGI") {
		r.fail(403, "Options ExecCGI is off in this directory: "+file)
		return
	}
	switch {
	case d.m.kind == mapNone || w.ftype == ftNone:
		r.fail(404, "Target WSGI script not found or unable to stat: "+file)
		return
	case w.ftype == ftDir:
		r.fail(403, "Attempt to invoke directory as WSGI application: "+file)
		return
	}
	r.Script = file
	if aliased {
		r.ScriptAlias = d.m.script
	}
	if w.finfo != nil {
		r.ScriptMtime = w.finfo.ModTime()
	}
	r.ScriptName, r.PathInfo = d.uri, ""
	if w.pathInfo != "" {
		r.ScriptName = d.uri[:findPathInfo(d.uri, w.pathInfo)]
		r.PathInfo = collapseCGIPath(w.pathInfo)
	}
	r.ScriptName = collapseCGIPath(r.ScriptName)

	g := groupContext{
		serverName: d.st.name,
		port:       r.ServerPort,
		hostname:   hostname,
		uri:        d.uri,
		pathInfo:   w.pathInfo,
		env:        r.Env,
	}
	var sa *config.ScriptAlias
	if aliased {
		sa = d.m.script
	}
	switch {
	case sa != nil && sa.ProcessGroup != nil:
		r.ProcessGroup = g.expandGroup(*sa.ProcessGroup)
	case conf.ProcessGroup != nil:
		r.ProcessGroup = g.expandGroup(conf.ProcessGroup.Value)
	}
	switch {
	case sa != nil && sa.ApplicationGroup != nil:
		r.ApplicationGroup = g.expandGroup(*sa.ApplicationGroup)
	case conf.ApplicationGroup != nil:
		r.ApplicationGroup = g.expandGroup(conf.ApplicationGroup.Value)
	default:
		r.ApplicationGroup = g.resource()
	}
	switch {
	case sa != nil && sa.CallableObject != nil:
		// mod_wsgi takes the callable-object= option literally.
		r.CallableObject = *sa.CallableObject
	case conf.CallableObject != nil:
		r.CallableObject = g.callableObject(conf.CallableObject.Value)
	default:
		r.CallableObject = "application"
	}
	switch {
	case sa != nil && sa.PassAuthorization != nil:
		r.PassAuthorization = *sa.PassAuthorization
	case conf.PassAuthorization != nil:
		r.PassAuthorization = *conf.PassAuthorization
	}

	if conf.RestrictProcess != nil && !allowedGroup(conf.RestrictProcess, r.ProcessGroup) {
		r.fail(500, "Daemon process called '"+r.ProcessGroup+"' cannot be accessed by this WSGI application as not a member of allowed groups: "+file)
		return
	}
	if r.ProcessGroup == "" {
		if d.t.restrictEmbedded {
			r.fail(500, "Embedded mode of mod_wsgi disabled by runtime configuration: "+file)
		}
		return
	}
	group := d.t.groups[r.ProcessGroup]
	if group == nil {
		r.fail(500, "No WSGI daemon process called '"+r.ProcessGroup+"' has been configured: "+file)
		return
	}
	// A group defined in a vhost serves only vhosts with the same
	// ServerName; one defined in the main server serves everyone.
	if group.VHost != "" && group.VHost != d.st.name {
		r.fail(500, "Daemon process called '"+r.ProcessGroup+"' cannot be accessed by this WSGI application: "+file)
		return
	}
	r.Group = group
}

// allowedGroup checks WSGIRestrictProcess (where %{GLOBAL} is embedded).
func allowedGroup(list []string, group string) bool {
	for _, g := range list {
		if g == "%{GLOBAL}" {
			g = ""
		}
		if g == group {
			return true
		}
	}
	return false
}

// PathTranslated is PATH_TRANSLATED: httpd maps PATH_INFO as if it were a
// URI on the same server (a sub-request through the aliases and
// DocumentRoot) and reports the file name it reaches; "" when nothing maps
// it.
func (r *Route) PathTranslated() string {
	if r.PathInfo == "" || r.server == nil {
		return ""
	}
	if r.server.proxy != nil {
		// The lookup is a subrequest, which mod_proxy maps first too.
		// Its unparsed URI (for nocanon) is PATH_INFO escaped again.
		if u, p := r.server.proxyTranslate(r.PathInfo, escapeProxyPath(r.PathInfo), ""); p != nil {
			return "proxy:" + u
		}
	}
	if r.server.dirRewrite && r.table != nil {
		// Per-directory rules may rewrite the sub-request (below).
		return r.table.subRequestFile(r)
	}
	m := r.server.translate(r.PathInfo)
	if m.kind == mapNone {
		return ""
	}
	fn := m.filename
	if !strings.HasPrefix(fn, "/") && r.cwd != "" {
		fn = r.cwd + "/" + fn
	}
	return canonFilename(fn)
}
