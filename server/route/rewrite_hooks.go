package route

import (
	"strings"

	"github.com/appserver/appserver/server/config"
)

// This file runs mod_rewrite's and mod_alias's hooks at their places in
// httpd's request cycle: translate_name (server-context rules, then
// mod_alias's redirects, before mod_alias's aliases and WSGIScriptAlias)
// and fixups (per-directory rules, then mod_alias's per-directory
// redirects), and the internal redirect a per-directory rewrite ends in.

// maxInternalRedirects is LimitInternalRecursion's default.
const maxInternalRedirects = 10

// rewriteServerOn says whether the server-context rules run for st:
// httpd skips them for a vhost without mod_rewrite directives of its own,
// and when the engine is off in the server's defaults.
//
// httpd 2.4 walks the <Location> sections before translate_name, so the
// engine state is the server defaults' with the matching Locations'
// RewriteEngine over it.
func (d *decider) rewriteServerOn() bool {
	st := d.st
	if st.rewrite == nil {
		return false
	}
	on := st.defaults != nil && st.defaults.Rewrite != nil && st.defaults.Rewrite.Engine
	if st.locRewrite {
		var buf [32]int32
		for _, i := range st.locs.match(buf[:0], d.uri, noSlashRuns(d.uri)) {
			if rw := st.locs.secs[i].sec.Conf.Rewrite; rw != nil && rw.EngineSet {
				on = rw.Engine
			}
		}
	}
	return on
}

// followsSymlinks is whether Options FollowSymLinks or
// SymLinksIfOwnerMatch is on (FollowSymLinks is httpd 2.4's default).
func followsSymlinks(opts []string) bool {
	if len(opts) == 0 {
		return true
	}
	if o := opts[0]; o != "" && (o[0] == '+' || o[0] == '-') {
		opts = append([]string{"FollowSymLinks"}, opts...)
	}
	return config.OptionSet(opts, "FollowSymLinks") || config.OptionSet(opts, "SymLinksIfOwnerMatch")
}

// translateRewrite is hook_uri2file. It returns true when the request is
// answered (a status or a redirect); d.preset is set when the result is a
// file (the other translate hooks do not run), d.uri changes with [PT].
func (d *decider) translateRewrite() bool {
	st, r := d.st, d.r
	if d.noRewrite || d.rwEnd || !d.rewriteServerOn() {
		return false
	}
	rs := st.rewrite
	if rs.Options&config.RewriteAllowAnyURI == 0 && !strings.HasPrefix(d.uri, "/") {
		return false
	}
	scriptURL := d.uri
	if v, ok := d.redirectEnv["REDIRECT_SCRIPT_URL"]; ok {
		scriptURL = v
	}
	d.setRwEnv("SCRIPT_URL", scriptURL)
	d.setRwEnv("SCRIPT_URI", d.serverURL()+scriptURL)
	if len(rs.Rules) == 0 {
		return false
	}
	c := rwCtx{d: d, filename: d.uri, args: d.query, hasArgs: d.hasQuery}
	oargs, ohas := d.query, d.hasQuery
	status := c.applyList(rs.Rules)
	if status == actNone {
		return false
	}
	if status == actStatus {
		d.failRewrite(c.status)
		return true
	}
	d.query, d.hasQuery = c.args, c.hasArgs
	r.Query = c.args
	f := c.filename
	switch {
	case strings.HasPrefix(f, "proxy:"):
		r.fail(403, "attempt to make remote request from mod_rewrite without proxy enabled: "+f)
		return true
	case absoluteURI(f) > 0:
		d.externalRedirect(&c, status, oargs, ohas, "")
		return true
	case strings.HasPrefix(f, "passthrough:"):
		d.uri = f[len("passthrough:"):]
		r.URI = d.uri
		if !strings.HasPrefix(d.uri, "/") {
			// No translate hook takes it; the core's refuses it.
			r.fail(400, "Invalid URI in request "+d.uri)
			return true
		}
		return false
	}
	if !strings.HasPrefix(f, "/") {
		// httpd 2.4.60+ reads a relative result in server context
		// from the root (measured: "x" is served as DocumentRoot/x).
		f = "/" + f
	}
	reduced := c.reduced && rs.Options&config.RewriteLegacyPrefixDocRoot == 0
	if !d.prefixStat(f) || reduced {
		root := st.docRoot
		if root == "" {
			root = defaultDocRoot
		}
		d.preset = &mapping{kind: mapDocRoot, filename: strings.TrimSuffix(root, "/") + f, target: root}
	} else {
		d.preset = &mapping{kind: mapRewrite, filename: f}
	}
	return false
}

