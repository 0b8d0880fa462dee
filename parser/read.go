package parser

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/alecthomas/participle/v2/lexer"
)

// maxReadBytes and maxReads bound the text and the number of files and
// macro expansions read in total: macros that each use the next one twice,
// or files that each include the next one many times, grow exponentially.
// httpd would run until it is killed; the reader reports an error instead.
const (
	maxReadBytes = 64 << 20
	maxReads     = 20000
)

// maxLineLen is httpd's VARBUF_MAX_LEN, the longest logical line it reads
// from a server config file (checked on the raw line, before expansion).
const maxLineLen = 16 << 20

// maxIncludeDepth is httpd's AP_MAX_INCLUDE_DEPTH (nested Include
// directives) and AP_MAX_FNMATCH_DIR_DEPTH (nested directories read by one
// Include).
const maxIncludeDepth = 128

// ReadFile reads the main config file at path and everything it includes.
// The error, when not nil, is an ErrorList holding every error found; the
// Config holds whatever could be read either way.
func ReadFile(path string, opts Options) (*Config, error) {
	return readLoading(opts, func(opts Options) (*reader, *Config, error) {
		r := newReader(path, opts)
		cfg, err := r.readFile(path)
		return r, cfg, err
	})
}

// readLoading reads with Options.Modules nil the way the config asks: a
// config that loads modules itself (Debian's tree loads them through
// mods-enabled/*.load) gets Apache's answer to <IfModule>, the static
// modules plus what it loads, so <IfModule ssl_module> is false unless
// LoadModule ssl_module is there; a config with no LoadModule at all (a
// site snippet, an appserver config) sees Options.Provided.
func readLoading(opts Options, read func(Options) (*reader, *Config, error)) (*Config, error) {
	if opts.Modules != nil {
		_, cfg, err := read(opts)
		return cfg, err
	}
	opts.Modules = opts.Provided
	r, cfg, err := read(opts)
	if len(r.loaded) == 0 {
		return cfg, err
	}
	opts.Modules = opts.Static
	_, cfg, err = read(opts)
	return cfg, err
}

func (r *reader) readFile(path string) (*Config, error) {
	src, err := r.readBytes(path)
	if err != nil {
		r.errs = append(r.errs, &Error{
			Pos: Position{Filename: path, Line: 1, Column: 1},
			Msg: fmt.Sprintf("Could not open configuration file %s: %s", path, errnoText(err)),
		})
		return r.finish()
	}
	return r.readMain(path, src)
}

// Read reads a main config file whose content is src; filename names it in
// positions and is the base of relative Includes when Options.ServerRoot is
// empty. Included files are read with Options.ReadFile.
func Read(filename string, src []byte, opts Options) (*Config, error) {
	return readLoading(opts, func(opts Options) (*reader, *Config, error) {
		r := newReader(filename, opts)
		cfg, err := r.readMain(filename, src)
		return r, cfg, err
	})
}

// reader holds the read-time state httpd keeps while it builds the config
// tree: defines, variables, loaded modules, ServerRoot, macros.
type reader struct {
	opts       Options
	cfg        *Config
	errs       ErrorList
	vars       map[string]string // Define'd variables by lower-case name (httpd's table is case-insensitive)
	serverRoot string
	loaded     map[string]bool   // modules loaded by LoadModule, for the "already loaded" warning
	macros     map[string]*macro // nil until the first <Macro>, as in mod_macro
	files      map[string]bool   // Config.Files, deduplicated
	stack      []frame           // files being read, outermost first
	gen        int               // bumped by every read-time state change (loop detection)
	textRead   int               // text read so far, against maxReadBytes
	reads      int               // files and expansions read, against maxReads
	// halted stops all further reading after a runaway (include depth or
	// budget exceeded): what would follow is the same recursion again.
	halted bool
}

// frame is a file being read and the state generation it was entered with.
type frame struct {
	path string // cleaned
	gen  int
	from Position // the Include that opened it
}

// source is one file (or macro expansion) being read.
type source struct {
	name  string
	src   string
	chain []Position // IncludedFrom for every node read from it
}

