package advise

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/appserver/appserver/parser"
	"github.com/appserver/appserver/server/load"
	"github.com/appserver/appserver/server/modules"
	"github.com/appserver/appserver/server/route"
)

// The options a new group does not copy from the default group's line:
// the ones the proposal sizes, and the ones that tune recycling for that
// group's traffic. Everything else (python-path, home, user, display-name,
// lang...) is how the application runs, and every group needs it.
var notCopied = map[string]bool{
	"processes": true, "threads": true, "maximum-requests": true, "inactivity-timeout": true,
	"restart-interval": true, "request-timeout": true, "deadlock-timeout": true, "graceful-timeout": true,
	"eviction-timeout": true, "listen-backlog": true, "queue-timeout": true, "connect-timeout": true,
	"socket-timeout": true, "memory-limit": true, "virtual-memory-limit": true, "cpu-time-limit": true,
}

// edit is one splice of the file: src[at:at+del] becomes ins.
type edit struct {
	at, del int
	ins     string
}

// Edit writes the proposal into the config file at path (its text src) as
// a few splices at the parser's positions: options changed on existing
// WSGIDaemonProcess lines, new WSGIDaemonProcess lines after the default
// group's, new <Location> blocks after the WSGIScriptAlias that serves
// them. Every other byte stays. The result is loaded and routed again:
// each measured path prefix must reach the group the proposal chose, else
// Edit returns an error rather than a config that does something else.
func Edit(path string, src []byte, p *Proposal, opts load.Options) ([]byte, error) {
	read := func(data []byte) func(string) ([]byte, error) {
		return func(name string) ([]byte, error) {
			if name == path {
				return data, nil
			}
			if opts.ReadFile != nil {
				return opts.ReadFile(name)
			}
			return os.ReadFile(name)
		}
	}
	tree, err := parser.Read(path, src, parser.Options{Defines: opts.Defines, LookupEnv: opts.LookupEnv,
		NoHostChecks: true, ReadFile: read(src), Provided: modules.Provided, Static: modules.Static})
	if err != nil {
		return nil, err
	}
	lopts := opts
	lopts.ReadFile = read(src)
	before, err := load.File(path, lopts)
	if err != nil {
		return nil, fmt.Errorf("the config does not load: %w", err)
	}
	table := route.Compile(before, route.Options{})
	// The requests arrive on the first listener, as `appserver routes`
	// takes them to.
	ip, port := "127.0.0.1", 80
	if len(before.Listen) > 0 {
		ip, port = cmp.Or(before.Listen[0].Addr, ip), before.Listen[0].Port
	}
	request := func(target string) route.Request {
		return route.Request{Method: "GET", Target: target, LocalIP: ip, LocalPort: port, RemoteIP: "127.0.0.1"}
	}
	groupOf := func(t *route.Table, target string) string {
		return t.Route(request(target)).ProcessGroup
	}

	// The directives of the main file itself: only its text is edited.
	daemons := map[string]*parser.Directive{}
	appserverGroups := map[string]*parser.Directive{}
	var scriptAliases []*parser.Directive
	// anchorOf is where new <Location>s go for a WSGIScriptAlias: after the
	// last <Location> after it, in the same section, that sets a
	// WSGIProcessGroup (so that the new ones, later, take precedence as
	// httpd merges sections in order), else after the alias itself.
	anchorOf := map[*parser.Directive]*parser.Directive{}
	var walk func(ds []*parser.Directive)
	walk = func(ds []*parser.Directive) {
		for i, d := range ds {
			if d.Pos.Filename != path || len(d.IncludedFrom) > 0 {
				continue
			}
			if d.Is("WSGIScriptAlias") || d.Is("WSGIScriptAliasMatch") {
				anchorOf[d] = d
				for _, e := range ds[i+1:] {
					if e.Section && (e.Is("Location") || e.Is("LocationMatch")) && e.Pos.Filename == path && len(e.IncludedFrom) == 0 && setsGroup(e) {
						anchorOf[d] = e
					}
				}
			}
			switch {
			case d.Is("WSGIDaemonProcess") && len(d.Args) > 0:
				daemons[d.Args[0].Value] = d
			case d.Is("AppserverGroup") && len(d.Args) > 0:
				appserverGroups[d.Args[0].Value] = d
			case d.Is("WSGIScriptAlias") || d.Is("WSGIScriptAliasMatch"):
				scriptAliases = append(scriptAliases, d)
			}
			walk(d.Body)
		}
	}
	walk(tree.Root)

	var edits []edit
	var def *parser.Directive
	for _, g := range p.Groups {
		if g.Class == ClassDefault {
			def = daemons[g.Name]
		}
	}
	if def == nil {
		return nil, fmt.Errorf("the WSGIDaemonProcess of the default group %q is not in %s itself: edit the file that defines it", p.DefaultCurrent, path)
	}
	indent := func(d *parser.Directive) string {
		ls := lineStart(src, d.Pos.Offset)
		return string(src[ls:d.Pos.Offset])
	}
	newGroups := ""
	for _, g := range p.Groups {
		if g.Exists {
			d := daemons[g.Name]
			if d == nil {
				return nil, fmt.Errorf("the WSGIDaemonProcess of group %q is not in %s itself: edit the file that defines it", g.Name, path)
			}
			for _, o := range g.Options() {
				edits = append(edits, setOption(src, d, o[0], o[1]))
			}
			if g.MaximumRSS > 0 {
				if a := appserverGroups[g.Name]; a != nil {
					edits = append(edits, setOption(src, a, "maximum-rss", fmt.Sprintf("%dM", g.MaximumRSS>>20)))
				} else {
					end := logicalLineEnd(src, d.Pos.Offset)
					edits = append(edits, edit{at: end, ins: "\n" + appserverGroupBlock(indent(d), g)})
				}
			}
			continue
		}
		line := indent(def) + "WSGIDaemonProcess " + g.Name
		for _, a := range def.Args[1:] {
			raw := rawToken(src, a.Pos.Offset)
			name, _, _ := strings.Cut(strings.Trim(raw, `"'`), "=")
			if !notCopied[strings.ToLower(name)] {
				line += " " + raw
			}
		}
		for _, o := range g.Options() {
			line += " " + o[0] + "=" + o[1]
		}
		newGroups += "\n" + line
		if g.MaximumRSS > 0 {
			newGroups += "\n" + appserverGroupBlock(indent(def), g)
		}
	}
	if newGroups != "" {
		// After the default group's line, and after the AppserverGroup
		// block that follows it, if any.
		at := logicalLineEnd(src, def.Pos.Offset)
		if a := appserverGroups[p.DefaultCurrent]; a != nil && a.Pos.Offset > at {
			at = logicalLineEnd(src, a.Pos.Offset)
		}
		edits = append(edits, edit{at: at, ins: newGroups})
	}

	// New <Location>s, where some prefix they cover goes elsewhere now,
	// after the WSGIScriptAlias that maps it.
	blocks := map[*parser.Directive]string{}
	var anchors []*parser.Directive
	for _, g := range p.Groups {
		for _, l := range g.Locations {
			moves := false
			for _, pre := range l.Prefixes {
				moves = moves || groupOf(table, pre) != g.Name
			}
			if !moves {
				continue
			}
			rt := table.Route(request(l.Prefixes[0]))
			var anchor *parser.Directive
			for _, d := range scriptAliases {
				if rt.ScriptAlias != nil && d.Pos.Offset == rt.ScriptAlias.Pos.Offset && d.Pos.Filename == rt.ScriptAlias.Pos.Filename {
					anchor = d
				}
			}
			if anchor == nil {
				return nil, fmt.Errorf("%s is not mapped by a WSGIScriptAlias of %s itself: add the <Location> by hand", l.Prefixes[0], path)
			}
			anchor = anchorOf[anchor]
			if _, ok := blocks[anchor]; !ok {
				anchors = append(anchors, anchor)
			}
			in := indent(anchor)
			blocks[anchor] += fmt.Sprintf("\n%s# appserver advise: %s\n%s%s\n%s    WSGIProcessGroup %s\n%s</Location>",
				in, why(g), in, l.Directive(), in, g.Name, in)
		}
	}
	for _, a := range anchors {
		at := logicalLineEnd(src, a.Pos.Offset)
		if a.Section {
			at = logicalLineEnd(src, a.End.Offset)
		}
		edits = append(edits, edit{at: at, ins: blocks[a]})
	}

	out := splice(src, edits)

	// The result must load, and route every measured prefix as planned.
	lopts.ReadFile = read(out)
	after, err := load.File(path, lopts)
	if err != nil {
		return out, fmt.Errorf("the edited config does not load: %w", err)
	}
	t2 := route.Compile(after, route.Options{})
	var wrong []string
	for _, g := range p.Groups {
		for _, pre := range g.Prefixes {
			if got := groupOf(t2, pre); got != g.Name {
				wrong = append(wrong, fmt.Sprintf("%s goes to %q, not %q", pre, got, g.Name))
			}
		}
	}
	if len(wrong) > 0 {
		return out, errors.New("the edited config routes differently than proposed (an existing <Location> later in the file may override the new ones): " + strings.Join(wrong, "; "))
	}
	return out, nil
}

