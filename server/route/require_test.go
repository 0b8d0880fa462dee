package route

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/appserver/appserver/server/load"
)

// TestRequireIP: Require ip and Require local are decided per request with
// the client's address, combined as mod_authz_core does.
func TestRequireIP(t *testing.T) {
	dir := t.TempDir()
	conf := `Listen 127.0.0.1:8080
DocumentRoot /srv/www
<Directory />
Require all granted
</Directory>
<Location /full>
Require ip 192.0.2.7 2001:db8::7
</Location>
<Location /partial>
Require ip 10.1
</Location>
<Location /cidr>
Require ip 10.0.0.0/8 2001:db8::/32
</Location>
<Location /netmask>
Require ip 172.16.0.0/255.240.0.0
</Location>
<Location /oddmask>
Require ip 10.0.0.5/255.0.0.255
</Location>
<Location /local>
Require local
</Location>
<Location /notlocal>
<RequireAll>
Require all granted
Require not local
</RequireAll>
</Location>
<Location /all>
<RequireAll>
Require ip 10.0.0.0/8
Require not ip 10.9
</RequireAll>
</Location>
<Location /any>
<RequireAny>
Require ip 10.1
<RequireAll>
Require local
Require not ip 127.0.0.2
</RequireAll>
</RequireAny>
</Location>
<Location /none>
<RequireAll>
Require all granted
<RequireNone>
Require ip 10.0.0.0/8
Require local
</RequireNone>
</RequireAll>
</Location>
<Location /unknown>
<RequireAll>
Require ip 10.0.0.0/8
Require host example.com
</RequireAll>
</Location>
<Location /anyunknown>
Require ip 10.0.0.0/8
Require host example.com
</Location>
<Location /p>
Require ip 10.0.0.0/8
</Location>
<Location /p/off>
Require ip 10.1
</Location>
<Location /p/and>
AuthMerging And
Require ip 10.1 192.0.2.0/24
</Location>
<Location /p/or>
AuthMerging Or
Require ip 192.0.2.0/24
</Location>
<Location /p/andgranted>
AuthMerging And
Require all granted
</Location>
<Location /p/ordenied>
AuthMerging Or
Require all denied
</Location>
<Location /p/openall>
Require all granted
</Location>
<Location /satisfy>
Require ip 10.0.0.0/8
Order deny,allow
Deny from all
Allow from all
Satisfy Any
</Location>
<Location /satisfyall>
Require ip 10.0.0.0/8
Order allow,deny
Allow from all
Satisfy All
</Location>
`
	path := filepath.Join(dir, "t.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := load.File(path, load.Options{NoHostChecks: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range cfg.Warnings {
		t.Log(w.Msg)
	}
	tests := []struct {
		target, remote, local string
		want                  int
	}{
		{"/open", "192.0.2.1", "", 200},
		{"/full", "192.0.2.7", "", 200},
		{"/full", "192.0.2.8", "", 403},
		{"/full", "2001:db8::7", "", 200},
		{"/full", "[2001:db8::7]", "", 200},
		{"/full", "::ffff:192.0.2.7", "", 200}, // IPv4-mapped client
		{"/full", "", "", 403},                 // unknown client: fail closed
		{"/full", "junk", "", 403},
		{"/partial", "10.1.200.3", "", 200},
		{"/partial", "10.2.0.1", "", 403},
		{"/cidr", "10.255.0.1", "", 200},
		{"/cidr", "11.0.0.1", "", 403},
		{"/cidr", "2001:db8:1::1", "", 200},
		{"/cidr", "2001:db9::1", "", 403},
		{"/netmask", "172.31.1.1", "", 200},
		{"/netmask", "172.32.1.1", "", 403},
		{"/oddmask", "10.77.66.5", "", 200},
		{"/oddmask", "10.77.66.6", "", 403},
		{"/local", "127.0.0.1", "", 200},
		{"/local", "127.9.9.9", "192.0.2.1", 200},
		{"/local", "::1", "::1", 200},
		{"/local", "192.0.2.1", "192.0.2.1", 200}, // the server's own address
		{"/local", "::ffff:192.0.2.1", "192.0.2.1", 200},
		{"/local", "192.0.2.1", "192.0.2.2", 403},
		{"/notlocal", "127.0.0.1", "", 403},
		{"/notlocal", "192.0.2.1", "192.0.2.2", 200},
		{"/all", "10.1.0.1", "", 200},
		{"/all", "10.9.0.1", "", 403},
		{"/all", "11.0.0.1", "", 403},
		{"/any", "10.1.0.1", "", 200},
		{"/any", "127.0.0.1", "", 200},
		{"/any", "127.0.0.2", "", 403},
		{"/any", "192.0.2.1", "192.0.2.2", 403},
		{"/none", "192.0.2.1", "192.0.2.2", 200},
		{"/none", "10.0.0.1", "192.0.2.2", 403},
		{"/none", "127.0.0.1", "", 403},
		{"/unknown", "10.0.0.1", "", 403},
		{"/anyunknown", "10.0.0.1", "", 200},
		{"/anyunknown", "11.0.0.1", "", 403},
		{"/p/x", "10.2.0.1", "", 200},
		{"/p/x", "11.0.0.1", "", 403},
		{"/p/off", "10.1.0.1", "", 200},
		{"/p/off", "10.2.0.1", "", 403},
		{"/p/and", "10.1.0.1", "", 200},
		{"/p/and", "10.2.0.1", "", 403},
		{"/p/and", "192.0.2.1", "", 403},
		{"/p/or", "10.2.0.1", "", 200},
		{"/p/or", "192.0.2.1", "", 200},
		// The walk's AuthMerging Or also ORs the <Location> result with
		// the <Directory /> grant (measured: oracle case access-hosts).
		{"/p/or", "11.0.0.1", "", 200},
		{"/p/andgranted", "10.2.0.1", "", 200},
		{"/p/andgranted", "11.0.0.1", "", 403},
		{"/p/ordenied", "10.2.0.1", "", 200},
		{"/p/ordenied", "11.0.0.1", "", 200},
		{"/p/openall", "11.0.0.1", "", 200},
		{"/satisfy", "11.0.0.1", "", 200},
		{"/satisfyall", "10.0.0.1", "", 200},
		{"/satisfyall", "11.0.0.1", "", 403},
	}
	var files []string
	for _, tt := range tests {
		files = append(files, "/srv/www"+tt.target)
	}
	table := Compile(cfg, Options{Stat: newFakeFS(files...).stat})
	for _, tt := range tests {
		r := table.Route(Request{Target: tt.target, RemoteIP: tt.remote, LocalIP: tt.local, LocalPort: 8080})
		if r.Status != tt.want {
			t.Errorf("%s from %q to %q: status %d (%s), want %d", tt.target, tt.remote, tt.local, r.Status, r.Reason, tt.want)
		}
	}
}

