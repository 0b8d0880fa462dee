package load

import (
	"crypto/tls"
	"strings"
	"testing"
)

// TestTLSDirectiveErrors: mod_ssl's messages (apache2 -t, 2.4.71), and
// appserver's own where Go cannot do what the config asks.
func TestTLSDirectiveErrors(t *testing.T) {
	tests := []struct{ conf, want string }{
		{"SSLProtocol foo", "1:1: SSLProtocol: Illegal protocol 'foo'"},
		{"SSLProtocol SSLv2", "1:1: SSLProtocol: SSLv2 is no longer supported"},
		{"SSLProtocol -all", "1:1: SSLProtocol -all: no protocol Go can offer is left (it offers TLSv1.2 and TLSv1.3)"},
		{"SSLCipherSuite", "1:1: SSLCipherSuite takes 1-2 arguments, Colon-delimited list of permitted SSL Ciphers, optional preceded by protocol identifier ('XXX:...:XXX' - see manual)"},
		{"SSLCipherSuite a b c", "1:1: SSLCipherSuite takes 1-2 arguments, Colon-delimited list of permitted SSL Ciphers, optional preceded by protocol identifier ('XXX:...:XXX' - see manual)"},
		{"SSLCipherSuite FOO b", "1:1: protocol 'FOO' not supported"},
		{"SSLCipherSuite DHE-RSA-AES128-SHA", "1:1: SSLCipherSuite DHE-RSA-AES128-SHA: none of Go's TLS 1.2 suites is left (Apache: \"Unable to configure permitted SSL ciphers\")"},
		{"SSLHonorCipherOrder maybe", "1:1: SSLHonorCipherOrder must be On or Off"},
		{"SSLVerifyDepth -1", "1:1: SSLVerifyDepth: Invalid argument '-1'"},
		{"SSLVerifyClient sometimes", "1:1: SSLVerifyClient: Invalid argument 'sometimes'"},
		{"SSLOptions +Foo", "1:1: SSLOptions: Illegal option 'Foo'"},
		{"SSLOptions +CompatEnvVars", "1:1: SSLOptions: Illegal option 'CompatEnvVars'"},
	}
	for _, tt := range tests {
		_, errs := loadTestConf(t, tt.conf, Options{NoHostChecks: true})
		got := errStrings(errs)
		if len(got) != 1 || got[0] != tt.want {
			t.Errorf("%q:\n got %q\nwant %q", tt.conf, got, []string{tt.want})
		}
	}
}

func TestTLSDirectiveValues(t *testing.T) {
	tests := []struct {
		conf     string
		min, max uint16
		warn     string // a warning that must be given ("" = none)
	}{
		{"SSLProtocol all -SSLv3", tls.VersionTLS12, tls.VersionTLS13, ""},
		{"SSLProtocol -all +TLSv1.2", tls.VersionTLS12, tls.VersionTLS12, ""},
		{"SSLProtocol TLSv1.3", tls.VersionTLS13, tls.VersionTLS13, ""},
		{"SSLProtocol +TLSv1.2 TLSv1.3", tls.VersionTLS13, tls.VersionTLS13, ""}, // no sign: replaces
		{"SSLProtocol TLSv1 +TLSv1.2", tls.VersionTLS12, tls.VersionTLS12, "TLSv1 stays off"},
		{"SSLProtocol all -TLSv1.2", tls.VersionTLS13, tls.VersionTLS13, ""},
	}
	for _, tt := range tests {
		cfg, errs := loadTestConf(t, tt.conf, Options{NoHostChecks: true})
		if len(errs) > 0 {
			t.Errorf("%s: %v", tt.conf, errs)
			continue
		}
		o := cfg.Main.TLS
		if o == nil || o.MinVersion != tt.min || o.MaxVersion != tt.max {
			t.Errorf("%s: %+v, want %x-%x", tt.conf, o, tt.min, tt.max)
		}
		var ws []string
		for _, w := range cfg.Warnings {
			ws = append(ws, w.Msg)
		}
		if all := strings.Join(ws, "\n"); (tt.warn == "") != (all == "") || !strings.Contains(all, tt.warn) {
			t.Errorf("%s: warnings %q, want one with %q", tt.conf, ws, tt.warn)
		}
	}

	conf := `SSLCipherSuite HIGH:!aNULL:!kRSA:!SHA1
SSLVerifyClient optional
SSLVerifyDepth 3
<VirtualHost *:443>
SSLCipherSuite SSL ECDHE-RSA-AES128-GCM-SHA256
SSLCipherSuite TLSv1.3 TLS_AES_128_GCM_SHA256
<Location /std>
SSLOptions +StdEnvVars -ExportCertData
SSLVerifyClient require
</Location>
</VirtualHost>
`
	cfg, errs := loadTestConf(t, conf, Options{NoHostChecks: true})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	m := cfg.Main.TLS
	if len(m.CipherSuites) != 8 || m.VerifyClient != "optional" || m.VerifyDepth == nil || *m.VerifyDepth != 3 {
		t.Errorf("main server: %+v", m)
	}
	v := cfg.VHosts[0].TLS
	if len(v.CipherSuites) != 1 || v.CipherSuites[0] != tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 || v.VerifyClient != "optional" || *v.VerifyDepth != 3 {
		t.Errorf("vhost (merged over the main server): %+v", v)
	}
	s := cfg.VHosts[0].Sections[0].Conf
	if strings.Join(s.SSLOptions, " ") != "+StdEnvVars -ExportCertData" || len(s.Denies) != 1 || !s.Denies[0].UnlessClientCert {
		t.Errorf("<Location>: SSLOptions %q, denies %+v", s.SSLOptions, s.Denies)
	}
	found := false
	for _, w := range cfg.Warnings {
		found = found || strings.Contains(w.Msg, "SSLCipherSuite TLSv1.3 is not applied")
	}
	if !found {
		t.Error("no warning for SSLCipherSuite TLSv1.3")
	}
}
