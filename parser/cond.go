package parser

import (
	"strings"

	"github.com/dlclark/regexp2"
)

// serverVersion is the Apache version <IfVersion> compares with: the one
// whose behaviour appserver copies.
var serverVersion = [3]int{2, 4, 71}

const serverVersionString = "2.4.71"

// conditional reads a read-time conditional section (<IfDefine>,
// <IfModule>, <IfVersion>, <IfFile>, <IfDirective>, <IfSection>). A true
// body is read as if it were written in the parent; a false one is skipped
// without expansion, checking only that its sections balance.
func (r *reader) conditional(s *source, sec *rawSection, o opener, canon string, out []*Directive) []*Directive {
	var truth bool
	var msg string
	if canon == "IfVersion" {
		truth, msg = ifVersion(o.full)
	} else {
		truth, msg = r.condTest(o, canon)
	}
	if msg != "" {
		r.errorf(o.pos, s.chain, "%s", msg)
		return out
	}
	if !truth {
		r.soak(s, sec, "<"+canon)
		return out
	}
	out = r.body(s, sec.Body, true, out)
	if sec.Close == nil {
		r.warnf(o.pos, "<%s> was not closed; Apache accepts this silently at the end of a file, but it is probably a mistake", canon)
		return out
	}
	// A true conditional ends only at a line that is exactly </Name>
	// (before expansion); anything else is read as a closer with no open
	// section.
	raw := tokensText(s, sec.Close)
	if !equalFold(raw.s, "</"+canon+">") {
		t := r.expand(s, raw)
		name, pos, _ := splitName(t)
		r.hintf(pos, s.chain, "write the closer alone on its line, exactly as </"+canon+">",
			"%s without matching <%s section", name, from(name, 2))
	}
	return out
}

// from is s[i:], or "" when s is shorter.
func from(s string, i int) string {
	if i > len(s) {
		return ""
	}
	return s[i:]
}

// condTest is core's start_cond_section: cut at the last '>', '!' negates,
// the first word is tested.
func (r *reader) condTest(o opener, canon string) (bool, string) {
	if o.missingGT {
		return false, "<" + canon + "> directive missing closing '>'"
	}
	arg := o.args.s
	not := strings.HasPrefix(arg, "!")
	if not {
		arg = arg[1:]
	}
	word, _, _ := GetWord(arg)
	if word == "" {
		return false, "<" + canon + "> directive requires additional arguments"
	}
	var result bool
	switch canon {
	case "IfDefine":
		result = r.cfg.Defines[word]
	case "IfModule":
		result = r.cfg.Modules[word]
	case "IfFile":
		_, err := r.stat(r.serverRootRelative(word))
		result = err == nil
	case "IfDirective":
		result = r.isDirective(word)
	case "IfSection":
		result = r.isDirective("<" + word)
	}
	return result != not, ""
}

// isDirective answers <IfDirective>/<IfSection>: the read-time directives
// this package executes exist; others are asked of Options.IsDirective.
func (r *reader) isDirective(name string) bool {
	switch strings.ToLower(name) {
	case "include", "includeoptional", "define", "undefine", "serverroot", "loadmodule",
		"use", "undefmacro", "<ifdefine", "<ifmodule", "<ifversion", "<iffile",
		"<ifdirective", "<ifsection", "<macro":
		return true
	}
	return r.opts.IsDirective != nil && r.opts.IsDirective(name)
}

// soak checks a false branch the way httpd's ap_soak_end_container reads
// it: lines are not expanded; every line whose first word starts with '<'
// opens a level and the matching closer's first word, minus its last byte,
// must name it. Only the first problem is reported, as httpd stops there.
func (r *reader) soak(s *source, sec *rawSection, directive string) bool {
	for _, it := range sec.Body {
		if it.Section == nil {
			continue
		}
		t := tokensText(s, &it.Section.Open, it.Section.Args, it.Section.GT, it.Section.Trailing)
		name, _, _, next := getWord(t.s, 0)
		if next == len(t.s) && strings.HasSuffix(name, ">") {
			name = name[:len(name)-1]
		}
		if !r.soak(s, it.Section, name) {
			return false
		}
	}
	if sec.Close == nil {
		r.hintf(sec.Open.Pos, s.chain, "add the closer", "Expected </%s> before end of configuration", from(directive, 1))
		return false
	}
	t := tokensText(s, sec.Close)
	name, _, _, _ := getWord(t.s, 0)
	if name != "" {
		name = name[:len(name)-1]
	}
	if !equalFold(from(name, 2), from(directive, 1)) {
		r.hintf(sec.Close.Pos, s.chain, "make the closer match its opener; Apache drops the closer's last character before comparing, so write </Name> exactly",
			"Expected </%s> but saw %s>", from(directive, 1), name)
		return false
	}
	return true
}

