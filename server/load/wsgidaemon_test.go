package load

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/appserver/appserver/daemon"
	"github.com/appserver/appserver/server/config"
)

// loadGroup loads conf and returns the group named name.
func loadGroup(t *testing.T, conf, name string) (*config.Config, *daemon.Spec) {
	t.Helper()
	cfg, errs := loadTestConf(t, conf, Options{NoHostChecks: true})
	if errs != nil {
		t.Fatalf("unexpected errors: %v", errs)
	}
	for _, g := range cfg.Groups {
		if g.Spec.Name == name {
			return cfg, g.Spec
		}
	}
	t.Fatalf("no group %q", name)
	return nil, nil
}

func TestWSGIDaemonDefaults(t *testing.T) {
	_, got := loadGroup(t, "WSGIDaemonProcess g\nWSGIProcessGroup g\n", "g")
	want := &daemon.Spec{
		Name:            "g",
		Source:          testConfPath + ":1:1",
		Processes:       1,
		Threads:         15,
		Umask:           -1,
		ShutdownTimeout: 5 * time.Second,
		DeadlockTimeout: 300 * time.Second,
		GracefulTimeout: 15 * time.Second,
		ConnectTimeout:  15 * time.Second,
		SocketTimeout:   60 * time.Second, // httpd's Timeout default
		ListenBacklog:   100,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("defaults:\n got %+v\nwant %+v", got, want)
	}
}

func TestWSGIDaemonOptions(t *testing.T) {
	tests := []struct {
		opts  string
		check func(s *daemon.Spec) bool
	}{
		{"processes=1", func(s *daemon.Spec) bool { return s.Processes == 1 && s.ProcessesSet }},
		{"processes=4x", func(s *daemon.Spec) bool { return s.Processes == 4 }},
		{"threads=0", func(s *daemon.Spec) bool { return s.Threads == 0 }},
		{"threads=abc", func(s *daemon.Spec) bool { return s.Threads == 0 }},
		{"display-name=%{GROUP}", func(s *daemon.Spec) bool { return s.DisplayName == "%{GROUP}" }},
		{`display-name="my app"`, func(s *daemon.Spec) bool { return s.DisplayName == "my app" }},
		{`display-name='it\'s'`, func(s *daemon.Spec) bool { return s.DisplayName == "it's" }},
		{"home=/", func(s *daemon.Spec) bool { return s.Home == "/" }},
		{"user=www-data group=www-data", func(s *daemon.Spec) bool { return s.User == "www-data" && s.Group == "www-data" }},
		{"supplementary-groups=a,b,,c", func(s *daemon.Spec) bool { return reflect.DeepEqual(s.SupplementaryGroups, []string{"a", "b"}) }},
		{"umask=0007", func(s *daemon.Spec) bool { return s.Umask == 7 }},
		{"umask=022", func(s *daemon.Spec) bool { return s.Umask == 0o22 }},
		{"lang=en_US.UTF-8 locale=C.UTF-8", func(s *daemon.Spec) bool { return s.Lang == "en_US.UTF-8" && s.Locale == "C.UTF-8" }},
		{"python-home=/venv python-path=/a:/b::/c python-eggs=/eggs", func(s *daemon.Spec) bool {
			return s.PythonHome == "/venv" && reflect.DeepEqual(s.PythonPath, []string{"/a", "/b", "/c"}) && s.PythonEggs == "/eggs"
		}},
		{"stack-size=524288", func(s *daemon.Spec) bool { return s.StackSize == 524288 }},
		{"maximum-requests=20", func(s *daemon.Spec) bool { return s.MaximumRequests == 20 }},
		{"startup-timeout=15 shutdown-timeout=0 deadlock-timeout=60 inactivity-timeout=30", func(s *daemon.Spec) bool {
			return s.StartupTimeout == 15*time.Second && s.ShutdownTimeout == 0 && s.DeadlockTimeout == time.Minute && s.InactivityTimeout == 30*time.Second
		}},
		{"request-timeout=60 graceful-timeout=5 eviction-timeout=3 restart-interval=3600", func(s *daemon.Spec) bool {
			return s.RequestTimeout == time.Minute && s.GracefulTimeout == 5*time.Second && s.EvictionTimeout == 3*time.Second && s.RestartInterval == time.Hour
		}},
		{"connect-timeout=2 socket-timeout=60 queue-timeout=45 response-socket-timeout=10", func(s *daemon.Spec) bool {
			return s.ConnectTimeout == 2*time.Second && s.SocketTimeout == time.Minute && s.QueueTimeout == 45*time.Second && s.ResponseSocketTimeout == 10*time.Second
		}},
		{"listen-backlog=500", func(s *daemon.Spec) bool { return s.ListenBacklog == 500 }},
		{"send-buffer-size=512 receive-buffer-size=1024 header-buffer-size=8192 response-buffer-size=65536", func(s *daemon.Spec) bool {
			return s.SendBufferSize == 512 && s.ReceiveBufferSize == 1024 && s.HeaderBufferSize == 8192
		}},
		{"script-user=root", func(s *daemon.Spec) bool { return s.ScriptUser == "root" }},
		{"script-group=root", func(s *daemon.Spec) bool { return s.ScriptGroup == "root" }},
		{"cpu-time-limit=30 cpu-priority=-5", func(s *daemon.Spec) bool { return s.CPUTimeLimit == 30*time.Second && s.CPUPriority == -5 }},
		{"memory-limit=1G virtual-memory-limit=2147483648", func(s *daemon.Spec) bool { return s.MemoryLimit == 1 && s.VirtualMemoryLimit == 2147483648 }},
		// mod_wsgi reads the value with ap_getword_conf, which skips blanks.
		{"lang= fr_FR threads=2", func(s *daemon.Spec) bool { return s.Lang == "fr_FR" && s.Threads == 2 }},
	}
	for _, tc := range tests {
		t.Run(tc.opts, func(t *testing.T) {
			_, s := loadGroup(t, "WSGIDaemonProcess g "+tc.opts+"\nWSGIProcessGroup g\n", "g")
			if !tc.check(s) {
				t.Errorf("spec after %q: %+v", tc.opts, s)
			}
		})
	}
}

