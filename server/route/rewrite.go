package route

import (
	"bufio"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/appserver/appserver/server/config"
)

// This file is mod_rewrite's engine (mod_rewrite.c): the rule list with
// its flags, the conditions, the expansion of substitutions and test
// strings (%{VAR}, ${map:key|default}, $N, %N), and what the translate hook
// (server context) and the fixup hook (per-directory context) make of the
// result: an answer with a status, an external redirect, a new URI for the
// other translate hooks ([PT]), a file, or an internal redirect.

// Results of a rule list (apply_rewrite_list).
const (
	actNone     = 0
	actNormal   = 1
	actNoEscape = 2
	actStatus   = 4
)

// maxRewriteLen is 2 * LimitRequestLine (8190): a longer result ends the
// request with 500, as mod_rewrite does against looping rules.
const maxRewriteLen = 2 * 8190

// backref is what $N or %N refer to.
type backref struct {
	src string
	m   []int
}

// rwCtx is one run of a rule list (mod_rewrite's rewrite_ctx plus the
// request fields it changes).
type rwCtx struct {
	d        *decider
	perdir   string // the per-directory prefix, "" in server context
	base     string // RewriteBase (per-directory)
	uri      string // what the current rule matches
	filename string // r->filename
	pathInfo string
	args     string
	hasArgs  bool
	rr, rc   backref
	status   int
	reduced  bool // reduce_uri stripped our own scheme://host
	// unsure is set when a condition used something appserver does not
	// evaluate (ap_expr, prg/dbm maps, look-aheads).
	unsure bool
	vary   []string
	// unsafe3F: the current rule lacks [UnsafeAllow3F]; blocked: its
	// query split was refused.
	unsafe3F, blocked bool
}

func (c *rwCtx) applyList(rules []*config.RewriteRule) int {
	changed := actNone
	round := 1
	for i := 0; i < len(rules); i++ {
		p := rules[i]
		if c.d.subreq && (p.Redirect || p.NoSubReq) {
			continue
		}
		rc := c.applyRule(p)
		if rc == 0 {
			// A failed rule skips the rest of its chain.
			for i < len(rules) && rules[i].Chain {
				i++
			}
			continue
		}
		if len(c.filename) > maxRewriteLen {
			c.status = 500
			c.d.rwReason = "RewriteRule '" + p.Pattern + "' and URI '" + c.d.uri + "' exceeded maximum length (16380)"
			return actStatus
		}
		if p.StatusOnly || c.blocked {
			return actStatus
		}
		if rc != 2 {
			changed = actNormal
			if p.NoEscape {
				changed = actNoEscape
			}
		}
		if p.PassThrough {
			c.filename = "passthrough:" + c.filename
			return actNormal
		}
		if p.End {
			c.d.rwEnd = true
			break
		}
		if p.Proxy || p.Last {
			break
		}
		if p.Next {
			round++
			if round >= p.MaxRounds {
				c.status = 500
				c.d.rwReason = "RewriteRule '" + p.Pattern + "' and URI '" + c.d.uri + "' exceeded maximum number of rounds (" + strconv.Itoa(p.MaxRounds) + ") via the [N] flag"
				return actStatus
			}
			i = -1
			continue
		}
		if p.Skip > 0 {
			i += p.Skip
		}
	}
	return changed
}

