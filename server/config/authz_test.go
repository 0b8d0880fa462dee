package config

import (
	"net/netip"
	"testing"
)

// TestParseIPNetwork: apr_ipsubnet_create's forms, and which clients
// apr_ipsubnet_test lets in (IPv4 networks match IPv4-mapped clients once
// unmapped; families never cross).
func TestParseIPNetwork(t *testing.T) {
	tests := []struct {
		arg     string
		in, out []string
		prefix  string // "" for a non-contiguous netmask
	}{
		{"192.0.2.7", []string{"192.0.2.7", "::ffff:c000:207"}, []string{"192.0.2.8", "2001:db8::c000:207"}, "192.0.2.7/32"},
		{"010.001.1.1", []string{"10.1.1.1"}, nil, "10.1.1.1/32"},
		{"10", []string{"10.200.0.1"}, []string{"11.0.0.1"}, "10.0.0.0/8"},
		{"10.1", []string{"10.1.9.9"}, []string{"10.2.0.1"}, "10.1.0.0/16"},
		{"10.1.", []string{"10.1.9.9"}, []string{"10.2.0.1"}, "10.1.0.0/16"},
		{"10.1.2", []string{"10.1.2.3"}, []string{"10.1.3.3"}, "10.1.2.0/24"},
		{"10.1.2.3/8", []string{"10.9.9.9"}, []string{"11.0.0.0"}, "10.0.0.0/8"},
		{"10.0.0.0/+8", []string{"10.9.9.9"}, nil, "10.0.0.0/8"},
		{"172.16.0.0/255.240.0.0", []string{"172.31.255.255"}, []string{"172.32.0.0"}, "172.16.0.0/12"},
		{"0.0.0.0/0.0.0.0", []string{"1.2.3.4"}, []string{"::1"}, "0.0.0.0/0"},
		{"1.2.3.4/255.255.255.255", []string{"1.2.3.4"}, []string{"1.2.3.5"}, "1.2.3.4/32"},
		{"10.0.0.5/255.0.0.255", []string{"10.1.2.5"}, []string{"10.1.2.6", "11.1.2.5"}, ""},
		{"2001:db8::/32", []string{"2001:db8:ffff::1"}, []string{"2001:db9::1", "10.0.0.1"}, "2001:db8::/32"},
		{"::1", []string{"::1"}, []string{"127.0.0.1"}, "::1/128"},
		{"::1.2.3.4", []string{"::102:304"}, []string{"1.2.3.4"}, "::102:304/128"},
	}
	for _, tc := range tests {
		n, msg := ParseIPNetwork(tc.arg)
		if msg != "" {
			t.Errorf("%s: %s", tc.arg, msg)
			continue
		}
		got := ""
		if n.Prefix.IsValid() {
			got = n.Prefix.String()
		}
		if got != tc.prefix {
			t.Errorf("%s: prefix %q, want %q", tc.arg, got, tc.prefix)
		}
		for _, a := range tc.in {
			if !n.Contains(netip.MustParseAddr(a).Unmap()) {
				t.Errorf("%s does not contain %s", tc.arg, a)
			}
		}
		for _, a := range tc.out {
			if n.Contains(netip.MustParseAddr(a).Unmap()) {
				t.Errorf("%s contains %s", tc.arg, a)
			}
		}
	}
}

