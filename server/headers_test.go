package server

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/appserver/appserver/server/config"
	"github.com/appserver/appserver/server/load"
	"github.com/appserver/appserver/server/route"
)

// headerConf loads a config snippet and returns its main server's
// per-directory defaults (where Header/RequestHeader at server scope go).
func headerConf(t *testing.T, snippet string) *config.DirConf {
	t.Helper()
	opts := load.Options{NoHostChecks: true, ReadFile: func(string) ([]byte, error) { return []byte(snippet + "\n"), nil }}
	cfg, err := load.File("/cfg/test.conf", opts)
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Main.Defaults
}

func TestHeaderActions(t *testing.T) {
	for _, tc := range []struct {
		name, conf string
		in, want   http.Header
		env        map[string]string
	}{
		{"set replaces", "Header set X-A new", http.Header{"X-A": {"old", "old2"}}, http.Header{"X-A": {"new"}}, nil},
		{"add adds", "Header add X-A new", http.Header{"X-A": {"old"}}, http.Header{"X-A": {"old", "new"}}, nil},
		{"append joins the first", "Header append X-A new", http.Header{"X-A": {"old", "other"}}, http.Header{"X-A": {"old, new", "other"}}, nil},
		{"append creates", "Header append X-A new", http.Header{}, http.Header{"X-A": {"new"}}, nil},
		{"merge skips a present token", "Header merge Cache-Control no-cache", http.Header{"Cache-Control": {"private, no-cache"}}, http.Header{"Cache-Control": {"private, no-cache"}}, nil},
		{"merge adds a new token", "Header merge Cache-Control no-store", http.Header{"Cache-Control": {"private"}}, http.Header{"Cache-Control": {"private, no-store"}}, nil},
		{"merge quoted comma", "Header merge X-A c", http.Header{"X-A": {`"a,c", b`}}, http.Header{"X-A": {`"a,c", b, c`}}, nil},
		{"unset", "Header unset X-A", http.Header{"X-A": {"v"}, "X-B": {"w"}}, http.Header{"X-B": {"w"}}, nil},
		{"setifempty absent", "Header setifempty X-A v", http.Header{}, http.Header{"X-A": {"v"}}, nil},
		{"setifempty present", "Header setifempty X-A v", http.Header{"X-A": {"app"}}, http.Header{"X-A": {"app"}}, nil},
		{"edit first", `Header edit X-A "o" "0"`, http.Header{"X-A": {"foo", "boo"}}, http.Header{"X-A": {"f0o", "b0o"}}, nil},
		{"edit all", `Header edit* X-A "o" "0"`, http.Header{"X-A": {"foo"}}, http.Header{"X-A": {"f00"}}, nil},
		{"edit* anchored matches again", `Header edit* X-A "^a" "b"`, http.Header{"X-A": {"aaa"}}, http.Header{"X-A": {"bbb"}}, nil},
		{"edit captures", `Header edit Set-Cookie "^(.*)$" "$1; Secure"`, http.Header{"Set-Cookie": {"a=1"}}, http.Header{"Set-Cookie": {"a=1; Secure"}}, nil},
		{"env set", "Header set X-A v env=FOO", http.Header{}, http.Header{"X-A": {"v"}}, map[string]string{"FOO": ""}},
		{"env unset", "Header set X-A v env=FOO", http.Header{}, http.Header{}, nil},
		{"env negated", "Header set X-A v env=!FOO", http.Header{}, http.Header{}, map[string]string{"FOO": "1"}},
		{"format env", `Header set X-A "a %{FOO}e %{NONE}e %%"`, http.Header{}, http.Header{"X-A": {"a bar (null) %"}}, map[string]string{"FOO": "bar"}},
		{"expr true", `Header set X-A v "expr=%{REQUEST_METHOD} == 'GET'"`, http.Header{}, http.Header{"X-A": {"v"}}, nil},
		{"expr false", `Header set X-A v "expr=%{REQUEST_METHOD} == 'POST'"`, http.Header{}, http.Header{}, nil},
		{"value expr", `Header set X-A "expr=%{REQUEST_URI}?%{QUERY_STRING}"`, http.Header{}, http.Header{"X-A": {"/p?q=1"}}, nil},
		{"early skipped on the way out", "Header set X-A v early", http.Header{}, http.Header{}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conf := headerConf(t, tc.conf)
			r := httptest.NewRequest("GET", "/p?q=1", nil)
			h := &reqHeaders{r: r, rt: &route.Route{URI: "/p", Query: "q=1", Env: tc.env}, start: time.Now(), log: slog.New(slog.NewTextHandler(io.Discard, nil))}
			got := tc.in.Clone()
			h.apply(conf.HeadersOnSuccess, got, false)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestHeaderFormatTimes(t *testing.T) {
	conf := headerConf(t, `Header set X-T "%t %D"`)
	start := time.UnixMicro(1700000000123456)
	h := &reqHeaders{r: httptest.NewRequest("GET", "/", nil), rt: &route.Route{}, start: start, log: slog.Default()}
	got := http.Header{}
	h.apply(conf.HeadersOnSuccess, got, false)
	v := got.Get("X-T")
	if !strings.HasPrefix(v, "t=1700000000123456 D=") || len(v) <= len("t=1700000000123456 D=") {
		t.Errorf("X-T = %q", v)
	}
}

// The onsuccess table changes the handler's headers, the always table
// adds its own before them, and an error page of appserver's own (Apache's
// core error response) gets only the always table.
func TestHeadersWriterTables(t *testing.T) {
	conf := headerConf(t, "Header always set X-Both al\nHeader set X-Both ok\nHeader always append X-App al\nHeader append X-App2 ok\nHeader always unset X-App3\n")
	for _, tc := range []struct {
		name      string
		coreError bool
		want      http.Header
	}{
		{"handler answer", false, http.Header{"X-Both": {"al", "ok"}, "X-App": {"al", "app"}, "X-App2": {"app2, ok"}, "X-App3": {"app3"}}},
		{"core error page", true, http.Header{"X-Both": {"al"}, "X-App": {"al"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			r := httptest.NewRequest("GET", "/", nil)
			h := &reqHeaders{r: r, rt: &route.Route{Status: 200, Conf: conf}, start: time.Now(), log: slog.Default()}
			w := newHeadersWriter(rec, h)
			if tc.coreError {
				writeError(w, http.StatusNotFound, "")
			} else {
				w.Header().Set("X-App", "app")
				w.Header().Set("X-App2", "app2")
				w.Header().Set("X-App3", "app3")
				w.WriteHeader(http.StatusInternalServerError)
			}
			got := rec.Result().Header
			for k := range tc.want {
				if !reflect.DeepEqual(got[k], tc.want[k]) {
					t.Errorf("%s = %q, want %q", k, got[k], tc.want[k])
				}
			}
			for _, k := range []string{"X-App2", "X-App3"} {
				if _, ok := tc.want[k]; !ok && got[k] != nil {
					t.Errorf("%s = %q, want none", k, got[k])
				}
			}
		})
	}
}

func TestRequestHeaderHost(t *testing.T) {
	conf := headerConf(t, "RequestHeader set Host rewritten.test\nRequestHeader set X-New v\nRequestHeader unset X-Old\n")
	r := httptest.NewRequest("GET", "http://orig.test/", nil)
	r.Header.Set("X-Old", "x")
	h := &reqHeaders{r: r, rt: &route.Route{Status: 200, Conf: conf}, start: time.Now(), log: slog.Default()}
	h.requestPhase()
	if r.Host != "rewritten.test" || r.Header.Get("X-New") != "v" || r.Header.Get("X-Old") != "" || r.Header.Get("Host") != "" {
		t.Errorf("host %q, header %v", r.Host, r.Header)
	}
}
