package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// clockTicks is USER_HZ, the unit of the CPU times in /proc/PID/stat. It is
// 100 on every Linux ABI Go supports, whatever the kernel's HZ.
const clockTicks = 100

// procKey names one process for the whole run: a pid can be reused, a pid
// plus its start time cannot.
type procKey struct {
	PID   int
	Start uint64
}

// procInfo is what the benchmark reads about one process.
type procInfo struct {
	PID, PPID int
	Comm      string
	Start     uint64 // clock ticks after boot
	// CPUTicks is utime+stime. Not cutime/cstime: a reaped child's whole
	// life would land on its parent, counting CPU used before the
	// measurement and moving a worker's CPU to the front end.
	CPUTicks uint64
	// Cmd is argv[0] as ps shows it: mod_wsgi and appserver put the
	// display-name there ("(wsgi:bench)").
	Cmd string
}

func (p procInfo) key() procKey { return procKey{p.PID, p.Start} }

// parseStat reads one /proc/PID/stat line. comm may hold spaces and
// parentheses, so the fields are counted from the last ')'.
func parseStat(b []byte) (procInfo, error) {
	open := bytes.IndexByte(b, '(')
	end := bytes.LastIndexByte(b, ')')
	if open < 0 || end < open {
		return procInfo{}, errors.New("stat: no (comm)")
	}
	pid, err := strconv.Atoi(string(bytes.TrimSpace(b[:open])))
	if err != nil {
		return procInfo{}, fmt.Errorf("stat: pid: %w", err)
	}
	f := strings.Fields(string(b[end+1:]))
	// f[0] is field 3 (state): ppid is field 4, utime..cstime 14..17,
	// starttime 22.
	if len(f) < 20 {
		return procInfo{}, fmt.Errorf("stat: %d fields after comm, want at least 20", len(f))
	}
	p := procInfo{PID: pid, Comm: string(b[open+1 : end])}
	if p.PPID, err = strconv.Atoi(f[1]); err != nil {
		return procInfo{}, fmt.Errorf("stat: ppid: %w", err)
	}
	for _, i := range []int{11, 12} {
		v, err := strconv.ParseUint(f[i], 10, 64)
		if err != nil {
			return procInfo{}, fmt.Errorf("stat: cpu field %d: %w", i+3, err)
		}
		p.CPUTicks += v
	}
	if p.Start, err = strconv.ParseUint(f[19], 10, 64); err != nil {
		return procInfo{}, fmt.Errorf("stat: starttime: %w", err)
	}
	return p, nil
}

// readProcs reads every process under procRoot ("/proc"). Processes that
// exit while it reads are skipped.
func readProcs(procRoot string) (map[int]procInfo, error) {
	ents, err := os.ReadDir(procRoot)
	if err != nil {
		return nil, err
	}
	out := make(map[int]procInfo, len(ents))
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join(procRoot, e.Name(), "stat"))
		if err != nil {
			continue
		}
		p, err := parseStat(b)
		if err != nil || p.PID != pid {
			continue
		}
		if cmd, err := os.ReadFile(filepath.Join(procRoot, e.Name(), "cmdline")); err == nil {
			p.Cmd = strings.TrimSpace(string(bytes.SplitN(cmd, []byte{0}, 2)[0]))
		}
		out[pid] = p
	}
	return out, nil
}

// tree returns root and all its descendants, root first, then by pid.
func tree(all map[int]procInfo, root int) []procInfo {
	kids := map[int][]int{}
	for pid, p := range all {
		kids[p.PPID] = append(kids[p.PPID], pid)
	}
	r, ok := all[root]
	if !ok {
		return nil
	}
	out := []procInfo{r}
	todo := kids[root]
	for len(todo) > 0 {
		pid := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		out = append(out, all[pid])
		todo = append(todo, kids[pid]...)
	}
	rest := out[1:]
	sort.Slice(rest, func(i, j int) bool { return rest[i].PID < rest[j].PID })
	return out
}

// memOf reads Rss and Pss (kB) of one process from smaps_rollup.
func memOf(procRoot string, pid int) (rss, pss int64, err error) {
	f, err := os.Open(filepath.Join(procRoot, strconv.Itoa(pid), "smaps_rollup"))
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	return parseRollup(f)
}

func parseRollup(r io.Reader) (rss, pss int64, err error) {
	sc := bufio.NewScanner(r)
	seen := 0
	for sc.Scan() {
		line := sc.Text()
		var dst *int64
		switch {
		case strings.HasPrefix(line, "Rss:"):
			dst = &rss
		case strings.HasPrefix(line, "Pss:"):
			dst = &pss
		default:
			continue
		}
		fs := strings.Fields(line)
		if len(fs) < 2 {
			return 0, 0, fmt.Errorf("smaps_rollup: bad line %q", line)
		}
		if *dst, err = strconv.ParseInt(fs[1], 10, 64); err != nil {
			return 0, 0, fmt.Errorf("smaps_rollup: %w", err)
		}
		seen++
	}
	if err := sc.Err(); err != nil {
		return 0, 0, err
	}
	if seen < 2 {
		return 0, 0, errors.New("smaps_rollup: no Rss/Pss lines")
	}
	return rss, pss, nil
}

// hostBusy is the busy (not idle, not iowait) CPU time of the whole host
// in seconds, from the first line of /proc/stat.
func hostBusy(procRoot string) (float64, error) {
	b, err := os.ReadFile(filepath.Join(procRoot, "stat"))
	if err != nil {
		return 0, err
	}
	return parseHostBusy(b)
}

func parseHostBusy(b []byte) (float64, error) {
	line, _, _ := bytes.Cut(b, []byte{'\n'})
	f := strings.Fields(string(line))
	if len(f) < 6 || f[0] != "cpu" {
		return 0, errors.New("/proc/stat: no cpu line")
	}
	var total, idle uint64
	for i, s := range f[1:] {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/stat: %w", err)
		}
		// Fields 8 and 9 (guest, guest_nice) are already counted in user
		// and nice.
		if i >= 8 {
			break
		}
		total += v
		if i == 3 || i == 4 { // idle, iowait
			idle += v
		}
	}
	return float64(total-idle) / clockTicks, nil
}

// cpuTracker follows the CPU of a server's processes over a measurement.
// Each process counts from its first reading to its last, so one that
// exits mid-run (Apache retiring a child, a recycled worker) keeps the
// CPU it used up to the last sample.
type cpuTracker struct {
	first, last map[procKey]procInfo
}

func newCPUTracker(start []procInfo) *cpuTracker {
	t := &cpuTracker{first: map[procKey]procInfo{}, last: map[procKey]procInfo{}}
	for _, p := range start {
		t.first[p.key()] = p
		t.last[p.key()] = p
	}
	return t
}

// see records a reading. A process first seen now started during the
// measurement: it counts from zero.
func (t *cpuTracker) see(ps []procInfo) {
	for _, p := range ps {
		if _, ok := t.first[p.key()]; !ok {
			z := p
			z.CPUTicks = 0
			t.first[p.key()] = z
		}
		t.last[p.key()] = p
	}
}

// seconds sums the CPU seconds used, per role.
func (t *cpuTracker) seconds(role func(procInfo) string) map[string]float64 {
	out := map[string]float64{}
	for k, p := range t.last {
		d := p.CPUTicks - min(t.first[k].CPUTicks, p.CPUTicks)
		out[role(p)] += float64(d) / clockTicks
	}
	return out
}
