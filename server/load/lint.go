package load

import (
	"fmt"
	"net/url"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/appserver/appserver/parser"
	"github.com/appserver/appserver/server/config"
	"github.com/appserver/appserver/server/internal/suggest"
)

// lint adds warnings (Kind "lint") for configs that load but do not do what
// they look like they do. They never make Load fail; configtest --strict
// turns them into failures.
func (ld *loader) lint() {
	ld.lintGroupRefs()
	ld.lintUnroutedGroups()
	ld.lintDeadTimers()
	ld.lintLocations()
	ld.lintScriptAliases()
}

// lintGroupRefs reports literal process-group names that no
// WSGIDaemonProcess defines (mod_wsgi answers 500 "No WSGI daemon process
// called 'X' has been configured" at request time) or that the referring
// server may not use (500 "cannot be accessed by this WSGI application").
func (ld *loader) lintGroupRefs() {
	for _, r := range ld.routes {
		g := ld.groups[r.name]
		if g == nil {
			msg := fmt.Sprintf("%s %s names no WSGIDaemonProcess group: mod_wsgi answers 500 (\"No WSGI daemon process called '%s' has been configured\"); define the group or fix the name",
				r.what, r.name, r.name)
			if s := closestGroup(r.name, ld.groups); s != "" {
				msg += fmt.Sprintf(" (did you mean '%s'?)", s)
			}
			ld.warn(r.pos, config.WarnLint, msg)
			continue
		}
		if g.vhost == nil || g.vhost.IsMain || r.vhost == g.vhost {
			continue
		}
		own := ld.serverName(g.vhost)
		cur := ld.serverName(r.vhost)
		if own != cur {
			ld.warn(r.pos, config.WarnLint, fmt.Sprintf("%s %s uses a group defined in the <VirtualHost> at %s (ServerName %q) from a server named %q: mod_wsgi answers 500 (\"Daemon process called '%s' cannot be accessed by this WSGI application\"); define the group at top level or in a vhost with the same ServerName",
				r.what, r.name, parser.FormatPos(g.vhost.Pos), own, cur, r.name))
		}
	}
}

// serverName is the name httpd gives a server after its vhost fixup: its
// ServerName, else the main server's.
func (ld *loader) serverName(vh *config.VHost) string {
	if vh.Name != "" {
		return vh.Name
	}
	return ld.cfg.Main.Name
}

func closestGroup(name string, groups map[string]*groupDef) string {
	names := make([]string, 0, len(groups))
	for n := range groups {
		names = append(names, n)
	}
	sort.Strings(names)
	best, bestDist := "", 0
	for _, n := range names {
		if d := suggest.Distance(name, n); best == "" || d < bestDist {
			best, bestDist = n, d
		}
	}
	if best != "" && bestDist <= 2 && bestDist < len(name) {
		return best
	}
	return ""
}

// dynamicGroupRef matches process-group values computed per request, after
// which no group can be called unrouted.
var dynamicGroupRef = regexp.MustCompile(`%\{(ENV:[^}]*|RESOURCE|SERVER|HOST)\}`)

// lintUnroutedGroups reports groups nothing sends requests or scripts to.
func (ld *loader) lintUnroutedGroups() {
	used := map[string]bool{}
	for _, r := range ld.routes {
		used[r.name] = true
	}
	if ld.anyDynamicGroup() {
		return
	}
	for _, g := range ld.cfg.Groups {
		spec := g.Spec
		if used[spec.Name] || len(spec.Preload) > 0 {
			continue
		}
		g := ld.groups[spec.Name]
		ld.warn(g.pos, config.WarnLint, fmt.Sprintf("WSGI daemon process group '%s' is defined but nothing routes to it (no WSGIProcessGroup %s, process-group=%s or WSGIImportScript): its processes would sit idle; route some URLs to it or remove it",
			spec.Name, spec.Name, spec.Name))
	}
}

