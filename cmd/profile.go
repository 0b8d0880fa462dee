package cmd

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/appserver/appserver/daemon"
	"github.com/appserver/appserver/monitor"
	"github.com/appserver/appserver/server"
	"github.com/spf13/cobra"
)

func newProfileCmd() *cobra.Command {
	var cf controlFlags
	var duration time.Duration
	var out string
	c := &cobra.Command{
		Use:   "profile (-f FILE | --socket PATH) GROUP [--duration 10s] [--out profile.svg|profile.folded]",
		Short: "Sample the Python threads of every process of a group and write a flame graph or folded stacks",
		Long: `Asks every process of GROUP in the appserver that serves FILE (found
through its control socket, as appserver status finds it, or --socket PATH)
to sample the Python stacks of its threads about 100 times a second for
--duration: the threads handling requests and the application's own threads,
not the idle request threads. The processes' samples are merged.

--out NAME.svg writes a flame graph (a self-contained SVG: open it in a
browser); any other name writes folded stacks ("frame;frame;frame count"
lines, for flamegraph.pl, speedscope or grep); no --out writes folded stacks
to standard output. GROUP "(embedded)" is the embedded group.`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if duration <= 0 || duration > daemon.MaxProfile {
				return &exitError{code: ExitUsage, err: fmt.Errorf("--duration %s: give more than 0 and at most %s", duration, daemon.MaxProfile)}
			}
			cl, err := newControlClient(&cf)
			if err != nil {
				return err
			}
			group := args[0]
			fmt.Fprintf(c.ErrOrStderr(), "profiling group %s for %s...\n", group, duration)
			body, err := cl.do(http.MethodPost, "/profile?group="+url.QueryEscape(group)+"&duration="+url.QueryEscape(duration.String()))
			if err != nil {
				return err
			}
			var p server.Profile
			if err := json.Unmarshal(body, &p); err != nil {
				return &exitError{code: ExitFailed, err: fmt.Errorf("%s: bad answer: %w", cl.path, err)}
			}
			for _, pr := range p.Processes {
				if pr.Error != "" {
					fmt.Fprintf(c.ErrOrStderr(), "pid %d: %s\n", pr.PID, pr.Error)
				}
				if pr.Dropped > 0 {
					fmt.Fprintf(c.ErrOrStderr(), "pid %d: %d samples of its rarest stacks left out (its answer is limited to 8 MB)\n", pr.PID, pr.Dropped)
				}
			}
			folded, err := monitor.ParseFolded(p.Folded)
			if err != nil {
				return &exitError{code: ExitFailed, err: err}
			}
			w := c.OutOrStdout()
			if out != "" {
				f, err := os.Create(out)
				if err != nil {
					return &exitError{code: ExitFailed, err: err}
				}
				defer f.Close()
				w = f
			}
			if strings.HasSuffix(strings.ToLower(out), ".svg") {
				title := fmt.Sprintf("appserver profile: group %s, %d processes, %s", groupLabel(p.Group), len(p.Processes), duration)
				err = monitor.FlameGraph(w, folded, title)
			} else {
				_, err = folded.WriteTo(w)
			}
			if err != nil {
				return &exitError{code: ExitFailed, err: err}
			}
			if out != "" {
				if err := w.(*os.File).Close(); err != nil {
					return &exitError{code: ExitFailed, err: err}
				}
				fmt.Fprintf(c.ErrOrStderr(), "%d samples of %d processes (%d stacks) written to %s\n", folded.Total(), len(p.Processes), len(folded), out)
			}
			return nil
		},
	}
	cf.register(c)
	c.Flags().DurationVar(&duration, "duration", 10*time.Second, "how long to sample")
	c.Flags().StringVarP(&out, "out", "o", "", "write to this file: a flame graph if it ends in .svg, else folded stacks (default: folded stacks to standard output)")
	return c
}
