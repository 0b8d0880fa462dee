// Package advise is the partition advisor behind `appserver advise`: from
// what the monitor measured (requests, response times, memory growth and
// CPU per group and URL path prefix, the processes' RSS) and the config in
// force, it proposes daemon process groups (a small recycled one for rare
// URLs that grow memory, a lean one for the URLs that carry most of the
// traffic, the default group for the rest), sizes them, checks the result
// fits the host's memory, explains why with the numbers, and writes the
// proposal as a minimal edit of the user's config file (edit.go).
//
// It lives under cmd/internal because it joins what only cmd joins: the
// monitor's Status, the loaded config and the parser's positions; the
// monitor package imports only daemon and must stay that small.
package advise

import (
	"cmp"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/appserver/appserver/monitor"
	"github.com/appserver/appserver/server/config"
)

// Host is the machine the proposal must fit.
type Host struct {
	MemoryBytes int64 // total physical memory (gopsutil mem.VirtualMemory().Total)
	CPUs        int
}

// Input is what the advisor reasons from.
type Input struct {
	Status monitor.Status
	// Config is the config in force: its groups and their options.
	Config *config.Config
	Host   Host
	// Window is how long the measurements cover; 0 = estimated from the
	// status (the span of the sampled history that saw requests, else the
	// uptime).
	Window time.Duration
}

// The thresholds of the classification, named so the reasoning can quote them.
const (
	// A URL area whose requests raised a worker's peak RSS by at least
	// this much at once "grows memory"...
	memoryGrowthMin = 32 << 20
	// ...and it is rare when it has at most this share of the requests.
	rareShare = 0.05
	// A path prefix with at least this share of the requests is hot, if
	// it grows memory by less than hotGrowthMax at once...
	hotShare     = 0.10
	hotGrowthMax = 8 << 20
	// ...and the hot ones get their own group when together they carry at
	// least this share.
	hotTotalShare = 0.50
	// Target use of a process's GIL (CPU time of its Python threads).
	gilTarget = 0.7
)

// Class is what a group of the proposal is for.
type Class string

const (
	ClassMemory  Class = "memory"  // rare URLs that grow memory: recycled
	ClassVolume  Class = "volume"  // most of the traffic, little memory
	ClassDefault Class = "default" // everything else
)

// Location is a <Location> the proposal adds, and what it covers.
type Location struct {
	Path  string // the URL-path, or the regex source with Regex
	Regex bool
	// Prefixes are the measured path prefixes it moves (monitor.PathPrefix).
	Prefixes []string
}

// Directive is the text of the <Location> line.
func (l Location) Directive() string {
	if l.Regex {
		return fmt.Sprintf("<Location ~ %q>", l.Path)
	}
	return "<Location " + l.Path + ">"
}

// GroupPlan is one daemon process group of the proposal.
type GroupPlan struct {
	Name  string
	Class Class
	// Exists is true when the config already defines the group: its line
	// gets the new options instead of a new line.
	Exists             bool
	Processes, Threads int
	// MaximumRequests and InactivitySeconds are mod_wsgi options; 0 = leave
	// alone. MaximumRSS goes to AppserverGroup (0 = none).
	MaximumRequests   int
	InactivitySeconds int
	MaximumRSS        int64
	// Locations route URLs to it (none for the default group).
	Locations []Location
	// Prefixes are the measured path prefixes it is to serve.
	Prefixes []string
	// What it is expected to carry and weigh.
	Load        Load
	MemoryBytes int64 // steady state, all its processes
}

// Load is the traffic of a set of path prefixes over the window.
type Load struct {
	Requests    uint64
	Rate        float64 // requests per second
	MeanMs      float64
	P99ms       float64
	Concurrency float64 // mean requests in progress (Little's law: Rate × Mean)
	CPUShare    float64 // CPU time ÷ thread-busy time of the group(s) it ran in
	GrowthMax   int64   // the largest peak-RSS growth of one request
	GrowthBytes int64   // all growth charged to it
}

// Estimate is the steady state of a set of groups.
type Estimate struct {
	MemoryBytes int64
	Processes   int
	Threads     int
	// Capacity is the requests per second of the measured mix the groups
	// can answer: the mix scaled up until one group runs out of threads
	// (threads ÷ mean time, Little's law) or of GIL (a process runs one
	// CPU-second per second), or the host out of CPUs.
	Capacity float64

	scale, rate, cpuDemand float64
	cpus                   int
}

