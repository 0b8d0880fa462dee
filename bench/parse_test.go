package main

import (
	"math"
	"strings"
	"testing"
)

const wrkPlain = `Running 8s test @ http://127.0.0.1:28290/hello
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.40ms    0.95ms  11.22ms   71.89%
    Req/Sec    11.96k   795.20    13.88k    63.33%
  Latency Distribution
     50%    1.21ms
     75%    1.80ms
     90%    2.51ms
     99%    4.75ms
  191415 requests in 8.00s, 20.76MB read
Requests/sec:  23926.51
Transfer/sec:      2.59MB
`

const wrkErrors = `Running 8s test @ http://127.0.0.1:28290/sleep
  2 threads and 256 connections
  Latency Distribution
     50%    1.55s 
     75%    1.60s 
     90%    1.62s 
     99%  850.00us
  1263 requests in 8.10s, 150.13KB read
  Socket errors: connect 3, read 1263, write 2, timeout 17
  Non-2xx or 3xx responses: 5
Requests/sec:    155.93
Transfer/sec:     18.53KB
`

func TestParseWrk(t *testing.T) {
	tests := []struct {
		name, out string
		want      wrkResult
		wantErr   string
	}{
		{name: "plain", out: wrkPlain, want: wrkResult{Requests: 191415, Seconds: 8, ReqPerSec: 23926.51, P50Ms: 1.21, P99Ms: 4.75}},
		{name: "errors and units", out: wrkErrors, want: wrkResult{Requests: 1263, Seconds: 8.1, ReqPerSec: 155.93, P50Ms: 1550, P99Ms: 0.85,
			Non2xx: 5, Connect: 3, Read: 1263, Write: 2, Timeout: 17}},
		{name: "minutes", out: strings.Replace(wrkPlain, "4.75ms", "1.50m", 1), want: wrkResult{Requests: 191415, Seconds: 8, ReqPerSec: 23926.51, P50Ms: 1.21, P99Ms: 90000}},
		{name: "no requests finished", out: "  0 requests in 3.00s, 0.00B read\n  Socket errors: connect 32, read 0, write 0, timeout 0\nRequests/sec:      0.00\n",
			want: wrkResult{Requests: 0, Seconds: 3, Connect: 32}},
		{name: "without --latency", out: strings.Replace(wrkPlain, "     99%    4.75ms\n", "", 1), wantErr: "no 99% latency"},
		{name: "not wrk", out: "wrk: invalid option", wantErr: "no \"N requests in T\" line"},
		{name: "no rate", out: "  10 requests in 1.00s, 1KB read\n", wantErr: "Requests/sec"},
		{name: "bad unit", out: strings.Replace(wrkPlain, "1.21ms", "1.21xs", 1), wantErr: `bad duration "1.21xs"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseWrk(tc.out)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestWrkArgs(t *testing.T) {
	got := strings.Join(wrkArgs(256, 8, "/b/upload.lua", "http://127.0.0.1:1/upload"), " ")
	want := "-t2 -c256 -d8s --latency --timeout 10s -s /b/upload.lua http://127.0.0.1:1/upload"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestParseStat(t *testing.T) {
	// Field layout of proc(5): pid (comm) state ppid ... utime(14) stime
	// cutime cstime ... starttime(22).
	line := func(comm string) string {
		return "4242 (" + comm + ") S 17 4242 4242 0 -1 4194560 500 0 0 0 150 50 7 3 20 0 9 0 123456 1000000 300 18446744073709551615\n"
	}
	tests := []struct {
		name, in string
		want     procInfo
		wantErr  bool
	}{
		{name: "plain", in: line("apache2"), want: procInfo{PID: 4242, PPID: 17, Comm: "apache2", Start: 123456, CPUTicks: 200}},
		{name: "comm with spaces and parens", in: line("(wsgi:b) x"), want: procInfo{PID: 4242, PPID: 17, Comm: "(wsgi:b) x", Start: 123456, CPUTicks: 200}},
		{name: "truncated", in: "4242 (x) S 17 4242", wantErr: true},
		{name: "no comm", in: "4242 x S 17", wantErr: true},
		{name: "bad pid", in: strings.Replace(line("x"), "4242 (", "zz (", 1), wantErr: true},
		{name: "bad cpu", in: strings.Replace(line("x"), " 150 50 ", " 150 fifty ", 1), wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseStat([]byte(tc.in))
			if tc.wantErr {
				if err == nil {
					t.Fatalf("no error; got %+v", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestParseRollup(t *testing.T) {
	in := "55d0c0000000-7ffd1b5fe000 ---p 00000000 00:00 0                          [rollup]\nRss:               12168 kB\nPss:                5123 kB\nPss_Dirty:          4000 kB\n"
	rss, pss, err := parseRollup(strings.NewReader(in))
	if err != nil || rss != 12168 || pss != 5123 {
		t.Errorf("got %d %d %v, want 12168 5123 <nil>", rss, pss, err)
	}
	if _, _, err := parseRollup(strings.NewReader("Rss: 1 kB\n")); err == nil {
		t.Error("missing Pss: no error")
	}
	if _, _, err := parseRollup(strings.NewReader("Rss: x kB\nPss: 1 kB\n")); err == nil {
		t.Error("bad number: no error")
	}
}

func TestParseHostBusy(t *testing.T) {
	// user nice system idle iowait irq softirq steal guest guest_nice
	got, err := parseHostBusy([]byte("cpu  1000 10 500 9000 300 20 30 40 600 5\ncpu0 1 2 3 4 5 6 7 8 9 10\n"))
	if err != nil {
		t.Fatal(err)
	}
	if want := (1000 + 10 + 500 + 20 + 30 + 40) / 100.0; got != want {
		t.Errorf("got %v, want %v (guest time is already in user)", got, want)
	}
	if _, err := parseHostBusy([]byte("intr 1 2 3\n")); err == nil {
		t.Error("no cpu line: no error")
	}
}

func TestTreeAndCPUDelta(t *testing.T) {
	all := map[int]procInfo{
		1:  {PID: 1, PPID: 0, Comm: "init"},
		10: {PID: 10, PPID: 1, Comm: "apache2", Start: 100, CPUTicks: 50},
		12: {PID: 12, PPID: 10, Comm: "apache2", Start: 101, CPUTicks: 400},
		11: {PID: 11, PPID: 10, Comm: "apache2", Start: 101, Cmd: "(wsgi:bench)", CPUTicks: 300},
		13: {PID: 13, PPID: 12, Comm: "sh", Start: 102, CPUTicks: 5},
		20: {PID: 20, PPID: 1, Comm: "other", Start: 5, CPUTicks: 9999},
	}
	tr := tree(all, 10)
	var pids []int
	for _, p := range tr {
		pids = append(pids, p.PID)
	}
	if want := []int{10, 11, 12, 13}; !equalInts(pids, want) {
		t.Fatalf("tree = %v, want %v", pids, want)
	}
	if tree(all, 99) != nil {
		t.Error("tree of a missing root is not empty")
	}
	role := func(p procInfo) string { return kindByName("apache").role(10, p) }
	cpu := newCPUTracker(tr)
	cpu.see([]procInfo{
		{PID: 10, Start: 100, CPUTicks: 150},                      // +100
		{PID: 11, Start: 101, Cmd: "(wsgi:bench)", CPUTicks: 600}, // +300 so far
		{PID: 13, Start: 102, CPUTicks: 25},                       // +20, then exits
		{PID: 14, Start: 500, CPUTicks: 30},                       // new child: +30
	})
	cpu.see([]procInfo{
		{PID: 10, Start: 100, CPUTicks: 150},
		{PID: 11, Start: 101, Cmd: "(wsgi:bench)", CPUTicks: 800}, // +500 in all
		{PID: 12, Start: 999, CPUTicks: 70},                       // pid reused: new, +70
		{PID: 14, Start: 500, CPUTicks: 40},                       // +40 in all
	})
	got := cpu.seconds(role)
	// front: 10 (+100), 12 old (+0, gone), 13 (+20, gone), 12 new (+70), 14 (+40).
	if math.Abs(got[roleFront]-2.3) > 1e-9 || math.Abs(got[roleWorker]-5.0) > 1e-9 {
		t.Errorf("cpu = %v, want front 2.3 and worker 5.0", got)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestRoles(t *testing.T) {
	tests := []struct {
		server string
		p      procInfo
		want   string
	}{
		{"appserver", procInfo{PID: 10}, roleFront},
		{"appserver", procInfo{PID: 11, Cmd: "(wsgi:bench)"}, roleWorker},
		{"apache", procInfo{PID: 10}, roleFront},
		{"apache", procInfo{PID: 11, Cmd: "/usr/sbin/apache2"}, roleFront},
		{"apache", procInfo{PID: 12, Cmd: "(wsgi:bench) -d /tmp/x"}, roleWorker},
		{"gunicorn", procInfo{PID: 10}, roleFront},
		{"gunicorn", procInfo{PID: 11, Comm: "python3"}, roleWorker},
		{"uwsgi", procInfo{PID: 10}, roleFront},
		{"uwsgi", procInfo{PID: 11}, roleWorker},
	}
	for _, tc := range tests {
		if got := kindByName(tc.server).role(10, tc.p); got != tc.want {
			t.Errorf("%s %+v: got %s, want %s", tc.server, tc.p, got, tc.want)
		}
	}
}

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		check   func(*options) bool
		wantErr string
	}{
		{name: "defaults", args: nil, check: func(o *options) bool {
			return o.repeats == 3 && o.seconds == 8 && o.out == "bench/results" && o.doc == "docs/performance.md" && len(o.servers) == 4
		}},
		{name: "quick", args: []string{"-quick"}, check: func(o *options) bool {
			return o.repeats == 1 && o.seconds == 3 && o.out == "" && o.doc == ""
		}},
		{name: "quick with explicit values", args: []string{"-quick", "-repeats", "2", "-seconds", "5"}, check: func(o *options) bool {
			return o.repeats == 2 && o.seconds == 5
		}},
		{name: "subset", args: []string{"-servers", "apache, uwsgi", "-workloads", "mix-c32"}, check: func(o *options) bool {
			return len(o.servers) == 2 && o.servers[1] == "uwsgi" && len(o.workloads) == 1
		}},
		{name: "base binary joins the servers", args: []string{"-servers", "appserver", "-base", "/tmp/old"}, check: func(o *options) bool {
			return len(o.servers) == 2 && o.servers[1] == "base" && o.base == "/tmp/old"
		}},
		{name: "base without a binary", args: []string{"-servers", "appserver,base"}, wantErr: "base needs -base BIN"},
		{name: "proto without its binaries", args: []string{"-servers", "appserver,proto", "-proto", "/tmp/pf"}, wantErr: "proto needs -proto BIN and -proto-worker FILE"},
		{name: "proto with its binaries", args: []string{"-servers", "appserver,proto", "-proto", "/tmp/pf", "-proto-worker", "/tmp/w.py"}, check: func(o *options) bool {
			return len(o.servers) == 2 && o.proto == "/tmp/pf" && o.protoWorker == "/tmp/w.py"
		}},
		{name: "unknown server", args: []string{"-servers", "nginx"}, wantErr: `unknown server "nginx"`},
		{name: "unknown workload", args: []string{"-workloads", "hello"}, wantErr: `unknown workload "hello"`},
		{name: "zero seconds", args: []string{"-seconds", "0"}, wantErr: "at least 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, err := parseFlags(tc.args)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(o) {
				t.Errorf("options %+v", o)
			}
		})
	}
}
