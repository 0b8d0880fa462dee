package daemon

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
)

// TestAuthHooks: an H frame flagged headHook calls the named mod_wsgi auth
// hook with the environ and its arguments; the answer's head carries the
// result, and an exception or a result mod_wsgi refuses is a 500 (X).
func TestAuthHooks(t *testing.T) {
	h := newHarness(t, testSpec("hooks"))
	script, err := filepath.Abs("testdata/hooks.wsgi")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		hook string
		args []string
		want string // status, then the Result or Group headers
	}{
		{"check_password", []string{"alice", "good"}, "200 Result=True"},
		{"check_password", []string{"alice", "bad"}, "200 Result=False"},
		{"check_password", []string{"none", "x"}, "200 Result=None"},
		{"check_password", []string{"rename", "x"}, "200 Result=User:renamed"},
		{"check_password", []string{"exc", "x"}, "500"},
		{"check_password", []string{"num", "x"}, "500"},
		{"groups_for_user", []string{"alice"}, "200 Group=admins Group=staff"},
		{"groups_for_user", []string{"bob"}, "200"},
		{"groups_for_user", []string{"none"}, "500"},
		{"allow_access", []string{"192.0.2.1"}, "200 Result=True"},
		{"allow_access", []string{"192.0.2.2"}, "200 Result=False"},
		{"allow_access", []string{"192.0.2.3"}, "200 Result=None"},
		{"application", nil, "500"},
	}
	for _, tc := range tests {
		env := []string{"REQUEST_URI", "/x", "REQUEST_METHOD", "GET"}
		for i, a := range tc.args {
			env = append(env, "appserver.hook.arg"+string(rune('1'+i)), a)
		}
		rec := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodGet, "/x", nil)
		h.g.Serve(rec, r, &Request{Env: env, Script: script, CallableObject: tc.hook, Hook: true})
		got := []string{strings.Fields(rec.Result().Status)[0]}
		for _, k := range []string{"Result", "Group"} {
			for _, v := range rec.Result().Header.Values(k) {
				got = append(got, k+"="+v)
			}
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("%s%q: %q, want %q", tc.hook, tc.args, strings.Join(got, " "), tc.want)
		}
	}
	if !strings.Contains(h.logs.String(), "RuntimeError: boom") {
		t.Errorf("the hook's exception is not logged:\n%s", h.logs)
	}
}
