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
	"github.com/appserver/appserver/server/config"
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
	e := &editor{path: path, src: src, opts: opts}
	tree, err := parser.Read(path, src, parser.Options{Defines: opts.Defines, LookupEnv: opts.LookupEnv,
		NoHostChecks: true, ReadFile: e.reader(src), Provided: modules.Provided, Static: modules.Static})
	if err != nil {
		return nil, err
	}
	before, err := e.load(src)
	if err != nil {
		return nil, fmt.Errorf("the config does not load: %w", err)
	}
	e.table = route.Compile(before, route.Options{})
	// The requests arrive on the first listener, as `appserver routes`
	// takes them to.
	e.ip, e.port = "127.0.0.1", 80
	if len(before.Listen) > 0 {
		e.ip, e.port = cmp.Or(before.Listen[0].Addr, e.ip), before.Listen[0].Port
	}
	e.index(tree.Root)
	edits, err := e.groupEdits(p)
	if err != nil {
		return nil, err
	}
	locs, err := e.locationEdits(p)
	if err != nil {
		return nil, err
	}
	out := splice(src, append(edits, locs...))
	return out, e.verify(out, p)
}

// editor is one run of Edit: the file, its routing before the edit, and
// the directives of the main file itself (only its text is edited).
type editor struct {
	path  string
	src   []byte
	opts  load.Options
	table *route.Table
	ip    string
	port  int

	daemons         map[string]*parser.Directive
	appserverGroups map[string]*parser.Directive
	scriptAliases   []*parser.Directive
	// anchorOf is where new <Location>s go for a WSGIScriptAlias: after the
	// last <Location> after it, in the same section, that sets a
	// WSGIProcessGroup (so that the new ones, later, take precedence as
	// httpd merges sections in order), else after the alias itself.
	anchorOf map[*parser.Directive]*parser.Directive
}

// reader reads the main file as data, and every other file from disk.
func (e *editor) reader(data []byte) func(string) ([]byte, error) {
	return func(name string) ([]byte, error) {
		if name == e.path {
			return data, nil
		}
		if e.opts.ReadFile != nil {
			return e.opts.ReadFile(name)
		}
		return os.ReadFile(name)
	}
}

func (e *editor) load(data []byte) (*config.Config, error) {
	lopts := e.opts
	lopts.ReadFile = e.reader(data)
	return load.File(e.path, lopts)
}

func (e *editor) request(target string) route.Request {
	return route.Request{Method: "GET", Target: target, LocalIP: e.ip, LocalPort: e.port, RemoteIP: "127.0.0.1"}
}

func (e *editor) groupOf(t *route.Table, target string) string {
	return t.Route(e.request(target)).ProcessGroup
}

func (e *editor) indent(d *parser.Directive) string {
	return string(e.src[lineStart(e.src, d.Pos.Offset):d.Pos.Offset])
}

// index finds the main file's groups, AppserverGroup lines, script
// aliases and their anchors.
func (e *editor) index(root []*parser.Directive) {
	e.daemons = map[string]*parser.Directive{}
	e.appserverGroups = map[string]*parser.Directive{}
	e.anchorOf = map[*parser.Directive]*parser.Directive{}
	var walk func(ds []*parser.Directive)
	walk = func(ds []*parser.Directive) {
		for i, d := range ds {
			if d.Pos.Filename != e.path || len(d.IncludedFrom) > 0 {
				continue
			}
			if d.Is("WSGIScriptAlias") || d.Is("WSGIScriptAliasMatch") {
				e.anchorOf[d] = d
				for _, x := range ds[i+1:] {
					if x.Section && (x.Is("Location") || x.Is("LocationMatch")) && x.Pos.Filename == e.path && len(x.IncludedFrom) == 0 && setsGroup(x) {
						e.anchorOf[d] = x
					}
				}
			}
			switch {
			case d.Is("WSGIDaemonProcess") && len(d.Args) > 0:
				e.daemons[d.Args[0].Value] = d
			case d.Is("AppserverGroup") && len(d.Args) > 0:
				e.appserverGroups[d.Args[0].Value] = d
			case d.Is("WSGIScriptAlias") || d.Is("WSGIScriptAliasMatch"):
				e.scriptAliases = append(e.scriptAliases, d)
			}
			walk(d.Body)
		}
	}
	walk(root)
}