func newReader(file string, opts Options) *reader {
	r := &reader{
		opts: opts,
		cfg: &Config{
			File:    file,
			Defines: map[string]bool{},
			Modules: map[string]bool{},
		},
		vars:   map[string]string{},
		loaded: map[string]bool{},
		files:  map[string]bool{},
	}
	for _, d := range opts.Defines {
		r.cfg.Defines[d] = true
	}
	mods := opts.Modules
	if mods == nil {
		mods = opts.Provided
	}
	for _, m := range mods {
		r.cfg.Modules[m] = true
	}
	r.serverRoot = opts.ServerRoot
	if r.serverRoot == "" {
		r.serverRoot = filepath.Dir(file)
	}
	return r
}

func (r *reader) readMain(file string, src []byte) (*Config, error) {
	r.cfg.Root = r.readSource(file, src, nil)
	return r.finish()
}

func (r *reader) finish() (*Config, error) {
	r.cfg.ServerRoot = r.serverRoot
	if len(r.errs) > 0 {
		return r.cfg, r.errs
	}
	return r.cfg, nil
}

func (r *reader) errorf(pos Position, chain []Position, format string, args ...any) {
	r.errs = append(r.errs, &Error{Pos: pos, Msg: fmt.Sprintf(format, args...), IncludedFrom: chain})
}

// hintf adds an error with a hint saying what to do about it.
func (r *reader) hintf(pos Position, chain []Position, hint, format string, args ...any) {
	r.errs = append(r.errs, &Error{Pos: pos, Msg: fmt.Sprintf(format, args...), Hint: hint, IncludedFrom: chain})
}

func (r *reader) warnf(pos Position, format string, args ...any) {
	r.warnAs(WarnLint, pos, format, args...)
}

func (r *reader) warnAs(kind WarningKind, pos Position, format string, args ...any) {
	r.cfg.Warnings = append(r.cfg.Warnings, Warning{Pos: pos, Msg: fmt.Sprintf(format, args...), Kind: kind})
}

func (r *reader) readBytes(path string) ([]byte, error) {
	if r.opts.ReadFile != nil {
		return r.opts.ReadFile(path)
	}
	return os.ReadFile(path)
}

func (r *reader) stat(path string) (fs.FileInfo, error) {
	if r.opts.Stat != nil {
		return r.opts.Stat(path)
	}
	return os.Stat(path)
}

func (r *reader) readDir(path string) ([]fs.DirEntry, error) {
	if r.opts.ReadDir != nil {
		return r.opts.ReadDir(path)
	}
	return os.ReadDir(path)
}

// readSource reads one file's content: BOM check, lexing and parsing, then
// the read-time pass over its items.
func (r *reader) readSource(name string, b []byte, chain []Position) []*Directive {
	if !r.files[name] {
		r.files[name] = true
		r.cfg.Files = append(r.cfg.Files, name)
	}
	src := string(b)
	if strings.HasPrefix(src, "\xef\xbb\xbf") {
		// Blanked rather than cut so that offsets and columns stay true.
		src = "   " + src[3:]
		r.warnAs(WarnCompat, Position{Filename: name, Line: 1, Column: 1},
			"file starts with a UTF-8 byte order mark; Apache on Unix does not skip it and refuses the file "+
				"(Invalid command '\\xef\\xbb\\xbf...'): save the file without the BOM")
	}
	return r.readText(&source{name: name, src: src, chain: chain})
}

func (r *reader) readText(s *source) []*Directive {
	if r.halted {
		return nil
	}
	r.textRead += len(s.src)
	r.reads++
	if r.textRead > maxReadBytes || r.reads > maxReads {
		r.halted = true
		r.hintf(Position{Filename: s.name, Line: 1, Column: 1}, s.chain,
			"look for an Include or Use that multiplies itself; Apache would never finish reading",
			"more than %d MiB of configuration text or %d files and macro expansions read in total; reading stopped",
			maxReadBytes>>20, maxReads)
		return nil
	}
	f, err := parseFile(s.name, []byte(s.src))
	if err != nil {
		// The grammar accepts every token sequence the lexer makes; report
		// rather than panic should that ever stop being true.
		pos := Position{Filename: s.name, Line: 1, Column: 1}
		var perr interface{ Position() lexer.Position }
		if errors.As(err, &perr) {
			pos = perr.Position()
		}
		r.errorf(pos, s.chain, "internal parser error: %v", err)
		return nil
	}
	var out []*Directive
	for _, it := range f.Items {
		switch {
		case it.Stray != nil:
			r.strayCloser(s, it.Stray)
		default:
			out = r.item(s, it.Line, it.Section, false, out)
		}
	}
	return out
}

