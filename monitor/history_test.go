package monitor

import (
	"os"
	"testing"
	"time"

	"github.com/appserver/appserver/daemon"
)

func TestReadShares(t *testing.T) {
	pss, uss, ok := readShares(int32(os.Getpid()))
	st, _ := readProc(int32(os.Getpid()))
	if !ok || pss <= 0 || uss <= 0 || uss > st.rss || pss > st.rss {
		t.Errorf("pss %d uss %d ok %v, rss %d", pss, uss, ok, st.rss)
	}
}

// The group CPU counter keeps the seconds of processes that exited and
// never goes back.
func TestGroupCPUCounter(t *testing.T) {
	m := New()
	me := daemon.ProcessSnapshot{PID: os.Getpid(), State: "ready", Threads: 1}
	src := &switchSource{snaps: []daemon.Snapshot{{Name: "g", Processes: []daemon.ProcessSnapshot{me}}}}
	m.SetSource(src)
	now := time.Now()
	m.sample(now)
	st, _ := readProc(int32(os.Getpid()))
	live := m.groupCPU("g", st.cpuSec)
	src.snaps = []daemon.Snapshot{{Name: "g"}} // the process is gone
	m.sample(now.Add(SampleEvery))
	if d := m.sampler.deadCPU["g"]; d <= 0 || d > st.cpuSec {
		t.Errorf("the exited process's CPU: %v s, want its last sample (≤ %v)", d, st.cpuSec)
	}
	if dead := m.groupCPU("g", 0); dead < live {
		t.Errorf("after the exit the counter says %v s, want at least %v (and never less than %v)", dead, st.cpuSec, live)
	}
}

type switchSource struct{ snaps []daemon.Snapshot }

func (s *switchSource) Snapshots() []daemon.Snapshot { return s.snaps }

// The smallest RSS of a ready process that served a request is kept per
// group: a process that served nothing yet, or is not ready, does not count.
func TestMinProcessRSS(t *testing.T) {
	m := New()
	me := daemon.ProcessSnapshot{PID: os.Getpid(), State: "ready", Threads: 1}
	src := &switchSource{snaps: []daemon.Snapshot{{Name: "g", Processes: []daemon.ProcessSnapshot{me}}}}
	m.SetSource(src)
	now := time.Now()
	m.sample(now)
	if got := m.sampler.minRSS["g"]; got != 0 {
		t.Errorf("min RSS %d before any request, want none", got)
	}
	me.Requests = 1
	src.snaps = []daemon.Snapshot{{Name: "g", Processes: []daemon.ProcessSnapshot{me}}}
	m.sample(now.Add(SampleEvery))
	st, _ := readProc(int32(os.Getpid()))
	got := m.Status().Groups[0].MinProcessRSS
	if got <= 0 || got > st.rss*2 {
		t.Errorf("min RSS %d, want about this process's %d", got, st.rss)
	}
}