// groupEdits changes the options of the groups that stay and adds the new
// groups after the default group's line.
func (e *editor) groupEdits(p *Proposal) ([]edit, error) {
	src := e.src
	var edits []edit
	var def *parser.Directive
	for _, g := range p.Groups {
		if g.Class == ClassDefault {
			def = e.daemons[g.Name]
		}
	}
	if def == nil {
		return nil, fmt.Errorf("the WSGIDaemonProcess of the default group %q is not in %s itself: edit the file that defines it", p.DefaultCurrent, e.path)
	}
	newGroups := ""
	for _, g := range p.Groups {
		if g.Exists {
			d := e.daemons[g.Name]
			if d == nil {
				return nil, fmt.Errorf("the WSGIDaemonProcess of group %q is not in %s itself: edit the file that defines it", g.Name, e.path)
			}
			for _, o := range g.Options() {
				edits = append(edits, setOption(src, d, o[0], o[1]))
			}
			if g.MaximumRSS > 0 {
				if a := e.appserverGroups[g.Name]; a != nil {
					edits = append(edits, setOption(src, a, "maximum-rss", fmt.Sprintf("%dM", g.MaximumRSS>>20)))
				} else {
					end := logicalLineEnd(src, d.Pos.Offset)
					edits = append(edits, edit{at: end, ins: "\n" + appserverGroupBlock(e.indent(d), g)})
				}
			}
			continue
		}
		line := e.indent(def) + "WSGIDaemonProcess " + g.Name
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
			newGroups += "\n" + appserverGroupBlock(e.indent(def), g)
		}
	}
	if newGroups != "" {
		// After the default group's line, and after the AppserverGroup
		// block that follows it, if any.
		at := logicalLineEnd(src, def.Pos.Offset)
		if a := e.appserverGroups[p.DefaultCurrent]; a != nil && a.Pos.Offset > at {
			at = logicalLineEnd(src, a.Pos.Offset)
		}
		edits = append(edits, edit{at: at, ins: newGroups})
	}
	return edits, nil
}

// locationEdits adds a <Location> where some prefix it covers goes
// elsewhere now, after the WSGIScriptAlias that maps it.
func (e *editor) locationEdits(p *Proposal) ([]edit, error) {
	blocks := map[*parser.Directive]string{}
	var anchors []*parser.Directive
	for _, g := range p.Groups {
		for _, l := range g.Locations {
			moves := false
			for _, pre := range l.Prefixes {
				moves = moves || e.groupOf(e.table, pre) != g.Name
			}
			if !moves {
				continue
			}
			rt := e.table.Route(e.request(l.Prefixes[0]))
			var anchor *parser.Directive
			for _, d := range e.scriptAliases {
				if rt.ScriptAlias != nil && d.Pos.Offset == rt.ScriptAlias.Pos.Offset && d.Pos.Filename == rt.ScriptAlias.Pos.Filename {
					anchor = d
				}
			}
			if anchor == nil {
				return nil, fmt.Errorf("%s is not mapped by a WSGIScriptAlias of %s itself: add the <Location> by hand", l.Prefixes[0], e.path)
			}
			anchor = e.anchorOf[anchor]
			if _, ok := blocks[anchor]; !ok {
				anchors = append(anchors, anchor)
			}
			in := e.indent(anchor)
			blocks[anchor] += fmt.Sprintf("\n%s# appserver advise: %s\n%s%s\n%s    WSGIProcessGroup %s\n%s</Location>",
				in, why(g), in, l.Directive(), in, g.Name, in)
		}
	}
	var edits []edit
	for _, a := range anchors {
		at := logicalLineEnd(e.src, a.Pos.Offset)
		if a.Section {
			at = logicalLineEnd(e.src, a.End.Offset)
		}
		edits = append(edits, edit{at: at, ins: blocks[a]})
	}
	return edits, nil
}

// verify loads the edited text and routes every measured prefix: each
// must reach the group the proposal chose.
func (e *editor) verify(out []byte, p *Proposal) error {
	after, err := e.load(out)
	if err != nil {
		return fmt.Errorf("the edited config does not load: %w", err)
	}
	t2 := route.Compile(after, route.Options{})
	var wrong []string
	for _, g := range p.Groups {
		for _, pre := range g.Prefixes {
			if got := e.groupOf(t2, pre); got != g.Name {
				wrong = append(wrong, fmt.Sprintf("%s goes to %q, not %q", pre, got, g.Name))
			}
		}
	}
	if len(wrong) > 0 {
		return errors.New("the edited config routes differently than proposed (an existing <Location> later in the file may override the new ones): " + strings.Join(wrong, "; "))
	}
	return nil
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
