package load

import (
	"reflect"
	"testing"
	"time"

	"github.com/appserver/appserver/server/config"
)

// TestProxyDirectiveErrors: mod_proxy's messages (apache2 -t, 2.4.71) at
// the directive's position.
func TestProxyDirectiveErrors(t *testing.T) {
	tests := []struct{ conf, want string }{
		{"ProxyPass", "1:1: ProxyPass|ProxyPassMatch needs a path when not defined in a location"},
		{"ProxyPass /a", "1:1: ProxyPass|ProxyPassMatch needs a path when not defined in a location"},
		{"ProxyPass /a b", "1:1: ProxyPass URL must be absolute!: b"},
		{"ProxyPass /a http://", "1:1: ProxyPass URL must be absolute!: http://"},
		{"ProxyPass /a unix:/x.sock", "1:1: ProxyPass URL must be absolute!: unix:/x.sock"},
		{"ProxyPass /a http://x/ foo", "1:1: Invalid ProxyPass|ProxyPassMatch parameter. Parameter must be in the form 'key=value'."},
		{"ProxyPass /a http://x/ foo=1", "1:1: ProxyPass unknown Worker parameter"},
		{"ProxyPass /a http://x/ timeout=abc", "1:1: ProxyPass Timeout must be at least one second"},
		{"<Location /x>\nProxyPass /a http://x/\n</Location>", "2:1: ProxyPass|ProxyPassMatch can not have a path when defined in a location."},
		{"<Directory /x>\nProxyPass http://x/\n</Directory>", "2:1: ProxyPass cannot occur within <Directory> section"},
		{"<Files x>\nProxyPass http://x/\n</Files>", "2:1: ProxyPass cannot occur within <Files> section"},
		{"ProxyPassMatch \"^/(a\" http://x/", "1:16: Regular expression could not be compiled."},
		{"ProxyPassReverse", "1:1: ProxyPassReverse takes one, two or three arguments, a virtual path and a URL for reverse proxy behaviour"},
		{"ProxyPassReverse /a", "1:1: ProxyPassReverse needs a path when not defined in a location"},
		{"<Location /x>\nProxyPassReverse /a http://x/\n</Location>", "2:1: ProxyPassReverse can not have a path when defined in a location"},
		{"ProxyRequests maybe", "1:1: ProxyRequests must be On or Off"},
		{"ProxyTimeout x", "1:1: Proxy Timeout must be at least 1 second."},
		{"ProxyTimeout 0", "1:1: Proxy Timeout must be at least 1 second."},
		{"ProxyTimeout 5 6", "1:1: ProxyTimeout takes one argument, Set the timeout (in seconds) for a proxied connection. This overrides the server timeout"},
		{"ProxyPreserveHost x", "1:1: ProxyPreserveHost must be On or Off"},
		// Not Apache's: appserver refuses what it would not do.
		{"ProxyRequests On", "1:1: ProxyRequests On: appserver is no forward proxy (only ProxyPass reverse proxying is implemented); use ProxyRequests Off"},
		{"ProxyPass /a fcgi://x/", "1:1: ProxyPass fcgi://x/: appserver proxies only to http:// and https:// backends (mod_proxy_http), not fcgi://"},
	}
	for _, tt := range tests {
		_, errs := loadTestConf(t, tt.conf, Options{NoHostChecks: true})
		got := errStrings(errs)
		if len(got) != 1 || got[0] != tt.want {
			t.Errorf("%q:\n got %q\nwant %q", tt.conf, got, []string{tt.want})
		}
	}
}

func TestProxyDirectiveValues(t *testing.T) {
	conf := `ProxyRequests Off
ProxyTimeout 7
ProxyPass /no !
ProxyPass "/a b" http://b:8080/x nocanon noquery timeout=3 retry=0 interpolate
ProxyPassMatch ^/img/(.*)$ https://c/$1
ProxyPassReverse /a http://b:8080/x
ProxyPreserveHost On
<Location /sock>
ProxyPass "unix:/run/app.sock|http://localhost/keys/"
</Location>
<Location /loc>
ProxyPass http://d/
ProxyPassReverse http://d/
ProxyPreserveHost Off
</Location>
`
	cfg, errs := loadTestConf(t, conf, Options{NoHostChecks: true})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	p := cfg.Main.Proxy
	if p == nil || len(p.Passes) != 3 || p.Timeout != 7*time.Second {
		t.Fatalf("server proxy config: %+v", p)
	}
	if a := p.Passes[0]; !a.Exclude || a.Path != "/no" {
		t.Errorf("exclusion: %+v", a)
	}
	if a := p.Passes[1]; a.Path != "/a b" || a.URL != "http://b:8080/x" || !a.NoCanon || !a.NoQuery || a.Timeout != 3*time.Second {
		t.Errorf("ProxyPass with keys: %+v", a)
	}
	if a := p.Passes[2]; a.Regex == nil || a.URL != "https://c/$1" {
		t.Errorf("ProxyPassMatch: %+v", a)
	}
	d := cfg.Main.Defaults.Proxy
	if d == nil || !reflect.DeepEqual(d.Reverse, []config.ProxyReverse{{Path: "/a", URL: "http://b:8080/x"}}) || d.PreserveHost == nil || !*d.PreserveHost {
		t.Errorf("server-level dir config: %+v", d)
	}
	var loc *config.ProxyDir
	for _, s := range cfg.Main.Sections {
		if s.Path == "/loc" {
			loc = s.Conf.Proxy
		}
	}
	for _, s := range cfg.Main.Sections {
		if s.Path == "/sock" {
			if p := s.Conf.Proxy.Pass; p.Socket != "/run/app.sock" || p.URL != "http://localhost/keys/" {
				t.Errorf("unix socket backend: %+v", p)
			}
		}
	}
	if loc == nil || loc.Pass == nil || loc.Pass.Path != "/loc" || loc.Pass.URL != "http://d/" ||
		!reflect.DeepEqual(loc.Reverse, []config.ProxyReverse{{Path: "/loc", URL: "http://d/"}}) || loc.PreserveHost == nil || *loc.PreserveHost {
		t.Errorf("<Location> proxy config: %+v", loc)
	}
}