// item reads one line or section into out. inCond is true inside the body of
// a true read-time conditional of the same file, where httpd does not report
// sections left open at the end of the file.
func (r *reader) item(s *source, line *lexer.Token, sec *rawSection, inCond bool, out []*Directive) []*Directive {
	if line != nil {
		return r.line(s, line, out)
	}
	return r.section(s, sec, inCond, out)
}

func (r *reader) body(s *source, items []*rawItem, inCond bool, out []*Directive) []*Directive {
	for _, it := range items {
		out = r.item(s, it.Line, it.Section, inCond, out)
	}
	return out
}

// tokensText joins and returns the source text covered by toks (a logical
// line or part of one).
func tokensText(s *source, toks ...*lexer.Token) text {
	start, end := -1, -1
	var pos Position
	for _, t := range toks {
		if t == nil {
			continue
		}
		if start < 0 || t.Pos.Offset < start {
			start, pos = t.Pos.Offset, t.Pos
		}
		if e := t.Pos.Offset + len(t.Value); e > end {
			end = e
		}
	}
	if start < 0 {
		return text{}
	}
	return joinRaw(s.src[start:end], pos)
}

// lastLine is the last physical line the tokens cover: the line httpd
// records for a continued logical line.
func lastLine(toks ...*lexer.Token) int {
	line := 0
	for _, t := range toks {
		if t != nil {
			line = max(line, t.Pos.Line+strings.Count(t.Value, "\n"))
		}
	}
	return line
}

// splitName takes the directive name off an expanded line as httpd's
// ap_build_config_sub does: first word by GetWord, a trailing '>' dropped
// from it unless it is a closer, and an opener with nothing after it gets
// ">" as its argument text.
func splitName(t text) (name string, namePos Position, rest text) {
	name, _, start, next := getWord(t.s, 0)
	namePos = t.posAt(start)
	rest = t.slice(next, len(t.s))
	if len(name) > 1 && name[1] == '/' {
		return name, namePos, rest
	}
	if strings.HasSuffix(name, ">") {
		name = name[:len(name)-1]
	}
	if strings.HasPrefix(name, "<") && rest.s == "" {
		rest = text{s: ">", spans: []span{{pos: t.posAt(len(t.s) - 1), lit: true}}}
	}
	return name, namePos, rest
}

// words tokenises t with GetWord into positioned arguments.
func words(t text) []Arg {
	var args []Arg
	for i := 0; i < len(t.s); {
		v, q, start, next := getWord(t.s, i)
		if start >= len(t.s) {
			break
		}
		args = append(args, Arg{Pos: t.posAt(start), Value: v, Quote: q})
		i = next
	}
	return args
}

// line reads a directive line: expansion, tokenising, and the read-time
// directives (Include, Define, ...), which do not appear in the result.
func (r *reader) line(s *source, l *lexer.Token, out []*Directive) []*Directive {
	if len(l.Value) > maxLineLen {
		r.hintf(l.Pos, s.chain, "split the line; httpd reads at most 16 MiB per logical line",
			"Error reading %s at line %d: Line too long", s.name, lastLine(l))
		return out
	}
	t := r.expand(s, tokensText(s, l))
	name, namePos, rest := splitName(t)
	if name == "" {
		return out // httpd skips a line whose first word is empty ("" or '')
	}
	if strings.HasPrefix(name, "<") {
		r.hintf(namePos, s.chain, "write the section opener or closer literally",
			"%s comes from a ${VAR} expansion; appserver reads sections before expanding variables", name)
		return out
	}
	d := &Directive{
		Pos: namePos, Name: name, Args: words(rest), Raw: rest.s, RawPos: rest.posAt(0),
		IncludedFrom: s.chain,
	}
	switch strings.ToLower(name) {
	case "include":
		return r.include(s, d, false, out)
	case "includeoptional":
		return r.include(s, d, true, out)
	case "define":
		r.define(s, d)
		return out
	case "undefine":
		r.undefine(s, d)
		return out
	case "serverroot":
		r.setServerRoot(s, d)
		return out
	case "loadmodule":
		r.loadModule(s, d)
		return out
	case "use":
		return r.use(s, d, lastLine(l), out)
	case "undefmacro":
		r.undefMacro(s, d)
		return out
	}
	return append(out, d)
}