// defaultDocRoot is httpd's DocumentRoot when none is configured (Debian's
// build).
const defaultDocRoot = "/var/www/html"

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [12]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

// externalRedirect answers a rewrite to an absolute URL as both hooks do:
// the URL escaped (unless [NE]), the query appended (escaped when a rule
// changed it), the rule's 3xx status or 302.
func (d *decider) externalRedirect(c *rwCtx, status int, oargs string, ohas bool, base string) {
	f := c.filename
	skip := absoluteURI(f)
	if base != "" {
		// Per-directory: a path still under the directory is written
		// relative to RewriteBase.
		if i := strings.IndexByte(f[skip:], '/'); i >= 0 && skip+i+1 < len(f) {
			cp := skip + i + 1
			dir := strings.TrimPrefix(c.perdir, "/")
			if sub := substPrefixPath(f[cp:], dir, base[1:]); sub != f[cp:] {
				f = f[:cp] + sub
			}
		}
	}
	if status != actNoEscape {
		f = escapeAbsolute(f, skip)
	}
	if c.hasArgs {
		if status == actNoEscape || (ohas && c.args == oargs) {
			f += "?" + c.args
		} else {
			f += "?" + escapeURI(c.args)
		}
	}
	code := c.status
	if code < 300 || code > 399 {
		code = 302
	}
	d.r.RedirectURL = f
	d.r.fail(code, "RewriteRule redirect to "+f)
}

// substPrefixPath is subst_prefix_path: input's prefix match (a path
// ending in '/') replaced by subst.
func substPrefixPath(input, match, subst string) string {
	match = strings.TrimSuffix(match, "/")
	if !strings.HasPrefix(input, match) || len(input) <= len(match) || input[len(match)] != '/' {
		return input
	}
	rest := input[len(match)+1:]
	if subst != "" && !strings.HasSuffix(subst, "/") {
		subst += "/"
	}
	return subst + rest
}

// fixupRewrite is hook_fixup: the per-directory rules of the merged
// config. It returns true when the request was answered or redirected
// internally (d.r then holds the final route).
func (d *decider) fixupRewrite(mc *mergedConf) bool {
	rd := mc.conf.Rewrite
	if rd == nil || !rd.Engine || rd.Directory == "" || d.noRewrite || d.rwEnd {
		return false
	}
	r := d.r
	ofilename := d.walk.filename
	if ofilename == "" {
		ofilename = d.uri
	}
	if rd.Options&config.RewriteAllowNoSlash == 0 {
		if l := len(rd.Directory) - 1; len(ofilename) == l && ofilename == rd.Directory[:l] {
			return false
		}
	}
	if !followsSymlinks(mc.conf.Options) {
		r.fail(403, "Options FollowSymLinks and SymLinksIfOwnerMatch are both off, so the RewriteRule directive is also forbidden due to its similar ability to circumvent directory restrictions : "+ofilename)
		return true
	}
	c := rwCtx{d: d, perdir: rd.Directory, base: rd.Base, filename: ofilename, pathInfo: d.walk.pathInfo, args: d.query, hasArgs: d.hasQuery}
	oargs, ohas := d.query, d.hasQuery
	status := c.applyList(rd.Rules)
	if status == actNone {
		return false
	}
	if status == actStatus {
		d.failRewrite(c.status)
		return true
	}
	f := c.filename
	switch {
	case strings.HasPrefix(f, "proxy:"):
		r.fail(403, "attempt to make remote request from mod_rewrite without proxy enabled: "+f)
		return true
	case absoluteURI(f) > 0:
		d.externalRedirect(&c, status, oargs, ohas, rd.Base)
		return true
	}
	f = strings.TrimPrefix(f, "passthrough:")
	if !strings.HasPrefix(f, "/") {
		r.fail(400, "rewritten to a relative path: "+f)
		return true
	}
	if f == ofilename {
		// mod_rewrite refuses to redirect to the same name (a loop).
		d.query, d.hasQuery, r.Query = c.args, c.hasArgs, c.args
		return false
	}
	tmp := f
	if rd.Base != "" {
		f = substPrefixPath(f, rd.Directory, rd.Base)
	} else if root := strings.TrimSuffix(d.st.docRoot, "/"); root != "" && strings.HasPrefix(f, root) && len(f) > len(root) && f[len(root)] == '/' {
		f = f[len(root):]
	}
	if f == tmp && rd.Options&config.RewriteIgnoreContextInfo == 0 && d.m.kind == mapAlias && d.m.alias != nil && d.m.alias.Regex == nil {
		// ap_context_document_root/prefix: set by a prefix Alias.
		f = substPrefixPath(f, d.m.alias.Target, d.m.alias.URL)
	}
	if d.subreq {
		d.subTarget = f
		return true
	}
	target := f
	if c.hasArgs {
		target += "?" + c.args
	}
	d.internalRedirect(target, mc)
	return true
}