// ifVersion is mod_version's <IfVersion [[!]op] version>: args is the
// whole argument text, its final '>' included (mod_version finds it itself).
func ifVersion(args text) (bool, string) {
	const missing = "<IfVersion> directive missing closing '>'"
	ws := words(args)
	if len(ws) == 0 || ws[0].Value == "" || len(ws) > 3 {
		return false, "<IfVersion takes one, two or three arguments, a comparison operator, a version (and a delimiter)"
	}
	arg1 := ws[0].Value
	arg2, has2 := "", false
	arg3, has3 := "", false
	if len(ws) > 1 && ws[1].Value != "" {
		arg2, has2 = ws[1].Value, true
	}
	if len(ws) > 2 && ws[2].Value != "" {
		arg3, has3 = ws[2].Value, true
	}
	// One argument: an equality test.
	if !has2 {
		arg2, arg1 = arg1, "="
	}
	// A quoted version without operator: <IfVersion "2.4">.
	if !has3 && arg2 == ">" {
		arg3, has3 = ">", true
		arg2, arg1 = arg1, "="
	}
	endp := len(arg2)
	if endp == 0 {
		return false, missing
	}
	if !(has3 && arg3 == ">") {
		endp--
		if arg2[endp] != '>' {
			return false, missing
		}
	}
	p := arg1
	reverse := false
	if p[0] == '!' {
		reverse = true
		if len(p) > 1 {
			p = p[1:]
		}
	}
	c, p := p[0], p[1:]
	if !(p == "" || (p == "=" && c != '~')) {
		return false, "unrecognized operator '" + arg1 + "'"
	}
	var match bool
	switch c {
	case '=':
		if arg2[0] != '/' {
			cmp, msg := compareVersion(arg2[:endp])
			if msg != "" {
				return false, msg
			}
			match = cmp == 0
			break
		}
		// /regex/
		arg2 = arg2[1:]
		endp--
		if endp == 0 || arg2[endp-1] != '/' {
			return false, "Missing delimiting / of regular expression."
		}
		endp--
		fallthrough
	case '~':
		re, err := regexp2.Compile(arg2[:endp], regexp2.None)
		if err != nil {
			return false, "Unable to compile regular expression"
		}
		match, _ = re.MatchString(serverVersionString)
	case '<', '>':
		cmp, msg := compareVersion(arg2[:endp])
		if msg != "" {
			return false, msg
		}
		want := -1
		if c == '>' {
			want = 1
		}
		match = cmp == want || (p != "" && cmp == 0)
	default:
		return false, "unrecognized operator '" + arg1 + "'"
	}
	return match != reverse, ""
}

// compareVersion is mod_version's: v is major[.minor[.patch]] (missing parts
// are 0); it returns -1, 0 or 1 as the server version is below, equal to or
// above v.
func compareVersion(v string) (int, string) {
	const invalid = "Version appears to be invalid. It must have the format major[.minor[.patch]] where major, minor and patch are numbers."
	if v == "" || v[0] < '0' || v[0] > '9' {
		return 0, invalid
	}
	var ver [3]int
	c, start, p := 0, 0, 0
	for p <= len(v) && c < 3 {
		ch := byte(0)
		if p < len(v) {
			ch = v[p]
		}
		if ch == '.' || ch == 0 {
			ver[c] = atoi(v[start:p])
			c++
			p++
			start = p
			continue
		}
		if ch < '0' || ch > '9' {
			break
		}
		p++
	}
	if p < len(v) {
		return 0, invalid
	}
	for i := 0; i < 3; i++ {
		if serverVersion[i] > ver[i] {
			return 1, ""
		}
		if serverVersion[i] < ver[i] {
			return -1, ""
		}
	}
	return 0, ""
}

// atoi parses leading digits, saturating instead of overflowing.
func atoi(s string) int {
	n := 0
	for i := 0; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		if n < 1<<30 {
			n = n*10 + int(s[i]-'0')
		}
	}
	return n
}