// anyDynamicGroup reports whether some WSGIProcessGroup or process-group=
// is computed per request.
func (ld *loader) anyDynamicGroup() bool {
	check := func(c *config.DirConf) bool {
		return c != nil && c.ProcessGroup != nil && dynamicGroupRef.MatchString(c.ProcessGroup.Value)
	}
	var sections func([]*config.Section) bool
	sections = func(ss []*config.Section) bool {
		for _, s := range ss {
			if check(s.Conf) || sections(s.Nested) {
				return true
			}
		}
		return false
	}
	for _, vh := range append([]*config.VHost{ld.cfg.Main}, ld.cfg.VHosts...) {
		if check(ld.state(vh).own) || check(vh.Defaults) || sections(vh.Sections) {
			return true
		}
		for _, sa := range vh.ScriptAliases {
			if sa.ProcessGroup != nil && dynamicGroupRef.MatchString(*sa.ProcessGroup) {
				return true
			}
		}
	}
	return false
}

// lintDeadTimers reports a mod_wsgi 4.9.4 quirk (mod_wsgi.c's
// wsgi_monitor_thread): the
// monitor thread that enforces request-timeout, restart-interval and
// startup-timeout only runs when deadlock-timeout or inactivity-timeout is
// non-zero.
func (ld *loader) lintDeadTimers() {
	for _, g := range ld.cfg.Groups {
		spec := g.Spec
		if spec.DeadlockTimeout != 0 || spec.InactivityTimeout != 0 {
			continue
		}
		var dead []string
		for _, t := range []struct {
			name string
			v    time.Duration
		}{{"request-timeout", spec.RequestTimeout}, {"restart-interval", spec.RestartInterval}, {"startup-timeout", spec.StartupTimeout}} {
			if t.v > 0 {
				dead = append(dead, fmt.Sprintf("%s=%d", t.name, int(t.v/time.Second)))
			}
		}
		if len(dead) == 0 {
			continue
		}
		g := ld.groups[spec.Name]
		ld.warn(g.pos, config.WarnLint, fmt.Sprintf("%s of group '%s' silently does nothing under mod_wsgi: its timers only run when deadlock-timeout or inactivity-timeout is non-zero, and this group sets deadlock-timeout=0 without inactivity-timeout; drop deadlock-timeout=0 (default 300) or set inactivity-timeout",
			strings.Join(dead, ", "), spec.Name))
	}
}

var percentEscape = regexp.MustCompile(`%[0-9A-Fa-f]{2}`)

// lintLocations reports <Location> sections that can never match and ones
// whose every setting a later section overrides for every URL they match.
func (ld *loader) lintLocations() {
	for i, si := range ld.sections {
		s := si.sec
		if s.Kind != config.SectionLocation {
			continue
		}
		if msg := neverMatches(s.Path); msg != "" {
			ld.warn(s.Pos, config.WarnLint, fmt.Sprintf("<%s %s> can never match: %s", si.d.Name, s.Path, msg))
			continue
		}
		if dirConfEmpty(s.Conf) {
			continue
		}
		for _, later := range ld.sections[i+1:] {
			if later.vhost != si.vhost || !covers(later.sec, s) || !overridesAll(later.sec.Conf, s.Conf) {
				continue
			}
			ld.warn(s.Pos, config.WarnLint, fmt.Sprintf("<%s %s> is fully shadowed: <%s %s> at %s comes later and sets everything it sets for every URL it matches (sections merge in file order, the later one wins); remove it or merge the two",
				si.d.Name, s.Path, later.d.Name, later.sec.Path, parser.FormatPos(later.sec.Pos)))
			break
		}
	}
}