// The options daemon has no use for land in the config's Group.
func TestWSGIDaemonGroupOptions(t *testing.T) {
	cfg, errs := loadTestConf(t, "WSGIDaemonProcess g response-buffer-size=65536 socket-user=www-data server-metrics=ON "+
		"newrelic-config-file=/etc/nr.ini newrelic-environment=prod\nWSGIProcessGroup g\n", Options{NoHostChecks: true})
	if errs != nil || len(cfg.Groups) != 1 {
		t.Fatalf("load: %v", errs)
	}
	g := cfg.Groups[0]
	if g.ResponseBufferSize != 65536 || g.SocketUser != "www-data" || !g.ServerMetrics ||
		g.NewRelicConfigFile != "/etc/nr.ini" || g.NewRelicEnvironment != "prod" {
		t.Errorf("group: %+v", g)
	}
}

func TestWSGIDaemonLenientValues(t *testing.T) {
	conf := "WSGIDaemonProcess g threads=abc memory-limit=1G graceful-timeout=5s request-timeout=x maximum-requests=10k virtual-memory-limit=512M\n" +
		"WSGIProcessGroup g\n"
	cfg, _ := loadGroup(t, conf, "g")
	want := []string{
		"1:21: [lint] threads=abc is read as threads=0 by mod_wsgi (atoi), which is service mode: no requests are served, only WSGIImportScript runs; write a number of threads",
		"1:33: [lint] memory-limit=1G means 1 byte: mod_wsgi reads only the leading digits and the value is in bytes; write memory-limit=1073741824 for 1G",
		"1:49: [lint] graceful-timeout=5s is read as graceful-timeout=5 by mod_wsgi (atoi reads only the leading digits, in seconds); write graceful-timeout=5",
		"1:69: [lint] request-timeout=x is read as request-timeout=0 by mod_wsgi (atoi), which turns it off; write a whole number of seconds",
		"1:87: [lint] maximum-requests=10k is read as maximum-requests=10 by mod_wsgi (atoi reads only the leading digits); write maximum-requests=10",
		"1:108: [lint] virtual-memory-limit=512M means 512 bytes: mod_wsgi reads only the leading digits and the value is in bytes; write virtual-memory-limit=536870912 for 512M",
	}
	if got := warnStrings(cfg.Warnings); !reflect.DeepEqual(got, want) {
		t.Errorf("warnings:\n got %q\nwant %q", got, want)
	}
}

