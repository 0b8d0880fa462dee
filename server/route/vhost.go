package route

import (
	"context"
	"net"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/appserver/appserver/parser"
	"github.com/appserver/appserver/server/config"
)

// This file chooses the server (main or <VirtualHost>) for a request the way
// httpd's vhost.c does (ap_update_vhost_given_ip, then
// ap_update_vhost_from_headers): the local address
// picks a candidate set once per connection, then the Host name picks a
// vhost within a name-based set.

// addrChain is one candidate set: every vhost that listed the same address
// and port, in config order. Its first vhost is the set's default.
type addrChain struct {
	wild    bool       // "*", "_default_", 0.0.0.0 or ::
	ip      netip.Addr // for !wild
	port    int        // 0 = any port
	entries []chainEntry
}

// chainEntry is one vhost address within a chain.
type chainEntry struct {
	vh       *serverTable
	port     int    // the address's port, 0 = any
	virthost string // the address's host text, which also acts as an alias
}

// vhostIndex holds the chains, built once per Config.
type vhostIndex struct {
	ipChains   []*addrChain
	wildChains []*addrChain
}

// buildVhostIndex groups the vhosts' addresses into chains in file order.
func buildVhostIndex(vhosts []*serverTable) *vhostIndex {
	x := &vhostIndex{}
	for _, st := range vhosts {
		for _, a := range st.v.Addrs {
			ips, wild := resolveVhostAddr(a.Host)
			if wild {
				x.wildChains = addToChain(x.wildChains, true, netip.Addr{}, a, st)
				continue
			}
			// Every address a name resolves to joins a chain, as in httpd.
			for _, ip := range ips {
				x.ipChains = addToChain(x.ipChains, false, ip, a, st)
			}
		}
	}
	return x
}

func addToChain(chains []*addrChain, wild bool, ip netip.Addr, a config.VHostAddr, st *serverTable) []*addrChain {
	var c *addrChain
	for _, cc := range chains {
		if cc.wild == wild && cc.ip == ip && cc.port == a.Port {
			c = cc
			break
		}
	}
	if c == nil {
		c = &addrChain{wild: wild, ip: ip, port: a.Port}
		chains = append(chains, c)
	}
	// A vhost listing the same address twice counts once.
	if n := len(c.entries); n > 0 && c.entries[n-1].vh == st {
		return chains
	}
	c.entries = append(c.entries, chainEntry{vh: st, port: a.Port, virthost: addrHostText(a)})
	return chains
}

// addrHostText is the host part of a <VirtualHost> address as written
// (httpd's sar->virthost), which matches a Host header exactly.
func addrHostText(a config.VHostAddr) string {
	t := a.Text
	if t == "" {
		t = a.Host
	}
	if strings.HasPrefix(t, "[") {
		if i := strings.IndexByte(t, ']'); i > 0 {
			return strings.ToLower(t[1:i])
		}
	}
	if i := strings.LastIndexByte(t, ':'); i >= 0 && strings.Count(t, ":") == 1 {
		t = t[:i]
	}
	return strings.ToLower(t)
}

// resolveVhostAddr turns a <VirtualHost> host into IPs; wild is true for the
// wildcard forms. Names are resolved once, as httpd does at startup; a name
// that does not resolve yields no address (httpd drops it with AH00547).
func resolveVhostAddr(host string) (ips []netip.Addr, wild bool) {
	h := strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if h == "" || h == "*" || strings.EqualFold(h, "_default_") {
		return nil, true
	}
	if ip, err := netip.ParseAddr(h); err == nil {
		ip = ip.Unmap()
		if ip.IsUnspecified() {
			return nil, true
		}
		return []netip.Addr{ip}, false
	}
	if strings.EqualFold(h, "localhost") {
		return []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.IPv6Loopback()}, false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", h)
	if err != nil {
		return nil, false
	}
	for i := range addrs {
		addrs[i] = addrs[i].Unmap()
	}
	return addrs, false
}

// chainFor is ap_update_vhost_given_ip: the candidate set for a connection,
// or nil when the main server serves it.
func (x *vhostIndex) chainFor(localIP netip.Addr, port int) *addrChain {
	var wildPort *addrChain
	for _, c := range x.ipChains {
		if c.ip != localIP {
			continue
		}
		if c.port == port {
			return c
		}
		if c.port == 0 && wildPort == nil {
			wildPort = c
		}
	}
	if wildPort != nil {
		return wildPort
	}
	for _, c := range x.wildChains {
		if c.port == port {
			return c
		}
		if c.port == 0 && wildPort == nil {
			wildPort = c
		}
	}
	return wildPort
}

