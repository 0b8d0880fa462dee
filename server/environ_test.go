package server

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/appserver/appserver/server/load"
	"github.com/appserver/appserver/server/route"
)

func TestBuildEnvHeaders(t *testing.T) {
	tests := []struct {
		name    string
		pass    bool
		headers map[string]string
		want    map[string]string // "" = must be absent
	}{
		{"Authorization withheld by default", false,
			map[string]string{"Authorization": "Basic eA==", "X-Test": "1"},
			map[string]string{"HTTP_AUTHORIZATION": "", "HTTP_X_TEST": "1"}},
		{"Authorization with WSGIPassAuthorization On", true,
			map[string]string{"Authorization": "Basic eA=="},
			map[string]string{"HTTP_AUTHORIZATION": "Basic eA=="}},
		{"httpoxy: Proxy never becomes HTTP_PROXY", false,
			map[string]string{"Proxy": "http://evil:8080"},
			map[string]string{"HTTP_PROXY": ""}},
		{"names with '_' are dropped, as Apache does", false,
			map[string]string{"X_Sneaky": "1", "Accept-Language": "de"},
			map[string]string{"HTTP_X_SNEAKY": "", "HTTP_ACCEPT_LANGUAGE": "de"}},
		{"Content-Type is CONTENT_TYPE only", false,
			map[string]string{"Content-Type": "text/plain"},
			map[string]string{"CONTENT_TYPE": "text/plain", "HTTP_CONTENT_TYPE": ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/app/x", nil)
			for k, v := range tt.headers {
				r.Header[k] = []string{v} // as sent, without canonicalising "X_Sneaky"
			}
			env := buildEnv(envInput{r: r, route: &route.Route{ScriptName: "/app", PathInfo: "/x", PassAuthorization: tt.pass}})
			got := map[string]string{}
			for i := 0; i+1 < len(env); i += 2 {
				got[env[i]] = env[i+1]
			}
			for k, want := range tt.want {
				v, ok := got[k]
				switch {
				case want == "" && ok:
					t.Errorf("%s = %q, want it absent", k, v)
				case want != "" && v != want:
					t.Errorf("%s = %q, want %q", k, v, want)
				}
			}
			if got["PATH_INFO"] != "/x" || got["SCRIPT_NAME"] != "/app" || !strings.HasPrefix(got["GATEWAY_INTERFACE"], "CGI/") {
				t.Errorf("CGI variables missing: %v", got)
			}
		})
	}
}

func TestRoutePassAuthorization(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "x.py")
	conf := filepath.Join(dir, "pa.conf")
	text := "Listen 8080\nWSGIScriptAlias /a " + script + "\nWSGIScriptAlias /b " + script + " pass-authorization=On\n" +
		"WSGIScriptAlias /c " + script + "\n<Location /c>\nWSGIPassAuthorization On\n</Location>\n"
	if err := os.WriteFile(script, []byte("def application(e, s): pass\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := load.File(conf, load.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for target, want := range map[string]bool{"/a": false, "/b": true, "/c/x": true} {
		r := route.Compile(cfg, route.Options{}).Route(route.Request{Target: target, LocalIP: "127.0.0.1", LocalPort: 8080})
		if r.Status != 200 || r.PassAuthorization != want {
			t.Errorf("%s: status %d, PassAuthorization %v, want 200 and %v", target, r.Status, r.PassAuthorization, want)
		}
	}
}
