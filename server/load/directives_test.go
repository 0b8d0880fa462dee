package load

import (
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/appserver/appserver/server/config"
	"github.com/appserver/appserver/server/modules"
	"github.com/appserver/appserver/server/wsgiopt"
)

func TestDirectiveArityMessages(t *testing.T) {
	def := func(a arity) *directiveDef { return &directiveDef{name: "X", arity: a, help: "help"} }
	tests := []struct {
		arity arity
		args  []string
		want  string
	}{
		{noArgs, nil, ""},
		{noArgs, []string{"a"}, "X takes no arguments"},
		{take1, []string{"a"}, ""},
		{take1, nil, "X takes one argument, help"},
		{take1, []string{""}, "X takes one argument, help"},
		{take1, []string{"a", "b"}, "X takes one argument, help"},
		{take2, []string{"a", "b"}, ""},
		{take2, []string{"a", ""}, "X takes two arguments, help"},
		{take12, []string{"a", ""}, ""},
		{take12, []string{"a", "b", "c"}, "X takes 1-2 arguments, help"},
		{take12, []string{"", "b"}, "X takes 1-2 arguments, help"},
		{take3, []string{"a", "b"}, "X takes three arguments, help"},
		{take23, []string{"a"}, "X takes two or three arguments, help"},
		{take23, []string{"a", "b", "c"}, ""},
		{take123, []string{"a", "b", "c", "d"}, "X takes one, two or three arguments, help"},
		{take13, []string{"a", "b"}, "X takes one or three arguments, help"},
		{take13, []string{"a"}, ""},
		{iterate, nil, "X requires at least one argument, help"},
		{iterate, []string{"", "b"}, "X requires at least one argument, help"},
		{iterate2, []string{"a"}, "X requires at least two arguments, help"},
		{iterate2, []string{"a", "b", "c"}, ""},
		{argFlag, []string{"oFF"}, ""},
		{argFlag, []string{"yes"}, "X must be On or Off"},
		{argFlag, nil, "X must be On or Off"},
	}
	for _, tc := range tests {
		if got := arityError(def(tc.arity), tc.args); got != tc.want {
			t.Errorf("arity %d args %q: got %q, want %q", tc.arity, tc.args, got, tc.want)
		}
	}
	if got := trimArgs(iterate, []string{"A", "", "B"}); !reflect.DeepEqual(got, []string{"A"}) {
		t.Errorf("ITERATE should stop at the first empty word, got %q", got)
	}
	if got := trimArgs(take12, []string{"A", ""}); !reflect.DeepEqual(got, []string{"A"}) {
		t.Errorf("TAKE12 should drop an empty optional word, got %q", got)
	}
}

