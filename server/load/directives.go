package load

import (
	"fmt"
	"sort"
	"strings"

	"github.com/appserver/appserver/parser"
	"github.com/appserver/appserver/server/config"
	"github.com/appserver/appserver/server/internal/suggest"
	"github.com/appserver/appserver/server/modules"
)

// This file holds the directive registry: for every directive appserver
// implements, where httpd allows it, how its arguments are counted, and the
// setup function that types it into the Config. The texts of context and
// arity errors are httpd's own (config.c invoke_cmd, core.c
// ap_check_cmd_context), because people grep for them.

// forbid are the ap_check_cmd_context flags a handler checks after the
// override check passed.
type forbid uint8

const (
	notInVHost forbid = 1 << iota
	notInLimit
	notInDirectory
	notInLocation
	notInFiles

	notInDirContext = notInLimit | notInDirectory | notInLocation | notInFiles
	globalOnly      = notInVHost | notInDirContext
)

// arity is how httpd counts a directive's arguments (cmd_how).
type arity uint8

const (
	rawArgs arity = iota // the handler reads d.Raw itself
	noArgs
	take1
	take2
	take12
	take3
	take23
	take123
	take13
	iterate
	iterate2
	argFlag
	takeArgv
)

// cmd is one directive being set up.
type cmd struct {
	ld   *loader
	d    *parser.Directive
	def  *directiveDef
	sc   *scope
	args []string // the arguments after the arity check (nil for rawArgs)
}

// err returns an error at the directive's name.
func (c *cmd) err(format string, a ...any) *parser.Error {
	return &parser.Error{Pos: c.d.Pos, Msg: fmt.Sprintf(format, a...), IncludedFrom: c.d.IncludedFrom}
}

// errArg returns an error at argument i (or at the directive when there is
// no such argument).
func (c *cmd) errArg(i int, format string, a ...any) *parser.Error {
	e := c.err(format, a...)
	if i >= 0 && i < len(c.d.Args) {
		e.Pos = c.d.Args[i].Pos
	}
	return e
}

// errAt returns an error at pos.
func (c *cmd) errAt(pos parser.Position, format string, a ...any) *parser.Error {
	e := c.err(format, a...)
	e.Pos = pos
	return e
}

// argPos is the position of argument i, or of the directive.
func (c *cmd) argPos(i int) parser.Position {
	if i >= 0 && i < len(c.d.Args) {
		return c.d.Args[i].Pos
	}
	return c.d.Pos
}

// warn records a warning at the directive.
func (c *cmd) warn(kind config.WarningKind, format string, a ...any) {
	c.ld.warn(c.d.Pos, kind, fmt.Sprintf(format, a...))
}

// check runs ap_check_cmd_context with the given flags.
func (c *cmd) check(f forbid) *parser.Error {
	if msg := contextError(c.def.name, c.sc, f); msg != "" {
		return c.err("%s", msg)
	}
	return nil
}

// directiveDef describes one implemented directive.
type directiveDef struct {
	name   string // canonical spelling, used in messages
	module string // source file of the httpd module, e.g. "mod_env.c"
	where  modules.Override
	forbid forbid // checked before setup runs, like the first line of most httpd handlers
	arity  arity
	help   string // httpd's help text, appended to arity errors
	setup  func(c *cmd) *parser.Error
}

// registry maps lower-cased directive names to their definitions.
type registry map[string]*directiveDef

func (r registry) add(defs ...*directiveDef) {
	for _, d := range defs {
		k := strings.ToLower(d.name)
		if _, dup := r[k]; dup {
			panic("server: directive registered twice: " + d.name)
		}
		r[k] = d
	}
}

// directives is every directive appserver gives meaning to. Filled by the
// init functions of the directives_*.go files.
var directives = registry{}

// arityError returns httpd's message for args not fitting def's arity, or "".
func arityError(def *directiveDef, args []string) string {
	n := len(args)
	empty := func(i int) bool { return i >= n || args[i] == "" }
	help := ""
	if def.help != "" {
		help = ", " + def.help
	}
	switch def.arity {
	case noArgs:
		if n > 0 {
			return def.name + " takes no arguments"
		}
	case take1:
		if empty(0) || n > 1 {
			return def.name + " takes one argument" + help
		}
	case take2:
		if empty(0) || empty(1) || n > 2 {
			return def.name + " takes two arguments" + help
		}
	case take12:
		if empty(0) || n > 2 {
			return def.name + " takes 1-2 arguments" + help
		}
	case take3:
		if empty(0) || empty(1) || empty(2) || n > 3 {
			return def.name + " takes three arguments" + help
		}
	case take23:
		if empty(0) || empty(1) || n > 3 {
			return def.name + " takes two or three arguments" + help
		}
	case take123:
		if empty(0) || n > 3 {
			return def.name + " takes one, two or three arguments" + help
		}
	case take13:
		if empty(0) || (!empty(1) && empty(2)) || n > 3 {
			return def.name + " takes one or three arguments" + help
		}
	case iterate:
		if empty(0) {
			return def.name + " requires at least one argument" + help
		}
	case iterate2:
		if empty(0) || n < 2 {
			return def.name + " requires at least two arguments" + help
		}
	case argFlag:
		if empty(0) || (!strings.EqualFold(args[0], "on") && !strings.EqualFold(args[0], "off")) {
			return def.name + " must be On or Off"
		}
	}
	return ""
}

