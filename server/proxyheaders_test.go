package server

import (
	"net/http/httptest"
	"testing"

	"github.com/appserver/appserver/server/config"
	"github.com/appserver/appserver/server/route"
)

func TestTrustedProxyHeaders(t *testing.T) {
	tests := []struct {
		name    string
		headers []string // trusted header names
		proxies []string
		peer    string
		request map[string]string
		want    map[string]string // "" value = must be absent
	}{
		{"not configured: headers pass as HTTP_*", nil, nil, "10.0.0.1:1",
			map[string]string{"X-Forwarded-For": "1.2.3.4", "X-Forwarded-Proto": "https"},
			map[string]string{"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "1.2.3.4", "HTTP_X_FORWARDED_PROTO": "https", "HTTPS": ""}},
		{"every peer trusted: leftmost client, proto, host", []string{"X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host"}, nil, "10.0.0.1:1",
			map[string]string{"X-Forwarded-For": "1.2.3.4, 10.0.0.9", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "www.example.com", "X-Real-Ip": "6.6.6.6"},
			map[string]string{"REMOTE_ADDR": "1.2.3.4", "HTTP_X_FORWARDED_FOR": "1.2.3.4, 10.0.0.9", "HTTPS": "1", "HTTP_HOST": "www.example.com", "HTTP_X_REAL_IP": "", "HTTP_X_FORWARDED_PROTO": ""}},
		{"proxy list: walk from the right over trusted proxies", []string{"X-Forwarded-For"}, []string{"10.0.0.0/8"}, "10.0.0.1:1",
			map[string]string{"X-Forwarded-For": "6.6.6.6, 1.2.3.4, 10.0.0.9"},
			map[string]string{"REMOTE_ADDR": "1.2.3.4", "HTTP_X_FORWARDED_FOR": "1.2.3.4, 10.0.0.9"}},
		{"untrusted peer: the family is stripped", []string{"X-Forwarded-For", "X-Forwarded-Proto"}, []string{"10.0.0.0/8"}, "192.0.2.1:1",
			map[string]string{"X-Forwarded-For": "1.2.3.4", "X-Forwarded-Proto": "https"},
			map[string]string{"REMOTE_ADDR": "192.0.2.1", "HTTP_X_FORWARDED_FOR": "", "HTTP_X_FORWARDED_PROTO": "", "HTTPS": ""}},
		{"script name keeps the original as mount_point", []string{"X-Script-Name"}, []string{"127.0.0.1"}, "127.0.0.1:1",
			map[string]string{"X-Script-Name": "/app"},
			map[string]string{"SCRIPT_NAME": "/app", "mod_wsgi.mount_point": "/mnt", "HTTP_X_SCRIPT_NAME": ""}},
		{"ssl flag header", []string{"X-Forwarded-Ssl"}, nil, "127.0.0.1:1",
			map[string]string{"X-Forwarded-Ssl": "on"},
			map[string]string{"HTTPS": "1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/mnt/x", nil)
			r.RemoteAddr = tt.peer
			for k, v := range tt.request {
				r.Header.Set(k, v)
			}
			rt := &route.Route{ScriptName: "/mnt", PathInfo: "/x", ServerName: "localhost", ServerPort: 80}
			env := buildEnv(envInput{r: r, route: rt})
			env = applyTrustedProxies(env, r, &config.DirConf{TrustedProxyHeaders: tt.headers, TrustedProxies: tt.proxies})
			got := map[string]string{}
			for i := 0; i+1 < len(env); i += 2 {
				got[env[i]] = env[i+1]
			}
			for k, want := range tt.want {
				v, ok := got[k]
				if want == "" && ok {
					t.Errorf("%s = %q, want it absent", k, v)
				} else if want != "" && v != want {
					t.Errorf("%s = %q, want %q", k, v, want)
				}
			}
		})
	}
}
