package server

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"testing"
	"time"
)

// TestFormatDN: the DN as mod_ssl prints it (OpenSSL's RFC 2253 form), the
// cases TestServeTLSEnvironOracle does not build: escapes at the ends,
// unknown attributes.
func TestFormatDN(t *testing.T) {
	atv := func(oid asn1.ObjectIdentifier, v string) pkix.AttributeTypeAndValue {
		return pkix.AttributeTypeAndValue{Type: oid, Value: v}
	}
	cn, o, c := asn1.ObjectIdentifier{2, 5, 4, 3}, asn1.ObjectIdentifier{2, 5, 4, 10}, asn1.ObjectIdentifier{2, 5, 4, 6}
	dc := asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 25}
	tests := []struct {
		seq  pkix.RDNSequence
		want string
	}{
		{pkix.RDNSequence{{atv(c, "DE")}, {atv(o, "A+B; C<D>")}, {atv(cn, " x ")}}, `CN=\ x\ ,O=A\+B\; C\<D\>,C=DE`},
		{pkix.RDNSequence{{atv(dc, "org")}, {atv(dc, "example")}, {atv(cn, "#1 \"q\"")}}, `CN=\#1 \"q\",DC=example,DC=org`},
		{pkix.RDNSequence{{atv(cn, "a"), atv(o, "b")}}, `O=b+CN=a`},
	}
	for _, tt := range tests {
		raw, err := asn1.Marshal(tt.seq)
		if err != nil {
			t.Fatal(err)
		}
		if got := formatDN(raw); got != tt.want {
			t.Errorf("formatDN: %q, want %q", got, tt.want)
		}
	}
	env := dnVars(nil, "SSL_CLIENT_S_DN_", mustMarshal(t, pkix.RDNSequence{{atv(dc, "org")}, {atv(cn, "a")}, {atv(cn, "b")}}))
	want := []string{"SSL_CLIENT_S_DN_CN", "a", "SSL_CLIENT_S_DN_CN_1", "b"} // DC has no variable of its own
	if len(env) != len(want) {
		t.Fatalf("dnVars: %q, want %q", env, want)
	}
	for i := range want {
		if env[i] != want[i] {
			t.Errorf("dnVars: %q, want %q", env, want)
		}
	}
	if got := asn1Time(time.Date(2027, 1, 4, 21, 13, 51, 0, time.FixedZone("x", 3600))); got != "Jan  4 20:13:51 2027 GMT" {
		t.Errorf("asn1Time: %q", got)
	}
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := asn1.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
