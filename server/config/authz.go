package config

import (
	"net/netip"
	"slices"
	"strings"

	"github.com/appserver/appserver/server/expr"
)

// Require rules that depend on the client's address ("Require ip",
// "Require local") are kept as a small tree of AuthzRules and evaluated per
// request, as mod_authz_core + mod_authz_host do; rules that do not are
// reduced at load time to DirConf.Require "granted" or "denied".

// Authz is the outcome of a Require rule (mod_authz_core's authz_status).
type Authz uint8

const (
	AuthzNeutral Authz = iota
	AuthzGranted
	AuthzDenied
	AuthzUnknown // a provider appserver does not evaluate: never grants
	// AuthzDeniedNoUser: a user-based rule without an authenticated user
	// yet; httpd then authenticates and evaluates again.
	AuthzDeniedNoUser
)

// AuthzKind says what an AuthzRule is.
type AuthzKind uint8

const (
	AuthzStatic AuthzKind = iota // Value, decided at load time
	AuthzIP                      // Require ip: the client is in one of IPs
	AuthzLocal                   // Require local
	AuthzAll                     // <RequireAll>
	AuthzAny                     // <RequireAny>, and a section's own rules
	AuthzNone                    // <RequireNone>
	// AuthzAnd and AuthzOr merge a section's result with its parent's
	// (AuthMerging And, Or), combined as <RequireAll> and <RequireAny>.
	AuthzAnd
	AuthzOr
	AuthzValidUser // Require valid-user
	AuthzUser      // Require user Names...
	AuthzGroup     // Require group Names... (AuthGroupFile)
	AuthzEnv       // Require env Names...: one is set before the access phase
	AuthzMethod    // Require method Names...
	AuthzWSGIGroup // Require wsgi-group Names... (WSGIAuthGroupScript)
	AuthzHost      // Require host Names...: double reverse DNS
	AuthzForwardDNS
	AuthzExpr // Require expr: an ap_expr over the request
)

// AuthzRule is one Require line or <RequireX> section whose outcome depends
// on the request.
type AuthzRule struct {
	Kind    AuthzKind
	Value   Authz       // AuthzStatic: the outcome, negation applied
	Negated bool        // leaf rules: "Require not ..."
	IPs     []IPNetwork // AuthzIP
	Names   []string    // AuthzUser, AuthzGroup, AuthzEnv, AuthzMethod (upper case)
	Rules   []*AuthzRule
	Expr    *expr.Expr // AuthzExpr
}

// AuthzCtx is what Require rules look at.
type AuthzCtx struct {
	// Remote and Local are the connection's two ends (unmapped; the zero
	// Addr when unknown, which no network and no local address matches).
	Remote, Local netip.Addr
	Method        string // upper case; "" = GET
	// User is the authenticated user, when HasUser.
	User    string
	HasUser bool
	// GroupFile is the AuthGroupFile in effect (nil: none), GroupScript
	// the WSGIAuthGroupScript, and Hooks what runs it (nil: not run, the
	// rule never grants).
	GroupFile   *AuthFile
	GroupScript *HookScript
	Hooks       AuthHooks
	// Resolver answers Require host and forward-dns (nil: not looked
	// up, those rules never grant).
	Resolver HostResolver
	// Env holds the variables set before the access phase.
	Env map[string]string
	// Expr answers Require expr's variables and headers (nil: such rules
	// are not evaluated and never grant).
	Expr expr.Context
	// Reason is set by the rule that decided a denial, as httpd logs it.
	Reason string
}

// IPNetwork is one address of "Require ip" as apr_ipsubnet_create reads it:
// a full address, a partial IPv4 address ("10.1"), a CIDR or an IPv4
// netmask. A netmask whose bits are not contiguous (which APR accepts) is
// kept in Net and Mask; every other form is Prefix.
type IPNetwork struct {
	Prefix    netip.Prefix
	Net, Mask uint32 // when !Prefix.IsValid(): IPv4 network and netmask
	Text      string // as written
}

// Contains reports whether a (unmapped) is in the network, as
// apr_ipsubnet_test: IPv4 networks match IPv4 and IPv4-mapped clients,
// IPv6 networks IPv6 clients.
func (n IPNetwork) Contains(a netip.Addr) bool {
	if n.Prefix.IsValid() {
		return n.Prefix.Contains(a)
	}
	if !a.Is4() {
		return false
	}
	b := a.As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	return v&n.Mask == n.Net
}

var (
	localhost4 = netip.MustParsePrefix("127.0.0.0/8")
	localhost6 = netip.MustParseAddr("::1")
)

