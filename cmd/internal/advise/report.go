package advise

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Options is the WSGIDaemonProcess options the plan sets, in the order
// they are written.
func (g GroupPlan) Options() [][2]string {
	out := [][2]string{{"processes", fmt.Sprint(g.Processes)}, {"threads", fmt.Sprint(g.Threads)}}
	if g.MaximumRequests > 0 {
		out = append(out, [2]string{"maximum-requests", fmt.Sprint(g.MaximumRequests)})
	}
	if g.InactivitySeconds > 0 {
		out = append(out, [2]string{"inactivity-timeout", fmt.Sprint(g.InactivitySeconds)})
	}
	return out
}

// Write prints the reasoning, the groups and the before/after estimate.
func (p *Proposal) Write(w io.Writer) {
	fmt.Fprintln(w, "Reasoning:")
	for _, r := range p.Reasons {
		fmt.Fprintf(w, "  - %s\n", r)
	}
	fmt.Fprintln(w)
	if !p.Split {
		fmt.Fprintln(w, "Proposal: no split; resize the default group.")
	} else {
		fmt.Fprintln(w, "Proposal:")
	}
	for _, g := range p.Groups {
		state := "new"
		if g.Exists {
			state = "changed"
		}
		var opts []string
		for _, o := range g.Options() {
			opts = append(opts, o[0]+"="+o[1])
		}
		if g.MaximumRSS > 0 {
			opts = append(opts, "maximum-rss="+fmt.Sprintf("%dM", g.MaximumRSS>>20))
		}
		fmt.Fprintf(w, "  group %s (%s, %s): %s\n", g.Name, g.Class, state, strings.Join(opts, " "))
		fmt.Fprintf(w, "    carries %d requests (%.2f/s, mean %.1f ms, p99 %.1f ms), grows a worker by up to %s; steady state %s\n",
			g.Load.Requests, g.Load.Rate, g.Load.MeanMs, g.Load.P99ms, mb(g.Load.GrowthMax), mb(g.MemoryBytes))
		for _, l := range g.Locations {
			if g.Class == ClassDefault {
				break // the default group's are written only where they move a URL back
			}
			fmt.Fprintf(w, "    %s  (%s)\n", l.Directive(), strings.Join(l.Prefixes, ", "))
		}
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "\tprocesses\tthreads\tmemory\tcapacity (req/s)\t\n")
	fmt.Fprintf(tw, "before\t%d\t%d\t%s\t%.0f\t\n", p.Before.Processes, p.Before.Threads, mb(p.Before.MemoryBytes), p.Before.Capacity)
	fmt.Fprintf(tw, "after\t%d\t%d\t%s\t%.0f\t\n", p.After.Processes, p.After.Threads, mb(p.After.MemoryBytes), p.After.Capacity)
	_ = tw.Flush()
}