// selectServer picks the serving server for a connection and request host
// (already canonicalised; "" = none).
func (t *Table) selectServer(localIP netip.Addr, port int, host string) *serverTable {
	c := t.vhosts.chainFor(localIP, port)
	if c == nil {
		return t.main
	}
	if len(c.entries) == 1 || host == "" {
		// A one-vhost set is IP-based: the Host header plays no part.
		return c.entries[0].vh
	}
	var byAddr *serverTable
	var last *serverTable
	for _, e := range c.entries {
		if e.port != 0 && e.port != port {
			continue
		}
		if e.vh != last && e.vh.matchesName(host) {
			return e.vh
		}
		last = e.vh
		if byAddr == nil && strings.EqualFold(host, e.virthost) {
			byAddr = e.vh
		}
	}
	if byAddr != nil {
		return byAddr
	}
	return c.entries[0].vh
}

// matchesName is httpd's matches_aliases: ServerName, then exact
// ServerAliases, then wildcard ones (case-insensitive; '*' spans dots).
func (st *serverTable) matchesName(host string) bool {
	if strings.EqualFold(host, st.name) {
		return true
	}
	for _, a := range st.exactAliases {
		if strings.EqualFold(host, a) {
			return true
		}
	}
	for _, a := range st.wildAliases {
		if wildcardFoldMatch(a, host) {
			return true
		}
	}
	return false
}

// wildcardFoldMatch is ap_strcasecmp_match: '*' matches any run of bytes
// (dots included), '?' exactly one, case-insensitively; no classes.
func wildcardFoldMatch(pattern, s string) bool {
	p, i := 0, 0
	starP, starI := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			starP, starI = p, i
			p++
		case p < len(pattern) && (pattern[p] == '?' || lower(pattern[p]) == lower(s[i])):
			p++
			i++
		case starP >= 0:
			starI++
			p, i = starP+1, starI
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// requestHost is the host a request names, after httpd's fix_hostname.
type requestHost struct {
	name    string // lower-cased, trailing dot dropped; "" = none
	port    int
	hasPort bool
}

// canonHost validates and canonicalises a Host header value (fromHeader) or
// an absolute-URI host, as fix_hostname does under the default
// "HttpProtocolOptions Strict". ok is false when Apache answers 400.
func canonHost(h string, fromHeader bool) (requestHost, bool) {
	var rh requestHost
	if h == "" {
		// An empty Host is allowed and names nothing.
		return rh, true
	}
	if allDigits(h) {
		// A bare number would parse as a port; strict mode refuses it.
		return rh, false
	}
	host := h
	v6 := false
	if fromHeader {
		var ok bool
		host, rh.port, ok = parser.ParseAddrPort(h) // allDigits above: never a bare port
		if !ok {
			return rh, false
		}
		rh.hasPort = rh.port != 0
		v6 = strings.HasPrefix(h, "[")
	} else {
		v6 = strings.IndexByte(h, ':') >= 0
	}
	if v6 {
		host = strings.ToLower(host)
		if !validV6Literal(host) {
			return rh, false
		}
		rh.name = host
		return rh, true
	}
	upper := false
	for i := 0; i < len(host); i++ {
		switch c := host[i]; {
		case c == '.':
			if i+1 < len(host) && host[i+1] == '.' {
				return rh, false
			}
		case c == '/' || c == '\\':
			return rh, false
		case c >= 'A' && c <= 'Z':
			upper = true
		}
	}
	if upper {
		host = strings.ToLower(host)
	}
	host = strings.TrimSuffix(host, ".")
	if !strictHostOK(host) {
		return rh, false
	}
	rh.name = host
	return rh, true
}

// validV6Literal mirrors fix_hostname_v6_literal's character checks.
func validV6Literal(h string) bool {
	doubleColon := false
	for i := 0; i < len(h); i++ {
		c := h[i]
		next := byte(0)
		if i+1 < len(h) {
			next = h[i+1]
		}
		switch {
		case isHex(c):
		case c == ':':
			if next == ':' {
				if doubleColon {
					return false
				}
				doubleColon = true
			} else if next == '.' {
				return false
			}
		case c == '.':
			if next == ':' || next == '.' {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// strictHostOK is httpd's strict_hostname_check: letters, digits, '-', '_'
// and dots only; a dotted-decimal name must be a plain IPv4 address; the top
// level label of a name must start with a letter.
func strictHostOK(h string) bool {
	dotted, leadingZero, dots := true, false, 0
	for i := 0; i < len(h); i++ {
		c := h[i]
		switch {
		case isAlpha(c) || c == '-' || c == '_':
			dotted = false
		case c == '.':
			dots++
			if i+2 < len(h) && h[i+1] == '0' && isDigit(h[i+2]) {
				leadingZero = true
			}
		case !isDigit(c):
			return false
		}
	}
	if dotted {
		if len(h) > 0 && (h[0] == '.' || (h[0] == '0' && len(h) > 1 && isDigit(h[1]))) {
			leadingZero = true
		}
		return !leadingZero && dots == 3
	}
	if i := strings.LastIndexByte(h, '.'); i >= 0 && i+1 < len(h) && !isAlpha(h[i+1]) {
		return false
	}
	return true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

// localHostname is the name httpd would give a main server without
// ServerName (it asks the resolver for this host's name).
func localHostname() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "localhost"
	}
	return strings.ToLower(h)
}