// internalRedirect is ap_internal_redirect: the request starts over at
// the translate phase with the new URI, on the same server, with the old
// environment as REDIRECT_* variables.
func (d *decider) internalRedirect(target string, mc *mergedConf) {
	r := d.r
	if d.depth+1 >= maxInternalRedirects {
		r.fail(500, "Request exceeded the limit of 10 internal redirects due to probable configuration error. Use 'LimitInternalRecursion' to increase the limit if necessary. Use 'LogLevel debug' to get a backtrace.")
		return
	}
	old := d.environment(mc)
	env := make(map[string]string, len(old)+1)
	for k, v := range old {
		if k == "REDIRECT_URL" || k == "REDIRECT_QUERY_STRING" {
			continue // the CGI variables of the request before, not its environment
		}
		env["REDIRECT_"+k] = v
	}
	env["REDIRECT_STATUS"] = "200"
	path, query, hasQuery := strings.Cut(target, "?")
	// ap_add_cgi_vars adds the previous request's URI and query.
	env["REDIRECT_URL"] = d.uri
	if hasQuery {
		env["REDIRECT_QUERY_STRING"] = query
	}
	r2 := &Route{Status: 200, Handler: HandlerNone, VHost: r.VHost, server: r.server, cwd: r.cwd, table: r.table,
		ServerName: r.ServerName, ServerPort: r.ServerPort, Query: query}
	uri, status, reason := normalizePath(path, d.st.mergeSlashes, d.st.slashes)
	if status != 0 {
		r2.fail(status, reason)
		*r = *r2
		return
	}
	r2.URI = uri
	d2 := decider{t: d.t, st: d.st, r: r2, stat: d.stat, uri: uri, method: d.method, https: d.https, header: d.header,
		host: d.host, remote: d.remote, local: d.local, hostname: d.hostname, proto: d.proto, origTarget: d.origTarget,
		remotePort: d.remotePort, query: query, hasQuery: hasQuery, redirectEnv: env, depth: d.depth + 1, rwEnd: d.rwEnd,
		target: target}
	d2.run()
	*r = *r2
	d.internal = true
}

// lookupURL is the -U test: a sub-request for uri on the same server,
// without rewriting; its status.
func (d *decider) lookupURL(target string) int {
	path, query, hasQuery := strings.Cut(target, "?")
	r2 := &Route{Status: 200, Handler: HandlerNone, VHost: d.r.VHost, server: d.r.server, cwd: d.r.cwd,
		ServerName: d.r.ServerName, ServerPort: d.r.ServerPort, Query: query}
	uri, status, _ := normalizePath(path, d.st.mergeSlashes, d.st.slashes)
	if status != 0 {
		return status
	}
	r2.URI = uri
	d2 := decider{t: d.t, st: d.st, r: r2, stat: d.stat, uri: uri, method: d.method, https: d.https, header: d.header,
		host: d.host, remote: d.remote, local: d.local, hostname: d.hostname, proto: d.proto, origTarget: d.origTarget,
		query: query, hasQuery: hasQuery, noRewrite: true, depth: maxInternalRedirects}
	d2.run()
	return r2.Status
}

// aliasRedirect is mod_alias's try_redirect and try_alias_list over
// redirects (translate_alias_redir and fixup_redir). It returns true when
// the request is answered.
func (d *decider) aliasRedirect(one *config.Redirect, list []*config.Redirect) bool {
	var found *config.Redirect
	url := ""
	if one != nil {
		found = one
		if one.URL != "" {
			url = escapeRedirectURL(one.URL)
		}
	} else {
		for _, rd := range list {
			if rd.Regex != nil {
				m := rd.Regex.FindSubmatchIndex(d.uri)
				if m == nil {
					continue
				}
				if rd.URL != "" {
					url = escapeRedirectURL(regSub(rd.URL, d.uri, m))
				}
				found = rd
				break
			}
			if l := aliasMatches(d.uri, rd.Path); l > 0 {
				url = rd.URL
				if url != "" {
					url += escapeURI(d.uri[l:])
				}
				found = rd
				break
			}
		}
	}
	if found == nil {
		return false
	}
	r := d.r
	status := found.Status
	if status >= 300 && status <= 399 {
		if strings.HasPrefix(url, "/") {
			url = d.serverURL() + url
		}
		if !isAbsoluteURL(url) {
			r.fail(500, "cannot redirect '"+d.uri+"' to '"+url+"'; target is not a valid absoluteURI or abs_path")
			return true
		}
		if d.hasQuery && !strings.Contains(url, "?") {
			url += "?" + d.query
		}
		r.RedirectURL = url
		r.fail(status, found.Directive+": redirect to "+url)
		return true
	}
	r.fail(status, "refused by "+found.Directive)
	return true
}

