package parser

import (
	"fmt"
	"strings"
)

// macro is a mod_macro definition: its body is kept as text and re-read,
// parameters substituted, at every Use.
type macro struct {
	name     string // lower case
	params   []string
	lines    []string // body lines, trimmed and joined, comments dropped
	location string   // `defined on line N of "F"`
}

// maxMacroLine is mod_macro's line buffer (MAX_STRING_LEN): a substituted
// line must fit in it.
const maxMacroLine = 8192

const argPrefix = "$%@"

// defineMacro is mod_macro's <Macro name params...> section.
func (r *reader) defineMacro(s *source, sec *rawSection, o opener) {
	arg := o.full.s
	endp := strings.LastIndexByte(arg, '>')
	if endp < 0 {
		r.errorf(o.pos, s.chain, "<Macro> directive missing closing '>'")
		return
	}
	if endp == 0 {
		r.errorf(o.pos, s.chain, "<Macro macro definition: empty name")
		return
	}
	if trail := arg[endp+1:]; nonBlank(trail) {
		r.warnf(o.pos, "non blank chars found after <Macro closing '>' on line %d of %s: %s", openerLine(sec), s.name, trail)
	}
	name, _, rest := GetWord(arg[:endp])
	if name == "" {
		r.errorf(o.pos, s.chain, "<Macro macro definition: name not found")
		return
	}
	name = asciiLower(name)
	if r.macros == nil {
		r.macros = map[string]*macro{}
	}
	line := openerLine(sec)
	if old := r.macros[name]; old != nil {
		r.warnf(o.pos, "macro '%s' multiply defined: %s, redefined on line %d of \"%s\"", name, old.location, line, s.name)
	}
	m := &macro{name: name, location: fmt.Sprintf("defined on line %d of \"%s\"", line, s.name)}
	where := fmt.Sprintf("macro '%s' (%s)", name, m.location)
	if strings.IndexByte(argPrefix, name[0]) >= 0 {
		r.warnf(o.pos, "%s better prefix a macro name with any of '%s'", where, argPrefix)
	}
	for _, w := range words(text{s: rest, spans: []span{{lit: true}}}) {
		m.params = append(m.params, w.Value)
	}
	for i, p := range m.params {
		if p == "" {
			r.errorf(o.pos, s.chain, "macro '%s' (%s): empty argument #%d name", name, m.location, i+1)
			return
		}
		if strings.IndexByte(argPrefix, p[0]) < 0 {
			r.warnf(o.pos, "macro '%s' (%s) argument name '%s' (#%d) without expected prefix, better prefix argument names with one of '%s'.",
				name, m.location, p, i+1, argPrefix)
		}
		for j := i + 1; j < len(m.params); j++ {
			q := m.params[j]
			if p == q {
				r.errorf(o.pos, s.chain, "argument name conflict in macro '%s' (%s): argument '%s': #%d and #%d, change argument names!",
					name, m.location, p, i+1, j+1)
				return
			}
			if q != "" && (strings.HasPrefix(p, q) || strings.HasPrefix(q, p)) {
				r.warnf(o.pos, "macro '%s' (%s): argument name prefix conflict (%s #%d and %s #%d), be careful about your macro definition!",
					name, m.location, p, i+1, q, j+1)
			}
		}
	}
	// The body: sections inside need not balance (only warned about).
	nesting := 1
	for i, ml := range sec.Lines {
		tok := ml.Tok
		l := joinRaw(tok.Value, tok.Pos).s
		m.lines = append(m.lines, l)
		first, _, _ := GetWord(l)
		switch {
		case strings.HasPrefix(first, "</"):
			nesting--
			if nesting < 0 {
				r.warnf(tok.Pos, "bad (negative) nesting on line %d of %s", i+1, where)
			}
		case strings.HasPrefix(first, "<"):
			nesting++
		}
	}
	if sec.Close == nil {
		r.errorf(o.pos, s.chain, "%s contents error: expected token not found: </Macro>", where)
		return
	}
	if nesting--; nesting != 0 {
		r.warnf(o.pos, "bad cumulated nesting (%+d) in %s", nesting, where)
	}
	closer := tokensText(s, sec.Close)
	if end := strings.LastIndexByte(closer.s, '>') + 1; nonBlank(closer.s[end:]) {
		r.warnf(closer.posAt(end), "non blank chars found after directive closing on line %d of %s: %s",
			lastLine(sec.Close), s.name, closer.s[end:])
	}
	if len(m.lines) == 0 {
		r.warnf(o.pos, "macro '%s' (%s): empty contents!", name, m.location)
	} else {
		used := make([]bool, len(m.params))
		for i, l := range m.lines {
			if _, err := substitute(l, m.params, m.params, used); err != "" {
				r.errorf(o.pos, s.chain, "%s contents checking error: while processing line %d of macro '%s' (%s) %s",
					where, i+1, name, m.location, err)
				return
			}
		}
		for i, u := range used {
			if !u {
				r.warnf(o.pos, "macro '%s' (%s): argument '%s' (#%d) never used", name, m.location, m.params[i], i+1)
			}
		}
	}
	r.gen++
	r.macros[name] = m
}