// setsGroup says whether a section sets WSGIProcessGroup, directly or in
// a nested section.
func setsGroup(d *parser.Directive) bool {
	for _, e := range d.Body {
		if e.Is("WSGIProcessGroup") || (e.Section && setsGroup(e)) {
			return true
		}
	}
	return false
}

func why(g GroupPlan) string {
	switch g.Class {
	case ClassMemory:
		return fmt.Sprintf("rare URLs whose requests grow a worker by up to %s", mb(g.Load.GrowthMax))
	case ClassVolume:
		return fmt.Sprintf("the busiest URLs (%.1f requests per second), lean", g.Load.Rate)
	}
	return "back to the default group"
}

func appserverGroupBlock(indent string, g GroupPlan) string {
	return fmt.Sprintf("%s<IfModule appserver_module>\n%s    AppserverGroup %s maximum-rss=%dM\n%s</IfModule>",
		indent, indent, g.Name, g.MaximumRSS>>20, indent)
}

// setOption changes name=value on a directive's logical line, or appends it.
func setOption(src []byte, d *parser.Directive, name, value string) edit {
	end := logicalLineEnd(src, d.Pos.Offset)
	for _, a := range d.Args[1:] {
		raw := rawToken(src, a.Pos.Offset)
		if a.Quote == 0 && strings.EqualFold(strings.SplitN(raw, "=", 2)[0], name) && strings.Contains(raw, "=") {
			return edit{at: a.Pos.Offset, del: len(raw), ins: name + "=" + value}
		}
	}
	at := end
	for at > d.Pos.Offset && (src[at-1] == ' ' || src[at-1] == '\t' || src[at-1] == '\r') {
		at--
	}
	return edit{at: at, ins: " " + name + "=" + value}
}