// Eval returns the rule's outcome for a client at remote on a connection to
// local, without a user (the rules of Require ip and local).
func (r *AuthzRule) Eval(remote, local netip.Addr) Authz {
	return r.EvalCtx(&AuthzCtx{Remote: remote, Local: local})
}

// EvalCtx returns the rule's outcome as mod_authz_core's
// apply_authz_sections does, with AuthzUnknown never granting.
func (r *AuthzRule) EvalCtx(c *AuthzCtx) Authz {
	var v Authz
	switch r.Kind {
	case AuthzStatic:
		return r.Value
	case AuthzIP, AuthzLocal:
		in := false
		if r.Kind == AuthzLocal {
			// mod_authz_host's local provider: the connection's two ends
			// are the same address, or the client is a loopback one.
			in = c.Remote.IsValid() && (c.Remote == c.Local || localhost4.Contains(c.Remote) || c.Remote == localhost6)
		} else {
			for _, n := range r.IPs {
				if n.Contains(c.Remote) {
					in = true
					break
				}
			}
		}
		v = yesNo(in)
	case AuthzMethod:
		m := c.Method
		if m == "" || m == "HEAD" {
			m = "GET" // HEAD is M_GET
		}
		v = yesNo(slices.Contains(r.Names, m))
	case AuthzEnv:
		in := false
		for _, n := range r.Names {
			if _, ok := c.Env[n]; ok {
				in = true
				break
			}
		}
		v = yesNo(in)
	case AuthzValidUser, AuthzUser, AuthzGroup, AuthzWSGIGroup:
		v = r.evalUser(c)
	case AuthzExpr:
		if c.Expr == nil {
			v = AuthzUnknown
			break
		}
		// A part appserver cannot evaluate never grants (fail closed).
		ok, err := r.Expr.Eval(c.Expr)
		switch {
		case err != nil:
			v = AuthzUnknown
		default:
			v = yesNo(ok)
		}
	case AuthzHost, AuthzForwardDNS:
		if c.Resolver == nil || !c.Remote.IsValid() {
			v = AuthzUnknown
			break
		}
		in := false
		if r.Kind == AuthzHost {
			if host, ok := c.Resolver.RemoteHost(c.Remote); ok {
				for _, n := range r.Names {
					if InDomain(n, host) {
						in = true
						break
					}
				}
			}
		} else {
			for _, n := range r.Names {
				if c.Resolver.HasAddr(n, c.Remote) {
					in = true
					break
				}
			}
		}
		v = yesNo(in)
	case AuthzAll, AuthzAnd:
		v = AuthzNeutral
		for _, ch := range r.Rules {
			cr := ch.EvalCtx(c)
			if cr == AuthzDenied {
				v = cr
				break
			}
			switch {
			case cr == AuthzDeniedNoUser,
				cr == AuthzUnknown && (v == AuthzNeutral || v == AuthzGranted),
				cr == AuthzGranted && v == AuthzNeutral:
				v = cr
			}
		}
		return v
	default: // AuthzAny, AuthzOr, AuthzNone
		v = AuthzNeutral
		for _, ch := range r.Rules {
			cr := ch.EvalCtx(c)
			if cr == AuthzGranted {
				v = cr
				break
			}
			switch {
			case cr == AuthzDeniedNoUser,
				cr == AuthzUnknown && (v == AuthzNeutral || v == AuthzDenied),
				cr == AuthzDenied && v == AuthzNeutral:
				v = cr
			}
		}
		if r.Kind != AuthzNone {
			return v
		}
		return negate(v)
	}
	if r.Negated {
		return negate(v)
	}
	return v
}

// HasExpr reports whether a Require expr is among the rules.
func (r *AuthzRule) HasExpr() bool {
	if r == nil {
		return false
	}
	if r.Kind == AuthzExpr {
		return true
	}
	for _, c := range r.Rules {
		if c.HasExpr() {
			return true
		}
	}
	return false
}

func yesNo(in bool) Authz {
	if in {
		return AuthzGranted
	}
	return AuthzDenied
}

// negate is httpd's negation: a denial turns neutral, never into a grant.
func negate(v Authz) Authz {
	switch v {
	case AuthzGranted:
		return AuthzDenied
	case AuthzDenied, AuthzDeniedNoUser:
		return AuthzNeutral
	}
	return v
}

