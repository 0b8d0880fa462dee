package config

import (
	"errors"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/appserver/appserver/parser"
)

// fakeHooks answers mod_wsgi's hooks from tables.
type fakeHooks struct{}

func (fakeHooks) CheckPassword(_ *HookScript, user, pw string) (string, error) {
	switch user {
	case "exc":
		return "", errors.New("raised")
	case "ren":
		return "User:renamed", nil
	case "hk":
		if pw == "good" {
			return "True", nil
		}
		return "False", nil
	}
	return "None", nil
}

func (fakeHooks) GroupsForUser(_ *HookScript, user string) ([]string, error) {
	if user == "hk" {
		return []string{"staff"}, nil
	}
	return nil, errors.New("raised")
}

func (fakeHooks) AllowAccess(_ *HookScript, host string) (string, error) {
	return map[string]string{"10.0.0.1": "True", "10.0.0.2": "False", "10.0.0.3": "None"}[host], nil
}

// TestAccessAuth walks the phases of Access: the expected answers are what
// Apache 2.4 + mod_wsgi 4.9.4 gave for the same configs (oracle cases
// auth-basic, auth-groups, access-hosts, auth-wsgi).
func TestAccessAuth(t *testing.T) {
	dir := t.TempDir()
	users := filepath.Join(dir, "users")
	if err := os.WriteFile(users, []byte("bob:$apr1$UUDKTsV4$PfyLXQ6jkbpd5MrD1X54Q.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	uf, err := NewAuthFile(users, parser.Position{}, false)
	if err != nil {
		t.Fatal(err)
	}
	str := func(s string) *string { return &s }
	basic := func(rule *AuthzRule) *DirConf {
		return &DirConf{AuthType: str("Basic"), AuthName: str("r"), AuthUserFile: uf, Require: "request", RequireRule: rule}
	}
	valid := &AuthzRule{Kind: AuthzValidUser}
	script := &HookScript{Path: "/h.wsgi"}
	allowIP := func(any bool) *AccessCompat {
		h, _ := ParseCompatHost("10.0.0.1")
		all, _ := ParseCompatHost("all")
		ac := &AccessCompat{Rules: []CompatRule{{Kind: CompatDeny, Parsed: []CompatHost{all}}, {Kind: CompatAllow, Parsed: []CompatHost{h}}}}
		if any {
			ac.Rules = append(ac.Rules, CompatRule{Kind: CompatSatisfy, Value: "any"})
		}
		return ac
	}
	withCompat := func(c *DirConf, ac *AccessCompat) *DirConf { c.Compat = ac; return c }
	wsgi := basic(valid)
	wsgi.AuthBasicProvider, wsgi.AuthUserScript = []string{"wsgi", "file"}, script
	wgroup := basic(&AuthzRule{Kind: AuthzWSGIGroup, Names: []string{"staff"}})
	wgroup.AuthBasicProvider, wgroup.AuthUserScript, wgroup.AuthGroupScript = []string{"wsgi"}, script, script
	tests := []struct {
		name      string
		conf      *DirConf
		auth      string // Authorization header ("" = none)
		remote    string
		hooks     bool
		status    int
		user      string
		challenge bool
	}{
		{"no credentials", basic(valid), "", "10.0.0.9", false, 401, "", true},
		{"good", basic(valid), "Basic Ym9iOm1kNXB3", "10.0.0.9", false, 0, "bob", false},
		{"bad", basic(valid), "Basic Ym9iOmJhZA==", "10.0.0.9", false, 401, "bob", true},
		{"no AuthName", &DirConf{AuthType: str("Basic"), Require: "request", RequireRule: valid}, "", "", false, 500, "", false},
		{"no AuthType", &DirConf{Require: "request", RequireRule: valid}, "", "", false, 500, "", false},
		{"AuthType without Require", &DirConf{AuthType: str("Basic")}, "", "", false, 500, "", false},
		{"granted, no authn", &DirConf{AuthType: str("Basic"), Require: "granted"}, "Basic Ym9iOmJhZA==", "", false, 0, "", false},
		{"satisfy any allowed", withCompat(basic(valid), allowIP(true)), "", "10.0.0.1", false, 0, "", false},
		{"satisfy any other client", withCompat(basic(valid), allowIP(true)), "", "10.0.0.9", false, 401, "", true},
		{"satisfy all other client", withCompat(basic(valid), allowIP(false)), "Basic Ym9iOm1kNXB3", "10.0.0.9", false, 403, "", false},
		{"satisfy all allowed", withCompat(basic(valid), allowIP(false)), "", "10.0.0.1", false, 401, "", true},
		{"wsgi true", wsgi, "Basic aGs6Z29vZA==", "", true, 0, "hk", false},
		{"wsgi false", wsgi, "Basic aGs6YmFk", "", true, 401, "hk", true},
		{"wsgi renames", wsgi, "Basic cmVuOng=", "", true, 0, "renamed", false},
		{"wsgi raises", wsgi, "Basic ZXhjOng=", "", true, 500, "", false},
		{"wsgi none, then file", wsgi, "Basic Ym9iOm1kNXB3", "", true, 0, "bob", false},
		{"wsgi not run: file only", wsgi, "Basic aGs6Z29vZA==", "", false, 401, "hk", true},
		{"wsgi-group", wgroup, "Basic aGs6Z29vZA==", "", true, 0, "hk", false},
		{"access script true", &DirConf{AccessScript: script}, "", "10.0.0.1", true, 0, "", false},
		{"access script none", &DirConf{AccessScript: script}, "", "10.0.0.3", true, 0, "", false},
		{"access script false", &DirConf{AccessScript: script}, "", "10.0.0.2", true, 403, "", false},
		{"access script not run", &DirConf{AccessScript: script}, "", "10.0.0.1", false, 403, "", false},
	}
	for _, tc := range tests {
		r := &AccessReq{Method: "GET", Uri: "/x", Header: http.Header{}}
		if tc.auth != "" {
			r.Header.Set("Authorization", tc.auth)
		}
		if tc.remote != "" {
			r.RemoteIP = netip.MustParseAddr(tc.remote)
		}
		if tc.hooks {
			r.Hooks = fakeHooks{}
		}
		res := Access(tc.conf, r)
		if res.Status != tc.status || res.User != tc.user || (res.Challenge != "") != tc.challenge {
			t.Errorf("%s: %+v; want status %d, user %q, challenge %v", tc.name, res, tc.status, tc.user, tc.challenge)
		}
		if res.Status == 0 && tc.user != "" && res.AuthType != "Basic" {
			t.Errorf("%s: AuthType %q", tc.name, res.AuthType)
		}
	}
}
