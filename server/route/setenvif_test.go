package route

import (
	"net/http"
	"reflect"
	"testing"

	"github.com/appserver/appserver/server/config"
	"github.com/appserver/appserver/server/expr"
)

func rule(t *testing.T, attr, re string, vars ...config.SetEnvVar) *config.SetEnvIfRule {
	t.Helper()
	r := &config.SetEnvIfRule{Attr: attr, Vars: vars}
	switch attr {
	case "Remote_Addr", "Request_Method", "Request_URI", "Request_Protocol", "Server_Addr":
		r.Special = map[string]string{"Remote_Addr": "remote_addr", "Request_Method": "request_method",
			"Request_URI": "request_uri", "Request_Protocol": "request_protocol", "Server_Addr": "server_addr"}[attr]
	case "^X-":
		r.AttrRegex, _ = config.CompileRegexp("(?i)" + attr)
	}
	var err error
	if r.Regex, err = config.CompileRegexp(re); err != nil {
		t.Fatal(err)
	}
	return r
}

func set(name, value string) config.SetEnvVar { return config.SetEnvVar{Name: name, Value: value} }

// The rules run in order (server scope on the raw request, then the
// section's after the merge), into a map of the request's own, under
// SetEnv's values.
func TestSetEnvIf(t *testing.T) {
	main := mainServer("www.test")
	main.DocumentRoot = "/srv/www"
	main.Defaults.Env = env("SHARED", "setenv")
	main.SetEnvIf = []*config.SetEnvIfRule{
		rule(t, "User-Agent", `Test/(\d+)`, set("UA", "v$1"), set("IS_TEST", "1")),
		rule(t, "X-Missing", `^$`, set("MISSING", "1")),
		rule(t, "Remote_Addr", `^10\.`, set("INTERNAL", "1")),
		rule(t, "Request_URI", `^/a%20b`, set("RAW_URI", "1")),
		rule(t, "Request_Method", `^POST$`, set("POSTED", "1")),
		rule(t, "^X-", `^acme$`, set("TENANT", "$0")),
		rule(t, "IS_TEST", `1`, set("EARLIER", "seen")),
		rule(t, "X-Drop", `yes`, config.SetEnvVar{Name: "IS_TEST", Unset: true}),
		rule(t, "User-Agent", `.`, set("SHARED", "setenvif")),
		{Expr: expr.MustParse("%{HTTP:X-Proto} == 'https'"), Vars: []config.SetEnvVar{set("FWD_HTTPS", "on")}},
	}
	dir := &config.DirConf{SetEnvIf: []*config.SetEnvIfRule{rule(t, "Request_URI", `^/a b/(\w+)`, set("SECTION", "$1"))}}
	main.Sections = []*config.Section{sec(t, config.SectionLocation, "/a b", dir)}
	cfg := &testConfig{Config: &config.Config{Main: main}, Stat: newFakeFS("/srv/www/a b/x", "/srv/www/y").stat}
	table := tableOf(cfg)
	for _, tc := range []struct {
		name string
		req  Request
		want map[string]string
	}{
		{"nothing but SetEnv and a missing header", Request{Target: "/y", Host: "www.test", RemoteIP: "192.0.2.1"},
			map[string]string{"SHARED": "setenv", "MISSING": "1"}},
		{"header with capture and an earlier variable", Request{Target: "/y", Host: "www.test", RemoteIP: "10.0.0.1",
			Header: http.Header{"User-Agent": {"Test/42"}}},
			map[string]string{"SHARED": "setenv", "MISSING": "1", "UA": "v42", "IS_TEST": "1", "EARLIER": "seen", "INTERNAL": "1"}},
		{"unset", Request{Target: "/y", Host: "www.test", Header: http.Header{"User-Agent": {"Test/1"}, "X-Drop": {"yes"}}},
			map[string]string{"SHARED": "setenv", "MISSING": "1", "UA": "v1", "EARLIER": "seen"}},
		{"raw URI, section on the decoded one, header-name regex, method, expr", Request{Method: "POST", Target: "/a%20b/x",
			Host: "www.test", Header: http.Header{"X-Tenant": {"acme"}, "X-Proto": {"https"}}},
			map[string]string{"SHARED": "setenv", "MISSING": "1", "RAW_URI": "1", "POSTED": "1", "TENANT": "acme", "FWD_HTTPS": "on", "SECTION": "x"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := table.Route(tc.req)
			if !reflect.DeepEqual(r.Env, tc.want) {
				t.Errorf("Env = %v, want %v", r.Env, tc.want)
			}
		})
	}
	// The shared map of the merged config is never changed.
	r := table.Route(Request{Target: "/y", Host: "www.test", Header: http.Header{"User-Agent": {"Test/9"}}})
	r2 := table.Route(Request{Target: "/y", Host: "www.test", Header: http.Header{"X-Missing": {"x"}}})
	if _, leaked := r2.Env["UA"]; leaked || r.Env["UA"] != "v9" {
		t.Errorf("per-request variables leaked: %v then %v", r.Env, r2.Env)
	}
}