func TestDirectiveUnknownSuggestions(t *testing.T) {
	tests := []struct{ written, want string }{
		{"WSGIDeamonProcess", "WSGIDaemonProcess"},
		{"wsgiprocessgrup", "WSGIProcessGroup"},
		{"SetEvn", "SetEnv"},
		{"RewriteRul", "RewriteRule"},
		{"<Locaton", "<Location"},
		{"Foo", ""},
		{"CompletelyUnrelatedThing", ""},
	}
	for _, tc := range tests {
		if got := suggestName(tc.written); got != tc.want {
			t.Errorf("suggestName(%q) = %q, want %q", tc.written, got, tc.want)
		}
	}
	_, errs := loadTestConf(t, "WSGIDeamonProcess x\n", Options{})
	want := []string{"1:1: Invalid command 'WSGIDeamonProcess', perhaps misspelled or defined by a module not included in the server configuration (did you mean 'WSGIDaemonProcess'?)"}
	if got := errStrings(errs); !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestDirectiveErrorPositions checks that errors point at the offending
// word, and that every error of a file is reported, not only the first.
func TestDirectiveErrorPositions(t *testing.T) {
	conf := "WSGIDaemonProcess a threads=5 foo=bar\n" +
		"WSGIDaemonProcess b \\\n    processes=0\n" +
		"SetEnv a b c\n" +
		"<Location /x>\n  ServerName x\n</Location>\n" +
		"WSGIScriptAlias /app /srv/app.wsgi process-group=a callable-objet=app\n" +
		"ServerName a.b:99999\n"
	_, errs := loadTestConf(t, conf, Options{NoHostChecks: true})
	want := []string{
		"1:31: Invalid option to WSGI daemon process definition. (unknown option 'foo'; valid options are " + strings.Join(wsgiopt.Names, ", ") + ")",
		"3:5: Invalid process count for WSGI daemon process.",
		"4:1: SetEnv takes 1-2 arguments, an environment variable name and optional value to pass to CGI.",
		"6:3: ServerName not allowed in <Location> context",
		"8:52: Invalid option to WSGI script alias definition. (unknown option 'callable-objet', did you mean 'callable-object'?)",
		"9:12: The port number \"a.b:99999\" is outside the appropriate range (i.e., 1..65535).",
	}
	if got := errStrings(errs); !reflect.DeepEqual(got, want) {
		t.Errorf("errors:\n got %q\nwant %q", got, want)
	}
}

func TestDirectiveCoreValues(t *testing.T) {
	conf := `ServerName Main.Test:8080
Listen 8080
Listen 127.0.0.1:8443 https
Listen [::1]:9000
Listen 443
SetEnv newrelic.app_name 'My Site (main);My Site'
SetEnv EMPTY ""
UnsetEnv GONE "" NOTGONE
PassEnv HOME_DIR MISSING_VAR
SetEnv A=B c
Timeout 5x
KeepAlive off
KeepAliveTimeout 1500ms
MaxKeepAliveRequests 50
LimitRequestLine 4096
LimitRequestFieldSize 1024
LimitRequestFields 10
LimitRequestBody 1048576
LogFormat "%h %r" short
LogFormat "%h"
CustomLog "|/usr/bin/logger" short env=!nolog
TransferLog "|/bin/cat"
ErrorLog "|/bin/cat"
LogLevel warn wsgi:info
MergeSlashes Off
AllowEncodedSlashes nodecode
SetHandler WSGI-Script
AddHandler wsgi-script .WSGI py
Options +ExecCGI
Options -Indexes
<VirtualHost 127.0.0.1:8080 *:* [::1] _default_>
ServerName vh.test
ServerAlias WWW.vh.test *.Vh.Test
</VirtualHost>
`
	cfg, errs := loadTestConf(t, conf, Options{NoHostChecks: true, LookupEnv: func(k string) (string, bool) {
		if k == "HOME_DIR" {
			return "/home/x", true
		}
		return "", false
	}})
	if errs != nil {
		t.Fatalf("unexpected errors: %v", errs)
	}
	m := cfg.Main
	if m.Name != "Main.Test" || m.Port != 8080 {
		t.Errorf("ServerName: got %q port %d", m.Name, m.Port)
	}
	var listens []string
	for _, l := range cfg.Listen {
		listens = append(listens, l.Addr+"|"+strconv.Itoa(l.Port)+"|"+l.Proto)
	}
	if want := []string{"|8080|http", "127.0.0.1|8443|https", "::1|9000|http", "|443|https"}; !reflect.DeepEqual(listens, want) {
		t.Errorf("Listen: got %q, want %q", listens, want)
	}
	var env []string
	for _, op := range m.Defaults.Env {
		env = append(env, string(op.Op)+":"+op.Name+"="+op.Value)
	}
	wantEnv := []string{"set:newrelic.app_name=My Site (main);My Site", "set:EMPTY=", "unset:GONE=", "pass:HOME_DIR=/home/x", "set:A=B=c"}
	if !reflect.DeepEqual(env, wantEnv) {
		t.Errorf("Env: got %q, want %q", env, wantEnv)
	}
	if m.Timeout == nil || *m.Timeout != 5 || m.KeepAlive == nil || *m.KeepAlive || m.KeepAliveTimeout == nil || *m.KeepAliveTimeout != 2 ||
		m.MaxKeepAliveRequests == nil || *m.MaxKeepAliveRequests != 50 {
		t.Errorf("timeouts: %v %v %v %v", m.Timeout, m.KeepAlive, m.KeepAliveTimeout, m.MaxKeepAliveRequests)
	}
	if *m.LimitRequestLine != 4096 || *m.LimitRequestFieldSize != 1024 || *m.LimitRequestFields != 10 || *m.Defaults.LimitRequestBody != 1048576 {
		t.Errorf("limits wrong")
	}
	if m.LogFormats["short"] != "%h %r" || m.LogFormats[""] != "%h" {
		t.Errorf("LogFormats: %q", m.LogFormats)
	}
	if len(m.CustomLogs) != 2 || m.CustomLogs[0].Cond != "env=!nolog" || m.CustomLogs[0].Format != "short" || m.CustomLogs[1].Target != "|/bin/cat" {
		t.Errorf("CustomLogs: %+v", m.CustomLogs)
	}
	if m.ErrorLog != "|/bin/cat" || m.LogLevel != "warn wsgi:info" {
		t.Errorf("ErrorLog %q LogLevel %q", m.ErrorLog, m.LogLevel)
	}
	if m.MergeSlashes == nil || *m.MergeSlashes || m.AllowEncodedSlashes != "NoDecode" {
		t.Errorf("MergeSlashes %v AllowEncodedSlashes %q", m.MergeSlashes, m.AllowEncodedSlashes)
	}
	if m.Defaults.Handler == nil || m.Defaults.Handler.Value != "wsgi-script" {
		t.Errorf("Handler: %+v", m.Defaults.Handler)
	}
	if want := map[string]string{"wsgi": "wsgi-script", "py": "wsgi-script"}; !reflect.DeepEqual(m.Defaults.AddHandlers, want) {
		t.Errorf("AddHandlers: %q", m.Defaults.AddHandlers)
	}
	if want := []string{"+ExecCGI", "-Indexes"}; !reflect.DeepEqual(m.Defaults.Options, want) || !config.OptionSet(m.Defaults.Options, "ExecCGI") {
		t.Errorf("Options: %q", m.Defaults.Options)
	}
	if len(cfg.VHosts) != 1 {
		t.Fatalf("vhosts: %d", len(cfg.VHosts))
	}
	vh := cfg.VHosts[0]
	wantAddrs := []config.VHostAddr{{Host: "127.0.0.1", Port: 8080, Text: "127.0.0.1:8080"}, {Host: "*", Port: 0, Text: "*:*"}, {Host: "::1", Port: 8080, Text: "[::1]"}, {Host: "*", Port: 8080, Text: "_default_"}}
	if !reflect.DeepEqual(vh.Addrs, wantAddrs) {
		t.Errorf("vhost addrs: got %+v, want %+v", vh.Addrs, wantAddrs)
	}
	if want := []string{"www.vh.test", "*.vh.test"}; !reflect.DeepEqual(vh.Aliases, want) {
		t.Errorf("aliases: %q", vh.Aliases)
	}
	var lints []string
	for _, w := range cfg.Warnings {
		if w.Kind == "lint" {
			lints = append(lints, w.Msg)
		}
	}
	wantLints := []string{
		"PassEnv variable MISSING_VAR was undefined: set it in appserver's environment or remove it from PassEnv",
		"Spurious usage of '=' in an environment variable name. 'SetEnv A B' expected instead?",
		"Timeout 5x is read as 5 (httpd reads only leading digits): write the number 5 if that is what you mean",
	}
	if !reflect.DeepEqual(lints, wantLints) {
		t.Errorf("lint warnings:\n got %q\nwant %q", lints, wantLints)
	}
}

func TestDirectiveAliases(t *testing.T) {
	conf := `Alias /static /srv/static
AliasMatch ^/img/(.*)$ /srv/img/$1
ScriptAlias /cgi-bin/ /srv/cgi/
<Location /media>
Alias /srv/media
</Location>
<LocationMatch ^/files/>
ScriptAlias /srv/files
</LocationMatch>
`
	cfg, errs := loadTestConf(t, conf, Options{NoHostChecks: true})
	if errs != nil {
		t.Fatal(errs)
	}
	var got []string
	for _, a := range cfg.Main.FileAliases {
		re := ""
		if a.Regex != nil {
			re = " re"
		}
		got = append(got, string(a.Kind)+" "+a.URL+" -> "+a.Target+re)
	}
	want := []string{
		"alias /static -> /srv/static",
		"aliasmatch ^/img/(.*)$ -> /srv/img/$1 re",
		"scriptalias /cgi-bin/ -> /srv/cgi/",
		"alias /media -> /srv/media",
		"scriptalias ^/files/ -> /srv/files re",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("aliases:\n got %q\nwant %q", got, want)
	}
	var host, compat int
	for _, w := range cfg.Warnings {
		switch w.Kind {
		case "host":
			host++
		case "compat":
			compat++
		}
	}
	// /srv/static, /srv/cgi/ and /srv/media are missing here (regex and $N
	// targets are not checked); both ScriptAliases warn that CGI is not run.
	if host != 3 || compat != 2 {
		t.Errorf("got %d host and %d compat warnings: %q", host, compat, warnStrings(cfg.Warnings))
	}
}

func TestDirectiveRequire(t *testing.T) {
	tests := []struct {
		name, body, want string
		warns            int
	}{
		{"granted", "Require all granted", "granted", 0},
		{"denied", "Require all denied", "denied", 0},
		{"unknown-denies", "Require dbd-group admins", "denied", 1},
		{"expr-per-request", "Require expr %{REQUEST_URI} == '/x'", "request", 0},
		{"ip-per-request", "Require ip 127.0.0.1", "request", 0},
		{"local-per-request", "Require local", "request", 0},
		{"any-granted-wins", "Require ip 127.0.0.1\nRequire all granted", "granted", 0},
		{"all-denied-wins", "<RequireAll>\nRequire local\nRequire all denied\n</RequireAll>", "denied", 0},
		{"none-granted-wins", "<RequireAll>\nRequire local\n<RequireNone>\nRequire all granted\nRequire ip 10.1\n</RequireNone>\n</RequireAll>", "denied", 0},
		{"ip-in-limit-fails-closed", "Require all granted\n<Limit POST>\nRequire ip 10.1\n</Limit>", "granted", 1},
		{"third-party", "Require claim sub:x", "denied", 1},
		{"all-with-denied", "<RequireAll>\nRequire all granted\nRequire all denied\n</RequireAll>", "denied", 0},
		{"all-granted", "<RequireAll>\nRequire all granted\n</RequireAll>", "granted", 0},
		{"none-of-denied", "<RequireAll>\nRequire all granted\n<RequireNone>\nRequire all denied\n</RequireNone>\n</RequireAll>", "granted", 0},
		{"none-of-granted", "<RequireAll>\nRequire all granted\nRequire not all granted\n</RequireAll>", "denied", 0},
		{"any-section", "<RequireAny>\nRequire valid-user\nRequire all granted\n</RequireAny>", "granted", 0},
		{"limit-ignored", "<Limit POST>\nRequire all denied\n</Limit>", "", 1},
		{"limit-and-plain", "Require all granted\n<LimitExcept GET>\nRequire all denied\n</LimitExcept>", "granted", 1},
		{"none", "SetEnv a b", "", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, errs := loadTestConf(t, "<Location /x>\n"+tc.body+"\n</Location>\n", Options{})
			if errs != nil {
				t.Fatal(errs)
			}
			if got := cfg.Main.Sections[0].Conf.Require; got != tc.want {
				t.Errorf("Require = %q, want %q", got, tc.want)
			}
			if len(cfg.Warnings) != tc.warns {
				t.Errorf("warnings: %q", warnStrings(cfg.Warnings))
			}
		})
	}
}

