package cmd

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/appserver/appserver/server"
	sd "github.com/coreos/go-systemd/v22/daemon"
)

// systemd's notify protocol (Type=notify units), through go-systemd: every
// call is a no-op when NOTIFY_SOCKET is unset, so serve runs the same in a
// terminal.

// notify sends one state message ("READY=1", "STATUS=...").
func notify(log *slog.Logger, state string) {
	if _, err := sd.SdNotify(false, state); err != nil {
		log.Warn("systemd notify failed", "state", strings.ReplaceAll(state, "\n", " "), "err", err)
	}
}

// statusLine is the one-line summary systemctl status shows.
func statusLine(front *server.Frontend) string {
	snaps := front.Snapshots()
	procs, busy, threads := 0, 0, 0
	for _, s := range snaps {
		busy += s.InFlight
		for _, p := range s.Processes {
			procs++
			if p.State == "ready" {
				threads += p.Threads
			}
		}
	}
	return fmt.Sprintf("STATUS=serving %d groups: %d processes, %d of %d threads busy", len(snaps), procs, busy, threads)
}

// healthy is the watchdog's check: every configured group has a process
// that takes requests, or is allowed to have none (dynamic groups at rest,
// threads=0 service groups).
func healthy(front *server.Frontend) error {
	for _, s := range front.Snapshots() {
		if s.State != "running" {
			return fmt.Errorf("group %s is %s", s.Name, s.State)
		}
	}
	return nil
}

// watchdog pings systemd at half WatchdogSec while the server is healthy,
// so that a wedged server is restarted; it returns when ctx ends or when
// no watchdog is configured.
func watchdog(ctx context.Context, log *slog.Logger, front *server.Frontend) {
	every, err := sd.SdWatchdogEnabled(false)
	if err != nil || every <= 0 {
		return
	}
	t := time.NewTicker(every / 2)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := healthy(front); err != nil {
				log.Error("watchdog: not healthy, not telling systemd", "err", err)
				continue
			}
			notify(log, "WATCHDOG=1")
		}
	}
}

// workerEnv is the environment the workers start with: the server's,
// without what systemd meant for the server alone (a Python app that
// speaks sd_notify must not report for appserver).
func workerEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES":
			continue
		}
		out = append(out, kv)
	}
	return out
}
