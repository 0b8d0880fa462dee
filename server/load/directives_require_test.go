package load

import (
	"testing"

	"github.com/appserver/appserver/parser"
)

// TestRequireIPForms: the address forms mod_authz_host accepts, kept as
// networks and evaluated per request; the rule's text shows the tree.
func TestRequireIPForms(t *testing.T) {
	tests := []struct{ body, want string }{
		{"Require ip 192.0.2.7", "any(ip 192.0.2.7)"},
		{"Require ip 10.1 10. 172.16.0.0/12 10.0.0.0/255.0.0.0 2001:db8::/32 ::1", "any(ip 10.1 10. 172.16.0.0/12 10.0.0.0/255.0.0.0 2001:db8::/32 ::1)"},
		{"Require local", "any(local)"},
		{"Require local\nRequire ip 10.1", "any(local, ip 10.1)"},
		{"Require local\nRequire expr true", "any(local, expr true)"},
		{"Require local\nRequire dbd-group a", "any(local, unknown)"},
		{"<RequireAll>\nRequire all granted\nRequire not ip 10.1\n</RequireAll>", "any(all(granted, not ip 10.1))"},
		{"<RequireAll>\nRequire ip 10.0.0.0/8\n<RequireNone>\nRequire ip 10.9\nRequire local\n</RequireNone>\n</RequireAll>", "any(all(ip 10.0.0.0/8, none(ip 10.9, local)))"},
		{"<RequireAny>\nRequire ip 10.1\nRequire not all granted\n</RequireAny>", ""}, // error below, not here
	}
	for _, tc := range tests[:len(tests)-1] {
		cfg, errs := loadTestConf(t, "<Location /x>\n"+tc.body+"\n</Location>\n", Options{})
		if errs != nil {
			t.Fatalf("%q: %v", tc.body, errs)
		}
		c := cfg.Main.Sections[0].Conf
		if c.Require != "request" || c.RequireRule == nil {
			t.Errorf("%q: Require %q, rule %v", tc.body, c.Require, c.RequireRule)
			continue
		}
		if got := c.RequireRule.String(); got != tc.want {
			t.Errorf("%q: rule %s, want %s", tc.body, got, tc.want)
		}
	}
}

// TestRequireIPErrors: a bad address is a load error at its directive,
// in httpd's words.
func TestRequireIPErrors(t *testing.T) {
	tests := []struct{ arg, want string }{
		{"ip", "'require ip' requires an argument"},
		{"ip foo", "ip address 'foo' appears to be invalid"},
		{"ip 10.0.0.1 example.com", "ip address 'example.com' appears to be invalid"},
		{"ip 10.1/16", "ip address '10.1/16' appears to be invalid: The specified IP address is invalid."},
		{"ip 10.0.0.0/0", "ip address '10.0.0.0/0' appears to be invalid: The specified network mask is invalid."},
		{"ip 10.0.0.0/33", "ip address '10.0.0.0/33' appears to be invalid: The specified network mask is invalid."},
		{"ip ::1/129", "ip address '::1/129' appears to be invalid: The specified network mask is invalid."},
		{"ip fe80::/ffff::", "ip address 'fe80::/ffff::' appears to be invalid: The specified network mask is invalid."},
		{"ip ::ffff:1.2.3.4", "ip address '::ffff:1.2.3.4' appears to be invalid: The specified IP address is invalid."},
		{"ip fe80::1%eth0", "ip address 'fe80::1%eth0' appears to be invalid: The specified IP address is invalid."},
		{"ip 1.2.3.4.5", "ip address '1.2.3.4.5' appears to be invalid: The specified IP address is invalid."},
		{"ip 1.2.3.256", "ip address '1.2.3.256' appears to be invalid: The specified IP address is invalid."},
		{"ip 300.1", "ip address '300.1' appears to be invalid: The specified IP address is invalid."},
		{"ip .1", "ip address '.1' appears to be invalid: The specified IP address is invalid."},
		{"ip 10.0.0.0/8/9", "ip address '10.0.0.0/8/9' appears to be invalid: The specified network mask is invalid."},
		{"not ip 10.1", "negative Require directive has no effect in <RequireAny> directive"},
		{"not ip bad", "ip address 'bad' appears to be invalid"},
	}
	for _, tc := range tests {
		_, errs := loadTestConf(t, "<Location /x>\n  Require "+tc.arg+"\n</Location>\n", Options{})
		if len(errs) == 0 {
			t.Errorf("Require %s: no error, want %q", tc.arg, tc.want)
			continue
		}
		e := errs[0]
		if e.Msg != tc.want || e.Pos.Line != 2 || e.Pos.Column != 3 {
			t.Errorf("Require %s: %s, want 2:3: %q", tc.arg, parser.FormatPos(e.Pos)+": "+e.Msg, tc.want)
		}
	}
	// Inside <If> and <Limit> the address is still checked.
	for _, body := range []string{"<If \"true\">\nRequire ip x\n</If>", "<Limit POST>\nRequire ip x\n</Limit>"} {
		if _, errs := loadTestConf(t, "<Location /x>\n"+body+"\n</Location>\n", Options{}); len(errs) == 0 || errs[0].Msg != "ip address 'x' appears to be invalid" {
			t.Errorf("%q: errors %v", body, errs)
		}
	}
}

// TestRequireHostForms: Require host and forward-dns are kept per request
// (they need DNS, which only serve does) and make the config carry a
// resolver.
func TestRequireHostForms(t *testing.T) {
	cfg, errs := loadTestConf(t, "<Location /x>\nRequire host example.com .example.org\nRequire forward-dns a.test\n</Location>\n", Options{})
	if errs != nil {
		t.Fatal(errs)
	}
	if got := cfg.Main.Sections[0].Conf.RequireRule.String(); got != "any(host example.com .example.org, forward-dns a.test)" {
		t.Errorf("rule %s", got)
	}
	if !cfg.UsesHostNames {
		t.Error("UsesHostNames not set")
	}
}