func TestDirectiveSections(t *testing.T) {
	conf := `<Location /a>
SetEnv L a
</Location>
<Location ~ "^/b">
SetEnv L b
</Location>
<LocationMatch "(?<name>[a-z]+)/x">
SetEnv L m
</LocationMatch>
<Directory /srv>
SetEnv D srv
<Files "*.wsgi">
SetHandler wsgi-script
</Files>
</Directory>
<DirectoryMatch "^/srv/(a|b)">
</DirectoryMatch>
<FilesMatch "\.py$">
</FilesMatch>
<If "%{HTTP_HOST} == 'x'">
SetEnv IF leaked
WSGIProcessGroup leaked
</If>
<Else>
SetEnv ELSE leaked
</Else>
<Location /lim>
<Limit GET POST>
SetEnv LIMIT applies
</Limit>
</Location>
<Proxy "*">
SetEnv PROXY leaked
</Proxy>
`
	cfg, errs := loadTestConf(t, conf, Options{NoHostChecks: true})
	if errs != nil {
		t.Fatal(errs)
	}
	type sec struct {
		kind    config.SectionKind
		path    string
		regex   bool
		nested  int
		envName string
	}
	var got []sec
	for _, s := range cfg.Main.Sections {
		e := ""
		if len(s.Conf.Env) > 0 {
			e = s.Conf.Env[0].Name + "=" + s.Conf.Env[0].Value
		}
		got = append(got, sec{s.Kind, s.Path, s.Regex != nil, len(s.Nested), e})
	}
	want := []sec{
		{config.SectionLocation, "/a", false, 0, "L=a"},
		{config.SectionLocationMatch, "^/b", true, 0, "L=b"},
		{config.SectionLocationMatch, "(?<name>[a-z]+)/x", true, 0, "L=m"},
		{config.SectionDirectory, "/srv", false, 1, "D=srv"},
		{config.SectionDirectoryMatch, "^/srv/(a|b)", true, 0, ""},
		{config.SectionFilesMatch, `\.py$`, true, 0, ""},
		{config.SectionLocation, "/lim", false, 0, "LIMIT=applies"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("sections:\n got %+v\nwant %+v", got, want)
	}
	nested := cfg.Main.Sections[3].Nested[0]
	if nested.Kind != config.SectionFiles || nested.Path != "*.wsgi" || nested.Conf.Handler.Value != "wsgi-script" {
		t.Errorf("nested Files: %+v", nested)
	}
	if len(cfg.Main.Defaults.Env) != 0 || cfg.Main.Defaults.ProcessGroup != nil || len(cfg.Main.FileAliases) != 0 {
		t.Errorf("settings inside <If>/<Else>/<Proxy> leaked: %+v", cfg.Main.Defaults)
	}
	var ignored []string
	for _, w := range cfg.Warnings {
		if w.Kind == "ignored" {
			ignored = append(ignored, w.Msg)
		}
	}
	wantIgnored := []string{
		"<If> is ignored: appserver does not evaluate request-time expressions, so the directives inside it never apply",
		"<Else> is ignored: appserver does not evaluate request-time expressions, so the directives inside it never apply",
		"<Proxy> is ignored: appserver does not evaluate <Proxy> sections (this one grants access only, which proxied requests have anyway)",
	}
	if !reflect.DeepEqual(ignored, wantIgnored) {
		t.Errorf("ignored warnings:\n got %q\nwant %q", ignored, wantIgnored)
	}
}

func TestDirectiveIgnored(t *testing.T) {
	conf := `ServerSignature On
CacheEnable disk /
<Location /x>
Order deny,allow
GssapiCredStore keytab:/etc/x.keytab
MellonEnable auth
</Location>
MaxClients 10
`
	cfg, errs := loadTestConf(t, conf, Options{})
	if errs != nil {
		t.Fatal(errs)
	}
	want := []string{
		"1:1: [ignored] ServerSignature is ignored: error pages carry no server signature",
		"2:1: [ignored] CacheEnable is ignored: responses are not cached",
		"5:1: [ignored] GssapiCredStore is ignored: GSSAPI (Kerberos) authentication does not happen, so no REMOTE_USER reaches the application",
		"6:1: [ignored] MellonEnable is ignored: SAML authentication does not happen, so no REMOTE_USER reaches the application",
		"8:1: [tuning] MaxClients is ignored: appserver does not use Apache's MPM settings; its own workers are the WSGI daemon groups",
	}
	if got := warnStrings(cfg.Warnings); !reflect.DeepEqual(got, want) {
		t.Errorf("warnings:\n got %q\nwant %q", got, want)
	}
	// Every ignored entry has a loss text and no name is both implemented
	// and ignored (init panics otherwise).
	for _, ig := range modules.IgnoredDirectives {
		if ig.Loss() == "" {
			t.Errorf("%s has no loss text", ig.Name)
		}
	}
}

func TestDirectiveVHostInheritance(t *testing.T) {
	conf := `ServerName main.test
Timeout 30
KeepAlive On
LimitRequestFieldSize 2048
ErrorLog "|/bin/main-err"
CustomLog "|/bin/main-access" combined
LogFormat "%h" combined
MergeSlashes Off
SSLEngine on
WSGIProcessGroup main
SetEnv ORDER main
WSGIDaemonProcess main
WSGIScriptAlias / /srv/app.wsgi
<VirtualHost *:80>
ServerName a.test
Timeout 10
CustomLog "|/bin/a-access" short
LogFormat "%a" short
SSLEngine off
SetEnv ORDER vhost
WSGIDaemonProcess a
WSGIProcessGroup a
</VirtualHost>
<VirtualHost *:81>
WSGIDaemonProcess b
WSGIApplicationGroup %{GLOBAL}
WSGIScriptAlias /b /srv/b.wsgi process-group=b
</VirtualHost>
SetEnv AFTER 1
`
	cfg, errs := loadTestConf(t, conf, Options{NoHostChecks: true})
	if errs != nil {
		t.Fatal(errs)
	}
	a, b := cfg.VHosts[0], cfg.VHosts[1]
	if *a.Timeout != 10 || *b.Timeout != 30 || !*a.KeepAlive || *b.LimitRequestFieldSize != 2048 {
		t.Errorf("server settings not inherited: a.Timeout=%d b.Timeout=%d", *a.Timeout, *b.Timeout)
	}
	if a.ErrorLog != "|/bin/main-err" || len(a.CustomLogs) != 1 || a.CustomLogs[0].Target != "|/bin/a-access" ||
		len(b.CustomLogs) != 1 || b.CustomLogs[0].Target != "|/bin/main-access" {
		t.Errorf("logs: a=%q %+v b=%+v", a.ErrorLog, a.CustomLogs, b.CustomLogs)
	}
	if a.LogFormats["combined"] != "%h" || a.LogFormats["short"] != "%a" {
		t.Errorf("log formats not merged: %q", a.LogFormats)
	}
	if a.SSLEngine || !b.SSLEngine || *b.MergeSlashes {
		t.Errorf("SSLEngine a=%v b=%v", a.SSLEngine, b.SSLEngine)
	}
	env := func(c *config.DirConf) string {
		var s []string
		for _, op := range c.Env {
			s = append(s, op.Name+"="+op.Value)
		}
		return strings.Join(s, ",")
	}
	// Main-server directives apply to vhosts wherever they are written
	// (§7.4), merged before the vhost's own.
	if got := env(a.Defaults); got != "ORDER=main,AFTER=1,ORDER=vhost" {
		t.Errorf("a env: %s", got)
	}
	if a.Defaults.ProcessGroup.Value != "a" || b.Defaults.ProcessGroup.Value != "main" || b.Defaults.ApplicationGroup.Value != "%{GLOBAL}" {
		t.Errorf("process groups: a=%v b=%v", a.Defaults.ProcessGroup, b.Defaults.ProcessGroup)
	}
	if cfg.Main.Defaults.ApplicationGroup != nil {
		t.Errorf("vhost setting leaked into main server")
	}
	specs := map[string]string{}
	for _, g := range cfg.Groups {
		specs[g.Spec.Name] = g.VHost
	}
	// A vhost without ServerName is named after the main server.
	if want := map[string]string{"main": "", "a": "a.test", "b": "main.test"}; !reflect.DeepEqual(specs, want) {
		t.Errorf("group vhosts: %q", specs)
	}
}

func TestDirectiveHostChecks(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "app.wsgi")
	if err := os.WriteFile(script, []byte("def application(e, s): pass\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing")
	conf := "User no-such-user-appserver-test\n" +
		"Group no-such-group-appserver-test\n" +
		"WSGIDaemonProcess g user=no-such-user-appserver-test group=root home=" + missing + " python-home=" + missing + "\n" +
		"WSGIScriptAlias /ok " + script + " process-group=g\n" +
		"WSGIScriptAlias /bad " + missing + ".wsgi process-group=g\n" +
		"WSGIImportScript " + missing + ".py process-group=g application-group=%{GLOBAL}\n" +
		"ErrorLog " + missing + "/error.log\n" +
		"CustomLog " + filepath.Join(dir, "access.log") + " combined\n" +
		"SSLCertificateFile " + missing + ".pem\n" +
		"Alias /static " + missing + "\n" +
		"DocumentRoot " + missing + "\n"
	lines := strings.Split(conf, "\n")
	// at is "line:col" of the first occurrence of word on a line.
	at := func(line int, word string) string {
		col := strings.Index(lines[line-1], word)
		if col < 0 {
			t.Fatalf("%q not on line %d", word, line)
		}
		return strconv.Itoa(line) + ":" + strconv.Itoa(col+1)
	}
	wantMsgs := []string{
		at(1, "no-such") + ": bad user name no-such-user-appserver-test: create the user or name an existing one",
		at(2, "no-such") + ": bad group name no-such-group-appserver-test: create the group or name an existing one",
		at(3, "user=") + ": bad user name no-such-user-appserver-test: create the user or name an existing one",
		at(3, "home=") + ": home directory " + missing + " does not exist: mod_wsgi would loop forever failing to chdir into it; create it or fix home=",
		at(3, "python-home=") + ": python-home " + missing + " is not a directory: point it at the sys.prefix of the virtualenv (the folder holding bin/python and pyvenv.cfg)",
		at(5, missing) + ": WSGI script " + missing + ".wsgi does not exist: create it or fix the WSGIScriptAlias target",
		at(6, missing) + ": WSGI import script " + missing + ".py does not exist: create it or fix the path",
		at(7, missing) + ": Cannot access directory '" + missing + "/' for main error log: create the folder or log somewhere else",
		at(9, missing) + ": SSLCertificateFile: file '" + missing + ".pem' does not exist or is empty",
		at(10, missing) + ": Alias target " + missing + " does not exist: create it or fix the path",
		at(11, missing) + ": DocumentRoot '" + missing + "' is not a directory, or is not readable: create it or point DocumentRoot at an existing directory",
	}
	_, errs := loadTestConf(t, conf, Options{})
	if got := errStrings(errs); !reflect.DeepEqual(got, wantMsgs) {
		t.Errorf("host errors:\n got %q\nwant %q", got, wantMsgs)
	}
	cfg, errs := loadTestConf(t, conf, Options{NoHostChecks: true})
	if errs != nil {
		t.Fatalf("NoHostChecks still failed: %v", errs)
	}
	var host []string
	for _, w := range cfg.Warnings {
		if w.Kind == "host" {
			host = append(host, strconv.Itoa(w.Pos.Line)+":"+strconv.Itoa(w.Pos.Column)+": "+w.Msg)
		}
	}
	if !reflect.DeepEqual(host, wantMsgs) {
		t.Errorf("host warnings:\n got %q\nwant %q", host, wantMsgs)
	}
}