// TestRequireAllocs: a section whose Require is decided at load time
// costs routing nothing per request, and nor does parsing the client's
// address for a Require ip.
func TestRequireAllocs(t *testing.T) {
	dir := t.TempDir()
	conf := `Listen 127.0.0.1:8080
DocumentRoot /srv/www
<Location /a>
Require all granted
</Location>
<Location /ip>
Require ip 10.0.0.0/8 127.0.0.1
</Location>
`
	path := filepath.Join(dir, "t.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := load.File(path, load.Options{NoHostChecks: true})
	if err != nil {
		t.Fatal(err)
	}
	table := Compile(cfg, Options{Stat: newFakeFS("/srv/www/a", "/srv/www/ip").stat})
	base := testing.AllocsPerRun(100, func() { table.Route(Request{Target: "/a", RemoteIP: "192.0.2.1"}) })
	ip := testing.AllocsPerRun(100, func() { table.Route(Request{Target: "/ip", RemoteIP: "127.0.0.1"}) })
	if ip > base {
		t.Errorf("Require ip costs %v allocations per request more than Require all granted (%v)", ip-base, base)
	}
	if r := table.Route(Request{Target: "/ip", RemoteIP: "127.0.0.1"}); r.Status != 200 {
		t.Errorf("/ip from 127.0.0.1: %d %s", r.Status, r.Reason)
	}
}