// applyRule is apply_rewrite_rule: 0 no match, 1 rewritten, 2 matched a
// rule without substitution.
func (c *rwCtx) applyRule(p *config.RewriteRule) int {
	c.uri = c.filename
	if c.perdir != "" {
		if c.pathInfo != "" {
			c.uri += c.pathInfo
		}
		if strings.HasPrefix(c.uri, c.perdir) {
			c.uri = c.uri[len(c.perdir):]
		}
	}
	m := p.Regex.FindSubmatchIndex(c.uri)
	if (m != nil) == p.Not {
		return 0
	}
	c.rc = backref{}
	if p.Not {
		c.rr = backref{}
	} else {
		c.rr = backref{src: c.uri, m: m}
	}
	refuses := p.StatusOnly && p.Status >= 400
	var vary []string
	for i := 0; i < len(p.Conds); i++ {
		cd := p.Conds[i]
		c.vary = c.vary[:0]
		rc := c.applyCond(cd)
		if c.unsure && refuses {
			rc = true // fail closed: the refusal applies
		}
		if cd.OrNext {
			if !rc {
				continue
			}
			for i < len(p.Conds) && p.Conds[i].OrNext {
				i++
			}
		} else if !rc {
			return 0
		}
		if !cd.NoVary {
			vary = append(vary, c.vary...)
		}
	}
	if len(vary) > 0 {
		c.d.addVary(vary)
	}
	newuri := ""
	if !p.NoSub {
		newuri = c.expand(p.Subst, p)
	}
	for _, e := range p.Env {
		c.setEnv(c.expand(e, nil))
	}
	if p.NoSub {
		if p.StatusOnly {
			c.status = p.Status
		}
		return 2
	}
	c.filename = newuri
	if c.perdir != "" && p.DiscardPathInfo {
		c.pathInfo = ""
	}
	c.unsafe3F = !p.UnsafeAllow3F
	c.splitQuery(p.QSAppend, p.QSDiscard, p.QSLast)
	if c.blocked {
		return 1
	}
	if c.perdir != "" && !strings.HasPrefix(c.filename, "/") && absoluteURI(c.filename) == 0 {
		c.filename = c.perdir + c.filename
	}
	if p.Proxy {
		c.fullyQualify()
		c.filename = "proxy:" + c.filename
		return 1
	}
	if p.Redirect {
		c.fullyQualify()
		c.status = p.Status
		return 1
	}
	c.reduce()
	if absoluteURI(c.filename) > 0 {
		c.status = p.Status
	}
	return 1
}

// setEnv applies one expanded [E=] value: "!VAR" unsets, "VAR:VAL" sets.
func (c *rwCtx) setEnv(s string) {
	d := c.d
	if d.rwEnv == nil {
		d.rwEnv = map[string]string{}
	}
	if strings.HasPrefix(s, "!") {
		delete(d.rwEnv, s[1:])
		if d.rwUnset == nil {
			d.rwUnset = map[string]bool{}
		}
		d.rwUnset[s[1:]] = true
		return
	}
	name, val, _ := strings.Cut(s, ":")
	d.rwEnv[name] = val
	delete(d.rwUnset, name)
}

func (c *rwCtx) applyCond(cd *config.RewriteCondition) bool {
	c.unsure = false
	if cd.Kind == config.CondExpr {
		c.unsure = true
		return false
	}
	input := c.expand(cd.Input, nil)
	rc := false
	stat := c.d.stat
	switch cd.Kind {
	case config.CondFileExists:
		fi, err := stat(input)
		rc = err == nil && fi.Mode().IsRegular()
	case config.CondFileSize:
		fi, err := stat(input)
		rc = err == nil && fi.Mode().IsRegular() && fi.Size() > 0
	case config.CondFileLink:
		fi, err := os.Lstat(input)
		rc = err == nil && fi.Mode()&os.ModeSymlink != 0
	case config.CondFileDir:
		fi, err := stat(input)
		rc = err == nil && fi.IsDir()
	case config.CondFileExec:
		fi, err := stat(input)
		rc = err == nil && fi.Mode().Perm()&0o111 != 0
	case config.CondLookupURL:
		if input != "" {
			rc = c.d.lookupURL(input) < 400
		}
	case config.CondLookupFile:
		if input != "" {
			_, err := stat(input)
			rc = err == nil
		}
	case config.CondStrLT, config.CondStrLE, config.CondStrGT, config.CondStrGE, config.CondStrEQ:
		var cmp int
		if cd.NoCase {
			cmp = strings.Compare(strings.ToLower(input), strings.ToLower(cd.Pattern))
		} else {
			cmp = lexCompare(input, cd.Pattern)
		}
		switch cd.Kind {
		case config.CondStrLT:
			rc = cmp < 0
		case config.CondStrLE:
			rc = cmp <= 0
		case config.CondStrGT:
			rc = cmp > 0
		case config.CondStrGE:
			rc = cmp >= 0
		default:
			rc = cmp == 0
		}
	case config.CondIntLT:
		rc = cAtoi(input) < cAtoi(cd.Pattern)
	case config.CondIntLE:
		rc = cAtoi(input) <= cAtoi(cd.Pattern)
	case config.CondIntGT:
		rc = cAtoi(input) > cAtoi(cd.Pattern)
	case config.CondIntGE:
		rc = cAtoi(input) >= cAtoi(cd.Pattern)
	case config.CondIntEQ:
		rc = cAtoi(input) == cAtoi(cd.Pattern)
	default:
		m := cd.Regex.FindSubmatchIndex(input)
		rc = m != nil
		if rc && !cd.Not {
			c.rc = backref{src: input, m: m}
		}
	}
	return rc != cd.Not
}

