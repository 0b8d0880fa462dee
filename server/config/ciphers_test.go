package config

import (
	"crypto/tls"
	"reflect"
	"testing"
)

func TestParseCipherList(t *testing.T) {
	names := func(ids []uint16) []string {
		var out []string
		for _, id := range ids {
			out = append(out, CipherByID(id).Name)
		}
		return out
	}
	tests := []struct {
		spec    string
		want    []string
		unknown []string
	}{
		{"ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384", []string{"ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384"}, nil},
		// Mozilla's "intermediate" list: the DHE suites have no Go counterpart.
		{"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384",
			[]string{"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305"},
			[]string{"DHE-RSA-AES128-GCM-SHA256", "DHE-RSA-AES256-GCM-SHA384"}},
		{"HIGH:!aNULL:!MD5:!RC4:!3DES:!kRSA", []string{"ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
			"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES128-SHA256", "ECDHE-RSA-AES128-SHA256",
			"ECDHE-ECDSA-AES256-SHA", "ECDHE-RSA-AES256-SHA", "ECDHE-ECDSA-AES128-SHA", "ECDHE-RSA-AES128-SHA"}, nil},
		// "!" bans for good; "-" removes until named again.
		{"AESGCM+ECDHE+aRSA:-AES256:AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384", []string{"ECDHE-RSA-AES128-GCM-SHA256", "AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384"}, nil},
		{"AESGCM+ECDHE+aRSA:!AES256:ECDHE-RSA-AES256-GCM-SHA384", []string{"ECDHE-RSA-AES128-GCM-SHA256"}, nil},
		// "+" moves to the end; @STRENGTH sorts by bits, stably.
		{"ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:+AES128", []string{"ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-RSA-AES128-GCM-SHA256"}, nil},
		{"ECDHE-RSA-AES128-GCM-SHA256 ECDHE-RSA-AES256-GCM-SHA384 @STRENGTH", []string{"ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-RSA-AES128-GCM-SHA256"}, nil},
		{"kRSA+SHA1", []string{"AES256-SHA", "AES128-SHA", "DES-CBC3-SHA", "RC4-SHA"}, nil},
		{"CAMELLIA:NOSUCH", nil, []string{"CAMELLIA", "NOSUCH"}},
	}
	for _, tt := range tests {
		ids, unknown := ParseCipherList(tt.spec)
		if got := names(ids); !reflect.DeepEqual(got, tt.want) || !reflect.DeepEqual(unknown, tt.unknown) {
			t.Errorf("%s:\n got %q unknown %q\nwant %q unknown %q", tt.spec, got, unknown, tt.want, tt.unknown)
		}
	}
	if c := CipherByID(tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256); c == nil || c.Name != "ECDHE-ECDSA-AES128-GCM-SHA256" {
		t.Errorf("CipherByID: %+v", c)
	}
}