// Proposal is the advice.
type Proposal struct {
	Window  time.Duration
	BaseRSS int64 // estimated RSS of a worker that served nothing that grew it
	Groups  []GroupPlan
	// Split is false when the advisor found nothing worth separating: Groups
	// then holds only the default group, resized.
	Split          bool
	Before, After  Estimate
	MeasuredRSS    int64 // the processes' RSS now
	Host           Host
	Reasons        []string
	BeforeGroups   []string // the groups the measurements came from
	DefaultCurrent string   // the default group's current name
}

// prefix is one measured path prefix.
type prefix struct {
	monitor.Series
	area string // its top-level area: "/" or "/name"
}

// areaOf is the top-level part of a path prefix: "/admin/x/" → "/admin".
func areaOf(p string) string {
	if p == "/" {
		return "/"
	}
	if i := strings.IndexByte(p[1:], '/'); i >= 0 {
		return p[:i+1]
	}
	return p
}

// Advise reasons from the measurements to a proposal.
func Advise(in Input) (*Proposal, error) {
	st := in.Status
	prefixes := prefixesOf(st)
	if len(prefixes) == 0 {
		return nil, fmt.Errorf("the status has no requests by path prefix: measure a server of this version under traffic first (its status page's ?json, or appserver status --json)")
	}
	var total uint64
	for _, p := range prefixes {
		total += p.Requests
	}
	if total == 0 {
		return nil, fmt.Errorf("no requests were measured: send the server its usual traffic first")
	}
	p := &Proposal{Host: in.Host, Window: in.Window}
	if p.Window <= 0 {
		p.Window = windowOf(st)
	}
	win := p.Window.Seconds()
	say := func(format string, args ...any) { p.Reasons = append(p.Reasons, fmt.Sprintf(format, args...)) }
	say("Measured %d requests over %s (%.1f per second).", total, p.Window.Round(time.Second), float64(total)/win)

	cpuShare := cpuShares(st)
	var how string
	p.BaseRSS, p.MeasuredRSS, how = baseRSS(st)
	say("A worker with the application loaded, before requests grow it, weighs about %s (%s); the processes weigh %s now.",
		mb(p.BaseRSS), how, mb(p.MeasuredRSS))

	inMemory, memAreas := memoryURLs(prefixes, total, win, cpuShare, max(int64(memoryGrowthMin), p.BaseRSS/2), say)
	inVolume := volumeURLs(prefixes, inMemory, total, say)

	// Which group is the default one now: the one most of the remaining
	// requests ran in.
	var memP, volP, defP []prefix
	reqBy := map[string]uint64{}
	for _, x := range prefixes {
		switch {
		case inMemory[x.Name]:
			memP = append(memP, x)
		case inVolume[x.Name]:
			volP = append(volP, x)
		default:
			defP = append(defP, x)
			reqBy[x.Group] += x.Requests + 1 // +1: a group that served only unmeasured prefixes still counts
		}
	}
	p.DefaultCurrent = defaultGroup(in.Config, st, prefixes, reqBy)
	for _, g := range st.Groups {
		if g.Requests > 0 || len(g.Processes) > 0 {
			p.BeforeGroups = append(p.BeforeGroups, g.Name)
		}
	}

	p.Split = len(memP) > 0 || (len(volP) > 0 && len(defP) > 0)
	if !p.Split && len(volP) > 0 {
		defP, volP = append(defP, volP...), nil
		say("Every measured URL is busy and lean: one group suits them; only its size changes.")
	}
	used := map[string]bool{}
	for _, g := range st.Groups {
		used[g.Name] = true
	}
	if in.Config != nil {
		for _, g := range in.Config.Groups {
			used[g.Spec.Name] = true
		}
	}
	var plans []GroupPlan
	if len(memP) > 0 {
		plans = append(plans, memoryPlan(in, p, memP, memAreas, prefixes, used, win, cpuShare, say))
	}
	if len(volP) > 0 {
		plans = append(plans, volumePlan(in, p, volP, prefixes, used, win, cpuShare, say))
	}
	plans = append(plans, defaultPlan(in, p, defP, prefixes, win, cpuShare, say))
	p.Groups = plans
	planned := map[string]bool{}
	for _, g := range plans {
		planned[g.Name] = true
	}
	for _, name := range p.BeforeGroups {
		if name != "" && !planned[name] {
			say("Group %s keeps its URLs that were not measured; the measured ones leave it. Remove it by hand if it serves nothing else.", name)
		}
	}
	p.fit(in, say)
	p.estimate(in, prefixes, win, cpuShare)
	if p.Before.MemoryBytes > 0 {
		say("Steady-state memory: %s before (every process of a group that serves a memory-hungry URL ends up as big as its largest request leaves it), %s after (%+.0f%%).",
			mb(p.Before.MemoryBytes), mb(p.After.MemoryBytes), 100*(float64(p.After.MemoryBytes)/float64(p.Before.MemoryBytes)-1))
	}
	say("Capacity for the measured mix of URLs (scaled up until a group runs out of threads or GIL, or the host out of CPUs): %d processes, %d threads, about %.0f requests per second before; %d processes, %d threads, about %.0f per second after (the traffic measured was %.1f per second).",
		p.Before.Processes, p.Before.Threads, p.Before.Capacity, p.After.Processes, p.After.Threads, p.After.Capacity, float64(total)/win)
	return p, nil
}

