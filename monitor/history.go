package monitor

import (
	"context"
	"sync"
	"time"

	"github.com/shirou/gopsutil/v4/process"
)

// The status page's charts need rates and recent percentiles, which the
// cumulative counters cannot give: every SampleEvery the monitor keeps one
// point per group, up to HistoryPoints of them.
const (
	SampleEvery   = 5 * time.Second
	HistoryPoints = 120 // ten minutes
)

// Point is one group's activity over one sampling interval.
type Point struct {
	Time       time.Time `json:"time"`
	Requests   uint64    `json:"requests"` // answered in the interval
	Errors     uint64    `json:"errors"`   // 5xx among them
	RatePerSec float64   `json:"rate_per_sec"`
	P50ms      float64   `json:"p50_ms"`
	P95ms      float64   `json:"p95_ms"`
	P99ms      float64   `json:"p99_ms"`
	Busy       int       `json:"threads_busy"` // at the sample
	Threads    int       `json:"threads"`
	// Capacity is mod_wsgi's capacity utilisation over the interval: the
	// threads' busy time ÷ (threads × interval), 0..1.
	Capacity   float64 `json:"capacity_used"`
	Queued     int     `json:"queued"`
	RSSBytes   int64   `json:"rss_bytes"`   // sum over the group's processes
	CPUPercent float64 `json:"cpu_percent"` // over the interval, 100 = one core
}

// sampler keeps the history of every group.
type sampler struct {
	mu      sync.Mutex
	history map[string][]Point
	last    map[string]histSnapshot
	lastErr map[string]uint64
	busy    map[string]int64   // group -> its busy nanoseconds at the last sample
	threadS map[string]float64 // group -> thread-seconds available so far
	lastAt  time.Time
	cpu     map[int32]float64 // pid -> CPU seconds at the last sample
	cpuOf   map[int32]string  // pid -> its group, at the last sample
	// deadCPU is the CPU seconds of each group's processes that exited, as
	// last sampled; cpuShown the most the counter has said, which keeps it
	// from going back when a process's last seconds died with it.
	deadCPU, cpuShown map[string]float64
	// minRSS is, per group, the smallest RSS sampled of a ready process
	// that had served a request: what a worker weighs with the application
	// loaded, before requests grow it (the partition advisor's baseline).
	minRSS map[string]int64
}

type procStat struct {
	rss    int64
	cpuSec float64
}

// Run samples every SampleEvery until ctx is done.
func (m *Monitor) Run(ctx context.Context) {
	t := time.NewTicker(SampleEvery)
	defer t.Stop()
	m.sample(time.Now())
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			m.sample(now)
		}
	}
}

// sample adds one point per group.
func (m *Monitor) sample(now time.Time) {
	snaps := m.snapshots()
	s := &m.sampler
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.history == nil {
		s.history, s.last, s.lastErr, s.cpu = map[string][]Point{}, map[string]histSnapshot{}, map[string]uint64{}, map[int32]float64{}
		s.busy, s.threadS = map[string]int64{}, map[string]float64{}
		s.cpuOf, s.deadCPU, s.cpuShown = map[int32]string{}, map[string]float64{}, map[string]float64{}
		s.minRSS = map[string]int64{}
	}
	interval := now.Sub(s.lastAt)
	first := s.lastAt.IsZero()
	s.lastAt = now
	procs := map[int32]procStat{}
	for _, snap := range snaps {
		p := Point{Time: now, Queued: snap.Queued, Busy: snap.InFlight}
		var cpuDelta float64
		for _, ps := range snap.Processes {
			if ps.State == "ready" {
				p.Threads += ps.Threads
			}
			st, ok := readProc(int32(ps.PID))
			if !ok {
				continue
			}
			procs[int32(ps.PID)] = st
			p.RSSBytes += st.rss
			if m, seen := s.minRSS[snap.Name]; ps.State == "ready" && ps.Requests > 0 && st.rss > 0 && (!seen || st.rss < m) {
				s.minRSS[snap.Name] = st.rss
			}
			if prev, seen := s.cpu[int32(ps.PID)]; seen {
				cpuDelta += st.cpuSec - prev
			} else if !first {
				cpuDelta += st.cpuSec // started within the interval
			}
		}
		gs := m.group(snap.Name)
		series := &gs.series
		busy := gs.busy.Load()
		h := series.duration.snapshot()
		d := h.sub(s.last[snap.Name])
		errs := series.byClass[5].Load()
		s.last[snap.Name] = h
		if !first {
			p.Requests = d.count
			p.Errors = errs - s.lastErr[snap.Name]
			if secs := interval.Seconds(); secs > 0 {
				p.RatePerSec = float64(d.count) / secs
				p.CPUPercent = 100 * cpuDelta / secs
			}
			p.P50ms, p.P95ms, p.P99ms = ms(d.quantile(0.5)), ms(d.quantile(0.95)), ms(d.quantile(0.99))
			avail := float64(p.Threads) * interval.Seconds()
			s.threadS[snap.Name] += avail
			if avail > 0 {
				p.Capacity = min(1, time.Duration(busy-s.busy[snap.Name]).Seconds()/avail)
			}
		}
		s.busy[snap.Name] = busy
		s.lastErr[snap.Name] = errs
		hist := append(s.history[snap.Name], p)
		if len(hist) > HistoryPoints {
			hist = hist[len(hist)-HistoryPoints:]
		}
		s.history[snap.Name] = hist
	}
	for pid, cpu := range s.cpu {
		if _, alive := procs[pid]; !alive {
			s.deadCPU[s.cpuOf[pid]] += cpu
		}
	}
	s.cpu, s.cpuOf = map[int32]float64{}, map[int32]string{}
	for _, snap := range snaps {
		for _, ps := range snap.Processes {
			if st, ok := procs[int32(ps.PID)]; ok {
				s.cpu[int32(ps.PID)] = st.cpuSec
				s.cpuOf[int32(ps.PID)] = snap.Name
			}
		}
	}
}

// groupCPU is the CPU seconds a group's workers used so far: those that
// exited (as last sampled) plus the live ones now; it never goes back.
func (m *Monitor) groupCPU(group string, live float64) float64 {
	s := &m.sampler
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.deadCPU == nil {
		return live
	}
	v := max(s.deadCPU[group]+live, s.cpuShown[group])
	s.cpuShown[group] = v
	return v
}

// readProc reads a process's RSS and CPU time with gopsutil.
func readProc(pid int32) (procStat, bool) {
	p, err := process.NewProcess(pid)
	if err != nil {
		return procStat{}, false
	}
	mem, err := p.MemoryInfo()
	if err != nil {
		return procStat{}, false
	}
	t, err := p.Times()
	if err != nil {
		return procStat{}, false
	}
	return procStat{rss: int64(mem.RSS), cpuSec: t.User + t.System}, true
}

// readShares reads a process's PSS and USS (private clean + dirty) from
// /proc/PID/smaps_rollup through gopsutil; it costs more than readProc, so
// only the status page asks, per view. ok is false where the kernel (or
// the permissions) do not allow it.
func readShares(pid int32) (pss, uss int64, ok bool) {
	p, err := process.NewProcess(pid)
	if err != nil {
		return 0, 0, false
	}
	maps, err := p.MemoryMaps(true)
	if err != nil || maps == nil || len(*maps) == 0 {
		return 0, 0, false
	}
	m := (*maps)[0] // grouped: one sum, in kB
	return int64(m.Pss) << 10, int64(m.PrivateClean+m.PrivateDirty) << 10, true
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