// lineStart is the offset where the line holding off starts.
func lineStart(src []byte, off int) int {
	return bytes.LastIndexByte(src[:off], '\n') + 1
}

// logicalLineEnd is the offset of the newline that ends the logical line
// starting at off (a backslash before a newline continues it, as httpd's
// ap_cfg_getline reads), or len(src).
func logicalLineEnd(src []byte, off int) int {
	for i := off; i < len(src); i++ {
		if src[i] != '\n' {
			continue
		}
		j := i
		if j > 0 && src[j-1] == '\r' {
			j--
		}
		if j > 0 && src[j-1] == '\\' {
			continue
		}
		if i > 0 && src[i-1] == '\r' {
			return i - 1
		}
		return i
	}
	return len(src)
}

var tokenEnd = regexp.MustCompile(`^(?:[^\s"']+|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')+`)

// rawToken is the token at off as written in the file (quotes and ${VAR}s
// kept), for copying it.
func rawToken(src []byte, off int) string {
	return string(tokenEnd.Find(src[off:]))
}

func splice(src []byte, edits []edit) []byte {
	slices.SortStableFunc(edits, func(a, b edit) int { return a.at - b.at })
	var out bytes.Buffer
	last := 0
	for _, e := range edits {
		out.Write(src[last:e.at])
		out.WriteString(e.ins)
		last = e.at + e.del
	}
	out.Write(src[last:])
	return out.Bytes()
}