// neverMatches explains why a plain <Location> path cannot match the
// normalised, decoded URI httpd compares it with, or returns "".
func neverMatches(p string) string {
	switch {
	case p == "":
		return ""
	case !strings.HasPrefix(p, "/") && !hasWildcard(p):
		return fmt.Sprintf("request paths always start with '/'; write <Location /%s>", p)
	case strings.Contains(p, "//"):
		return fmt.Sprintf("httpd merges slashes in the request path before matching; write <Location %s>", collapseSlashes(p))
	case percentEscape.MatchString(p):
		dec, err := url.PathUnescape(p)
		if err != nil {
			return "the request path is %-decoded before matching, so %-escapes never match; write the decoded path"
		}
		return fmt.Sprintf("the request path is %%-decoded before matching, so %%-escapes never match; write <Location \"%s\">", dec)
	}
	return ""
}

func collapseSlashes(p string) string {
	for strings.Contains(p, "//") {
		p = strings.ReplaceAll(p, "//", "/")
	}
	return p
}

// covers reports whether section b matches every URL plain <Location> a
// matches.
func covers(b, a *config.Section) bool {
	switch b.Kind {
	case config.SectionLocation:
		if hasWildcard(b.Path) || hasWildcard(a.Path) {
			return b.Path == a.Path
		}
		if b.Path == a.Path || b.Path == "/" {
			return true
		}
		if !strings.HasPrefix(a.Path, b.Path) {
			return false
		}
		return strings.HasSuffix(b.Path, "/") || a.Path[len(b.Path)] == '/'
	case config.SectionLocationMatch:
		return b.Path == "" || b.Path == "^/" || b.Path == "/"
	}
	return false
}

// dirConfEmpty reports whether a section sets nothing.
func dirConfEmpty(c *config.DirConf) bool {
	return reflect.DeepEqual(*c, config.DirConf{})
}

// overridesAll reports whether merging b over a leaves nothing of a's
// settings: every field a sets, b sets too, and every variable a's
// SetEnv/UnsetEnv/PassEnv touch, b touches too.
func overridesAll(b, a *config.DirConf) bool {
	av, bv := reflect.ValueOf(a).Elem(), reflect.ValueOf(b).Elem()
	for i := 0; i < av.NumField(); i++ {
		f := av.Type().Field(i)
		switch f.Name {
		case "Env":
			touched := map[string]bool{}
			for _, op := range b.Env {
				touched[op.Name] = true
			}
			for _, op := range a.Env {
				if !touched[op.Name] {
					return false
				}
			}
		case "Options":
			// Only an absolute Options list (no +/-) replaces the earlier one.
			if a.Options != nil && (b.Options == nil || optionsRelative(b.Options)) {
				return false
			}
		case "Denies":
			// Refusals accumulate: a later section never removes them.
			if len(a.Denies) > 0 {
				return false
			}
		case "AddHandlers":
			for ext := range a.AddHandlers {
				if _, ok := b.AddHandlers[ext]; !ok {
					return false
				}
			}
		default:
			if !av.Field(i).IsZero() && bv.Field(i).IsZero() {
				return false
			}
		}
	}
	return true
}

// lintScriptAliases reports WSGIScriptAlias lines whose URL ends in '/'
// while the target is a file: the bare URL then 404s and sub-paths are
// glued onto the file name (as mod_wsgi 4.9.4 does).
func (ld *loader) lintScriptAliases() {
	for _, vh := range append([]*config.VHost{ld.cfg.Main}, ld.cfg.VHosts...) {
		for _, sa := range vh.ScriptAliases {
			if sa.Regex != nil || sa.URL == "/" || !strings.HasSuffix(sa.URL, "/") || !hostFileExists(sa.Target) {
				continue
			}
			ld.warn(sa.Pos, config.WarnLint, fmt.Sprintf("WSGIScriptAlias %s ends in '/' but %s is a file: %s itself gets 404 and %sx looks for the file %sx; write WSGIScriptAlias %s %s",
				sa.URL, sa.Target, strings.TrimSuffix(sa.URL, "/"), sa.URL, sa.Target, strings.TrimSuffix(sa.URL, "/"), sa.Target))
		}
	}
}

func optionsRelative(opts []string) bool {
	for _, o := range opts {
		if o == "" || (o[0] != '+' && o[0] != '-') {
			return false
		}
	}
	return true
}
