package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/appserver/appserver/monitor"
	"github.com/appserver/appserver/server"
	"github.com/appserver/appserver/server/config"
	"github.com/spf13/cobra"
)

// controlClient talks HTTP to the control socket of the server that serves
// a config.
type controlClient struct {
	cfg        *config.Config
	file, path string
	hc         *http.Client
}

// controlFlags pick the control socket: the one of the config -f names,
// or --socket.
type controlFlags struct {
	loadFlags
	socket string
	// brokenOK: a config that does not load still names the socket by its
	// file (reload: the server says what is wrong with it).
	brokenOK bool
}

func (f *controlFlags) register(c *cobra.Command) {
	f.loadFlags.register(c, false)
	c.Flags().StringVar(&f.socket, "socket", "", "the control socket to connect to, instead of the one of the config -f names (its path is logged at start as \"control socket\")")
}

func newControlClient(cf *controlFlags) (*controlClient, error) {
	var cfg *config.Config
	path, file := cf.socket, cf.file
	switch {
	case path != "" && file != "":
		return nil, &exitError{code: ExitUsage, err: errors.New("give either -f FILE or --socket PATH, not both")}
	case path != "":
	case file == "":
		return nil, &exitError{code: ExitUsage, err: errors.New("name the config the server runs with -f FILE (or its control socket with --socket PATH)")}
	default:
		var err error
		cfg, err = cf.load()
		if err != nil && cf.brokenOK {
			cfg, err = &config.Config{File: file}, nil
		}
		if err != nil {
			var b bytes.Buffer
			writeConfigtestText(&b, asErrorList(err), nil, false, false)
			return nil, &exitError{code: ExitFailed, err: fmt.Errorf("%s: the config does not load:\n%s", file, strings.TrimRight(b.String(), "\n"))}
		}
		path = server.ControlSocketPath(cfg)
	}
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	hc := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return dialer.DialContext(ctx, "unix", path)
		},
		DisableKeepAlives: true,
	}}
	return &controlClient{cfg: cfg, file: file, path: path, hc: hc}, nil
}

// do sends a request to the control socket and returns the body of a 200
// answer.
func (c *controlClient) do(method, target string) ([]byte, error) {
	req, err := http.NewRequest(method, "http://appserver"+target, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		if errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ECONNREFUSED) {
			hint := ""
			if c.cfg != nil && os.Geteuid() != 0 && c.path != server.ControlSocketPathAsRoot(c.cfg) {
				if _, err := os.Stat("/run/appserver"); err == nil {
					hint = " (an appserver started as root listens under /run/appserver: run this as root)"
				}
			}
			if c.cfg == nil {
				return nil, &exitError{code: ExitFailed, err: fmt.Errorf("no appserver listens on %s", c.path)}
			}
			return nil, &exitError{code: ExitFailed, err: fmt.Errorf("no appserver is serving %s: nothing listens on %s%s", c.file, c.path, hint)}
		}
		if errors.Is(err, syscall.EACCES) {
			return nil, &exitError{code: ExitFailed, err: fmt.Errorf("%s: permission denied: the control socket is its owner's only (run as the user that runs appserver serve)", c.path)}
		}
		return nil, &exitError{code: ExitFailed, err: fmt.Errorf("%s: %w", c.path, err)}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, &exitError{code: ExitFailed, err: fmt.Errorf("%s: %w", c.path, err)}
	}
	if resp.StatusCode/100 != 2 {
		msg := strings.TrimSpace(string(body))
		if msg == "" {
			msg = resp.Status
		}
		return nil, &exitError{code: ExitFailed, err: errors.New(msg)}
	}
	return body, nil
}