// memoryURLs picks the URLs for the memory group: whole top-level areas
// that are rare and grew a worker by threshold or more, else their
// prefixes one by one. It returns the prefixes and the whole areas.
func memoryURLs(prefixes []prefix, total uint64, win float64, cpuShare map[string]float64, memThreshold int64, say func(string, ...any)) (map[string]bool, []string) {
	inMemory := map[string]bool{}
	var memAreas []string
	byArea := map[string][]prefix{}
	var areas []string
	for _, x := range prefixes {
		if byArea[x.area] == nil {
			areas = append(areas, x.area)
		}
		byArea[x.area] = append(byArea[x.area], x)
	}
	for _, a := range areas {
		l := loadOf(byArea[a], win, cpuShare)
		if l.GrowthMax < memThreshold {
			continue
		}
		share := float64(l.Requests) / float64(total)
		if share <= rareShare && a != "/" {
			say("%s grows memory and is rare: one request raised its worker's peak RSS by up to %s (threshold %s), and it has %.1f%% of the requests (at most %.0f%%).",
				a, mb(l.GrowthMax), mb(memThreshold), 100*share, 100*rareShare)
			memAreas = append(memAreas, a)
			for _, x := range byArea[a] {
				inMemory[x.Name] = true
			}
			continue
		}
		for _, x := range byArea[a] {
			xs := float64(x.Requests) / float64(total)
			if x.MemoryGrowthMaxBytes >= memThreshold && xs <= rareShare {
				say("%s grows memory and is rare: up to %s at once, %.1f%% of the requests (its area %s has %.1f%%, too many to move whole).",
					x.Name, mb(x.MemoryGrowthMaxBytes), 100*xs, a, 100*share)
				inMemory[x.Name] = true
			} else if x.MemoryGrowthMaxBytes >= memThreshold {
				say("%s grows memory (up to %s at once) but is not rare (%.1f%% of the requests): moving it would not keep the big processes few, so it stays.",
					x.Name, mb(x.MemoryGrowthMaxBytes), 100*xs)
			}
		}
	}
	return inMemory, memAreas
}

// volumeURLs picks the URLs for the lean high-volume group: the busiest
// prefixes that grow little, if together they carry most of the traffic.
func volumeURLs(prefixes []prefix, inMemory map[string]bool, total uint64, say func(string, ...any)) map[string]bool {
	var rest []prefix
	for _, x := range prefixes {
		if !inMemory[x.Name] {
			rest = append(rest, x)
		}
	}
	slices.SortStableFunc(rest, func(a, b prefix) int { return cmp.Compare(b.Requests, a.Requests) })
	inVolume := map[string]bool{}
	var hot []prefix
	var hotReq uint64
	for _, x := range rest {
		share := float64(x.Requests) / float64(total)
		if share < hotShare {
			break
		}
		if x.MemoryGrowthMaxBytes >= hotGrowthMax {
			say("%s is busy (%.1f%% of the requests) but one request grew its worker by %s: it stays out of the lean group.", x.Name, 100*share, mb(x.MemoryGrowthMaxBytes))
			continue
		}
		hot = append(hot, x)
		hotReq += x.Requests
	}
	if hs := float64(hotReq) / float64(total); len(hot) > 0 && hs >= hotTotalShare {
		var names []string
		for _, x := range hot {
			inVolume[x.Name] = true
			names = append(names, fmt.Sprintf("%s (%.1f%%)", x.Name, 100*float64(x.Requests)/float64(total)))
		}
		say("The busiest URLs carry %.1f%% of the requests and grow a worker by less than %s at once: %s. They get a lean group of their own.",
			100*hs, mb(hotGrowthMax), strings.Join(names, ", "))
	} else if len(hot) > 0 {
		say("The busiest URLs carry only %.1f%% of the requests (a lean group needs at least %.0f%%): no high-volume group.", 100*hs, 100*hotTotalShare)
	}
	return inVolume
}

