package server

import (
	"context"
	"fmt"
	"reflect"
	"sync/atomic"
	"time"

	"github.com/appserver/appserver/daemon"
	"github.com/appserver/appserver/server/config"
	"github.com/appserver/appserver/server/route"
)

// generation is one config in service: its routing table, its groups and
// its access logs. Requests take the current one and keep it to their end.
type generation struct {
	cfg    *config.Config
	table  *route.Table
	groups map[string]*daemon.Group
	specs  map[string]*daemon.Spec // what each group was started with
	logs   *accessLogs
	active atomic.Int64 // requests being served under this generation
}

// Reload puts cfg in service without dropping a request. Groups whose
// definition did not change keep their processes; new and changed groups
// start first (a group that cannot start fails the reload, and the old
// config keeps serving); then the new routes apply at once, and the
// groups that left or changed drain and stop, finishing their requests as
// a stop does (graceful-timeout, shutdown-timeout). Access logs are
// reopened, so that a rotated file is let go.
func (f *Frontend) Reload(ctx context.Context, cfg *config.Config) error {
	f.reload.Lock()
	defer f.reload.Unlock()
	old := f.gen.Load()
	next := &generation{cfg: cfg, table: route.Compile(cfg, f.opts.Routing), groups: map[string]*daemon.Group{},
		specs: map[string]*daemon.Spec{}}
	logs, warnings, err := openAccessLogs(cfg)
	for _, w := range warnings {
		f.log.Warn(w)
	}
	if err != nil {
		return err
	}
	next.logs = logs
	var started []*daemon.Group
	undo := func() {
		for _, g := range started {
			_ = g.Stop(context.Background())
		}
		logs.close()
	}
	for _, g := range cfg.Groups {
		spec := withServerUser(cfg, g.Spec, f.opts.AllowRoot)
		next.specs[spec.Name] = spec
		if prev := old.groups[spec.Name]; prev != nil && reflect.DeepEqual(old.specs[spec.Name], spec) {
			next.groups[spec.Name] = prev
			continue
		}
		dg := daemon.NewGroup(spec, f.groupOptions(spec))
		if err := dg.Start(ctx); err != nil {
			undo()
			return fmt.Errorf("group %s: %w", spec.Name, err)
		}
		started = append(started, dg)
		next.groups[spec.Name] = dg
	}
	f.mu.Lock()
	f.gen.Store(next)
	f.mu.Unlock()
	var leaving []*daemon.Group
	for name, g := range old.groups {
		if next.groups[name] != g {
			leaving = append(leaving, g)
		}
	}
	f.retiring.Add(len(leaving))
	go f.retire(old, leaving)
	f.log.Info("reloaded", "config", cfg.File, "groups", len(cfg.Groups), "started", len(started), "stopping", len(leaving))
	return nil
}

// retireWait bounds how long the groups a reload left behind keep serving
// the requests routed to them under the old config before they stop (a
// stop then drains what is left, within shutdown-timeout).
const retireWait = 30 * time.Second

// retire stops the groups a reload left behind once the requests routed
// under the old config have finished (queued ones included: a stop would
// answer them 503), or after retireWait; then, once every request of the
// old generation is done, closes its logs.
func (f *Frontend) retire(old *generation, leaving []*daemon.Group) {
	// A request that read the old generation just before the swap counts
	// itself within microseconds; give it that, then wait for the rest.
	time.Sleep(100 * time.Millisecond)
	deadline := time.Now().Add(retireWait)
	for old.active.Load() > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	for _, g := range leaving {
		var pids []int
		for _, p := range g.Snapshot().Processes {
			pids = append(pids, p.PID)
		}
		f.mon.Reloaded(g.Name(), pids)
		go func() {
			defer f.retiring.Done()
			_ = g.Stop(context.Background())
		}()
	}
	for old.active.Load() > 0 {
		time.Sleep(50 * time.Millisecond)
	}
	old.logs.close()
}