// TestAuthzEval: negation and the combinations of mod_authz_core.
func TestAuthzEval(t *testing.T) {
	ip := func(neg bool, arg string) *AuthzRule {
		n, _ := ParseIPNetwork(arg)
		return &AuthzRule{Kind: AuthzIP, Negated: neg, IPs: []IPNetwork{n}}
	}
	local := &AuthzRule{Kind: AuthzLocal}
	st := func(v Authz) *AuthzRule { return &AuthzRule{Kind: AuthzStatic, Value: v} }
	node := func(k AuthzKind, rs ...*AuthzRule) *AuthzRule { return &AuthzRule{Kind: k, Rules: rs} }
	a := netip.MustParseAddr
	tests := []struct {
		name          string
		r             *AuthzRule
		remote, local string
		want          Authz
	}{
		{"ip in", ip(false, "10.1"), "10.1.0.1", "10.0.0.1", AuthzGranted},
		{"ip out", ip(false, "10.1"), "10.2.0.1", "10.0.0.1", AuthzDenied},
		{"not ip in", ip(true, "10.1"), "10.1.0.1", "10.0.0.1", AuthzDenied},
		{"not ip out", ip(true, "10.1"), "10.2.0.1", "10.0.0.1", AuthzNeutral},
		{"local loopback", local, "127.1.2.3", "10.0.0.1", AuthzGranted},
		{"local v6", local, "::1", "2001:db8::1", AuthzGranted},
		{"local same", local, "192.0.2.1", "192.0.2.1", AuthzGranted},
		{"local other", local, "192.0.2.1", "192.0.2.2", AuthzDenied},
		{"all granted+not out", node(AuthzAll, st(AuthzGranted), ip(true, "10.1")), "10.2.0.1", "10.0.0.1", AuthzGranted},
		{"all only not out", node(AuthzAll, ip(true, "10.1")), "10.2.0.1", "10.0.0.1", AuthzNeutral},
		{"all unknown", node(AuthzAll, ip(false, "10.1"), st(AuthzUnknown)), "10.1.0.1", "10.0.0.1", AuthzUnknown},
		{"any unknown", node(AuthzAny, ip(false, "10.1"), st(AuthzUnknown)), "10.1.0.1", "10.0.0.1", AuthzGranted},
		{"none granted", node(AuthzNone, ip(false, "10.1")), "10.1.0.1", "10.0.0.1", AuthzDenied},
		{"none denied", node(AuthzNone, ip(false, "10.1")), "10.2.0.1", "10.0.0.1", AuthzNeutral},
		{"and", &AuthzRule{Kind: AuthzAnd, Rules: []*AuthzRule{ip(false, "10"), ip(false, "10.1")}}, "10.2.0.1", "10.0.0.1", AuthzDenied},
		{"or", &AuthzRule{Kind: AuthzOr, Rules: []*AuthzRule{ip(false, "10"), ip(false, "10.1")}}, "10.2.0.1", "10.0.0.1", AuthzGranted},
	}
	for _, tc := range tests {
		if got := tc.r.Eval(a(tc.remote), a(tc.local)); got != tc.want {
			t.Errorf("%s (%s): %d, want %d", tc.name, tc.r, got, tc.want)
		}
	}
}

