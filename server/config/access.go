package config

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"

	"github.com/appserver/appserver/parser"
	"github.com/appserver/appserver/server/expr"
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
	Parsed  []CompatHost
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

// CompatHost is one word after "from", as mod_access_compat's allow_cmd
// reads it.
type CompatHost struct {
	Kind CompatHostKind
	IP   IPNetwork // CompatIP
	Name string    // CompatEnv, CompatNotEnv: the variable; CompatHostName: the domain
}

// CompatHostKind is the type of a CompatHost.
type CompatHostKind uint8

const (
	CompatAll      CompatHostKind = iota // "all"
	CompatIP                             // an address, partial address, CIDR or netmask
	CompatEnv                            // env=VAR: VAR is set
	CompatNotEnv                         // env=!VAR: VAR is not set
	CompatHostName                       // a host name: double reverse DNS
)

// matchHosts is find_allowdeny for the rules of kind that apply to the
// request: yes when one entry matches, unknown when none does but a host
// name (not evaluated) or an env= test appserver cannot tell might.
func (ac *AccessCompat) matchHosts(kind CompatKind, r *AccessReq) Tri {
	res := TriNo
	for i := range ac.Rules {
		cr := &ac.Rules[i]
		if cr.Kind != kind || !cr.Methods.applies(r.Method) {
			continue
		}
		for _, h := range cr.Parsed {
			switch h.Kind {
			case CompatAll:
				return TriYes
			case CompatIP:
				if r.RemoteIP.IsValid() && h.IP.Contains(r.RemoteIP) {
					return TriYes
				}
			case CompatEnv, CompatNotEnv:
				if _, set := r.Env[h.Name]; set == (h.Kind == CompatEnv) {
					return TriYes
				}
			default: // a host name: double reverse DNS, as httpd's REMOTE_DOUBLE_REV
				if r.Resolver == nil || !r.RemoteIP.IsValid() {
					res = TriUnknown
					continue
				}
				if host, ok := r.Resolver.RemoteHost(r.RemoteIP); ok && InDomain(h.Name, host) {
					return TriYes
				}
			}
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
func (ac *AccessCompat) Check(r *AccessReq) (granted Tri, any bool) {
	method := r.Method
	allow, deny := ac.matchHosts(CompatAllow, r), ac.matchHosts(CompatDeny, r)
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
	// Env holds the variables set before the access phase (Allow from
	// env=, Require env): SetEnvIf's and mod_rewrite's [E=].
	Env map[string]string
	// Expr answers Require expr (nil: not evaluated, never grants).
	Expr expr.Context
	// Hooks runs mod_wsgi's auth and access scripts (nil: they are not
	// run, and what depends on them fails closed).
	Hooks AuthHooks
	// Resolver answers host-name rules (nil: they cannot be told, fail
	// closed).
	Resolver HostResolver
}

func (a *AccessDeny) applies(r *AccessReq) bool {
	return a.Methods.applies(r.Method) && !(a.UnlessTLS && r.Https) && !(a.UnlessClientCert && r.ClientVerified)
}

// AccessResult is the outcome of the access, authentication and
// authorization phases.
type AccessResult struct {
	// Status is 0 when the request may go on, else the answer (401, 403,
	// 405, 500, ...) and Reason why, in the words of httpd's error log.
	Status int
	Reason string
	// User is httpd's r->user: the authenticated user, or on a 401 the
	// one the credentials named. AuthType is set once a user was
	// authenticated: then User and AuthType are REMOTE_USER and AUTH_TYPE.
	User, AuthType string
	// Challenge is the WWW-Authenticate value of a 401 ("" = none).
	Challenge string
}

// Access decides httpd's access phases for a merged config, as
// ap_process_request_internal runs them: mod_allowmethods, then the access
// checker (mod_access_compat), the user-less authorization (a Require that
// needs no user grants or denies here), then, when a Require needs a user,
// authentication (mod_auth_basic) and authorization with that user.
// Satisfy Any lets mod_access_compat's grant stand alone.
func Access(conf *DirConf, r *AccessReq) AccessResult {
	method := r.Method
	// mod_allowmethods checks first (APR_HOOK_REALLY_FIRST).
	if len(conf.AllowMethods) > 0 && !(MethodLimit{Methods: conf.AllowMethods}).applies(method) {
		return AccessResult{Status: 405, Reason: "AllowMethods does not list " + method}
	}
	for _, a := range conf.Denies {
		if a.applies(r) {
			status := a.Status
			if status == 0 {
				status = 403
			}
			return AccessResult{Status: status, Reason: fmt.Sprintf("refused by %s at %s (appserver keeps the refusals of access rules it does not implement: fail closed)", a.Directive, parser.FormatPos(a.Pos))}
		}
	}
	granted, any := TriYes, false
	if conf.Compat != nil {
		granted, any = conf.Compat.Check(r)
	}
	if conf.AccessScript != nil {
		// mod_wsgi's access checker runs beside mod_access_compat's: both
		// must let the request through.
		if ok, reason := allowAccess(conf.AccessScript, r); !ok {
			if !any {
				return AccessResult{Status: 403, Reason: reason}
			}
			granted = TriNo
		}
	}
	if any && granted == TriYes {
		return AccessResult{}
	}
	if !any && granted != TriYes {
		if granted == TriUnknown {
			return AccessResult{Status: 403, Reason: "client denied by server configuration (an Allow/Deny host or env= rule appserver does not evaluate applies: fail closed)"}
		}
		return AccessResult{Status: 403, Reason: "client denied by server configuration"}
	}
	authType := ""
	if conf.AuthType != nil {
		authType = *conf.AuthType
	}
	ctx := AuthzCtx{Remote: r.RemoteIP, Local: r.LocalIP, Method: method, GroupFile: conf.AuthGroupFile,
		GroupScript: conf.AuthGroupScript, Hooks: r.Hooks, Resolver: r.Resolver, Env: r.Env, Expr: r.Expr}
	switch v := conf.authorize(&ctx); v {
	case AuthzGranted:
		return AccessResult{}
	case AuthzDeniedNoUser:
		// A user is needed: authenticate.
	case AuthzUnknown:
		return AccessResult{Status: 403, Reason: "client denied by server configuration (a Require appserver does not evaluate applies: fail closed)"}
	default:
		if v == authzNoDirectives {
			if authType != "" {
				return AccessResult{Status: 500, Reason: "AuthType configured with no corresponding authorization directives"}
			}
			return AccessResult{}
		}
		return AccessResult{Status: 403, Reason: "client denied by server configuration"}
	}
	res := authenticate(conf, authType, r)
	if res.Status != 0 {
		return res
	}
	ctx.User, ctx.HasUser, ctx.Reason = res.User, true, ""
	challenge := basicChallenge(conf)
	switch conf.authorize(&ctx) {
	case AuthzGranted:
		return res
	case AuthzUnknown:
		return AccessResult{Status: 403, Reason: "user " + res.User + ": a Require appserver does not evaluate applies (fail closed)", User: res.User}
	case AuthzDeniedNoUser:
		return AccessResult{Status: 401, Reason: "authorization failure (no authenticated user): " + r.Uri, Challenge: challenge, User: res.User}
	}
	reason := "user " + res.User + ": authorization failure for \"" + r.Uri + "\": "
	if ctx.Reason != "" {
		reason = strings.ReplaceAll(ctx.Reason, "%s", r.Uri)
	}
	return AccessResult{Status: 401, Reason: reason, Challenge: challenge, User: res.User}
}

// authzNoDirectives is authorize's answer when no Require applies.
const authzNoDirectives Authz = 255

// authorize evaluates the merged Require rules.
func (conf *DirConf) authorize(c *AuthzCtx) Authz {
	switch conf.Require {
	case "":
		return authzNoDirectives
	case "granted":
		return AuthzGranted
	case "request":
		return conf.RequireRule.EvalCtx(c)
	}
	return AuthzDenied
}

// basicChallenge is mod_auth_basic's WWW-Authenticate value.
func basicChallenge(conf *DirConf) string {
	if conf.AuthName == nil {
		return ""
	}
	return "Basic realm=\"" + *conf.AuthName + "\""
}

// authenticate is the check_user_id phase: mod_auth_basic with the file
// provider for AuthType Basic, mod_authn_core's refusal otherwise.
func authenticate(conf *DirConf, authType string, r *AccessReq) AccessResult {
	if authType == "" {
		return AccessResult{Status: 500, Reason: "No authentication done but request not allowed without authentication for " + r.Uri + ". Authentication not configured?"}
	}
	if !strings.EqualFold(authType, "Basic") {
		return AccessResult{Status: 500, Reason: "AuthType " + authType + " configured without corresponding module"}
	}
	if conf.AuthName == nil {
		return AccessResult{Status: 500, Reason: "need AuthName: " + r.Uri}
	}
	challenge := basicChallenge(conf)
	fail := func(reason string) AccessResult {
		return AccessResult{Status: 401, Reason: reason, Challenge: challenge}
	}
	header, sent := "", false
	if v := r.Header.Values("Authorization"); len(v) > 0 {
		header, sent = v[0], true
	}
	if !sent {
		return fail("")
	}
	user, pw, ok := BasicCredentials(header)
	if !ok {
		return fail("client used wrong authentication scheme: " + r.Uri)
	}
	// httpd sets r->user before checking it: the access log shows the
	// user a failed attempt named.
	fail = func(reason string) AccessResult {
		return AccessResult{Status: 401, Reason: reason, Challenge: challenge, User: user}
	}
	providers := conf.AuthBasicProvider
	if providers == nil {
		providers = []string{"file"}
	}
	for _, p := range providers {
		if p == "wsgi" {
			res, done := checkWSGIPassword(conf, authType, r, user, pw, challenge)
			if done {
				return res
			}
			continue
		}
		if p != "file" {
			continue // not evaluated: as if the user were unknown to it (the load warned)
		}
		if conf.AuthUserFile == nil {
			return AccessResult{Status: 500, Reason: "AuthUserFile not specified in the configuration"}
		}
		hash, found, err := conf.AuthUserFile.Password(user)
		if err != nil {
			return AccessResult{Status: 500, Reason: "Could not open password file: " + conf.AuthUserFile.Path}
		}
		if !found {
			continue
		}
		if !CheckPassword(pw, hash) {
			return fail("user " + user + ": authentication failure for \"" + r.Uri + "\": Password Mismatch")
		}
		return AccessResult{User: user, AuthType: authType}
	}
	return fail("user " + user + " not found: " + r.Uri)
}

// ParseCompatHost reads one word after "from" as mod_access_compat's
// allow_cmd does, returning httpd's message for a bad one.
func ParseCompatHost(w string) (CompatHost, string) {
	switch {
	case len(w) >= 5 && strings.EqualFold(w[:5], "env=!"):
		return CompatHost{Kind: CompatNotEnv, Name: w[5:]}, ""
	case len(w) >= 4 && strings.EqualFold(w[:4], "env="):
		return CompatHost{Kind: CompatEnv, Name: w[4:]}, ""
	case strings.EqualFold(w, "all"):
		return CompatHost{Kind: CompatAll}, ""
	}
	addr, _, slash := strings.Cut(w, "/")
	if !looksLikeIP(addr) {
		if slash {
			return CompatHost{}, "An IP address was expected"
		}
		return CompatHost{Kind: CompatHostName, Name: w}, ""
	}
	n, msg := ParseIPNetwork(w)
	if msg != "" {
		// APR's own text, without mod_authz_host's prefix.
		if _, apr, ok := strings.Cut(msg, ": "); ok {
			return CompatHost{}, apr
		}
		if !slash {
			return CompatHost{Kind: CompatHostName, Name: w}, ""
		}
		return CompatHost{}, "An IP address was expected"
	}
	return CompatHost{Kind: CompatIP, IP: n}, ""
}

// allowAccess is mod_wsgi's access checker: allow_access(environ, host)
// True lets the request through, None declines (also through), False, an
// exception or another result refuse (403). Without hooks it refuses
// (fail closed).
func allowAccess(s *HookScript, r *AccessReq) (bool, string) {
	refused := "Client denied by server configuration: '" + r.Uri + "'."
	if r.Hooks == nil {
		return false, refused + " (WSGIAccessScript is not run here: fail closed)"
	}
	host := ""
	if r.RemoteIP.IsValid() {
		host = r.RemoteIP.String()
	}
	v, err := r.Hooks.AllowAccess(s, host)
	if err != nil || v == "False" {
		return false, refused
	}
	return true, ""
}

// checkWSGIPassword is mod_wsgi's "wsgi" authn provider: done is false
// when check_password returned None (the user is unknown: the next
// provider is asked).
func checkWSGIPassword(conf *DirConf, authType string, r *AccessReq, user, pw, challenge string) (AccessResult, bool) {
	if conf.AuthUserScript == nil {
		return AccessResult{Status: 500, Reason: "No WSGI authentication script has been configured"}, true
	}
	if r.Hooks == nil {
		return AccessResult{}, false // not run: the user is unknown to it (fail closed)
	}
	v, err := r.Hooks.CheckPassword(conf.AuthUserScript, user, pw)
	switch {
	case err != nil:
		return AccessResult{Status: 500, Reason: "check_password of " + conf.AuthUserScript.Path + " failed for user " + user}, true
	case v == "True":
		return AccessResult{User: user, AuthType: authType}, true
	case strings.HasPrefix(v, "User:"):
		return AccessResult{User: v[len("User:"):], AuthType: authType}, true
	case v == "False":
		return AccessResult{Status: 401, Reason: "user " + user + ": authentication failure for \"" + r.Uri + "\": Password Mismatch", Challenge: challenge, User: user}, true
	}
	return AccessResult{}, false
}
