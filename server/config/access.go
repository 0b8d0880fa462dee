package config

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"

	"github.com/appserver/appserver/parser"
)

// Access rules beyond Require (authz.go). An ignored directive
// may lose a feature but must never open a door, so:
//
//   - mod_access_compat (Order, Allow, Deny, Satisfy) is evaluated for the
//     "from all" forms, per method (<Limit>), and combined with Require as
//     httpd 2.4 does (Satisfy All: both must pass; Satisfy Any: either).
//     Host, address and env= matches are not evaluated: an Allow of that
//     kind never matches and a Deny always does (fail closed).
//   - other restricting directives appserver does not evaluate (SSLRequire,
//     Require inside <Limit>, access rules inside <If>, RewriteRule [F]/[G])
//     become AccessDeny rules: the request they could apply to gets 403.

// AccessCompat is the mod_access_compat configuration of one section.
// mod_access_compat has no merge function and creates its config only in
// sections that use it, so the nearest such section replaces the parent's
// whole (measured on httpd 2.4: a child with only "Satisfy All" drops the
// parent's "Deny from all").
type AccessCompat struct {
	Rules []CompatRule
}

// CompatKind is the mod_access_compat directive of a CompatRule.
type CompatKind string

const (
	CompatOrder   CompatKind = "order"
	CompatAllow   CompatKind = "allow"
	CompatDeny    CompatKind = "deny"
	CompatSatisfy CompatKind = "satisfy"
)

// CompatRule is one Order, Allow, Deny or Satisfy directive.
type CompatRule struct {
	Pos     parser.Position
	Kind    CompatKind
	Value   string   // order: "allow,deny", "deny,allow", "mutual-failure"; satisfy: "all", "any"
	Hosts   []string // allow/deny: the words after "from"
	Methods MethodLimit
}

// methodLimit is the <Limit>/<LimitExcept> a directive sits in; the zero
// value applies to every method.
type MethodLimit struct {
	Methods []string // upper case; nil = every method
	Except  bool
}

func (m MethodLimit) applies(method string) bool {
	if m.Methods == nil {
		return true
	}
	if method == "" || method == "HEAD" {
		method = "GET" // httpd's M_GET covers HEAD
	}
	in := false
	for _, x := range m.Methods {
		if x == method {
			in = true
			break
		}
	}
	return in != m.Except
}

func (m MethodLimit) String() string {
	if m.Methods == nil {
		return ""
	}
	if m.Except {
		return "every method but " + strings.Join(m.Methods, " ")
	}
	return strings.Join(m.Methods, " ")
}

// tri is a three-valued match: yes, no, or cannot tell.
type Tri int

const (
	TriNo Tri = iota
	TriYes
	TriUnknown
)

// matchHosts is find_allowdeny for the rules of kind that apply to method:
// "all" matches, anything else cannot be told.
func (ac *AccessCompat) matchHosts(kind CompatKind, method string) Tri {
	res := TriNo
	for i := range ac.Rules {
		r := &ac.Rules[i]
		if r.Kind != kind || !r.Methods.applies(method) {
			continue
		}
		for _, h := range r.Hosts {
			if strings.EqualFold(h, "all") {
				return TriYes
			}
			res = TriUnknown
		}
	}
	return res
}

// setting returns the last Order or Satisfy value that applies to method.
func (ac *AccessCompat) setting(kind CompatKind, method, def string) string {
	v := def
	for i := range ac.Rules {
		if r := &ac.Rules[i]; r.Kind == kind && r.Methods.applies(method) {
			v = r.Value
		}
	}
	return v
}

// check is mod_access_compat's check_dir_access in three values, and
// whether Satisfy Any applies.
func (ac *AccessCompat) Check(method string) (granted Tri, any bool) {
	allow, deny := ac.matchHosts(CompatAllow, method), ac.matchHosts(CompatDeny, method)
	any = ac.setting(CompatSatisfy, method, "all") == "any"
	switch ac.setting(CompatOrder, method, "deny,allow") {
	case "allow,deny", "mutual-failure":
		// Both grant only when an Allow matches and no Deny does.
		switch {
		case allow == TriNo || deny == TriYes:
			return TriNo, any
		case allow == TriYes && deny == TriNo:
			return TriYes, any
		}
		return TriUnknown, any
	default: // deny,allow: a matching Allow wins, else a matching Deny denies
		switch {
		case allow == TriYes || deny == TriNo:
			return TriYes, any
		case allow == TriNo && deny == TriYes:
			return TriNo, any
		}
		return TriUnknown, any
	}
}

// AccessDeny is a restricting rule appserver does not evaluate: requests it
// could apply to are refused.
type AccessDeny struct {
	Pos       parser.Position
	Directive string // as written, for the reason
	Methods   MethodLimit
	// Status is the answer: 403, or what a RewriteRule gives (410 for [G]).
	Status int
	// UnlessTLS: satisfied over TLS (SSLRequireSSL).
	UnlessTLS bool
	// UnlessClientCert: satisfied when the connection's client
	// certificate was verified (a per-directory SSLVerifyClient require).
	UnlessClientCert bool
	// Regex, when set, limits the rule to URIs it matches (a server-level
	// RewriteRule [F]); Negate inverts that.
	Regex  *Regexp
	Negate bool
	// Conds are the rule's RewriteCond lines; those appserver cannot
	// evaluate count as true.
	Conds []*RewriteCond
}

