package server

import (
	"context"
	"log/slog"

	"github.com/appserver/appserver/daemon"
	"github.com/appserver/appserver/parser"
	"github.com/appserver/appserver/server/config"
	"github.com/appserver/appserver/server/route"
)

// CheckScripts starts one process of each group the scripts route to, with
// every one of its scripts preloaded as required, and stops it again: a
// script that does not import or lacks its callable is reported with the
// Python error. Scripts of the embedded group ("") are skipped and counted
// in unchecked.
func CheckScripts(ctx context.Context, cfg *config.Config, opts FrontendOptions) (checked, unchecked int, errs parser.ErrorList) {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	byGroup := map[string][]route.ScriptCheck{}
	for _, ck := range route.Compile(cfg, route.Options{}).ScriptChecks() {
		if ck.ProcessGroup == "" {
			unchecked++
			continue
		}
		byGroup[ck.ProcessGroup] = append(byGroup[ck.ProcessGroup], ck)
	}
	for _, g := range cfg.Groups {
		spec := g.Spec
		checks := byGroup[spec.Name]
		if len(checks) == 0 {
			continue
		}
		s := withServerUser(cfg, spec, opts.AllowRoot)
		s.Processes, s.MinProcesses = 1, 0
		s.Preload = nil
		for _, ck := range checks {
			s.Preload = append(s.Preload, daemon.Preload{Script: ck.Script, ApplicationGroup: ck.ApplicationGroup,
				CallableObject: ck.CallableObject, Required: true})
		}
		g := daemon.NewGroup(s, groupOptions(opts, log, s, opts.OnEvent))
		err := g.Start(ctx)
		_ = g.Stop(context.Background())
		if err != nil {
			errs = append(errs, &parser.Error{Pos: checks[0].Pos, Msg: err.Error()})
			continue
		}
		checked += len(checks)
	}
	return checked, unchecked, errs
}
