package load

import (
	"reflect"
	"testing"
)

// lintsOf loads conf and returns its "lint" warnings as "line:col: msg".
func lintsOf(t *testing.T, conf string) []string {
	t.Helper()
	cfg, errs := loadTestConf(t, conf, Options{NoHostChecks: true})
	if errs != nil {
		t.Fatalf("unexpected errors: %v", errs)
	}
	var out []string
	for _, w := range cfg.Warnings {
		if w.Kind == "lint" {
			out = append(out, w.Msg)
		}
	}
	return out
}

func TestLint(t *testing.T) {
	tests := []struct {
		name, conf string
		want       []string
	}{
		{"clean", "WSGIDaemonProcess main\nWSGIProcessGroup main\nWSGIScriptAlias / /srv/app.wsgi\n<Location /admin>\nSetEnv X 1\n</Location>\n", nil},
		{"undefined-group", "WSGIDaemonProcess admin\nWSGIProcessGroup admn\nWSGIScriptAlias / /srv/a.wsgi process-group=admin\n", []string{
			"WSGIProcessGroup admn names no WSGIDaemonProcess group: mod_wsgi answers 500 (\"No WSGI daemon process called 'admn' has been configured\"); define the group or fix the name (did you mean 'admin'?)",
		}},
		{"undefined-alias-group", "WSGIScriptAlias / /srv/a.wsgi process-group=ghost\n", []string{
			"process-group= ghost names no WSGIDaemonProcess group: mod_wsgi answers 500 (\"No WSGI daemon process called 'ghost' has been configured\"); define the group or fix the name",
		}},
		{"global-and-env-are-not-names", "WSGIProcessGroup %{GLOBAL}\n<Location /x>\nWSGIProcessGroup %{ENV:GROUP}\n</Location>\nWSGIDaemonProcess spare\n", nil},
		{"unrouted", "WSGIDaemonProcess main\nWSGIDaemonProcess spare\nWSGIProcessGroup main\n", []string{
			"WSGI daemon process group 'spare' is defined but nothing routes to it (no WSGIProcessGroup spare, process-group=spare or WSGIImportScript): its processes would sit idle; route some URLs to it or remove it",
		}},
		{"import-script-routes", "WSGIDaemonProcess svc threads=0\nWSGIImportScript /srv/svc.py process-group=svc application-group=%{GLOBAL}\n", nil},
		{"other-vhost-group", "<VirtualHost *:80>\nServerName a.test\nWSGIDaemonProcess a\nWSGIProcessGroup a\n</VirtualHost>\n<VirtualHost *:80>\nServerName b.test\nWSGIProcessGroup a\n</VirtualHost>\n", []string{
			"WSGIProcessGroup a uses a group defined in the <VirtualHost> at /cfg/test.conf:1:1 (ServerName \"a.test\") from a server named \"b.test\": mod_wsgi answers 500 (\"Daemon process called 'a' cannot be accessed by this WSGI application\"); define the group at top level or in a vhost with the same ServerName",
		}},
		{"same-name-vhosts-share", "<VirtualHost *:80>\nServerName a.test\nWSGIDaemonProcess a\nWSGIProcessGroup a\n</VirtualHost>\n<VirtualHost *:443>\nServerName a.test\nWSGIProcessGroup a\n</VirtualHost>\n", nil},
		{"dead-timers", "WSGIDaemonProcess g deadlock-timeout=0 request-timeout=60 restart-interval=3600\nWSGIProcessGroup g\n", []string{
			"request-timeout=60, restart-interval=3600 of group 'g' silently does nothing under mod_wsgi: its timers only run when deadlock-timeout or inactivity-timeout is non-zero, and this group sets deadlock-timeout=0 without inactivity-timeout; drop deadlock-timeout=0 (default 300) or set inactivity-timeout",
		}},
		{"timers-with-inactivity", "WSGIDaemonProcess g deadlock-timeout=0 inactivity-timeout=30 request-timeout=60\nWSGIProcessGroup g\n", nil},
		{"location-no-slash", "<Location admin>\nSetEnv X 1\n</Location>\n", []string{
			"<Location admin> can never match: request paths always start with '/'; write <Location /admin>",
		}},
		{"location-double-slash", "<Location /a//b>\nSetEnv X 1\n</Location>\n", []string{
			"<Location /a//b> can never match: httpd merges slashes in the request path before matching; write <Location /a/b>",
		}},
		{"location-escape", "<Location /%7Euser>\nSetEnv X 1\n</Location>\n", []string{
			"<Location /%7Euser> can never match: the request path is %-decoded before matching, so %-escapes never match; write <Location \"/~user\">",
		}},
		{"shadowed-identical", "<Location /x>\nSetEnv A 1\n</Location>\n<Location /x>\nSetEnv A 2\n</Location>\n", []string{
			"<Location /x> is fully shadowed: <Location /x> at /cfg/test.conf:4:1 comes later and sets everything it sets for every URL it matches (sections merge in file order, the later one wins); remove it or merge the two",
		}},
		{"shadowed-by-prefix", "<Location /app/admin>\nWSGIProcessGroup %{GLOBAL}\n</Location>\n<Location /app>\nWSGIProcessGroup %{GLOBAL}\nSetEnv B 1\n</Location>\n", []string{
			"<Location /app/admin> is fully shadowed: <Location /app> at /cfg/test.conf:4:1 comes later and sets everything it sets for every URL it matches (sections merge in file order, the later one wins); remove it or merge the two",
		}},
		{"refusal-never-shadowed", "<Location /x>\nSSLRequire false\n</Location>\n<Location /x>\nSSLRequire true\n</Location>\n", nil},
		{"compat-shadowed", "<Location /x>\nDeny from all\n</Location>\n<Location /x>\nOrder allow,deny\nAllow from all\n</Location>\n", []string{
			"<Location /x> is fully shadowed: <Location /x> at /cfg/test.conf:4:1 comes later and sets everything it sets for every URL it matches (sections merge in file order, the later one wins); remove it or merge the two",
		}},
		{"partly-overridden", "<Location /x>\nSetEnv A 1\nSetEnv B 1\n</Location>\n<Location /x>\nSetEnv A 2\n</Location>\n", nil},
		{"earlier-broader-is-fine", "<Location />\nSetEnv A 1\n</Location>\n<Location /x>\nSetEnv A 2\n</Location>\n", nil},
		{"not-a-prefix-boundary", "<Location /app2>\nSetEnv A 1\n</Location>\n<Location /app>\nSetEnv A 2\n</Location>\n", nil},
		{"other-vhost-does-not-shadow", "<Location /x>\nSetEnv A 1\n</Location>\n<VirtualHost *:80>\n<Location /x>\nSetEnv A 2\n</Location>\n</VirtualHost>\n", nil},
		{"trailing-slash-file", "WSGIScriptAlias /app/ load_test.go\n", []string{
			"WSGIScriptAlias /app/ ends in '/' but load_test.go is a file: /app itself gets 404 and /app/x looks for the file load_test.gox; write WSGIScriptAlias /app load_test.go",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := lintsOf(t, tc.conf); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("lint:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}
