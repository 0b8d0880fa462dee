// Package parser reads Apache httpd configuration files (the dialect mod_wsgi
// deployments use) into a tree of directives and sections in which every node
// carries its file:line:col.
//
// Reading happens in two steps, as in httpd itself:
//
//  1. Each file is lexed into logical lines (backslash-newline continuation,
//     line-leading '#' comments, CRLF) by a hand-written lexer and parsed by a
//     participle grammar into a raw tree of lines and sections (raw* types in
//     grammar.go). Sections must close in the file that opened them.
//  2. The raw trees are read in order, executing what httpd executes at read
//     time: Include/IncludeOptional, Define/UnDefine and ${VAR} expansion,
//     <IfDefine>, <IfModule>, <IfVersion>, <IfFile>, <IfDirective>, <IfSection>,
//     <Macro>/Use/UndefMacro, ServerRoot and LoadModule. None of these appear
//     in the result (LoadModule only adds to Config.Modules); true conditional
//     bodies, included files and macro expansions are spliced in where they
//     stand. What remains is the Directive tree that server/ walks.
//
// Arguments are tokenised exactly as httpd's ap_getword_conf does (see
// GetWord), never with Go's unquoting rules.
//
// Errors use httpd's message texts where httpd has one (pass-1 errors of
// apache2 -t), positioned file:line:col. Where httpd reports a different
// line the reader prefers the more precise one: a false-branch closer
// mismatch is reported at the closer (httpd: at the conditional), each
// unclosed section at its own opener. Problems httpd only warns about or
// accepts silently (an undefined ${VAR}, a true conditional left open at the
// end of a file, a BOM) are Config.Warnings.
//
// Known differences from httpd: a section opener or closer produced by a
// ${VAR} expansion is an error rather than a section; a macro body must
// balance its sections (httpd lets a section opened by one Use be closed by
// the file around it); LoadModule loads nothing, so a missing shared object
// is not reported; the sections inside a macro body are not counted when
// that body is skipped by a false conditional.
package parser

import (
	"fmt"
	"io/fs"
	"strings"

	"github.com/alecthomas/participle/v2/lexer"
)

// Position is a place in a config file: Filename, byte Offset, 1-based Line
// and Column (Column counts bytes, tabs count as one).
type Position = lexer.Position

// Directive is one directive or section of the read config.
type Directive struct {
	// Pos is where the directive name starts (for a section, its '<').
	Pos Position
	// Name is the name as written, without '<' for sections ("Location",
	// "setenv"). Compare with strings.EqualFold.
	Name string
	// Args are the arguments tokenised with GetWord after ${VAR} expansion.
	// For a section they are the tokens before the last '>' of the line.
	Args []Arg
	// Raw is the argument text after ${VAR} expansion, for directives that
	// tokenise their own arguments (RAW_ARGS in httpd: WSGIDaemonProcess,
	// ServerAlias, SetEnvIf, ...). For a section it is the text before the last
	// '>'.
	Raw string
	// RawPos is where Raw starts.
	RawPos Position
	// Section is true for <Name ...> ... </Name>.
	Section bool
	// MissingGT is true when a section opener had no closing '>' (httpd
	// reports it in its second pass, so the reader keeps the node).
	MissingGT bool
	// Body holds the children of a section.
	Body []*Directive
	// End is the position of a section's closing </Name>; zero when the
	// file ended before it.
	End Position
	// IncludedFrom lists the Include (or Use) directives that brought this
	// node in, outermost first; empty for the main file.
	IncludedFrom []Position
}

// Arg is one argument token.
type Arg struct {
	Pos Position
	// Value is the token with quotes removed and \\ and \<quote> unescaped.
	Value string
	// Quote is '"' or '\'' when the token was quoted, else 0.
	Quote byte
}

// Is reports whether d is named name, ignoring case as httpd does.
func (d *Directive) Is(name string) bool { return strings.EqualFold(d.Name, name) }

// Values returns the argument values.
func (d *Directive) Values() []string {
	out := make([]string, len(d.Args))
	for i, a := range d.Args {
		out[i] = a.Value
	}
	return out
}

// Config is the result of reading a main config file and everything it includes.
type Config struct {
	// File is the main file as given.
	File string
	// ServerRoot in force at the end of reading.
	ServerRoot string
	// Root holds the top-level directives in reading order, Includes spliced in.
	Root []*Directive
	// Files lists every file read, main file first.
	Files []string
	// Defines are the names defined at the end of reading (-D and Define).
	Defines map[string]bool
	// Modules are the module identifiers considered loaded at the end of reading.
	Modules map[string]bool
	// Warnings are problems that do not stop reading (an undefined ${VAR}, ...).
	Warnings []Warning
}