// prefixesOf reads the measured path prefixes, leaving out the embedded
// group (nothing to move) and the Other bucket (no URL to route).
func prefixesOf(st monitor.Status) []prefix {
	var out []prefix
	series := st.Paths
	if len(series) == 0 {
		// A server from before the monitor counted path prefixes: its
		// routes that are plain <Location> paths serve as prefixes.
		series = st.Routes
	}
	for _, s := range series {
		if s.Group == "" || s.Name == monitor.Other || s.Requests == 0 || !strings.HasPrefix(s.Name, "/") || strings.HasPrefix(s.Name, "//") {
			continue
		}
		out = append(out, prefix{Series: s, area: areaOf(s.Name)})
	}
	slices.SortFunc(out, func(a, b prefix) int { return cmp.Compare(a.Name, b.Name) })
	// One prefix may have run in several groups (a reload in the window):
	// add them up under the group that ran most of it.
	var merged []prefix
	for _, x := range out {
		if n := len(merged); n > 0 && merged[n-1].Name == x.Name {
			m := &merged[n-1]
			if x.Requests > m.Requests {
				m.Group = x.Group
			}
			m.MeanMs = (m.MeanMs*float64(m.Requests) + x.MeanMs*float64(x.Requests)) / float64(m.Requests+x.Requests)
			m.Requests += x.Requests
			m.P99ms = max(m.P99ms, x.P99ms)
			m.MemoryGrowthBytes += x.MemoryGrowthBytes
			m.MemoryGrowthRequests += x.MemoryGrowthRequests
			m.MemoryGrowthMaxBytes = max(m.MemoryGrowthMaxBytes, x.MemoryGrowthMaxBytes)
			continue
		}
		merged = append(merged, x)
	}
	return merged
}

// windowOf is the time the measurements cover: the span of the history
// points that saw requests when they hold nearly all of them, else the
// uptime.
func windowOf(st monitor.Status) time.Duration {
	var first, last time.Time
	var inHistory, all uint64
	for _, g := range st.Groups {
		all += g.Requests
		for _, pt := range g.History {
			if pt.Requests == 0 {
				continue
			}
			inHistory += pt.Requests
			if first.IsZero() || pt.Time.Before(first) {
				first = pt.Time
			}
			if pt.Time.After(last) {
				last = pt.Time
			}
		}
	}
	if all > 0 && float64(inHistory) >= 0.9*float64(all) && !first.IsZero() {
		return last.Sub(first) + monitor.SampleEvery
	}
	return max(time.Second, time.Duration(st.UptimeSeconds*float64(time.Second)))
}

// cpuShares is, per group, the CPU time of its processes over the time its
// threads were busy: 1 for a CPU-bound group, near 0 for one that waits
// on I/O. It is what the GIL limits: a process runs one thread's Python at
// a time.
func cpuShares(st monitor.Status) map[string]float64 {
	out := map[string]float64{}
	for _, g := range st.Groups {
		var cpu float64
		for _, pr := range g.Processes {
			cpu += pr.CPUSeconds
		}
		busy := float64(g.Requests) * g.MeanMs / 1000
		share := 1.0 // unknown: assume the worst for the GIL
		if busy > 0 && cpu > 0 {
			share = cpu / busy
		}
		out[g.Name] = min(1, max(0.05, share))
	}
	return out
}