func newStatusCmd() *cobra.Command {
	var cf controlFlags
	var asJSON, stacks bool
	c := &cobra.Command{
		Use:   "status (-f FILE | --socket PATH) [--json] [--stacks]",
		Short: "Show the state of the appserver serving FILE: groups, processes, requests, latency",
		Long: `Connects to the control socket of the appserver that serves FILE (the
path AppserverControlSocket names, else the default derived from FILE: see
docs/monitoring.md) and prints, per group, its state, its processes (pid,
state, busy/threads, requests, age, RSS, CPU), requests, p50/p95/p99
response times, capacity used and queued requests. --socket PATH connects to
that control socket instead (the demo and the quick start run from a config
of their own; the server logs its socket's path at start).

--json prints the status as JSON (what the status page's ?json gives).
--stacks prints instead the Python stacks of the threads that are handling a
request now, in every process of every group, with the URL and its age.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			cl, err := newControlClient(&cf)
			if err != nil {
				return err
			}
			out := c.OutOrStdout()
			if stacks {
				body, err := cl.do(http.MethodGet, "/stacks")
				if err != nil {
					return err
				}
				if asJSON {
					_, err = out.Write(body)
					return err
				}
				var st server.Stacks
				if err := json.Unmarshal(body, &st); err != nil {
					return &exitError{code: ExitFailed, err: fmt.Errorf("%s: bad answer: %w", cl.path, err)}
				}
				writeStacks(out, st)
				return nil
			}
			body, err := cl.do(http.MethodGet, "/status")
			if err != nil {
				return err
			}
			if asJSON {
				_, err = out.Write(body)
				return err
			}
			var st monitor.Status
			if err := json.Unmarshal(body, &st); err != nil {
				return &exitError{code: ExitFailed, err: fmt.Errorf("%s: bad answer: %w", cl.path, err)}
			}
			writeStatus(out, st)
			return nil
		},
	}
	cf.register(c)
	c.Flags().BoolVar(&asJSON, "json", false, "print the raw JSON")
	c.Flags().BoolVar(&stacks, "stacks", false, "print the Python stacks of the threads handling requests now")
	return c
}

func groupLabel(name string) string {
	if name == "" {
		return "(embedded)"
	}
	return name
}

// writeStatus prints the status as passenger-status does: a block per
// group, a line per process.
func writeStatus(w io.Writer, st monitor.Status) {
	fmt.Fprintf(w, "appserver up %s, since %s\n", formatAge(st.UptimeSeconds), st.Started.Local().Format(time.DateTime))
	for _, g := range st.Groups {
		fmt.Fprintf(w, "\n----------- Group %s -----------\n", groupLabel(g.Name))
		fmt.Fprintf(w, "State        : %s\n", g.State)
		fmt.Fprintf(w, "Requests     : %d (%d active, %d 5xx)\n", g.Requests, g.Active, g.ByClass["5xx"])
		fmt.Fprintf(w, "Latency      : p50 %s  p95 %s  p99 %s  mean %s\n", formatMs(g.P50ms), formatMs(g.P95ms), formatMs(g.P99ms), formatMs(g.MeanMs))
		fmt.Fprintf(w, "Capacity used: %.0f%% (%d of %d threads busy)\n", 100*g.Capacity, g.Busy, g.Threads)
		fmt.Fprintf(w, "Queued       : %d\n", g.Queued)
		if len(g.Restarts) > 0 {
			var parts []string
			for reason, n := range g.Restarts {
				parts = append(parts, fmt.Sprintf("%s %d", reason, n))
			}
			slices.Sort(parts)
			fmt.Fprintf(w, "Restarts     : %s\n", strings.Join(parts, ", "))
		}
		if len(g.Processes) == 0 {
			fmt.Fprintf(w, "Processes    : none\n")
			continue
		}
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "  PID\tState\tBusy/Threads\tRequests\tAge\tRSS MB\tCPU s\t\n")
		for _, p := range g.Processes {
			state := p.State
			if p.Recycle != "" {
				state += " (" + p.Recycle + ")"
			}
			fmt.Fprintf(tw, "  %d\t%s\t%d/%d\t%d\t%s\t%.1f\t%.2f\t\n", p.PID, state, p.Busy, p.Threads, p.Requests,
				formatAge(p.AgeSeconds), float64(p.RSSBytes)/(1<<20), p.CPUSeconds)
		}
		tw.Flush()
	}
}

func formatMs(ms float64) string {
	switch {
	case ms == 0:
		return "-"
	case ms < 10:
		return fmt.Sprintf("%.2fms", ms)
	case ms < 10000:
		return fmt.Sprintf("%.0fms", ms)
	}
	return fmt.Sprintf("%.1fs", ms/1000)
}

func formatAge(s float64) string {
	d := time.Duration(s * float64(time.Second))
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd%02dh", int(d.Hours())/24, int(d.Hours())%24)
}

// writeStacks prints the stacks of the request threads, group by group.
func writeStacks(w io.Writer, st server.Stacks) {
	n := 0
	for _, g := range st.Groups {
		for _, p := range g.Processes {
			if p.Error != "" {
				fmt.Fprintf(w, "group %s, pid %d: %s\n\n", groupLabel(g.Name), p.PID, p.Error)
				continue
			}
			for _, th := range p.Threads {
				n++
				fmt.Fprintf(w, "group %s, pid %d, thread %d: %s %s, running %.1fs\n", groupLabel(g.Name), p.PID, th.Thread, th.Method, th.URI, th.AgeSeconds)
				for _, line := range strings.Split(strings.TrimRight(th.Stack, "\n"), "\n") {
					fmt.Fprintf(w, "  %s\n", line)
				}
				fmt.Fprintln(w)
			}
		}
	}
	if n == 0 {
		fmt.Fprintln(w, "no request is being handled")
	}
}