// evalUser is mod_authz_user's and mod_authz_groupfile's providers.
func (r *AuthzRule) evalUser(c *AuthzCtx) Authz {
	if !c.HasUser {
		return AuthzDeniedNoUser
	}
	switch r.Kind {
	case AuthzValidUser:
		return AuthzGranted
	case AuthzUser:
		if slices.Contains(r.Names, c.User) {
			return AuthzGranted
		}
		c.Reason = "access to %s failed, reason: user '" + c.User + "' does not meet 'require'ments for user to be allowed access"
		return AuthzDenied
	}
	if r.Kind == AuthzWSGIGroup {
		return r.evalWSGIGroup(c)
	}
	if c.GroupFile == nil {
		c.Reason = "No group file was specified in the configuration"
		return AuthzDenied
	}
	groups, err := c.GroupFile.Groups(c.User)
	if err != nil {
		// httpd logs it and denies (measured: 401, not 500).
		c.Reason = "Could not open group file: " + c.GroupFile.Path
		return AuthzDenied
	}
	if len(groups) == 0 {
		c.Reason = "Authorization of user " + c.User + " to access %s failed, reason: user doesn't appear in group file (" + c.GroupFile.Path + ")."
		return AuthzDenied
	}
	for _, g := range r.Names {
		if slices.Contains(groups, g) {
			return AuthzGranted
		}
	}
	c.Reason = "Authorization of user " + c.User + " to access %s failed, reason: user is not part of the 'require'ed group(s)."
	return AuthzDenied
}

// evalWSGIGroup is mod_wsgi's wsgi-group provider: groups_for_user of
// the WSGIAuthGroupScript names the user's groups; an exception denies
// (measured: 401).
func (r *AuthzRule) evalWSGIGroup(c *AuthzCtx) Authz {
	if c.GroupScript == nil {
		c.Reason = "No WSGI group authentication script has been configured"
		return AuthzDenied
	}
	if c.Hooks == nil {
		return AuthzUnknown
	}
	groups, err := c.Hooks.GroupsForUser(c.GroupScript, c.User)
	if err != nil {
		c.Reason = "user " + c.User + ": groups_for_user of " + c.GroupScript.Path + " failed"
		return AuthzDenied
	}
	for _, g := range r.Names {
		if slices.Contains(groups, g) {
			return AuthzGranted
		}
	}
	c.Reason = "Authorization of user '" + c.User + "' to access '%s' failed. User is not a member of the required groups."
	return AuthzDenied
}

// Combine is the outcome of a <RequireAll|Any|None> whose rules are all
// static and include a grant, a denial or an unknown provider.
func Combine(kind AuthzKind, granted, denied, unknown bool) Authz {
	switch kind {
	case AuthzAll:
		switch {
		case denied:
			return AuthzDenied
		case unknown:
			return AuthzUnknown
		case granted:
			return AuthzGranted
		}
	case AuthzNone:
		switch {
		case granted:
			return AuthzDenied
		case unknown:
			return AuthzUnknown
		}
	default:
		switch {
		case granted:
			return AuthzGranted
		case unknown:
			return AuthzUnknown
		case denied:
			return AuthzDenied
		}
	}
	return AuthzNeutral
}

// Grants reports whether the section's Require rules grant access: only a
// grant does (neutral, denied and unknown all answer 403).
func (r *AuthzRule) Grants(remote, local netip.Addr) bool {
	return r.Eval(remote, local) == AuthzGranted
}

// String writes the rule in a compact form for `appserver routes`:
// any(ip 10.0.0.0/8, not local).
func (r *AuthzRule) String() string {
	var b strings.Builder
	r.write(&b)
	return b.String()
}

func (r *AuthzRule) write(b *strings.Builder) {
	not := ""
	if r.Negated {
		not = "not "
	}
	switch r.Kind {
	case AuthzStatic:
		b.WriteString([...]string{"neutral", "granted", "denied", "unknown", "denied-no-user"}[r.Value])
		return
	case AuthzIP:
		b.WriteString(not + "ip")
		for _, n := range r.IPs {
			b.WriteString(" " + n.Text)
		}
		return
	case AuthzLocal:
		b.WriteString(not + "local")
		return
	case AuthzExpr:
		b.WriteString(not + "expr " + r.Expr.Source())
		return
	case AuthzValidUser, AuthzUser, AuthzGroup, AuthzEnv, AuthzMethod, AuthzWSGIGroup, AuthzHost, AuthzForwardDNS:
		b.WriteString(not + [...]string{AuthzValidUser: "valid-user", AuthzUser: "user", AuthzGroup: "group", AuthzEnv: "env",
			AuthzMethod: "method", AuthzWSGIGroup: "wsgi-group", AuthzHost: "host", AuthzForwardDNS: "forward-dns"}[r.Kind])
		for _, n := range r.Names {
			b.WriteString(" " + n)
		}
		return
	}
	b.WriteString([...]string{AuthzAll: "all", AuthzAny: "any", AuthzNone: "none", AuthzAnd: "and", AuthzOr: "or"}[r.Kind])
	b.WriteByte('(')
	for i, c := range r.Rules {
		if i > 0 {
			b.WriteString(", ")
		}
		c.write(b)
	}
	b.WriteByte(')')
}