// lexCompare is mod_rewrite's compare_lexicography: the longer string is
// greater; equal lengths compare bytewise.
func lexCompare(a, b string) int {
	switch {
	case len(a) > len(b):
		return 1
	case len(a) < len(b):
		return -1
	}
	return strings.Compare(a, b)
}

// cAtoi is C's atoi: optional space and sign, then digits.
func cAtoi(s string) int {
	s = strings.TrimLeft(s, " \t\n\r\f\v")
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	n := 0
	for i := 0; i < len(s) && s[i] >= '0' && s[i] <= '9' && n < 1<<31; i++ {
		n = n*10 + int(s[i]-'0')
	}
	if neg {
		return -n
	}
	return n
}

// expand is do_expand: one pass over s, so that nothing a variable or a
// back-reference brings in is expanded again.
func (c *rwCtx) expand(s string, rule *config.RewriteRule) string {
	if strings.IndexAny(s, `\$%`) < 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		ch := s[i]
		switch {
		case ch == '\\':
			if i+1 < len(s) {
				b.WriteByte(s[i+1])
				i += 2
			} else {
				b.WriteByte(ch)
				i++
			}
		case (ch == '%' || ch == '$') && i+1 < len(s) && s[i+1] == '{':
			end := closingCurly(s, i+2)
			if end < 0 {
				b.WriteString(s[i : i+2])
				i += 2
				continue
			}
			inner := s[i+2 : end]
			if ch == '%' {
				b.WriteString(c.lookupVar(inner))
				i = end + 1
				continue
			}
			colon := charInCurlies(inner, ':')
			if colon < 0 {
				b.WriteString(s[i : i+2])
				i += 2
				continue
			}
			name, key := inner[:colon], inner[colon+1:]
			dflt, hasDflt := "", false
			if bar := charInCurlies(key, '|'); bar >= 0 {
				key, dflt, hasDflt = key[:bar], key[bar+1:], true
			}
			v, ok := c.lookupMap(name, c.expand(key, rule))
			if !ok && hasDflt && dflt != "" {
				v = c.expand(dflt, rule)
			}
			b.WriteString(v)
			i = end + 1
		case (ch == '%' || ch == '$') && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			n := int(s[i+1] - '0')
			br := &c.rr
			if ch == '%' {
				br = &c.rc
			}
			if br.m != nil && 2*n+1 < len(br.m) && br.m[2*n] >= 0 && br.m[2*n+1] > br.m[2*n] {
				v := br.src[br.m[2*n]:br.m[2*n+1]]
				if rule != nil && rule.EscapeBackrefs {
					v = escapeBackref(v, rule.BackrefEscapes, rule.BackrefNoPlus)
				}
				b.WriteString(v)
			}
			i += 2
		default:
			b.WriteByte(ch)
			i++
		}
	}
	return b.String()
}

// closingCurly finds the '}' that closes a '{' before s[from].
func closingCurly(s string, from int) int {
	depth := 1
	for i := from; i < len(s); i++ {
		switch s[i] {
		case '}':
			depth--
			if depth == 0 {
				return i
			}
		case '{':
			depth++
		}
	}
	return -1
}

// charInCurlies finds ch at nesting depth 0 of s.
func charInCurlies(s string, ch byte) int {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == ch && depth == 0:
			return i
		case s[i] == '{':
			depth++
		case s[i] == '}':
			depth--
		}
	}
	return -1
}

// escapeBackref is [B]'s escaping: alphanumerics and '_' stay, a space is
// '+' (not with BNP), everything else %xx; with B=chars only those chars.
func escapeBackref(s, only string, noPlus bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		esc := false
		if only == "" {
			esc = !(isAlnum(ch) || ch == '_')
		} else {
			esc = strings.IndexByte(only, ch) >= 0
		}
		switch {
		case !esc:
			b.WriteByte(ch)
		case ch == ' ' && !noPlus:
			b.WriteByte('+')
		default:
			b.WriteByte('%')
			b.WriteByte(lowerHex[ch>>4])
			b.WriteByte(lowerHex[ch&15])
		}
	}
	return b.String()
}

const lowerHex = "0123456789abcdef"

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// escapeURI is ap_escape_uri (ap_os_escape_path, partial): everything but
// alphanumerics and $-_.+!*'(),:;@&=/~ becomes %xx (lower-case hex, as
// httpd writes it).
func escapeURI(s string) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if !pathSafe(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if pathSafe(ch) {
			b = append(b, ch)
		} else {
			b = append(b, '%', lowerHex[ch>>4], lowerHex[ch&15])
		}
	}
	return string(b)
}