func dirRedirectOf(c *config.DirConf) *config.Redirect {
	if c == nil {
		return nil
	}
	return c.DirRedirect
}

// escapeRedirectURL is what mod_alias does to a regex or expression
// result: apr_uri_parse, unparse without the query, ap_escape_uri, then
// the query and fragment as they were.
func escapeRedirectURL(u string) string {
	frag := ""
	if i := strings.IndexByte(u, '#'); i >= 0 {
		u, frag = u[:i], u[i:]
	}
	q := ""
	if i := strings.IndexByte(u, '?'); i >= 0 {
		u, q = u[:i], u[i:]
	}
	return escapeURI(u) + q + frag
}

// isAbsoluteURL is ap_is_url.
func isAbsoluteURL(u string) bool {
	for i := 0; i < len(u); i++ {
		c := u[i]
		if c == ':' {
			return i > 0
		}
		if !(isAlnum(c) || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	return false
}

// setRwEnv sets a variable mod_rewrite puts in the environment.
func (d *decider) setRwEnv(k, v string) {
	if d.rwEnv == nil {
		d.rwEnv = map[string]string{}
	}
	d.rwEnv[k] = v
}

// envVar is %{ENV:name} from r->subprocess_env as it is while mod_rewrite
// runs: its own variables, captures, what an internal redirect carried.
func (d *decider) envVar(name string) (string, bool) {
	if d.rwUnset[name] {
		return "", false
	}
	if v, ok := d.rwEnv[name]; ok {
		return v, true
	}
	if v, ok := d.captures[name]; ok {
		return v, true
	}
	v, ok := d.redirectEnv[name]
	return v, ok
}

// addVary remembers request headers that conditions looked at, for the
// response's Vary.
func (d *decider) addVary(names []string) {
	for _, n := range names {
		dup := false
		for _, v := range d.vary {
			dup = dup || strings.EqualFold(v, n)
		}
		if !dup {
			d.vary = append(d.vary, n)
		}
	}
}

// rewriteEnvironment folds what mod_rewrite and an internal redirect add
// into env (the captures and mod_env's table, which win).
func (d *decider) rewriteEnvironment(env map[string]string) map[string]string {
	if d.rwEnv == nil && d.redirectEnv == nil && d.rwUnset == nil {
		return env
	}
	out := make(map[string]string, len(d.redirectEnv)+len(d.rwEnv)+len(env))
	for k, v := range d.redirectEnv {
		out[k] = v
	}
	for k := range d.rwUnset {
		delete(out, k)
	}
	for k, v := range d.rwEnv {
		out[k] = v
	}
	for k, v := range env {
		out[k] = v
	}
	return out
}

// subRequestFile is PATH_TRANSLATED when per-directory rules may apply:
// httpd looks PATH_INFO up as a sub-request (ap_sub_req_lookup_uri) and
// reports its r->filename and r->path_info, which a per-directory rewrite
// leaves as "redirect:NEW-URI".
func (t *Table) subRequestFile(r *Route) string {
	st := r.server
	uri, status, _ := normalizePath(escapeURI(r.PathInfo), st.mergeSlashes, st.slashes)
	if status != 0 {
		return ""
	}
	r2 := &Route{Status: 200, Handler: HandlerNone, VHost: r.VHost, server: st, cwd: r.cwd,
		ServerName: r.ServerName, ServerPort: r.ServerPort, URI: uri}
	d := decider{t: t, st: st, r: r2, stat: t.stat, uri: uri, subreq: true, depth: maxInternalRedirects, proto: "HTTP/1.1"}
	d.run()
	switch {
	case d.subTarget != "":
		return "redirect:" + d.subTarget + d.walk.pathInfo
	case d.m.kind == mapNone:
		return ""
	}
	return d.walk.filename + d.walk.pathInfo
}

// failRewrite answers the request with the status a RewriteRule chose
// ([R=4xx], [F], [G]), with the rule's reason when it gave one.
func (d *decider) failRewrite(status int) {
	reason := d.rwReason
	if reason == "" {
		reason = "RewriteRule answered " + itoa(status)
	}
	d.r.fail(status, reason)
}