// baseRSS estimates what a worker weighs with the application loaded,
// before any request grows it: the smallest such process the monitor
// sampled (process_rss_min_bytes); else, from a status without it, the
// smallest ready process now, unless even that one is bigger than the
// largest growth of one request (then every process has probably grown,
// and the average process less the growth charged to requests is nearer,
// though never below an eighth of the smallest or 8 MB). It also returns
// the RSS of all processes now.
func baseRSS(st monitor.Status) (base, all int64, how string) {
	var minRSS, n, sampled int64
	for _, g := range st.Groups {
		if g.Name == "" {
			continue
		}
		if m := g.MinProcessRSS; m > 0 && (sampled == 0 || m < sampled) {
			sampled = m
		}
		for _, pr := range g.Processes {
			if pr.RSSBytes <= 0 {
				continue
			}
			all += pr.RSSBytes
			n++
			if minRSS == 0 || pr.RSSBytes < minRSS {
				minRSS = pr.RSSBytes
			}
		}
	}
	if sampled > 0 {
		return sampled, all, "the smallest such process the monitor sampled"
	}
	if n == 0 {
		return 20 << 20, 0, "no process was measured: a small Python app's size"
	}
	var grown, growthMax int64
	for _, r := range st.Routes {
		if r.Group != "" {
			grown += r.MemoryGrowthBytes
			growthMax = max(growthMax, r.MemoryGrowthMaxBytes)
		}
	}
	if minRSS < growthMax {
		return minRSS, all, "the smallest process now"
	}
	return min(minRSS, max((all-grown)/n, minRSS/8, 8<<20)), all, "the mean process less the growth charged to requests, at most the smallest process"
}

func loadOf(xs []prefix, win float64, cpuShare map[string]float64) Load {
	var l Load
	var sum, cpu float64
	for _, x := range xs {
		l.Requests += x.Requests
		sum += x.MeanMs * float64(x.Requests)
		cpu += cpuShare[x.Group] * x.MeanMs * float64(x.Requests)
		l.P99ms = max(l.P99ms, x.P99ms)
		l.GrowthMax = max(l.GrowthMax, x.MemoryGrowthMaxBytes)
		l.GrowthBytes += x.MemoryGrowthBytes
	}
	if l.Requests > 0 {
		l.MeanMs = sum / float64(l.Requests)
	}
	l.CPUShare = 1
	if sum > 0 {
		l.CPUShare = cpu / sum
	}
	l.Rate = float64(l.Requests) / win
	l.Concurrency = l.Rate * l.MeanMs / 1000
	return l
}

// threadsFor is how many threads serve a mean concurrency L without
// queueing in most bursts: L plus three standard deviations of a Poisson
// count (√L), plus one.
func threadsFor(L float64) int {
	return int(math.Ceil(L+3*math.Sqrt(L))) + 1
}

// processesFor is how many processes the GIL needs: the CPU seconds per
// second the requests use (L × CPU share), at gilTarget per process.
func processesFor(l Load) int {
	return int(math.Ceil(l.Concurrency * l.CPUShare / gilTarget))
}

func memoryPlan(in Input, p *Proposal, xs []prefix, areas []string, all []prefix, used map[string]bool, win float64, cpu map[string]float64, say func(string, ...any)) GroupPlan {
	l := loadOf(xs, win, cpu)
	name := strings.Trim(regexp.MustCompile(`[^A-Za-z0-9_-]+`).ReplaceAllString(strings.TrimPrefix(areaOf(xs[0].Name), "/"), "-"), "-")
	if name == "" {
		name = "memory"
	}
	g := GroupPlan{Class: ClassMemory, Load: l, Processes: 1, Prefixes: names(xs)}
	g.Name, g.Exists = pickName(in, name, xs, all, used)
	g.Threads = min(3, max(2, threadsFor(l.Concurrency)))
	perRequest := float64(l.GrowthBytes) / float64(l.Requests)
	g.MaximumRequests = 1000
	if perRequest > 0 {
		g.MaximumRequests = int(min(1000, max(5, math.Round(float64(l.GrowthMax)/perRequest))))
	}
	g.InactivitySeconds = int(min(300, max(30, math.Ceil(10*l.P99ms/1000))))
	g.MaximumRSS = roundMB(p.BaseRSS + l.GrowthMax*3/2)
	g.Locations = locationsFor(xs, areas, all)
	say("Group %s (memory): 1 process, %d threads for %.2f requests in progress on average (%.3f per second × %.0f ms); maximum-requests=%d, after which a process has grown on average (%s per request) as much as the largest single request did (%s); inactivity-timeout=%d s gives the memory back soon after the last of these rare requests (10 × their p99 of %.0f ms, at least 30 s); maximum-rss=%s (a fresh worker plus 1.5 × the largest growth) recycles a process that grows past anything measured.",
		g.Name, g.Threads, l.Concurrency, l.Rate, l.MeanMs, g.MaximumRequests, mb(int64(perRequest)), mb(l.GrowthMax), g.InactivitySeconds, l.P99ms, mb(g.MaximumRSS))
	return g
}