func pathSafe(c byte) bool {
	return isAlnum(c) || strings.IndexByte("$-_.+!*'(),:;@&=/~", c) >= 0
}

// unescapeURL is ap_unescape_url as int:unescape uses it: valid %XX are
// decoded, anything else is kept.
func unescapeURL(s string) string {
	if strings.IndexByte(s, '%') < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
			continue
		}
		b = append(b, s[i])
	}
	return string(b)
}

// absoluteURI is is_absolute_uri: the length of "scheme://" (or "mailto:"
// / "news:") for the schemes mod_rewrite knows, else 0; qs says whether
// the scheme takes a query string.
func absoluteURI(u string) int {
	n, _ := absoluteURIqs(u)
	return n
}

func absoluteURIqs(u string) (int, bool) {
	if len(u) <= 5 || u[0] == '/' {
		return 0, false
	}
	for _, s := range uriSchemes {
		if len(u) >= len(s.prefix) && strings.EqualFold(u[:len(s.prefix)], s.prefix) {
			return len(s.prefix), s.qs
		}
	}
	return 0, false
}

var uriSchemes = []struct {
	prefix string
	qs     bool
}{
	{"ajp://", true}, {"balancer://", true}, {"ftp://", false}, {"fcgi://", true}, {"gopher://", false},
	{"http://", true}, {"https://", true}, {"h2://", true}, {"h2c://", true}, {"ldap://", false},
	{"mailto:", true}, {"news:", false}, {"nntp://", false}, {"scgi://", true}, {"ws://", true}, {"wss://", true},
}

// splitQuery is splitout_queryargs.
func (c *rwCtx) splitQuery(qsappend, qsdiscard, qslast bool) {
	if n, qs := absoluteURIqs(c.filename); n > 0 && !qs {
		c.args, c.hasArgs = "", false
		return
	}
	if qsdiscard {
		c.args, c.hasArgs = "", false
	}
	q := strings.IndexByte(c.filename, '?')
	if qslast {
		q = strings.LastIndexByte(c.filename, '?')
	}
	if q < 0 {
		return
	}
	if c.unsafe3F && strings.Contains(strings.ToLower(c.d.target), "%3f") {
		// httpd 2.4.60 (CVE-2024-38474): a '?' that may come from an
		// encoded %3f must not start a query string.
		c.status = 403
		c.d.rwReason = "Unsafe URL with %3f URL rewritten without UnsafeAllow3F"
		c.blocked = true
		return
	}
	rest := c.filename[q+1:]
	c.filename = c.filename[:q]
	if qsappend {
		if rest != "" {
			c.args, c.hasArgs = rest+"&"+c.args, true
		}
	} else {
		c.args, c.hasArgs = rest, true
	}
	if c.hasArgs {
		if c.args == "" {
			c.hasArgs = false
		} else {
			c.args = strings.TrimSuffix(c.args, "&")
		}
	}
}

// serverURL is "scheme://name[:port]" of the request, as
// ap_get_server_name_for_url and ap_get_server_port give them.
func (d *decider) serverURL() string {
	scheme, def := "http", 80
	if d.https {
		scheme, def = "https", 443
	}
	host := d.r.ServerName
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if d.r.ServerPort != def {
		host += ":" + strconv.Itoa(d.r.ServerPort)
	}
	return scheme + "://" + host
}

// fullyQualify is fully_qualify_uri.
func (c *rwCtx) fullyQualify() {
	if c.d.method == "CONNECT" || absoluteURI(c.filename) > 0 {
		return
	}
	sep := "/"
	if strings.HasPrefix(c.filename, "/") {
		sep = ""
	}
	c.filename = c.d.serverURL() + sep + c.filename
}

// reduce is reduce_uri: our own "scheme://host[:port]" is cut off.
func (c *rwCtx) reduce() {
	scheme, def := "http", 80
	if c.d.https {
		scheme, def = "https", 443
	}
	f := c.filename
	l := len(scheme)
	if len(f) <= l+3 || !strings.EqualFold(f[:l], scheme) || f[l:l+3] != "://" {
		return
	}
	rest := f[l+3:]
	end := strings.IndexAny(rest, "/:")
	host, port, url := rest, def, "/"
	if end >= 0 {
		host = rest[:end]
		if rest[end] == ':' {
			after := rest[end+1:]
			slash := strings.IndexByte(after, '/')
			if slash < 0 {
				port = cAtoi(after)
			} else {
				port = cAtoi(after[:slash])
				url = after[slash:]
			}
		} else {
			url = rest[end:]
		}
	}
	if c.d.matchesVhost(host, port) {
		c.filename = url
		c.reduced = true
	}
}