func TestWSGIDaemonPreload(t *testing.T) {
	conf := `WSGIDaemonProcess a
WSGIDaemonProcess b threads=0
WSGIScriptAlias /a /srv/a.wsgi process-group=a application-group=%{GLOBAL}
WSGIScriptAlias /a2 /srv/a2.wsgi process-group=a application-group=x callable-object=app
WSGIScriptAlias /lazy /srv/lazy.wsgi process-group=a
WSGIScriptAlias /dyn /srv/dyn.wsgi process-group=a application-group=%{SERVER}
WSGIScriptAliasMatch ^/m/([^/]+) /srv/$1.wsgi process-group=a application-group=%{GLOBAL}
WSGIScriptAliasMatch ^/n /srv/n.wsgi process-group=a application-group=%{GLOBAL}
WSGIImportScript /srv/service.py process-group=b application-group=%{GLOBAL}
WSGIImportScript /srv/embedded.py process-group=%{GLOBAL} application-group=%{GLOBAL}
`
	cfg, a := loadGroup(t, conf, "a")
	want := []daemon.Preload{
		{Script: "/srv/a.wsgi", ApplicationGroup: "", CallableObject: "application"},
		{Script: "/srv/a2.wsgi", ApplicationGroup: "x", CallableObject: "app"},
		{Script: "/srv/n.wsgi", ApplicationGroup: "", CallableObject: "application"},
	}
	if !reflect.DeepEqual(a.Preload, want) {
		t.Errorf("group a preload:\n got %+v\nwant %+v", a.Preload, want)
	}
	b := cfg.Groups[1].Spec
	if want := []daemon.Preload{{Script: "/srv/service.py"}}; !reflect.DeepEqual(b.Preload, want) {
		t.Errorf("group b preload: %+v", b.Preload)
	}
	if len(cfg.ImportScripts) != 2 || cfg.ImportScripts[1].ProcessGroup != "" || cfg.ImportScripts[0].ProcessGroup != "b" {
		t.Errorf("ImportScripts: %+v", cfg.ImportScripts)
	}
	sa := cfg.Main.ScriptAliases
	if len(sa) != 6 || *sa[0].ProcessGroup != "a" || *sa[0].ApplicationGroup != "" || sa[2].ApplicationGroup != nil || sa[4].Regex == nil {
		t.Errorf("script aliases: %+v", sa)
	}
}

func TestAppserverGroup(t *testing.T) {
	_, s := loadGroup(t, `WSGIDaemonProcess g processes=4 maximum-requests=1000
<IfModule appserver_module>
AppserverGroup g maximum-rss=512M maximum-requests-jitter=100 min-processes=1 idle-timeout=300 allow-root=On
</IfModule>
WSGIProcessGroup g
`, "g")
	if s.MaximumRSS != 512<<20 || s.MaximumRequestsJitter != 100 || s.MinProcesses != 1 || s.IdleTimeout != 5*time.Minute || !s.AllowRoot {
		t.Errorf("appserver settings: %+v", s)
	}
	errTests := []struct{ conf, want string }{
		{"AppserverGroup nope maximum-rss=1G\n", "1:16: AppserverGroup nope: no WSGIDaemonProcess named 'nope' comes before this line; define the group first"},
		{"AppserverGroup\n", "1:1: AppserverGroup needs the name of a WSGIDaemonProcess group: write AppserverGroup NAME option=value ..."},
		{"WSGIDaemonProcess g\nAppserverGroup g maximum-rss=lots\n", "2:18: Invalid maximum-rss \"lots\" for AppserverGroup: write bytes, optionally with a K, M or G suffix (maximum-rss=512M)"},
		{"WSGIDaemonProcess g processes=2\nAppserverGroup g min-processes=3\n", "2:18: min-processes=3 is more than processes=2 of group 'g': lower it or raise processes= on the WSGIDaemonProcess"},
		{"WSGIDaemonProcess g\nAppserverGroup g idle-timeout=-1\n", "2:18: Invalid idle-timeout \"-1\" for AppserverGroup: write a whole number of seconds, 0 or more"},
		{"WSGIDaemonProcess g\nAppserverGroup g maximum-requests-jiter=5\n", "2:18: Invalid option to AppserverGroup. (unknown option 'maximum-requests-jiter', did you mean 'maximum-requests-jitter'?)"},
		{"<Location />\nAppserverGroup g\n</Location>\n", "2:1: AppserverGroup not allowed in <Location> context"},
		{"WSGIDaemonProcess g\nAppserverGroup g allow-root=yes\n", "2:18: Invalid allow-root \"yes\" for AppserverGroup: write On or Off"},
	}
	for _, tc := range errTests {
		_, errs := loadTestConf(t, tc.conf, Options{NoHostChecks: true})
		if got := errStrings(errs); len(got) == 0 || got[0] != tc.want {
			t.Errorf("%q: got %q, want %q", tc.conf, got, tc.want)
		}
	}
	cfg, _ := loadTestConf(t, "WSGIDaemonProcess g processes=3\nAppserverGroup g min-processes=1\nWSGIProcessGroup g\n", Options{})
	if w := warnStrings(cfg.Warnings); len(w) != 1 || !strings.Contains(w[0], "min-processes=1 has no effect without idle-timeout") {
		t.Errorf("min-processes without idle-timeout: %q", w)
	}
}

