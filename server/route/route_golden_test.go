package route

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/appserver/appserver/internal/testutil"
	"github.com/appserver/appserver/server/config"
	"github.com/appserver/appserver/server/load"
)

// TestRouteGolden loads each testdata/route/NAME.conf with Load, routes
// every line of NAME.urls and compares the decisions with NAME.golden.
// Rewrite the goldens with: go test ./server/route -run TestRouteGolden -update
//
// A .urls line is a request target, optionally prefixed by "Host:NAME"
// ("Host:-" for none; default: the ServerName) and "IP:ADDR" (the local
// address; default 127.0.0.1). The config's "# file: PATH" comments list the
// files that exist (nothing else does), so results do not depend on the host.
func TestRouteGolden(t *testing.T) {
	confs, err := filepath.Glob("testdata/route/*.conf")
	if err != nil || len(confs) == 0 {
		t.Fatalf("no cases: %v", err)
	}
	for _, conf := range confs {
		name := strings.TrimSuffix(filepath.Base(conf), ".conf")
		t.Run(name, func(t *testing.T) {
			cfg, err := load.File(conf, load.Options{NoHostChecks: true, LookupEnv: func(string) (string, bool) { return "", false }})
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			src, err := os.ReadFile(conf)
			if err != nil {
				t.Fatal(err)
			}
			var files []string
			for _, line := range strings.Split(string(src), "\n") {
				if f, ok := strings.CutPrefix(line, "# file: "); ok {
					files = append(files, strings.TrimSpace(f))
				}
			}
			table := Compile(cfg, Options{Stat: newFakeFS(files...).stat})
			urls, err := os.ReadFile(strings.TrimSuffix(conf, ".conf") + ".urls")
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for _, line := range strings.Split(string(urls), "\n") {
				if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
					continue
				}
				req := goldenRequest(cfg, line)
				fmt.Fprintf(&b, "%s\n%s\n", line, formatRoute(table.Route(req)))
			}
			testutil.Golden(t, strings.TrimSuffix(conf, ".conf")+".golden", []byte(b.String()))
		})
	}
}

// goldenRequest parses a .urls line.
func goldenRequest(cfg *config.Config, line string) Request {
	req := Request{Method: "GET", LocalIP: "127.0.0.1", LocalPort: 80, Host: cfg.Main.Name}
	if len(cfg.Listen) > 0 {
		req.LocalPort = cfg.Listen[0].Port
	}
	for {
		field, rest, _ := strings.Cut(line, " ")
		switch {
		case strings.HasPrefix(field, "Host:"):
			req.Host = strings.TrimPrefix(field, "Host:")
			if req.Host == "-" {
				req.Host = ""
			}
		case strings.HasPrefix(field, "IP:"):
			req.LocalIP = strings.TrimPrefix(field, "IP:")
		default:
			req.Target = line
			return req
		}
		line = rest
	}
}

// formatRoute prints the fields of a Route that a review cares about.
func formatRoute(r *Route) string {
	vh := "main"
	if r.VHost != nil && !r.VHost.IsMain {
		vh = r.VHost.Name
		if vh == "" && len(r.VHost.Addrs) > 0 {
			vh = r.VHost.Addrs[0].Text
		}
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "  %d %s vhost=%s uri=%q", r.Status, r.Handler, vh, r.URI)
	if r.Query != "" {
		fmt.Fprintf(&sb, " query=%q", r.Query)
	}
	if r.Reason != "" {
		fmt.Fprintf(&sb, "\n  reason: %s", r.Reason)
	}
	if r.Handler == "wsgi" && r.Script != "" {
		fmt.Fprintf(&sb, "\n  group=%q app=%q script=%s SCRIPT_NAME=%q PATH_INFO=%q",
			r.ProcessGroup, r.ApplicationGroup, r.Script, r.ScriptName, r.PathInfo)
	}
	if r.File != "" {
		fmt.Fprintf(&sb, "\n  file=%s", r.File)
	}
	if len(r.Env) > 0 {
		keys := make([]string, 0, len(r.Env))
		for k := range r.Env {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		sb.WriteString("\n  env:")
		for _, k := range keys {
			fmt.Fprintf(&sb, " %s=%s", k, strconv.Quote(r.Env[k]))
		}
	}
	return sb.String()
}