// matchesVhost is ap_matches_request_vhost: the name is the server's
// ServerName or one of its aliases, and the port is the server's.
func (d *decider) matchesVhost(host string, port int) bool {
	st := d.st
	for _, a := range st.v.Addrs {
		if (a.Port == 0 || a.Port == port) && strings.EqualFold(a.Host, host) {
			return true
		}
	}
	if st.port != port {
		return false
	}
	if strings.EqualFold(host, st.name) {
		return true
	}
	for _, a := range st.exactAliases {
		if strings.EqualFold(a, host) {
			return true
		}
	}
	return false
}

// escapeAbsolute is escape_absolute_uri: the path after scheme://host/ is
// escaped.
func escapeAbsolute(u string, scheme int) string {
	cp := scheme
	if u[scheme-1] == '/' {
		for cp < len(u) && u[cp] != '/' {
			cp++
		}
		if cp >= len(u) || cp+1 >= len(u) {
			return u
		}
		cp++
		if len(u) >= 4 && strings.EqualFold(u[:4], "ldap") {
			parts := strings.SplitN(u[cp:], "?", 5)
			for i := range parts {
				parts[i] = escapeURI(parts[i])
			}
			return u[:cp] + strings.Join(parts, "?")
		}
	}
	return u[:cp] + escapeURI(u[cp:])
}

// rewriteTimeLayouts are mod_rewrite's %{TIME...} variables as Go layouts.
var rewriteTimeLayouts = map[string]string{
	"TIME": "20060102150405", "TIME_YEAR": "2006", "TIME_MON": "01", "TIME_DAY": "02",
	"TIME_HOUR": "15", "TIME_MIN": "04", "TIME_SEC": "05",
}

// lookupVar is lookup_variable.
func (c *rwCtx) lookupVar(v string) string {
	d := c.d
	if len(v) < 4 {
		return ""
	}
	if v[3] == ':' {
		switch {
		case len(v) > 4 && strings.EqualFold(v[:3], "ENV"):
			name := v[4:]
			if val, ok := d.envVar(name); ok {
				return val
			}
			return os.Getenv(name)
		case len(v) > 4 && strings.EqualFold(v[:3], "SSL"):
			return ""
		}
		return ""
	}
	if len(v) > 4 && v[4] == ':' {
		if len(v) > 5 {
			switch {
			case strings.EqualFold(v[:4], "HTTP"):
				return c.header(v[5:])
			case strings.EqualFold(v[:4], "LA-U"), strings.EqualFold(v[:4], "LA-F"):
				c.unsure = true
			}
		}
		return ""
	}
	name := strings.ToUpper(v)
	if layout, ok := rewriteTimeLayouts[name]; ok {
		return time.Now().Format(layout)
	}
	switch name {
	case "TIME_WDAY":
		return strconv.Itoa(int(time.Now().Weekday()))
	case "IPV6":
		if a := remoteAddr(d.remote); a.Is6() {
			return "on"
		}
		return "off"
	case "HTTPS":
		if d.https {
			return "on"
		}
		return "off"
	case "IS_SUBREQ":
		return "false"
	case "PATH_INFO":
		return c.pathInfo
	case "AUTH_TYPE", "REMOTE_USER", "REMOTE_IDENT":
		return ""
	case "HTTP_HOST":
		return c.header("Host")
	case "HTTP_ACCEPT":
		return c.header("Accept")
	case "HTTP_COOKIE":
		return c.header("Cookie")
	case "HTTP_REFERER":
		return c.header("Referer")
	case "HTTP_FORWARDED":
		return c.header("Forwarded")
	case "HTTP_USER_AGENT":
		return c.header("User-Agent")
	case "HTTP_PROXY_CONNECTION":
		return c.header("Proxy-Connection")
	case "SERVER_NAME":
		if strings.Contains(d.r.ServerName, ":") {
			return "[" + d.r.ServerName + "]"
		}
		return d.r.ServerName
	case "REMOTE_ADDR", "REMOTE_HOST", "CONN_REMOTE_ADDR":
		return strings.TrimSuffix(strings.TrimPrefix(d.remote, "["), "]")
	case "SERVER_ADDR":
		if d.local.IsValid() {
			return d.local.String()
		}
		return ""
	case "THE_REQUEST":
		method := d.method
		if method == "" {
			method = "GET"
		}
		return method + " " + d.origTarget + " " + d.proto
	case "API_VERSION":
		return "20120211:0"
	case "SERVER_PORT":
		return strconv.Itoa(d.r.ServerPort)
	case "REMOTE_PORT":
		return d.remotePort
	case "SCRIPT_USER", "SCRIPT_GROUP":
		return "<unknown>"
	case "REQUEST_URI":
		return d.uri
	case "QUERY_STRING":
		return c.args
	case "SERVER_ADMIN":
		return "[no address given]"
	case "DOCUMENT_ROOT", "CONTEXT_DOCUMENT_ROOT":
		return d.st.docRoot
	case "CONTEXT_PREFIX":
		return ""
	case "REQUEST_METHOD":
		if d.method == "" {
			return "GET"
		}
		return d.method
	case "REQUEST_SCHEME":
		if d.https {
			return "https"
		}
		return "http"
	case "SCRIPT_FILENAME", "REQUEST_FILENAME":
		return c.filename
	case "SERVER_PROTOCOL":
		return d.proto
	case "SERVER_SOFTWARE":
		return "Apache"
	}
	return ""
}

