package wsgiopt

import (
	"strings"

	"github.com/appserver/appserver/parser"
	"github.com/appserver/appserver/server/internal/suggest"
)

// Word is one name=value word of mod_wsgi's option-style directives.
type Word struct {
	Name, Value string
	Off         int // where the word starts in the raw arguments
}

// Next is mod_wsgi's wsgi_parse_option on raw[i:]: the name runs
// to '=', with no space allowed before it, and the value is read with
// ap_getword_conf (so it may be quoted, and leading blanks are skipped:
// "a= b" gives a=b). ok is false for a word without '='; next is where the
// following option starts.
func Next(raw string, i int) (opt Word, next int, ok bool) {
	for i < len(raw) && isSpace(raw[i]) {
		i++
	}
	opt.Off = i
	if i >= len(raw) || raw[i] == '=' {
		return opt, i, false
	}
	j := i
	for j < len(raw) && raw[j] != '=' && !isSpace(raw[j]) {
		j++
	}
	if j >= len(raw) || raw[j] != '=' {
		return opt, i, false
	}
	opt.Name = raw[i:j]
	value, _, rest := parser.GetWord(raw[j+1:])
	opt.Value = value
	return opt, len(raw) - len(rest), true
}

func isSpace(b byte) bool {
	switch b {
	case ' ', '\t', '\n', '\v', '\f', '\r':
		return true
	}
	return false
}

// Hint explains why an option word was refused and lists the valid
// names, with the closest one first when it looks like a typo.
func Hint(word string, valid []string) string {
	word = strings.TrimSpace(word)
	if i := strings.IndexAny(word, " \t"); i >= 0 {
		word = word[:i]
	}
	name, _, hasEq := strings.Cut(word, "=")
	if !hasEq {
		return "\"" + word + "\" is not name=value; options are written name=value with no space around '=', one of " + strings.Join(valid, ", ")
	}
	best, bestDist := "", 0
	for _, v := range valid {
		if d := suggest.Distance(name, v); best == "" || d < bestDist {
			best, bestDist = v, d
		}
	}
	limit := len(name) / 3
	if limit > 3 {
		limit = 3
	}
	if limit < 1 {
		limit = 1
	}
	if bestDist > 0 && bestDist <= limit {
		return "unknown option '" + name + "', did you mean '" + best + "'?"
	}
	return "unknown option '" + name + "'; valid options are " + strings.Join(valid, ", ")
}

// SplitPathList splits a colon-separated path list, dropping empty entries.
func SplitPathList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ":") {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}
