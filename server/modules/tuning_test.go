package modules

import "testing"

func TestTuning(t *testing.T) {
	for _, tc := range []struct {
		name string
		want bool
	}{
		{"MaxRequestWorkers", true}, // event.c
		{"minspareservers", true},   // prefork.c
		{"ErrorLogFormat", true},
		{"WSGIRestrictStdout", true},
		{"Header", false},             // changes responses
		{"ServerSignature", false},    // changes error pages
		{"WSGIPythonOptimize", false}, // changes what the application runs
		{"NoSuchDirective", false},
	} {
		if got := Tuning(tc.name); got != tc.want {
			t.Errorf("Tuning(%q) = %v, want %v", tc.name, got, tc.want)
		}
	}
	for n := range tuningNames {
		if _, ok := ignoredModule()[n]; !ok && n[:4] != "wsgi" {
			t.Errorf("tuningNames lists %q, which is not an ignored directive", n)
		}
	}
}