func volumePlan(in Input, p *Proposal, xs []prefix, all []prefix, used map[string]bool, win float64, cpu map[string]float64, say func(string, ...any)) GroupPlan {
	l := loadOf(xs, win, cpu)
	g := GroupPlan{Class: ClassVolume, Load: l, Prefixes: names(xs)}
	g.Name, g.Exists = pickName(in, "volume", xs, all, used)
	threads := threadsFor(l.Concurrency)
	gil := processesFor(l)
	if c := in.Host.CPUs; c > 0 && gil > c {
		gil = c // more GILs than cores adds no CPU
	}
	// One request in progress per process on average, so that a hot
	// request seldom waits for another's GIL (its p99 is the point of the
	// group), and at least 2, so that one can recycle while the other serves.
	procs := max(2, gil, int(math.Ceil(l.Concurrency)))
	g.Processes = procs
	g.Threads = min(15, max(2, int(math.Ceil(float64(threads)/float64(procs)))))
	g.Locations = locationsFor(xs, nil, all)
	say("Group %s (high volume): %.1f requests per second × %.1f ms mean = %.2f requests in progress (Little's law), %d threads with room for bursts (L + 3√L + 1); their CPU share is %.0f%% of the busy time, so the GILs need %.2f processes at %.0f%% use; %d processes (at least 2 so that one can recycle while the other serves, and one per request in progress so that hot requests seldom wait for each other's GIL) × %d threads.",
		g.Name, l.Rate, l.MeanMs, l.Concurrency, threads, 100*l.CPUShare, l.Concurrency*l.CPUShare/gilTarget, 100*gilTarget, g.Processes, g.Threads)
	return g
}

func defaultPlan(in Input, p *Proposal, xs, all []prefix, win float64, cpu map[string]float64, say func(string, ...any)) GroupPlan {
	l := loadOf(xs, win, cpu)
	g := GroupPlan{Class: ClassDefault, Load: l, Name: p.DefaultCurrent, Exists: true, Prefixes: names(xs)}
	// Prefixes another group serves now come back (Edit writes only the
	// <Location>s that move something).
	g.Locations = locationsFor(xs, nil, all)
	threads := threadsFor(l.Concurrency)
	g.Processes = max(1, processesFor(l))
	if c := in.Host.CPUs; c > 0 && g.Processes > c {
		g.Processes = c
	}
	var total uint64
	for _, x := range all {
		total += x.Requests
	}
	note := ""
	if 2*l.Requests >= total && g.Processes < 2 {
		// It carries most of the site: 2 processes, so that one can
		// recycle or crash while the other serves.
		g.Processes = 2
		note = " (2, not 1: it carries most of the requests, and one process can recycle while the other serves)"
	}
	// Unmeasured URLs land here too: keep mod_wsgi's modest default of
	// threads at least.
	g.Threads = min(15, max(5, int(math.Ceil(float64(threads)/float64(g.Processes)))))
	cur := currentSize(in, g.Name)
	say("Group %s (the rest): %.2f requests per second × %.1f ms = %.3f in progress: %d process(es)%s × %d threads (now %d × %d).",
		g.Name, l.Rate, l.MeanMs, l.Concurrency, g.Processes, note, g.Threads, cur[0], cur[1])
	return g
}

// currentSize is a group's processes and threads in the config (mod_wsgi's
// defaults where unset: 1 × 15).
func currentSize(in Input, name string) [2]int {
	if in.Config != nil {
		for _, g := range in.Config.Groups {
			if g.Spec != nil && g.Spec.Name == name {
				return [2]int{max(1, g.Spec.Processes), g.Spec.Threads}
			}
		}
	}
	for _, g := range in.Status.Groups {
		if g.Name == name && len(g.Processes) > 0 {
			return [2]int{len(g.Processes), g.Processes[0].Threads}
		}
	}
	return [2]int{1, 15}
}

