package cmd

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/aymanbagabas/go-udiff"
	"github.com/shirou/gopsutil/v4/mem"
	"github.com/spf13/cobra"

	"github.com/appserver/appserver/cmd/internal/advise"
	"github.com/appserver/appserver/monitor"
	"github.com/appserver/appserver/server/load"
)

func newAdviseCmd() *cobra.Command {
	var cf controlFlags
	var from, metrics, out string
	var window time.Duration
	c := &cobra.Command{
		Use:   "advise -f FILE [--from URL | --metrics recorded.json] [--out new.conf]",
		Short: "Propose daemon process groups from measured traffic, as a minimal edit of FILE",
		Long: `Reads what the server that runs FILE measured (requests, response times,
CPU and memory growth by URL path, the processes' memory) and proposes a
partition: rare URLs that grow a worker's memory a lot go to a small group
that recycles (maximum-requests, inactivity-timeout, maximum-rss), the URLs
that carry most of the traffic and grow little go to a lean group sized by
Little's law and the GIL, the rest stays in the default group with fewer
processes; never more memory than 80% of this host's. It prints the
reasoning with the numbers, the memory and capacity before and after, and
the proposal as a unified diff of FILE (only new lines, and the changed
options of existing group lines: comments and layout stay).

The measurements come from the server's control socket (as appserver status),
from --from URL (a "SetHandler server-status" page; ?json is added), or from
--metrics FILE (what "appserver status -f FILE --json" printed, recorded
earlier). Measure under real traffic for a few minutes; the window is taken
from the status page's history, or --window.

--out FILE writes the edited config there instead of printing the diff.
See docs/partitioning.md.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if cf.file == "" {
				return &exitError{code: ExitUsage, err: errors.New("name the config to advise on with -f FILE")}
			}
			if from != "" && metrics != "" {
				return &exitError{code: ExitUsage, err: errors.New("give --from URL or --metrics FILE, not both")}
			}
			cfg, err := cf.load()
			if err != nil {
				writeConfigtestText(c.ErrOrStderr(), asErrorList(err), nil, false, false)
				return &exitError{code: ExitFailed}
			}
			body, err := readStatusFor(&cf, from, metrics)
			if err != nil {
				return err
			}
			var st monitor.Status
			if err := json.Unmarshal(body, &st); err != nil {
				return &exitError{code: ExitFailed, err: fmt.Errorf("the measurements are not a status (appserver status --json): %w", err)}
			}
			host := advise.Host{CPUs: runtime.NumCPU()}
			if vm, err := mem.VirtualMemory(); err == nil {
				host.MemoryBytes = int64(vm.Total)
			}
			p, err := advise.Advise(advise.Input{Status: st, Config: cfg, Host: host, Window: window})
			if err != nil {
				return &exitError{code: ExitFailed, err: err}
			}
			w := c.OutOrStdout()
			p.Write(w)
			src, err := os.ReadFile(cf.file)
			if err != nil {
				return &exitError{code: ExitFailed, err: err}
			}
			envvars := cf.envvars
			switch envvars {
			case "":
				envvars = load.FindEnvvars(cf.file)
			case "none":
				envvars = ""
			}
			edited, err := advise.Edit(cf.file, src, p, load.Options{Defines: cf.defines, NoHostChecks: cf.noHostChecks, Envvars: envvars})
			if err != nil {
				return &exitError{code: ExitFailed, err: fmt.Errorf("%s: %w", cf.file, err)}
			}
			if out != "" {
				if err := os.WriteFile(out, edited, 0o644); err != nil {
					return &exitError{code: ExitFailed, err: err}
				}
				fmt.Fprintf(w, "\nWrote %s. Check it (appserver configtest -f %s), then apply it (appserver reload, or SIGHUP).\n", out, out)
				return nil
			}
			fmt.Fprintln(w)
			diff := udiff.Unified(cf.file, cf.file+" (advised)", string(src), string(edited))
			if diff == "" {
				fmt.Fprintln(w, "No change to the config.")
			}
			_, err = io.WriteString(w, diff)
			return err
		},
	}
	cf.register(c)
	c.Flags().StringVar(&from, "from", "", "the URL of a running server's status page (SetHandler server-status) to read the measurements from")
	c.Flags().StringVar(&metrics, "metrics", "", "a file with recorded measurements (appserver status -f FILE --json > recorded.json)")
	c.Flags().StringVar(&out, "out", "", "write the edited config to this file instead of printing a diff")
	c.Flags().DurationVar(&window, "window", 0, "how long the measurements cover (default: from the status page's history, else the server's uptime)")
	return c
}

// readStatusFor reads the measurements from a file, a status page URL, or
// the control socket of the server that runs the config.
func readStatusFor(cf *controlFlags, from, metrics string) ([]byte, error) {
	switch {
	case metrics != "":
		b, err := os.ReadFile(metrics)
		if err != nil {
			return nil, &exitError{code: ExitFailed, err: err}
		}
		return b, nil
	case from != "":
		u, err := url.Parse(from)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			return nil, &exitError{code: ExitUsage, err: fmt.Errorf("--from %q: want the http(s) URL of a status page", from)}
		}
		if u.RawQuery != "json" && !strings.HasPrefix(u.RawQuery, "json&") {
			u.RawQuery = "json"
		}
		hc := &http.Client{Timeout: 30 * time.Second}
		resp, err := hc.Get(u.String())
		if err != nil {
			return nil, &exitError{code: ExitFailed, err: err}
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			return nil, &exitError{code: ExitFailed, err: err}
		}
		if resp.StatusCode != http.StatusOK {
			return nil, &exitError{code: ExitFailed, err: fmt.Errorf("%s: %s", u, resp.Status)}
		}
		return b, nil
	}
	sock := *cf
	if sock.socket != "" {
		sock.file = "" // -f names the config to edit; --socket the server to ask
	}
	cl, err := newControlClient(&sock)
	if err != nil {
		return nil, err
	}
	return cl.do(http.MethodGet, "/status")
}