// header is lookup_header: the request header (Host from the request
// line's host), remembered for Vary (not Host).
func (c *rwCtx) header(name string) string {
	d := c.d
	var v string
	ok := false
	if strings.EqualFold(name, "Host") {
		v, ok = d.host, d.host != ""
	} else if vs := d.header.Values(name); len(vs) > 0 {
		v, ok = strings.Join(vs, ", "), true
	}
	if ok && !strings.EqualFold(name, "Host") {
		c.vary = append(c.vary, name)
	}
	return v
}

// lookupMap is lookup_map; ok is false when the map or the key is
// missing (and for maps appserver does not read).
func (c *rwCtx) lookupMap(name, key string) (string, bool) {
	m := c.d.st.maps[name]
	if m == nil {
		return "", false
	}
	switch m.Type {
	case "int":
		switch m.File {
		case "tolower":
			return strings.ToLower(key), true
		case "toupper":
			return strings.ToUpper(key), true
		case "escape":
			return escapeURI(key), true
		case "unescape":
			return unescapeURL(key), true
		}
	case "txt", "rnd":
		v, ok := txtMapLookup(m.File, key)
		if !ok || v == "" {
			return "", false
		}
		if m.Type == "rnd" && strings.Contains(v, "|") {
			parts := strings.Split(v, "|")
			v = parts[rand.IntN(len(parts))]
		}
		return v, v != ""
	}
	c.unsure = true
	return "", false
}

// txtMaps caches text maps by file, reloaded when the file's mtime or size
// changes (mod_rewrite caches per key by mtime; reading the whole small
// file once is the same answer for less work).
var txtMaps sync.Map // file name -> *txtMap

type txtMap struct {
	mtime   time.Time
	size    int64
	entries map[string]string
}

func txtMapLookup(file, key string) (string, bool) {
	fi, err := os.Stat(file)
	if err != nil {
		return "", false
	}
	if v, ok := txtMaps.Load(file); ok {
		tm := v.(*txtMap)
		if tm.mtime.Equal(fi.ModTime()) && tm.size == fi.Size() {
			val, ok := tm.entries[key]
			return val, ok
		}
	}
	f, err := os.Open(file)
	if err != nil {
		return "", false
	}
	defer f.Close()
	tm := &txtMap{mtime: fi.ModTime(), size: fi.Size(), entries: map[string]string{}}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' || isSpaceByte(line[0]) {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		if _, dup := tm.entries[fields[0]]; !dup {
			tm.entries[fields[0]] = fields[1]
		}
	}
	txtMaps.Store(file, tm)
	val, ok := tm.entries[key]
	return val, ok
}

func isSpaceByte(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f' }

// prefixStat is prefix_stat: whether the first segment of path exists.
func (d *decider) prefixStat(path string) bool {
	rest := strings.TrimLeft(path, "/")
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		rest = rest[:i]
	}
	if rest == "" || rest == ".." || rest == "." {
		return rest == "" && path != ""
	}
	_, err := d.stat("/" + rest)
	return err == nil
}
