package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// profile records where appserver's Go process spends its CPU under the
// hello-world load (wrk -c32), with perf: appserver exposes no pprof
// endpoint, and perf also sees the kernel side (syscalls, loopback TCP,
// unix sockets), which is most of a proxy's cost.
func (r *runner) profile(ctx context.Context) error {
	if _, err := exec.LookPath("perf"); err != nil {
		return errors.New("perf is missing (apt-get install linux-perf); or profile the benchmark: go test ./server -run '^$' -bench FrontendHello -cpuprofile cpu.out")
	}
	in, err := r.start(ctx, kindByName("appserver"), r.sites["bench"])
	if err != nil {
		return err
	}
	defer in.stop()
	if err := r.wrk(ctx, 32, 2, "", "/hello", nil); err != nil {
		return err
	}
	data := filepath.Join(r.work, "perf.data")
	secs := strconv.Itoa(r.opts.seconds)
	perf := exec.CommandContext(ctx, "perf", "record", "-F", "997", "-g", "-o", data,
		"-p", strconv.Itoa(in.cmd.Process.Pid), "--", "sleep", secs)
	perfOut, err := os.Create(filepath.Join(r.work, "perf-record.log"))
	if err != nil {
		return err
	}
	defer perfOut.Close()
	perf.Stdout, perf.Stderr = perfOut, perfOut
	if err := perf.Start(); err != nil {
		return err
	}
	var res wrkResult
	werr := r.wrk(ctx, 32, r.opts.seconds, "", "/hello", &res)
	if err := perf.Wait(); err != nil {
		return fmt.Errorf("perf record: %w (see %s)", err, perfOut.Name())
	}
	if werr != nil {
		return werr
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# perf profile of appserver's front end (pid %d) under wrk -t2 -c32 -d%ss /hello: %.0f req/s, p99 %.2f ms\n",
		in.cmd.Process.Pid, secs, res.ReqPerSec, res.P99Ms)
	fmt.Fprintf(&b, "# perf record -F 997 -g -p PID; the reports below are perf report --stdio -g none\n\n")
	for _, rep := range []struct {
		title string
		args  []string
	}{
		{"Self time by shared object", []string{"--no-children", "--sort", "dso", "--percent-limit", "0.5"}},
		{"Self time by symbol (top)", []string{"--no-children", "--sort", "dso,symbol", "--percent-limit", "0.7"}},
		{"Inclusive time by symbol (call chains included)", []string{"--children", "--sort", "symbol", "--percent-limit", "4"}},
	} {
		args := append([]string{"report", "-i", data, "--stdio", "-g", "none"}, rep.args...)
		out, err := exec.CommandContext(ctx, "perf", args...).Output()
		if err != nil {
			return fmt.Errorf("perf report: %w", err)
		}
		fmt.Fprintf(&b, "## %s\n\n%s\n", rep.title, stripComments(string(out)))
	}
	if err := os.MkdirAll(r.opts.out, 0o755); err != nil {
		return err
	}
	path := filepath.Join(r.opts.out, "profile.txt")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, "bench: wrote", path)
	return nil
}

// stripComments drops perf report's "#" header lines and blank lines.
func stripComments(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, "#") || strings.TrimSpace(l) == "" {
			continue
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n") + "\n"
}