// pickName keeps an existing group that serves exactly these prefixes (its
// options change), else takes want, or want2, want3... if taken.
func pickName(in Input, want string, xs []prefix, all []prefix, used map[string]bool) (string, bool) {
	mine := map[string]bool{}
	for _, x := range xs {
		mine[x.Name] = true
	}
	g := xs[0].Group
	same := true
	for _, x := range xs {
		same = same && x.Group == g
	}
	for _, x := range all {
		if x.Group == g && !mine[x.Name] {
			same = false
		}
	}
	if same && g != "" {
		return g, true
	}
	name := want
	for i := 2; used[name]; i++ {
		name = fmt.Sprintf("%s%d", want, i)
	}
	used[name] = true
	return name, false
}

// defaultGroup is the group the WSGIScriptAlias itself sends requests to
// (the measured route named after its URL, not a <Location>), else the
// group most of the remaining requests ran in, else the group most requests
// ran in.
func defaultGroup(cfg *config.Config, st monitor.Status, all []prefix, reqBy map[string]uint64) string {
	best, n := "", uint64(0)
	if cfg != nil {
		aliases := map[string]bool{}
		for _, v := range append([]*config.VHost{cfg.Main}, cfg.VHosts...) {
			if v == nil {
				continue
			}
			for _, a := range v.ScriptAliases {
				if a.Regex == nil {
					aliases[a.URL] = true
				}
			}
		}
		for _, r := range st.Routes {
			if aliases[r.Name] && r.Group != "" && r.Requests+1 > n {
				best, n = r.Group, r.Requests+1
			}
		}
		if best != "" {
			return best
		}
	}
	for g, c := range reqBy {
		if c > n || (c == n && g < best) {
			best, n = g, c
		}
	}
	if best != "" {
		return best
	}
	by := map[string]uint64{}
	for _, x := range all {
		by[x.Group] += x.Requests
	}
	for g, c := range by {
		if c > n || (c == n && g < best) {
			best, n = g, c
		}
	}
	return best
}

// locationsFor turns prefixes into <Location>s: a memory area whole
// ("/admin" covers "/admin", "/admin/" and below), "/" as the exact regex
// "^/$", a top-level name alone as itself, a folder prefix as itself. A
// prefix that another measured prefix starts with, and that must not take
// it along, becomes an exact regex.
func locationsFor(xs []prefix, areas []string, all []prefix) []Location {
	mine := map[string]bool{}
	for _, x := range xs {
		mine[x.Name] = true
	}
	var out []Location
	covered := map[string]bool{}
	for _, a := range areas {
		loc := Location{Path: a}
		for _, x := range all {
			if covers(a, x.Name) {
				loc.Prefixes = append(loc.Prefixes, x.Name)
				covered[x.Name] = true
			}
		}
		out = append(out, loc)
	}
	for _, x := range xs {
		if covered[x.Name] {
			continue
		}
		takesOthers := false
		for _, y := range all {
			if y.Name != x.Name && covers(x.Name, y.Name) && !mine[y.Name] {
				takesOthers = true
			}
		}
		loc := Location{Path: x.Name, Prefixes: []string{x.Name}}
		switch {
		case x.Name == "/":
			loc = Location{Path: "^/$", Regex: true, Prefixes: []string{"/"}}
		case takesOthers && strings.HasSuffix(x.Name, "/"):
			// A folder with a measured name below it that stays: leave it
			// as a prefix only if nothing below it stays (checked above).
			loc = Location{Path: "^" + regexp.QuoteMeta(x.Name), Regex: true, Prefixes: []string{x.Name}}
		case takesOthers:
			loc = Location{Path: "^" + regexp.QuoteMeta(x.Name) + "$", Regex: true, Prefixes: []string{x.Name}}
		}
		out = append(out, loc)
	}
	return out
}

// covers says whether <Location loc> applies to the path prefix name:
// httpd 2.4 matches a Location's path at a segment boundary ("/admin"
// takes "/admin" and "/admin/x", not "/adminx").
func covers(loc, name string) bool {
	if strings.HasSuffix(loc, "/") {
		return strings.HasPrefix(name, loc)
	}
	return name == loc || strings.HasPrefix(name, loc+"/")
}