// trimArgs applies httpd's treatment of empty tokens: optional arguments
// that are empty count as absent, and ITERATE stops at the first empty one.
func trimArgs(a arity, args []string) []string {
	switch a {
	case iterate:
		for i, v := range args {
			if v == "" {
				return args[:i]
			}
		}
	case iterate2:
		for i := 1; i < len(args); i++ {
			if args[i] == "" {
				return args[:i]
			}
		}
	case take12, take23, take123, take13:
		for len(args) > 0 && args[len(args)-1] == "" {
			args = args[:len(args)-1]
		}
	case argFlag:
		// FLAG reads one word; httpd ignores anything after it.
		if len(args) > 1 {
			return args[:1]
		}
	case takeArgv:
		// AP_MAX_ARGC
		if len(args) > 64 {
			return args[:64]
		}
	}
	return args
}

// overrideError is invoke_cmd's text when the directive's req_override does
// not include what the scope grants.
func overrideError(name string, sc *scope) string {
	if sc.sec == nil {
		return name + " not allowed here"
	}
	return fmt.Sprintf("%s not allowed in <%s> context", name, sc.sec.Name)
}

// contextError is ap_check_cmd_context: "" when the directive may run in sc.
func contextError(name string, sc *scope, f forbid) string {
	gt := ""
	if strings.HasPrefix(name, "<") && !strings.HasSuffix(name, ">") {
		gt = ">"
	}
	if f&notInVHost != 0 && sc.vhost != nil && !sc.vhost.IsMain {
		return name + gt + " cannot occur within <VirtualHost> section"
	}
	if f&notInLimit != 0 && sc.limited() {
		return name + gt + " cannot occur within <Limit> or <LimitExcept> section"
	}
	if f&notInDirContext == notInDirContext && sc.dirPath() {
		return name + gt + " cannot occur within directory context"
	}
	var names []string
	if f&notInDirectory != 0 {
		names = append(names, "directory", "directorymatch")
	}
	if f&notInLocation != 0 {
		names = append(names, "location", "locationmatch")
	}
	if f&notInFiles != 0 {
		names = append(names, "files", "filesmatch", "if", "elseif", "else")
	}
	if len(names) > 0 {
		if found := sc.findParent(names...); found != nil {
			return fmt.Sprintf("%s%s cannot occur within <%s> section", name, gt, found.Name)
		}
	}
	return ""
}

// unknownCommand is httpd's text for a name no module defines, with a
// suggestion when a known name is close.
func unknownCommand(written string) string {
	msg := fmt.Sprintf("Invalid command '%s', perhaps misspelled or defined by a module not included in the server configuration", written)
	if s := suggestName(written); s != "" {
		msg += fmt.Sprintf(" (did you mean '%s'?)", s)
	}
	return msg
}

// knownNames lists the canonical spelling of every implemented and every
// recognised-but-ignored directive and section, for suggestions.
func knownNames() []string {
	names := make([]string, 0, len(directives)+len(modules.IgnoredDirectives)+len(sectionNames))
	for _, d := range directives {
		names = append(names, d.name)
	}
	for _, d := range modules.IgnoredDirectives {
		names = append(names, d.Name)
	}
	for _, s := range sectionNames {
		names = append(names, "<"+s)
	}
	sort.Strings(names)
	return names
}

// suggestName returns the known name closest to written (case-insensitive
// edit distance), if it is close enough to be a likely typo.
func suggestName(written string) string {
	w := strings.ToLower(written)
	best, bestDist := "", 0
	for _, n := range knownNames() {
		dist := suggest.Distance(w, strings.ToLower(n))
		if best == "" || dist < bestDist {
			best, bestDist = n, dist
		}
	}
	// A third of the length, at most 3 edits: "WSGIDeamonProcess" (2 edits)
	// is a typo, "Foo" for "Use" is not.
	limit := len(w) / 3
	if limit > 3 {
		limit = 3
	}
	if best == "" || bestDist == 0 || bestDist > limit {
		return ""
	}
	return best
}