func TestWSGIRawPositions(t *testing.T) {
	// Option errors point at the option even on a continuation line.
	_, errs := loadTestConf(t, "WSGIDaemonProcess g threads=2 \\\n   display-name=x    bogus=1\n", Options{})
	if got := errStrings(errs); len(got) != 1 || !strings.HasPrefix(got[0], "2:22: Invalid option to WSGI daemon process definition.") {
		t.Errorf("got %q", got)
	}
}

func TestWSGIDaemonSocketTimeoutFollowsTimeout(t *testing.T) {
	_, got := loadGroup(t, "WSGIDaemonProcess g\nWSGIProcessGroup g\nTimeout 300\n", "g")
	if got.SocketTimeout != 300*time.Second {
		t.Errorf("socket-timeout %v, want the server's Timeout (300s)", got.SocketTimeout)
	}
	_, got = loadGroup(t, "WSGIDaemonProcess g socket-timeout=7\nWSGIProcessGroup g\nTimeout 300\n", "g")
	if got.SocketTimeout != 7*time.Second {
		t.Errorf("socket-timeout %v, want the explicit 7s", got.SocketTimeout)
	}
}

func TestAppserverControlSocket(t *testing.T) {
	cfg, errs := loadTestConf(t, "ServerRoot /srv/site\n<IfModule appserver_module>\nAppserverControlSocket run/ctl.sock\n</IfModule>\n", Options{NoHostChecks: true})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if cfg.ControlSocket != "/srv/site/run/ctl.sock" {
		t.Errorf("ControlSocket = %q, want it relative to ServerRoot", cfg.ControlSocket)
	}
	for _, tc := range []struct{ conf, want string }{
		{"<VirtualHost *:80>\nAppserverControlSocket /x.sock\n</VirtualHost>\n", "2:1: AppserverControlSocket cannot occur within <VirtualHost> section"},
		{"AppserverControlSocket\n", "1:1: AppserverControlSocket takes one argument, Path of the unix socket appserver status and profile connect to."},
	} {
		_, errs := loadTestConf(t, tc.conf, Options{NoHostChecks: true})
		if got := errStrings(errs); len(got) == 0 || got[0] != tc.want {
			t.Errorf("%q: got %q, want %q", tc.conf, got, tc.want)
		}
	}
}

func TestAppserverMonitor(t *testing.T) {
	for _, tc := range []struct {
		conf    string
		off     bool
		wantErr string
	}{
		{"", false, ""},
		{"AppserverMonitor Off\n", true, ""},
		{"AppserverMonitor off\nAppserverMonitor On\n", false, ""},
		{"AppserverMonitor maybe\n", false, "1:1: AppserverMonitor must be On or Off"},
		{"<VirtualHost *:80>\nAppserverMonitor Off\n</VirtualHost>\n", false, "2:1: AppserverMonitor cannot occur within <VirtualHost> section"},
	} {
		cfg, errs := loadTestConf(t, tc.conf, Options{NoHostChecks: true})
		if tc.wantErr != "" {
			if got := errStrings(errs); len(got) == 0 || got[0] != tc.wantErr {
				t.Errorf("%q: got %q, want %q", tc.conf, got, tc.wantErr)
			}
			continue
		}
		if len(errs) > 0 || cfg.MonitorOff != tc.off {
			t.Errorf("%q: MonitorOff = %v (errors %v), want %v", tc.conf, cfg.MonitorOff, errs, tc.off)
		}
	}
}