// ParseIPNetwork reads one argument of "Require ip" as mod_authz_host's
// ip_parse_config and apr_ipsubnet_create do, returning httpd's message
// for a bad one.
func ParseIPNetwork(w string) (IPNetwork, string) {
	n := IPNetwork{Text: w}
	addr, mask, hasMask := strings.Cut(w, "/")
	if !looksLikeIP(addr) {
		return n, "ip address '" + w + "' appears to be invalid"
	}
	const badIP = ": The specified IP address is invalid."
	const badMask = ": The specified network mask is invalid."
	invalid := "ip address '" + w + "' appears to be invalid"
	var ip netip.Addr
	bits := -1 // a full address
	if strings.Contains(addr, ":") {
		a, err := netip.ParseAddr(addr)
		if err != nil || !a.Is6() || a.Zone() != "" || a.Is4In6() {
			return n, invalid + badIP
		}
		ip = a
	} else if a, ok := parseIPv4(addr); ok {
		ip = a
	} else if !hasMask {
		a, nbits, ok := parseIPv4Network(addr)
		if !ok {
			return n, invalid + badIP
		}
		ip, bits = a, nbits
	} else {
		return n, invalid + badIP
	}
	if hasMask {
		max := 32
		if ip.Is6() {
			max = 128
		}
		if v, ok := strtol(mask); ok {
			if v <= 0 || v > max {
				return n, invalid + badMask
			}
			bits = v
		} else if m, ok := parseIPv4(mask); ok && ip.Is4() {
			b := m.As4()
			mv := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
			ones := 0
			for ones < 32 && mv&(1<<(31-ones)) != 0 {
				ones++
			}
			if ones == 32 || mv<<ones != 0 {
				// Not contiguous (or all ones, a host): keep the raw mask.
				if ones < 32 {
					a := ip.As4()
					v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
					n.Net, n.Mask = v&mv, mv
					return n, ""
				}
				bits = 32
			} else {
				bits = ones
			}
		} else {
			return n, invalid + badMask
		}
	}
	if bits < 0 {
		bits = ip.BitLen()
	}
	n.Prefix = netip.PrefixFrom(ip, bits).Masked()
	return n, ""
}

// looksLikeIP is APR's filter: anything with a colon, or only digits and
// dots.
func looksLikeIP(s string) bool {
	if s == "" {
		return false
	}
	if strings.Contains(s, ":") {
		return true
	}
	for i := 0; i < len(s); i++ {
		if s[i] != '.' && (s[i] < '0' || s[i] > '9') {
			return false
		}
	}
	return true
}

// parseIPv4 is APR's inet_pton4: four dotted decimal octets, leading zeros
// allowed (and decimal).
func parseIPv4(s string) (netip.Addr, bool) {
	var b [4]byte
	octets, v, saw := 0, 0, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			v = v*10 + int(c-'0')
			if v > 255 {
				return netip.Addr{}, false
			}
			if !saw {
				if octets++; octets > 4 {
					return netip.Addr{}, false
				}
				saw = true
			}
			b[octets-1] = byte(v)
		case c == '.' && saw:
			if octets == 4 {
				return netip.Addr{}, false
			}
			v, saw = 0, false
		default:
			return netip.Addr{}, false
		}
	}
	if octets < 4 {
		return netip.Addr{}, false
	}
	return netip.AddrFrom4(b), true
}

// parseIPv4Network is APR's parse_network: "a", "a.b", "a.b.c" (a trailing
// dot allowed) name the /8, /16, /24 network.
func parseIPv4Network(s string) (netip.Addr, int, bool) {
	if len(s) >= len("255.255.255.255")+1 {
		return netip.Addr{}, 0, false
	}
	var b [4]byte
	n := 0
	for s != "" {
		if s[0] < '0' || s[0] > '9' {
			return netip.Addr{}, 0, false
		}
		i, v := 0, 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			v = v*10 + int(s[i]-'0')
			i++
		}
		if i < len(s) {
			if s[i] != '.' {
				return netip.Addr{}, 0, false
			}
			i++
		}
		if n == 4 || v > 255 {
			return netip.Addr{}, 0, false
		}
		b[n] = byte(v)
		n++
		s = s[i:]
	}
	return netip.AddrFrom4(b), 8 * n, true
}

// strtol reads a whole decimal number with an optional sign, as
// strtol(s, &end, 10) with *end == '\0'.
func strtol(s string) (int, bool) {
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if s == "" {
		return 0, false
	}
	v := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		if v < 1<<20 {
			v = v*10 + int(s[i]-'0')
		}
	}
	if neg {
		v = -v
	}
	return v, true
}
