package config

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/dlclark/regexp2"
)

// Regexp is a compiled httpd regex (PCRE with DOTALL and DOLLAR_ENDONLY).
// Go's RE2 engine is used whenever it accepts the pattern, because it is
// linear-time and fast; patterns RE2 cannot compile (lookarounds,
// backreferences, possessive quantifiers, which real configs use) fall back
// to regexp2, a PCRE-compatible backtracking engine.
type Regexp struct {
	src string
	re  *regexp.Regexp
	re2 *regexp2.Regexp
}

// CompileRegexp compiles an httpd regex.
func CompileRegexp(src string) (*Regexp, error) {
	// (?s) is PCRE's DOTALL. Without (?m), RE2's $ matches only at the end of
	// the text, which is DOLLAR_ENDONLY.
	if re, err := regexp.Compile("(?s)" + src); err == nil {
		return &Regexp{src: src, re: re}, nil
	}
	// regexp2's $ also matches before a final newline; dollarEndOnly
	// (match.go) makes it PCRE's DOLLAR_ENDONLY.
	re2, err := regexp2.Compile(DollarEndOnly(src), regexp2.Singleline)
	if err != nil {
		return nil, err
	}
	return &Regexp{src: src, re2: re2}, nil
}

// String returns the source pattern.
func (r *Regexp) String() string { return r.src }

// FindSubmatchIndex returns the byte offsets of the leftmost match and its
// groups (as regexp.FindStringSubmatchIndex), or nil.
func (r *Regexp) FindSubmatchIndex(s string) []int {
	if r.re != nil {
		return r.re.FindStringSubmatchIndex(s)
	}
	m, err := r.re2.FindStringMatch(s)
	if err != nil || m == nil {
		return nil
	}
	groups := m.Groups()
	idx := make([]int, 2*len(groups))
	// regexp2 reports rune offsets; convert to byte offsets.
	runeToByte := runeOffsets(s)
	for i, g := range groups {
		if len(g.Captures) == 0 {
			idx[2*i], idx[2*i+1] = -1, -1
			continue
		}
		idx[2*i] = runeToByte[g.Index]
		idx[2*i+1] = runeToByte[g.Index+g.Length]
	}
	return idx
}

// MatchString reports whether s contains a match.
func (r *Regexp) MatchString(s string) bool {
	if r.re != nil {
		return r.re.MatchString(s)
	}
	ok, err := r.re2.MatchString(s)
	return err == nil && ok
}

// SubexpNames returns the names of the groups; index 0 is the whole match.
func (r *Regexp) SubexpNames() []string {
	if r.re != nil {
		return r.re.SubexpNames()
	}
	nums := r.re2.GetGroupNumbers()
	max := 0
	for _, n := range nums {
		if n > max {
			max = n
		}
	}
	names := make([]string, max+1)
	for _, n := range nums {
		name := r.re2.GroupNameFromNumber(n)
		if name != "" && name != strconv.Itoa(n) {
			names[n] = name
		}
	}
	return names
}

func runeOffsets(s string) []int {
	offs := make([]int, 0, len(s)+1)
	for i := range s {
		offs = append(offs, i)
	}
	return append(offs, len(s))
}

// dollarEndOnly rewrites each '$' anchor of a PCRE pattern (not escaped,
// not in a character class) as \z, so that a backtracking engine whose '$'
// also matches before a final newline behaves like httpd's PCRE with
// DOLLAR_ENDONLY. Patterns with inline flags are left alone: (?m) must keep
// its multi-line '$'.
func DollarEndOnly(src string) string {
	if strings.IndexByte(src, '$') < 0 || hasInlineM(src) {
		return src
	}
	var sb strings.Builder
	inClass := false
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case c == '\\' && i+1 < len(src):
			sb.WriteByte(c)
			i++
			sb.WriteByte(src[i])
			continue
		case inClass:
			if c == ']' {
				inClass = false
			}
		case c == '[':
			inClass = true
			sb.WriteByte(c)
			// A ']' first in the class (after an optional '^') is literal.
			if i+1 < len(src) && src[i+1] == '^' {
				i++
				sb.WriteByte(src[i])
			}
			if i+1 < len(src) && src[i+1] == ']' {
				i++
				sb.WriteByte(src[i])
			}
			continue
		case c == '$':
			sb.WriteString(`\z`)
			continue
		}
		sb.WriteByte(c)
	}
	return sb.String()
}

// hasInlineM reports whether a pattern sets PCRE's multi-line flag inline,
// as in "(?m)" or "(?im:...)".
func hasInlineM(src string) bool {
	for i := 0; i+2 < len(src); i++ {
		if src[i] != '(' || src[i+1] != '?' {
			continue
		}
		for j := i + 2; j < len(src); j++ {
			c := src[j]
			if c == 'm' {
				return true
			}
			if (c|0x20 < 'a' || c|0x20 > 'z') && c != '-' {
				break
			}
		}
	}
	return false
}