// nonBlank is mod_macro's warn_if_non_blank test: anything but spaces and
// tabs before an optional '#'.
func nonBlank(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '#':
			return false
		case ' ', '\t':
		default:
			return true
		}
	}
	return false
}

// use is mod_macro's Use: the macro body, parameters substituted, is read
// here as a pseudo file named like mod_macro names it, so positions inside
// it read `macro 'x' (defined on line N of "F") used on line M of "F":L:C`.
func (r *reader) use(s *source, d *Directive, line int, out []*Directive) []*Directive {
	if r.macros == nil {
		r.hintf(d.Pos, s.chain, "define the macro with <Macro> before using it", "no macro defined before Use")
		return out
	}
	if len(d.Args) == 0 || d.Args[0].Value == "" {
		r.errorf(d.Pos, s.chain, "no macro name specified with Use")
		return out
	}
	name := asciiLower(d.Args[0].Value)
	m := r.macros[name]
	if m == nil {
		r.hintf(d.Args[0].Pos, s.chain, "define it with <Macro> before this line", "macro '%s' undefined", name)
		return out
	}
	if strings.Contains(s.name, "macro '"+m.name+"'") {
		r.errorf(d.Pos, s.chain, "recursive use of macro '%s' is invalid", m.name)
		return out
	}
	var repl []string
	for _, a := range d.Args[1:] {
		repl = append(repl, a.Value)
	}
	if len(repl) != len(m.params) {
		r.errorf(d.Pos, s.chain, "macro '%s' (%s) used with %d arguments instead of %d", m.name, m.location, len(repl), len(m.params))
		return out
	}
	where := fmt.Sprintf("macro '%s' (%s) used on line %d of \"%s\"", m.name, m.location, line, s.name)
	for i, v := range repl {
		if v == "" {
			r.warnf(d.Args[i+1].Pos, "%s: empty argument #%d", where, i+1)
		}
	}
	var b strings.Builder
	for i, l := range m.lines {
		sub, err := substitute(l, m.params, repl, nil)
		if err != "" {
			r.errorf(d.Pos, s.chain, "%s error while substituting: while processing line %d of macro '%s' (%s) %s",
				where, i+1, m.name, m.location, err)
			return out
		}
		b.WriteString(sub)
		b.WriteByte('\n')
	}
	chain := append(s.chain[:len(s.chain):len(s.chain)], d.Pos)
	return append(out, r.readText(&source{name: where, src: b.String(), chain: chain})...)
}

// substitute replaces macro parameters in one body line as mod_macro's
// substitute_macro_args: repeatedly the earliest occurrence of any parameter
// (the longest on a tie) is replaced, '@' parameters with a double-quoted,
// backslash-escaped value, and scanning resumes len(value) bytes after the
// replacement's start. used, when not nil, records the parameters found.
func substitute(line string, params, repl []string, used []bool) (string, string) {
	buf := line
	ptr := 0
	for {
		which, at := -1, -1
		for i, p := range params {
			k := strings.Index(buf[ptr:], p)
			if k < 0 {
				continue
			}
			if at < 0 || k < at || (k == at && len(p) > len(params[which])) {
				which, at = i, k
			}
		}
		if which < 0 {
			return buf, ""
		}
		at += ptr
		name, value := params[which], repl[which]
		if name != value {
			ins := value
			if name[0] == '@' {
				ins = `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(value) + `"`
			}
			// +1 for the newline mod_macro keeps at the end of each line.
			if len(buf)-len(name)+len(ins)+1 >= maxMacroLine {
				return buf, "cannot substitute, buffer size too small"
			}
			buf = buf[:at] + ins + buf[at+len(name):]
		}
		ptr = at + len(value)
		if used != nil {
			used[which] = true
		}
	}
}

// undefMacro is mod_macro's UndefMacro (TAKE1).
func (r *reader) undefMacro(s *source, d *Directive) {
	if takeErr(d, 1, 1) {
		r.errorf(d.Pos, s.chain, "UndefMacro takes one argument, Remove a macro definition.")
		return
	}
	if r.macros == nil {
		r.errorf(d.Pos, s.chain, "no macro defined before UndefMacro")
		return
	}
	name := asciiLower(d.Args[0].Value)
	if r.macros[name] == nil {
		r.errorf(d.Args[0].Pos, s.chain, "cannot remove undefined macro '%s'", name)
		return
	}
	r.gen++
	delete(r.macros, name)
}

// openerLine is the line httpd records for a section opener.
func openerLine(sec *rawSection) int {
	return lastLine(&sec.Open, sec.Args, sec.GT, sec.Trailing)
}