// strayCloser reports a closer with no open section in its file.
func (r *reader) strayCloser(s *source, c *lexer.Token) {
	t := r.expand(s, tokensText(s, c))
	name, pos, _ := splitName(t)
	r.hintf(pos, s.chain, "remove it, or add the opener in the same file: sections cannot span files",
		"%s without matching <%s section", name, from(name, 2))
}

// opener is a section's first line after expansion.
type opener struct {
	name      string // without '<' (and without a '>' that ended the first word)
	pos       Position
	args      text // the text before the last '>' (all of it when MissingGT)
	full      text // everything after the first word, '>' and trailing text included
	missingGT bool
}

func (r *reader) openerOf(s *source, sec *rawSection) opener {
	t := r.expand(s, tokensText(s, &sec.Open, sec.Args, sec.GT, sec.Trailing))
	name, pos, rest := splitName(t)
	o := opener{name: strings.TrimPrefix(name, "<"), pos: pos, full: rest}
	gt := strings.LastIndexByte(rest.s, '>')
	if gt < 0 {
		o.missingGT = true
		o.args = rest
		return o
	}
	end := gt
	for end > 0 && isSpace(rest.s[end-1]) {
		end--
	}
	o.args = rest.slice(0, end)
	return o
}

// readTime lists the sections httpd executes while reading, by lower-case
// name, with their canonical spelling for messages.
var readTime = map[string]string{
	"ifdefine":    "IfDefine",
	"ifmodule":    "IfModule",
	"ifversion":   "IfVersion",
	"iffile":      "IfFile",
	"ifdirective": "IfDirective",
	"ifsection":   "IfSection",
	"macro":       "Macro",
}

func (r *reader) section(s *source, sec *rawSection, inCond bool, out []*Directive) []*Directive {
	o := r.openerOf(s, sec)
	if canon, ok := readTime[strings.ToLower(o.name)]; ok {
		if canon == "Macro" {
			r.defineMacro(s, sec, o)
			return out
		}
		return r.conditional(s, sec, o, canon, out)
	}
	d := &Directive{
		Pos: o.pos, Name: o.name, Args: words(o.args), Raw: o.args.s, RawPos: o.args.posAt(0),
		Section: true, MissingGT: o.missingGT, IncludedFrom: s.chain,
	}
	if sec.Trailing != nil {
		r.warnf(sec.Trailing.Pos, "text after the closing '>' of <%s> is ignored (Apache ignores it too)", o.name)
	}
	d.Body = r.body(s, sec.Body, inCond, nil)
	if sec.Close == nil {
		if inCond {
			r.warnf(d.Pos, "<%s> was not closed; Apache accepts this silently inside a read-time conditional", o.name)
		} else {
			r.hintf(d.Pos, s.chain, fmt.Sprintf("add </%s> in the same file", o.name),
				"<%s> was not closed.", o.name)
		}
		return append(out, d) // End stays zero: there is no closer
	}
	d.End = sec.Close.Pos
	r.checkCloser(s, sec.Close, "<"+o.name)
	return append(out, d)
}

// checkCloser applies httpd's checks to the closer of an ordinary section
// opened as directive (with its '<').
func (r *reader) checkCloser(s *source, c *lexer.Token, directive string) {
	t := r.expand(s, tokensText(s, c))
	name, pos, _ := splitName(t)
	if !strings.HasSuffix(name, ">") {
		r.hintf(pos, s.chain, "end the closer with '>'", "%s> directive missing closing '>'", name)
		return
	}
	if !strings.EqualFold(from(name[:len(name)-1], 2), from(directive, 1)) {
		r.hintf(pos, s.chain, fmt.Sprintf("close <%s> with </%s> first, or fix this closer's name", directive[1:], directive[1:]),
			"Expected </%s> but saw %s", directive[1:], name)
	}
}

// errnoText is the C strerror text of err's errno ("No such file or
// directory"), as httpd prints it.
func errnoText(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		msg := errno.Error()
		if msg != "" {
			return strings.ToUpper(msg[:1]) + msg[1:]
		}
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