// fit shrinks the proposal until it fits 80% of the host's memory: the
// volume group down to 2 processes, then the default group down to 1.
func (p *Proposal) fit(in Input, say func(string, ...any)) {
	if in.Host.MemoryBytes <= 0 {
		return
	}
	budget := in.Host.MemoryBytes * 8 / 10
	need := func() int64 {
		var n int64
		for i := range p.Groups {
			n += p.groupMemory(&p.Groups[i])
		}
		return n
	}
	for _, class := range []Class{ClassVolume, ClassDefault} {
		for i := range p.Groups {
			g := &p.Groups[i]
			floor := 1
			if class == ClassVolume {
				floor = 2
			}
			for g.Class == class && need() > budget && g.Processes > floor {
				g.Processes--
				say("Group %s loses a process: the proposal must fit 80%% of the host's %s.", g.Name, mb(in.Host.MemoryBytes))
			}
		}
	}
	if n := need(); n > budget {
		say("Even so the proposal needs %s, more than 80%% of the host's %s: give the host more memory or the app less to load.", mb(n), mb(in.Host.MemoryBytes))
	} else {
		say("The proposal needs %s at most, within 80%% of the host's %s.", mb(n), mb(in.Host.MemoryBytes))
	}
}

// groupMemory is a planned group's steady state: every process as big as
// a fresh worker plus the largest growth of what it serves.
func (p *Proposal) groupMemory(g *GroupPlan) int64 {
	g.MemoryBytes = int64(g.Processes) * (p.BaseRSS + g.Load.GrowthMax)
	return g.MemoryBytes
}

// estimate fills Before (the groups the measurements ran in, as configured)
// and After.
func (p *Proposal) estimate(in Input, all []prefix, win float64, cpu map[string]float64) {
	byGroup := map[string][]prefix{}
	for _, x := range all {
		byGroup[x.Group] = append(byGroup[x.Group], x)
	}
	for _, name := range p.BeforeGroups {
		if name == "" {
			continue
		}
		size := currentSize(in, name)
		l := loadOf(byGroup[name], win, cpu)
		if len(byGroup[name]) == 0 {
			l.CPUShare = cpu[name]
		}
		p.Before.add(size[0], size[1], int64(size[0])*(p.BaseRSS+l.GrowthMax), l, in.Host.CPUs)
	}
	planned := map[string]bool{}
	for i := range p.Groups {
		g := &p.Groups[i]
		planned[g.Name] = true
		p.After.add(g.Processes, g.Threads, p.groupMemory(g), g.Load, in.Host.CPUs)
	}
	// Groups the proposal leaves alone stay as they are.
	for _, name := range p.BeforeGroups {
		if name == "" || planned[name] {
			continue
		}
		size := currentSize(in, name)
		l := loadOf(byGroup[name], win, cpu)
		p.After.add(size[0], size[1], int64(size[0])*(p.BaseRSS+l.GrowthMax), l, in.Host.CPUs)
	}
}

func (e *Estimate) add(procs, threads int, memory int64, l Load, cpus int) {
	e.Processes += procs
	e.Threads += procs * threads
	e.MemoryBytes += memory
	if l.Rate <= 0 || l.MeanMs <= 0 {
		return
	}
	// How many times its measured rate this group can take: its threads
	// (Little's law) and its GILs (one CPU-second per second per process).
	w := l.MeanMs / 1000
	scale := float64(procs*threads) / (l.Rate * w)
	if l.CPUShare > 0 {
		scale = min(scale, float64(procs)/(l.Rate*w*l.CPUShare))
	}
	if e.scale == 0 || scale < e.scale {
		e.scale = scale
	}
	e.rate += l.Rate
	e.cpuDemand += l.Rate * w * l.CPUShare
	e.cpus = cpus
	// The measured mix, scaled until the first group or the host's CPUs
	// run out.
	s := e.scale
	if e.cpus > 0 && e.cpuDemand > 0 {
		s = min(s, float64(e.cpus)/e.cpuDemand)
	}
	e.Capacity = s * e.rate
}

func names(xs []prefix) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = x.Name
	}
	return out
}

func roundMB(b int64) int64 { return (b + 1<<20 - 1) >> 20 << 20 }

// mb writes bytes in MB (MiB, as the status page does).
func mb(b int64) string {
	return fmt.Sprintf("%.1f MB", float64(b)/(1<<20))
}
