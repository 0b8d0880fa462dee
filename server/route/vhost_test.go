package route

import (
	"testing"

	"github.com/appserver/appserver/server/config"
)

// vhostTableConfig is a name-based and an IP-based vhost set, as vhost.c's
// ap_update_vhost_given_ip and ap_update_vhost_from_headers choose: vhosts
// a and b on *:28431 and ip.test on 127.0.0.2:28431.
func vhostTableConfig() *config.Config {
	main := mainServer("main.test")
	a := vhost(main, "a.test", addr("*:28431"))
	a.Aliases = []string{"www.a.test", "*.a.test"}
	b := vhost(main, "b.test", addr("*:28431"))
	b.Aliases = []string{"b?.test"}
	ip := vhost(main, "ip.test", addr("127.0.0.2:28431"))
	return &config.Config{Main: main, VHosts: []*config.VHost{a, b, ip}}
}

func TestVhostSelectionTable(t *testing.T) {
	c := vhostTableConfig()
	tests := []struct {
		ip, host string
		want     string // ServerName of the vhost, "400" for a bad request
	}{
		{"127.0.0.1", "a.test", "a.test"},
		{"127.0.0.1", "A.TEST", "a.test"},
		{"127.0.0.1", "a.test.", "a.test"},
		{"127.0.0.1", "a.test:9999", "a.test"},
		{"127.0.0.1", "www.a.test", "a.test"},
		{"127.0.0.1", "x.y.a.test", "a.test"},
		{"127.0.0.1", "b.test", "b.test"},
		{"127.0.0.1", "b1.test", "b.test"},
		{"127.0.0.1", "b12.test", "a.test"},
		{"127.0.0.1", "unknown.test", "a.test"},
		{"127.0.0.1", "ip.test", "a.test"},
		{"127.0.0.1", "main.test", "a.test"},
		{"127.0.0.1", "", "a.test"},
		{"127.0.0.2", "a.test", "ip.test"},
		{"127.0.0.2", "b.test", "ip.test"},
		{"127.0.0.1", "a/b", "400"},
		{"127.0.0.1", "a..b", "400"},
		{"127.0.0.1", "1234", "400"},
	}
	for _, tt := range tests {
		t.Run(tt.ip+"/"+tt.host, func(t *testing.T) {
			r := tableOf(c).Route(Request{Target: "/", Host: tt.host, LocalIP: tt.ip, LocalPort: 28431})
			got := r.VHost.Name
			if r.Status == 400 {
				got = "400"
			}
			if got != tt.want {
				t.Errorf("served by %q (status %d %s), want %q", got, r.Status, r.Reason, tt.want)
			}
		})
	}
}

func TestVhostSelectionSets(t *testing.T) {
	main := mainServer("main.test")
	only := vhost(main, "only.test", addr("*:8080"))
	any1 := vhost(main, "any1.test", addr("*:*"))
	any2 := vhost(main, "any2.test", addr("*"))
	exact := vhost(main, "exact.test", addr("10.0.0.1:80"))
	ipAny := vhost(main, "ipany.test", addr("10.0.0.1:*"))
	text1 := vhost(main, "one.test", addr("127.0.0.1:9090"))
	text := vhost(main, "", addr("localhost:9090"))
	text2 := vhost(main, "localhost.test", addr("127.0.0.1:9090"))
	c := &config.Config{Main: main, VHosts: []*config.VHost{only, any1, any2, exact, ipAny, text1, text, text2}}
	tests := []struct {
		name, ip string
		port     int
		host     string
		want     *config.VHost
	}{
		// A set of one vhost is IP-based: the Host header is ignored.
		{"single vhost ignores host", "127.0.0.1", 8080, "any2.test", only},
		// No exact-port set: the any-port wildcard set, name-based.
		{"any-port set default", "127.0.0.1", 81, "nomatch", any1},
		{"any-port set by name", "127.0.0.1", 81, "any2.test", any2},
		{"exact ip and port", "10.0.0.1", 80, "any1.test", exact},
		{"ip with any port", "10.0.0.1", 443, "any1.test", ipAny},
		// An address's text acts as an alias, but only after every
		// ServerName/ServerAlias of the set failed.
		{"address text", "127.0.0.1", 9090, "localhost", text},
		{"name beats text", "127.0.0.1", 9090, "localhost.test", text2},
		{"text set default", "127.0.0.1", 9090, "nomatch", text1},
		{"ipv6 local", "::1", 81, "", any1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tableOf(c).Route(Request{Target: "/", Host: tt.host, LocalIP: tt.ip, LocalPort: tt.port})
			if r.VHost != tt.want {
				t.Errorf("served by %q %v, want %q", r.VHost.Name, r.VHost.Addrs, tt.want.Name)
			}
		})
	}

	// No vhost for the address: the main server, with no name matching.
	c2 := &config.Config{Main: main, VHosts: []*config.VHost{exact}}
	if r := get(c2, "/", "exact.test", 80); r.VHost != main {
		t.Errorf("127.0.0.1:80 served by %q, want the main server", r.VHost.Name)
	}
}

