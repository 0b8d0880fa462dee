package cmd_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestMonitorDemo (issue 10): on the demo site, requests are counted per
// group, per application name (each of newrelic.app_name's ';' names) and
// per route, and the status page shows every group with its processes.
func TestMonitorDemo(t *testing.T) {
	bin := serveBinary(t)
	srv, _ := serveStartDemo(t, bin, "appserver-e2e-monitor-")
	base := "http://127.0.0.1:" + strconv.Itoa(srv.Port)
	sends := map[string]int{"/": 5, "/publications/article/7": 3, "/admin/": 3, "/about": 2, "/admin/missing-page-is-still-200": 1,
		"/admin/report": 1}
	for path, n := range sends {
		for range n {
			if resp, body := serveGet(t, base+path); resp.StatusCode != 200 {
				t.Fatalf("%s: %d %s", path, resp.StatusCode, body)
			}
		}
	}
	resp, metrics := serveGet(t, base+"/server-metrics")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("/server-metrics: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	value := func(series string) float64 {
		m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindSubmatch(metrics)
		if m == nil {
			return -1
		}
		v, _ := strconv.ParseFloat(string(m[1]), 64)
		return v
	}
	for series, want := range map[string]float64{
		`appserver_requests_total{class="2xx",group="volume"}`:                                      8,
		`appserver_requests_total{class="2xx",group="admin"}`:                                       5,
		`appserver_requests_total{class="2xx",group="main"}`:                                        2,
		`appserver_app_requests_total{app="My Site",class="2xx"}`:                                   15,
		`appserver_app_requests_total{app="My Site (volume)",class="2xx"}`:                          8,
		`appserver_app_requests_total{app="My Site (admin)",class="2xx"}`:                           5,
		`appserver_route_requests_total{class="2xx",group="volume",route="~ ^/$"}`:                  5,
		`appserver_route_requests_total{class="2xx",group="volume",route="/publications/article/"}`: 3,
		`appserver_route_requests_total{class="2xx",group="admin",route="/admin"}`:                  5,
		`appserver_route_requests_total{class="2xx",group="main",route="/"}`:                        2,
		`appserver_request_duration_seconds_count{group="volume"}`:                                  8,
		`appserver_group_threads{group="volume"}`:                                                   15,
	} {
		if got := value(series); got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
	if rss := value(`appserver_group_resident_memory_bytes{group="admin"}`); rss < 1<<20 {
		t.Errorf("admin RSS %v bytes, want the worker's resident memory", rss)
	}
	// The seed's question: which route grew memory? The admin report
	// builds about 200 MB of Python objects; the other pages almost none.
	if g := value(`appserver_route_memory_growth_bytes_total{group="admin",route="/admin"}`); g < 120<<20 || g > 400<<20 {
		t.Errorf("/admin grew the admin worker's peak RSS by %.0f MB, want about 200", g/(1<<20))
	}
	for _, other := range []string{`{group="volume",route="~ ^/$"}`, `{group="main",route="/"}`} {
		if g := value(`appserver_route_memory_growth_bytes_total` + other); g > 16<<20 {
			t.Errorf("%s grew peak RSS by %.0f MB, want little", other, g/(1<<20))
		}
	}
	if n := value(`appserver_request_app_seconds_count{group="admin"}`); n != 5 {
		t.Errorf("admin app-time observations %v, want 5", n)
	}

	_, body := serveGet(t, base+"/server-status?json")
	var st struct {
		Groups []struct {
			Name      string `json:"name"`
			Requests  int    `json:"requests"`
			Threads   int    `json:"threads"`
			Processes []struct {
				PID      int   `json:"pid"`
				RSSBytes int64 `json:"rss_bytes"`
			} `json:"processes"`
		} `json:"groups"`
	}
	if err := json.Unmarshal(body, &st); err != nil {
		t.Fatalf("?json: %v\n%s", err, body)
	}
	got := map[string]string{}
	for _, g := range st.Groups {
		rss := true
		for _, p := range g.Processes {
			rss = rss && p.RSSBytes > 0
		}
		got[g.Name] = fmt.Sprintf("%d requests, %d processes, %d threads, rss %v", g.Requests, len(g.Processes), g.Threads, rss)
	}
	want := map[string]string{
		"main":   "2 requests, 1 processes, 5 threads, rss true",
		"volume": "8 requests, 3 processes, 15 threads, rss true",
		"admin":  "5 requests, 1 processes, 3 threads, rss true",
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("status of %s: %q, want %q", name, got[name], w)
		}
	}
	_, page := serveGet(t, base+"/server-status")
	for _, s := range []string{"<h2 id=\"group-admin\">", "/publications/article/", "My Site (volume)", "<svg",
		"<li><b>/admin</b> raised admin's peak memory by"} {
		if !strings.Contains(string(page), s) {
			t.Errorf("status page lacks %q", s)
		}
	}
	// A profile started from the page: a flame graph of the group.
	if resp, svg := serveGet(t, base+"/server-status?profile=volume&seconds=1"); resp.StatusCode != 200 ||
		resp.Header.Get("Content-Type") != "image/svg+xml" || !strings.Contains(string(svg), "<svg") {
		t.Errorf("?profile=volume: %d %s %.200s", resp.StatusCode, resp.Header.Get("Content-Type"), svg)
	}
	if resp, _ := serveGet(t, base+"/server-status?profile=nosuch"); resp.StatusCode != 404 {
		t.Errorf("?profile=nosuch: %d, want 404", resp.StatusCode)
	}
	_, auto := serveGet(t, base+"/server-status?auto")
	if !strings.Contains(string(auto), "Group-volume-Requests: 8\n") {
		t.Errorf("?auto:\n%s", auto)
	}
}

// TestStatusPageChromium (issue 10 item 5): the status page renders in a
// real browser, offline (it loads nothing but itself): headless Chromium
// dumps the DOM it built and takes a screenshot.
func TestStatusPageChromium(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed (.ci/install-deps installs it)")
	}
	bin := serveBinary(t)
	srv, dir := serveStartDemo(t, bin, "appserver-e2e-chromium-")
	base := "http://127.0.0.1:" + strconv.Itoa(srv.Port)
	for _, path := range []string{"/", "/publications/article/1", "/admin/", "/about"} {
		serveGet(t, base+path)
	}
	browse := func(args ...string) []byte {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		args = append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
			"--user-data-dir=" + filepath.Join(dir, "chromium")}, args...)
		cmd := exec.CommandContext(ctx, chromium, append(args, base+"/server-status")...)
		cmd.Env = append(os.Environ(), "HOME="+dir)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("chromium %v: %v", args, err)
		}
		return out
	}
	dom := string(browse("--dump-dom"))
	for _, want := range []string{`<h2 id="group-volume">`, `<h2 id="group-admin">`, "<polyline", "My Site (volume)", "/publications/article/"} {
		if !strings.Contains(dom, want) {
			t.Errorf("the DOM Chromium built lacks %q", want)
		}
	}
	shot := filepath.Join(dir, "status.png")
	browse("--window-size=1280,1200", "--screenshot="+shot)
	png, err := os.ReadFile(shot)
	if err != nil || len(png) < 10000 || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Errorf("screenshot: %d bytes, %v", len(png), err)
	}
}
