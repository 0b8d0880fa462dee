package route

import "testing"

// TestNormalizeTable covers URL normalisation as verified against Apache
// 2.4.71, plus rows observed on this machine.
func TestNormalizeTable(t *testing.T) {
	tests := []struct {
		target string
		status int
		uri    string
	}{
		{"/admin", 0, "/admin"},
		{"//admin", 0, "/admin"},
		{"/./admin", 0, "/admin"},
		{"/foo/../admin", 0, "/admin"},
		{"/%61dmin", 0, "/admin"},
		{"/adm%69n", 0, "/admin"},
		{"/%2e/admin", 0, "/admin"},
		{"/foo/%2e%2e/admin", 0, "/admin"},
		{"/foo/.%2e/admin", 0, "/admin"},
		{"/admin/.", 0, "/admin/"},
		{"/admin/..", 0, "/"},
		{"/../admin", 400, ""},
		{"/%2e%2e/admin", 400, ""},
		{"/%zz", 400, ""},
		{"/a%2", 400, ""},
		{"/admin%2fx", 404, ""},
		{"/admin%2Fx", 404, ""},
		{"/a%00b", 404, ""},
		{"/admin%20x", 0, "/admin x"},
		{"/adm%c3%a9", 0, "/adm\xc3\xa9"},
		{"admin", 400, ""},
		{"http://main.test/admin", 0, "/admin"},
		// Observed with Apache 2.4.71 (absolute-form and escape corners).
		{"http:/foo", 0, "/foo"},
		{"http:foo", 400, ""},
		{"ftp://x.test/a", 400, ""},
		{"http://x.test", 0, "/"},
		{"http://x.test?z=1", 0, "/"},
		{"//x.test/a", 0, "/x.test/a"},
		{"///a", 0, "/a"},
		{"x.test/a", 400, ""},
		{"/a#frag", 400, ""},
		{"/a%2e%2E/b", 0, "/a../b"},
		{"/a/.%2e", 0, "/"},
		{"/a/%2e", 0, "/a/"},
		{"/a/b/..%2F", 404, ""},
		{"/%7e", 0, "/~"},
		{"/%252e%252e/", 0, "/%2e%2e/"},
		{"/a//b", 0, "/a/b"},
		{"/a\x7fb", 400, ""},
		{"/a\tb", 400, ""},
		{"/sp ace", 400, ""},
		{"/a\x80b", 0, "/a\x80b"},
		{"/a\"b<c>{d}|e^f`g\\h", 0, "/a\"b<c>{d}|e^f`g\\h"},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			tg, bad := parseTarget(tt.target, false)
			status, uri := 0, ""
			if bad != "" {
				status = 400
			} else {
				var reason string
				uri, status, reason = normalizePath(tg.path, true, encodedSlashesOff)
				if status != 0 && reason == "" {
					t.Errorf("status %d without a reason", status)
				}
			}
			if status != tt.status || uri != tt.uri {
				t.Errorf("got %d %q, want %d %q", status, uri, tt.status, tt.uri)
			}
		})
	}
}

// TestNormalizeSettings covers MergeSlashes Off and the three
// AllowEncodedSlashes modes (§6, verified rows).
func TestNormalizeSettings(t *testing.T) {
	tests := []struct {
		name   string
		path   string
		merge  bool
		mode   int
		status int
		uri    string
	}{
		{"merge-off keeps inner run", "/x//y", false, encodedSlashesOff, 0, "/x//y"},
		{"merge-off dot segments", "/x/./y/../z", false, encodedSlashesOff, 0, "/x/z"},
		{"merge-off dotdot after run", "/x//../y", false, encodedSlashesOff, 0, "/x/y"},
		{"nodecode keeps %2f", "/admin%2fx", true, encodedSlashesNoDecode, 0, "/admin%2fx"},
		{"nodecode keeps case", "/a%2Fb%20c", true, encodedSlashesNoDecode, 0, "/a%2Fb c"},
		{"nodecode NUL still 404", "/a%00", true, encodedSlashesNoDecode, 404, ""},
		{"on decodes", "/admin%2fx", true, encodedSlashesOn, 0, "/admin/x"},
		{"on renormalises dotdot", "/a%2f..%2fadmin", true, encodedSlashesOn, 0, "/admin"},
		{"on renormalises dot", "/.%2fadmin", true, encodedSlashesOn, 0, "/admin"},
		{"on merges new runs", "/a%2f%2fb", true, encodedSlashesOn, 0, "/a/b"},
		{"on with merge off keeps run", "/a%2f%2fb", false, encodedSlashesOn, 0, "/a//b"},
		{"off forbids", "/a%2fb", true, encodedSlashesOff, 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			uri, status, _ := normalizePath(tt.path, tt.merge, tt.mode)
			if status != tt.status || uri != tt.uri {
				t.Errorf("normalizePath(%q) = %d %q, want %d %q", tt.path, status, uri, tt.status, tt.uri)
			}
		})
	}
}

func TestParseTargetHostAndQuery(t *testing.T) {
	tests := []struct {
		target          string
		https           bool
		host            string
		port            int
		hasHost, hasPrt bool
		path, query     string
		bad             bool
	}{
		{target: "/p?q=1&b", path: "/p", query: "q=1&b"},
		{target: "/p?", path: "/p"},
		{target: "http://Example.TEST:8080/p?x", host: "Example.TEST", port: 8080, hasHost: true, hasPrt: true, path: "/p", query: "x"},
		{target: "HTTP://x.test/a", host: "x.test", hasHost: true, path: "/a"},
		// An https URI on a plain connection keeps the Host header.
		{target: "https://x.test/a", path: "/a"},
		{target: "https://x.test/a", https: true, host: "x.test", hasHost: true, path: "/a"},
		{target: "http://[::1]:81/a", host: "::1", port: 81, hasHost: true, hasPrt: true, path: "/a"},
		{target: "http://x.test:abc/a", bad: true},
		{target: "http://u:p@x.test/a", bad: true},
		{target: "http://x.test:/a", host: "x.test", hasHost: true, path: "/a"},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			tg, bad := parseTarget(tt.target, tt.https)
			if (bad != "") != tt.bad {
				t.Fatalf("bad = %q, want bad %v", bad, tt.bad)
			}
			if tt.bad {
				return
			}
			if tg.host != tt.host || tg.port != tt.port || tg.hasHost != tt.hasHost || tg.hasPort != tt.hasPrt ||
				tg.path != tt.path || tg.query != tt.query {
				t.Errorf("got %+v", tg)
			}
		})
	}
}

// TestNormalizeNoAllocCleanPath guards the fast path the benchmark relies on.
func TestNormalizeNoAllocCleanPath(t *testing.T) {
	n := testing.AllocsPerRun(100, func() {
		_, _, _ = normalizePath("/publications/article/42", true, encodedSlashesOff)
	})
	if n != 0 {
		t.Errorf("clean path allocates %v times", n)
	}
}