// TestCanonHost covers httpd's fix_hostname in strict mode, with the
// results observed on Apache 2.4.71 (200 = accepted, 400 = refused).
func TestCanonHost(t *testing.T) {
	tests := []struct {
		in   string
		ok   bool
		name string
		port int
	}{
		{"v1.test", true, "v1.test", 0},
		{"v1.test:9", true, "v1.test", 9},
		{"V1.TEST.", true, "v1.test", 0},
		{"a_b.test", true, "a_b.test", 0},
		{"1.2.3.4", true, "1.2.3.4", 0},
		{"127.0.0.1:28531", true, "127.0.0.1", 28531},
		{"10.0.10.1", true, "10.0.10.1", 0},
		{"10.01.0.1", false, "", 0},
		{"[::1]:80", true, "::1", 80},
		{"[::1]", true, "::1", 0},
		{"-a.test", true, "-a.test", 0},
		{"a-.b", true, "a-.b", 0},
		{"", true, "", 0},
		{"a..b", false, "", 0},
		{"1234", false, "", 0},
		{"x.1b", false, "", 0},
		{"1.2.3", false, "", 0},
		{"01.2.3.4", false, "", 0},
		{"a b", false, "", 0},
		{"foo:", false, "", 0},
		{"foo:0", false, "", 0},
		{"x.y:99999", false, "", 0},
		{"a/b", false, "", 0},
		{`a\b`, false, "", 0},
		{"a,b", false, "", 0},
		{"[::1%eth0]", false, "", 0},
		{"[zz]", false, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			rh, ok := canonHost(tt.in, true)
			if ok != tt.ok || (ok && (rh.name != tt.name || rh.port != tt.port)) {
				t.Errorf("canonHost(%q) = %+v %v, want %q:%d %v", tt.in, rh, ok, tt.name, tt.port, tt.ok)
			}
		})
	}
}

func TestWildcardFoldMatch(t *testing.T) {
	tests := []struct {
		pat, s string
		want   bool
	}{
		{"*.a.test", "x.a.test", true},
		{"*.a.test", "x.y.a.test", true},
		{"*.a.test", "a.test", false},
		{"b?.test", "b1.test", true},
		{"b?.test", "b12.test", false},
		{"B?.TEST", "b1.test", true},
		{"*", "", true},
		{"a*b*c", "aXXbYYc", true},
		{"a*b*c", "aXXbYY", false},
		{"[ab].test", "a.test", false}, // no classes in ServerAlias
	}
	for _, tt := range tests {
		if got := wildcardFoldMatch(tt.pat, tt.s); got != tt.want {
			t.Errorf("wildcardFoldMatch(%q, %q) = %v", tt.pat, tt.s, got)
		}
	}
}
