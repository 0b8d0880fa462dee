package advise

import (
	"os"
	"strings"
	"testing"

	"github.com/aymanbagabas/go-udiff"

	"github.com/appserver/appserver/internal/testutil"
	"github.com/appserver/appserver/server/load"
	"github.com/appserver/appserver/server/route"
)

// The proposal written into the user's file: golden edited files, nothing
// removed but the option values the proposal changes, and the result routes
// each URL to the chosen group.
func TestEdit(t *testing.T) {
	for _, tt := range []struct {
		name, metrics, conf string
		changed             []string // the only original lines allowed to change
		routes              map[string]string
	}{
		{"one-group", "one-group.json", "../../../testdata/demo/one-group.conf",
			[]string{"WSGIDaemonProcess main display-name=%{GROUP} processes=5 threads=5"},
			map[string]string{"/": "volume", "/publications/article/3": "volume", "/admin": "admin", "/admin/report": "admin",
				"/about": "main", "/adminx": "main", "/publications/": "main", "/index.html": "main"}},
		{"partitioned", "partitioned.json", "../../../testdata/demo/site.conf",
			[]string{"WSGIDaemonProcess main   display-name=%{GROUP} processes=1 threads=5",
				"WSGIDaemonProcess volume display-name=%{GROUP} processes=3 threads=5",
				"WSGIDaemonProcess admin  display-name=%{GROUP} processes=1 threads=3 \\",
				"    inactivity-timeout=30 maximum-requests=20"},
			map[string]string{"/": "volume", "/publications/article/3": "volume", "/admin/report": "admin", "/about": "main"}},
		{"moved", "moved.json", "testdata/moved.conf",
			[]string{"WSGIDaemonProcess main processes=5 threads=5"},
			map[string]string{"/": "volume", "/admin/report": "admin", "/about": "main", "/feed/": "main"}},
		{"flat", "flat.json", "testdata/flat.conf",
			[]string{"WSGIDaemonProcess main processes=3 threads=15"},
			map[string]string{"/": "main", "/p3/x": "main"}},
		{"vhost", "one-group.json", "testdata/vhost.conf",
			[]string{"\tWSGIDaemonProcess main processes=5 threads=5 \\"},
			map[string]string{"/": "volume", "/publications/article/3": "volume", "/admin/report": "admin", "/about": "main"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			opts := load.Options{NoHostChecks: true, LookupEnv: lookupDemo}
			p, err := Advise(Input{Status: readStatus(t, "testdata/"+tt.metrics), Config: loadConf(t, tt.conf), Host: testHost})
			if err != nil {
				t.Fatal(err)
			}
			src, err := os.ReadFile(tt.conf)
			if err != nil {
				t.Fatal(err)
			}
			out, err := Edit(tt.conf, src, p, opts)
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			testutil.Golden(t, "testdata/"+tt.name+".edited.conf", out)
			// Round trip: every original line is still there, in order,
			// but the ones the proposal changes.
			diff := udiff.Unified("a", "b", string(src), string(out))
			for _, l := range strings.Split(diff, "\n") {
				if strings.HasPrefix(l, "-") && !strings.HasPrefix(l, "---") {
					ok := false
					for _, c := range tt.changed {
						ok = ok || l[1:] == c
					}
					if !ok {
						t.Errorf("original line changed: %q", l[1:])
					}
				}
			}
			cfg, err := load.File(tt.conf, load.Options{NoHostChecks: true, LookupEnv: lookupDemo,
				ReadFile: func(string) ([]byte, error) { return out, nil }})
			if err != nil {
				t.Fatal(err)
			}
			table := route.Compile(cfg, route.Options{})
			for url, want := range tt.routes {
				r := table.Route(route.Request{Method: "GET", Target: url, Host: "www.example.com", LocalIP: "127.0.0.1", LocalPort: 8000})
				if r.ProcessGroup != want {
					t.Errorf("%s goes to %q, want %q", url, r.ProcessGroup, want)
				}
			}
		})
	}
}