// Options control reading.
type Options struct {
	// ServerRoot resolves relative Include paths until a ServerRoot directive
	// changes it. Empty means the directory of the main file.
	ServerRoot string
	// Defines are the -D NAME switches.
	Defines []string
	// LookupEnv finds ${VAR}s that no Define set. Nil means os.LookupEnv.
	LookupEnv func(string) (string, bool)
	// Modules are the module identifiers (e.g. "wsgi_module") and source file
	// names (e.g. "mod_wsgi.c") that <IfModule> treats as loaded before any
	// LoadModule. Nil means Provided for a config with no LoadModule, and
	// Static for a config that loads its modules.
	Modules []string
	// Provided are the modules a config that loads none sees: what the
	// server itself implements.
	Provided []string
	// Static are the modules compiled into the server, loaded before the
	// first LoadModule of a config that loads its own.
	Static []string
	// NoHostChecks turns host problems (a missing Include file or
	// directory, a wildcard Include matching nothing, a ServerRoot that is
	// not a directory) into warnings, for checking a config away from its
	// host.
	NoHostChecks bool
	// ReadFile reads a config file. Nil means os.ReadFile. Used by tests and
	// the fuzzer to read from memory.
	ReadFile func(string) ([]byte, error)
	// Stat and ReadDir look at the file system for Include (directories,
	// wildcards), <IfFile> and ServerRoot. Nil means os.Stat and os.ReadDir.
	// ReadDir entries report symbolic links as such (not as directories),
	// as httpd's directory reading does.
	Stat    func(string) (fs.FileInfo, error)
	ReadDir func(string) ([]fs.DirEntry, error)
	// IsDirective answers <IfDirective name> (with name as written) and
	// <IfSection name> (asked as "<"+name). The read-time directives this
	// package executes (Include, Define, <IfModule>, ...) always exist. Nil
	// means no other directive exists.
	IsDirective func(name string) bool
}

// Warning is a problem that does not stop reading.
type Warning struct {
	Pos  Position
	Msg  string
	Kind WarningKind
	// Var is the variable of a WarnUndefinedVar.
	Var string
}

// WarningKind sorts warnings by what the reader of a config can do about them.
type WarningKind int

const (
	WarnLint         WarningKind = iota // probably a mistake in the config
	WarnHost                            // a file or folder missing on this host (NoHostChecks)
	WarnCompat                          // something Apache would refuse or read otherwise
	WarnUndefinedVar                    // a ${VAR} nothing defines (Var names it)
)

func (w Warning) String() string { return fmt.Sprintf("%s: %s", FormatPos(w.Pos), w.Msg) }

// Error is a config error at a position.
type Error struct {
	Pos Position
	// Msg is httpd's message text where httpd has one for the problem, so
	// it can be compared with apache2 -t output.
	Msg string
	// Hint says what to do about it; may be empty.
	Hint string
	// IncludedFrom is the include chain, outermost first: the Include (or
	// Use) directives that led to the file holding Pos.
	IncludedFrom []Position
}

// Error is "file:line:col: message", followed by " (hint)" when there is one.
func (e *Error) Error() string {
	if e.Hint != "" {
		return fmt.Sprintf("%s: %s (%s)", FormatPos(e.Pos), e.Msg, e.Hint)
	}
	return fmt.Sprintf("%s: %s", FormatPos(e.Pos), e.Msg)
}

// Chain renders the include chain as "included from f:l:c" lines, innermost
// first, one per line; "" for the main file.
func (e *Error) Chain() string {
	var b strings.Builder
	for i := len(e.IncludedFrom) - 1; i >= 0; i-- {
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString("\tincluded from ")
		b.WriteString(FormatPos(e.IncludedFrom[i]))
	}
	return b.String()
}

// ErrorList is every error found while reading; reading goes on after an
// error where it can, so that configtest can report them all.
type ErrorList []*Error

func (l ErrorList) Error() string {
	var b strings.Builder
	for i, e := range l {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// FormatPos writes p as file:line:col, the one form every message of
// appserver uses (editors and grep understand it).
func FormatPos(p Position) string {
	return fmt.Sprintf("%s:%d:%d", p.Filename, p.Line, p.Column)
}