// RewriteCond is a RewriteCond line. Evaluated when its test string is one
// variable appserver knows at routing time (%{REQUEST_URI},
// %{REQUEST_METHOD}, %{HTTPS}, request headers) and its pattern a regex;
// otherwise taken as true (fail closed).
type RewriteCond struct {
	Var    string  // "REQUEST_URI", "REQUEST_METHOD", "HTTPS", or "HTTP:Name"
	Regex  *Regexp // nil: not evaluated, taken as true
	Negate bool
	OrNext bool
}

// accessReq is what access rules can look at.
type AccessReq struct {
	Method, Uri string
	Https       bool
	// header holds the request headers; nil is a request without any
	// (what routes explains).
	Header http.Header
	Host   string
	// RemoteIP is the client's address (the connection's, never a proxy
	// header's) and LocalIP the address it connected to, both unmapped,
	// for Require ip and Require local; the zero Addr when unknown.
	RemoteIP, LocalIP netip.Addr
	// ClientVerified: the TLS client sent a certificate that was verified.
	ClientVerified bool
}

func (c *RewriteCond) holds(r *AccessReq) bool {
	if c.Regex == nil {
		return true
	}
	var v string
	switch {
	case c.Var == "REQUEST_URI":
		v = r.Uri
	case c.Var == "REQUEST_METHOD":
		v = r.Method
		if v == "" {
			v = "GET"
		}
	case c.Var == "HTTPS":
		v = "off"
		if r.Https {
			v = "on"
		}
	case strings.HasPrefix(c.Var, "HTTP:"):
		if strings.EqualFold(c.Var[5:], "Host") {
			v = r.Host // Go keeps Host out of the header map
		} else {
			v = r.Header.Get(c.Var[5:])
		}
	default:
		return true
	}
	return (c.Regex.FindSubmatchIndex(v) != nil) != c.Negate
}

// rewriteVar maps a RewriteCond test string to a RewriteCond.Var, or "".
func RewriteVar(test string) string {
	if !strings.HasPrefix(test, "%{") || !strings.HasSuffix(test, "}") || strings.Count(test, "%{") != 1 {
		return ""
	}
	name := test[2 : len(test)-1]
	switch u := strings.ToUpper(name); {
	case u == "REQUEST_URI", u == "REQUEST_METHOD", u == "HTTPS":
		return u
	case strings.HasPrefix(u, "HTTP:") && len(u) > 5:
		return "HTTP:" + name[5:]
	case strings.HasPrefix(u, "HTTP_") && len(u) > 5:
		// %{HTTP_USER_AGENT} is the User-Agent header, and so on.
		switch u {
		case "HTTP_USER_AGENT", "HTTP_REFERER", "HTTP_COOKIE", "HTTP_FORWARDED", "HTTP_HOST",
			"HTTP_PROXY_CONNECTION", "HTTP_ACCEPT":
			return "HTTP:" + strings.ReplaceAll(u[5:], "_", "-")
		}
	}
	return ""
}

// condsHold is mod_rewrite's walk over a rule's conditions, [OR] included.
func condsHold(conds []*RewriteCond, r *AccessReq) bool {
	for i := 0; i < len(conds); i++ {
		c := conds[i]
		rc := c.holds(r)
		if c.OrNext {
			if !rc {
				continue
			}
			for i < len(conds) && conds[i].OrNext {
				i++
			}
			continue
		}
		if !rc {
			return false
		}
	}
	return true
}

func (a *AccessDeny) applies(r *AccessReq) bool {
	if !a.Methods.applies(r.Method) || (a.UnlessTLS && r.Https) || (a.UnlessClientCert && r.ClientVerified) {
		return false
	}
	if a.Regex != nil && (a.Regex.FindSubmatchIndex(r.Uri) != nil) == a.Negate {
		return false
	}
	return condsHold(a.Conds, r)
}

// access decides the access phase for a merged config: 0 when the request
// may go on, else the status and the reason.
func Access(conf *DirConf, r *AccessReq) (int, string) {
	method := r.Method
	// mod_allowmethods checks first (APR_HOOK_REALLY_FIRST).
	if len(conf.AllowMethods) > 0 && !(MethodLimit{Methods: conf.AllowMethods}).applies(method) {
		return 405, "AllowMethods does not list " + method
	}
	for _, a := range conf.Denies {
		if a.applies(r) {
			status := a.Status
			if status == 0 {
				status = 403
			}
			return status, fmt.Sprintf("refused by %s at %s (appserver keeps the refusals of access rules it does not implement: fail closed)", a.Directive, parser.FormatPos(a.Pos))
		}
	}
	require := conf.Require
	if require == "request" {
		// An unknown client address grants nothing (fail closed).
		require = "denied"
		if r.RemoteIP.IsValid() && conf.RequireRule.Grants(r.RemoteIP, r.LocalIP) {
			require = "granted"
		}
	}
	reqOK := require != "denied"
	if conf.Compat == nil {
		if !reqOK {
			return 403, "client denied by server configuration"
		}
		return 0, ""
	}
	granted, any := conf.Compat.Check(method)
	switch {
	case any && (granted == TriYes || require == "granted"):
		return 0, ""
	case !any && granted == TriYes && reqOK:
		return 0, ""
	case granted == TriUnknown:
		return 403, "client denied by server configuration (an Allow/Deny host rule appserver does not evaluate applies: fail closed)"
	}
	return 403, "client denied by server configuration"
}