// TestAuthzEvalUser: the user providers answer "denied, no user" until a
// user is known, which Require not turns neutral, as apply_authz_sections.
func TestAuthzEvalUser(t *testing.T) {
	user := func(neg bool, names ...string) *AuthzRule {
		return &AuthzRule{Kind: AuthzUser, Negated: neg, Names: names}
	}
	valid := &AuthzRule{Kind: AuthzValidUser}
	st := func(v Authz) *AuthzRule { return &AuthzRule{Kind: AuthzStatic, Value: v} }
	node := func(k AuthzKind, rs ...*AuthzRule) *AuthzRule { return &AuthzRule{Kind: k, Rules: rs} }
	method := &AuthzRule{Kind: AuthzMethod, Names: []string{"GET"}}
	env := &AuthzRule{Kind: AuthzEnv, Names: []string{"A"}}
	tests := []struct {
		name string
		r    *AuthzRule
		user string // "" = none
		want Authz
	}{
		{"valid no user", valid, "", AuthzDeniedNoUser},
		{"valid", valid, "u", AuthzGranted},
		{"user in", user(false, "a", "u"), "u", AuthzGranted},
		{"user out", user(false, "a"), "u", AuthzDenied},
		{"not user no user", user(true, "a"), "", AuthzNeutral},
		{"not user in", user(true, "u"), "u", AuthzDenied},
		{"all valid+not no user", node(AuthzAll, valid, user(true, "b")), "", AuthzDeniedNoUser},
		{"all valid+not b as b", node(AuthzAll, valid, user(true, "b")), "b", AuthzDenied},
		{"all denied wins over no user", node(AuthzAll, valid, st(AuthzDenied)), "", AuthzDenied},
		{"any no user over denied", node(AuthzAny, st(AuthzDenied), valid), "", AuthzDeniedNoUser},
		{"any no user over unknown", node(AuthzAny, st(AuthzUnknown), valid), "", AuthzDeniedNoUser},
		{"any unknown then user", node(AuthzAny, st(AuthzUnknown), user(false, "a")), "u", AuthzUnknown},
		{"all unknown and user", node(AuthzAll, st(AuthzUnknown), valid), "u", AuthzUnknown},
		{"none user", node(AuthzNone, user(false, "u")), "u", AuthzDenied},
		{"none no user", node(AuthzNone, user(false, "u")), "", AuthzNeutral},
		{"or method", node(AuthzOr, method, valid), "", AuthzGranted},
		{"env unset", env, "", AuthzDenied},
	}
	for _, tc := range tests {
		c := &AuthzCtx{Method: "HEAD", User: tc.user, HasUser: tc.user != ""}
		if got := tc.r.EvalCtx(c); got != tc.want {
			t.Errorf("%s (%s): %d, want %d", tc.name, tc.r, got, tc.want)
		}
	}
	if got := env.EvalCtx(&AuthzCtx{Env: map[string]string{"A": ""}}); got != AuthzGranted {
		t.Errorf("env set: %d", got)
	}
	if got := env.EvalCtx(&AuthzCtx{}); got != AuthzDenied {
		t.Errorf("env not set: %d", got)
	}
}

type fakeResolver map[string]string // ip -> double reverse name

func (f fakeResolver) RemoteHost(ip netip.Addr) (string, bool) {
	n, ok := f[ip.String()]
	return n, ok
}

func (f fakeResolver) HasAddr(name string, ip netip.Addr) bool { return f[ip.String()] == name }

// TestAuthzHost: Require host matches the double reverse name on label
// boundaries (httpd's in_domain); without a resolver it never grants.
func TestAuthzHost(t *testing.T) {
	host := func(names ...string) *AuthzRule { return &AuthzRule{Kind: AuthzHost, Names: names} }
	res := fakeResolver{"192.0.2.1": "www.example.org", "192.0.2.2": "nogoodexample.org"}
	tests := []struct {
		r      *AuthzRule
		remote string
		want   Authz
	}{
		{host("example.org"), "192.0.2.1", AuthzGranted},
		{host("EXAMPLE.org"), "192.0.2.1", AuthzGranted},
		{host(".example.org"), "192.0.2.1", AuthzGranted},
		{host("www.example.org"), "192.0.2.1", AuthzGranted},
		{host("example.org"), "192.0.2.2", AuthzDenied},
		{host(".nogoodexample.org"), "192.0.2.2", AuthzDenied},
		{host("example.org"), "192.0.2.3", AuthzDenied},
		{&AuthzRule{Kind: AuthzForwardDNS, Names: []string{"nogoodexample.org"}}, "192.0.2.2", AuthzGranted},
	}
	for _, tc := range tests {
		c := &AuthzCtx{Remote: netip.MustParseAddr(tc.remote), Resolver: res}
		if got := tc.r.EvalCtx(c); got != tc.want {
			t.Errorf("%s from %s: %d, want %d", tc.r, tc.remote, got, tc.want)
		}
	}
	if got := host("example.org").EvalCtx(&AuthzCtx{Remote: netip.MustParseAddr("192.0.2.1")}); got != AuthzUnknown {
		t.Errorf("without a resolver: %d", got)
	}
}
