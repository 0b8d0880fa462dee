package route

import (
	"path"
	"sort"
	"strings"

	"github.com/appserver/appserver/parser"
	"github.com/appserver/appserver/server/config"
)

// This file matches per-directory sections as server/request.c does
// (ap_location_walk, ap_directory_walk, ap_file_walk):
// <Location>/<LocationMatch> against the URI, <Directory>/<DirectoryMatch>
// against the directories the file walk reached, <Files>/<FilesMatch>
// against the file name. Each matcher returns sections in merge order.

// Location section kinds.
const (
	locPlain = iota // prefix on a segment boundary
	locWild         // fnmatch with FNM_PATHNAME over the whole URI
	locRegex        // unanchored regex search
)

// locSection is a compiled <Location>-type section.
type locSection struct {
	sec   *config.Section
	kind  int
	re    *config.Regexp
	names []string // "MATCH_NAME" per regex group, "" for unnamed groups
	// lit is a literal every match must start with (from a "^lit..."
	// pattern), tested before running the regex.
	lit string
}

// locationIndex finds the matching Location sections of one server in
// file order (main server's first) without testing every plain section:
// plain paths are looked up by the URI prefixes that could match them.
type locationIndex struct {
	secs   []locSection
	plain  map[string][]int32 // path -> indexes into secs, ascending
	always []int32            // plain sections with an empty path
	wild   []int32
	regex  []int32
}

func newLocationIndex(secs []*config.Section) locationIndex {
	x := locationIndex{plain: map[string][]int32{}}
	for _, s := range secs {
		ls := locSection{sec: s}
		switch {
		case s.Kind == config.SectionLocationMatch:
			ls.kind = locRegex
			ls.re = s.Regex
			if ls.re == nil {
				re, err := config.CompileRegexp(s.Path)
				if err != nil {
					// Load reports bad regexes; a section that cannot
					// compile never matches.
					continue
				}
				ls.re = re
			}
			ls.names = matchNames(ls.re)
			ls.lit = anchoredLiteral(s.Path)
		case parser.HasWildcard(s.Path):
			ls.kind = locWild
		default:
			ls.kind = locPlain
		}
		i := int32(len(x.secs))
		x.secs = append(x.secs, ls)
		switch ls.kind {
		case locRegex:
			x.regex = append(x.regex, i)
		case locWild:
			x.wild = append(x.wild, i)
		default:
			if s.Path == "" {
				x.always = append(x.always, i)
			} else {
				x.plain[s.Path] = append(x.plain[s.Path], i)
			}
		}
	}
	return x
}

// matchNames maps regex groups to the environment names httpd exports for
// named groups: MATCH_ plus the upper-cased name.
func matchNames(re *config.Regexp) []string {
	names := re.SubexpNames()
	var out []string
	for i, n := range names {
		if n == "" || i == 0 {
			continue
		}
		if out == nil {
			out = make([]string, len(names))
		}
		out[i] = "MATCH_" + strings.ToUpper(n)
	}
	return out
}

// match appends to dst the indexes of the sections matching uri, in file
// order. merged is uri with slash runs collapsed: plain and wildcard paths
// compare against it, regexes against uri itself.
func (x *locationIndex) match(dst []int32, uri, merged string) []int32 {
	start := len(dst)
	dst = append(dst, x.always...)
	// A plain path p matches when p is a prefix of the URI ending at a '/'
	// in the URI, just before one, or at the URI's end: those are the only
	// prefixes worth looking up.
	if len(x.plain) > 0 {
		for k := 1; k <= len(merged); k++ {
			if merged[k-1] != '/' && k != len(merged) && merged[k] != '/' {
				continue
			}
			if ids, ok := x.plain[merged[:k]]; ok {
				dst = append(dst, ids...)
			}
		}
	}
	for _, i := range x.wild {
		if fnmatch(x.secs[i].sec.Path, merged) {
			dst = append(dst, i)
		}
	}
	for _, i := range x.regex {
		ls := &x.secs[i]
		if strings.HasPrefix(uri, ls.lit) && ls.re.MatchString(uri) {
			dst = append(dst, i)
		}
	}
	sortInt32(dst[start:])
	return dst
}

// anchoredLiteral returns the literal text a regex match must start the
// subject with: the plain characters after a leading '^', minus a last one
// that a quantifier applies to. It is conservative: patterns with
// alternation, escapes or inline flags before the literal yield "".
func anchoredLiteral(src string) string {
	if !strings.HasPrefix(src, "^") || strings.IndexByte(src, '|') >= 0 {
		return ""
	}
	i := 1
	for i < len(src) && !strings.ContainsRune(`\.+*?()[]{}^$|`, rune(src[i])) {
		i++
	}
	lit := src[1:i]
	if i < len(src) && strings.IndexByte("*+?{", src[i]) >= 0 && lit != "" {
		lit = lit[:len(lit)-1]
	}
	return lit
}

// sortInt32 sorts a short slice in place (insertion sort: the lists are
// tiny and this avoids sort.Slice's allocation).
func sortInt32(a []int32) {
	for i := 1; i < len(a); i++ {
		v := a[i]
		j := i - 1
		for j >= 0 && a[j] > v {
			a[j+1] = a[j]
			j--
		}
		a[j+1] = v
	}
}

// addCaptures records the named groups of re matching s as MATCH_*
// variables (httpd sets them in r->subprocess_env; groups that did not
// take part are left out).
func addCaptures(env map[string]string, re *config.Regexp, names []string, s string) map[string]string {
	if names == nil {
		return env
	}
	m := re.FindSubmatchIndex(s)
	if m == nil {
		return env
	}
	for i, n := range names {
		if n == "" || 2*i+1 >= len(m) || m[2*i] < 0 {
			continue
		}
		if env == nil {
			env = map[string]string{}
		}
		env[n] = s[m[2*i]:m[2*i+1]]
	}
	return env
}

// dirMatcher is a compiled <Directory>-type section.
type dirMatcher struct {
	sec   *config.Section
	path  string // canonical, ending in '/' (non-regex)
	comps int    // '/' count; 0 for "/" so that it always merges first
	wild  bool
	re    *config.Regexp
	names []string
}

// newDirSections sorts Directory sections as core_reorder_directories
// does: non-regex before regex, then by component count, then file order.
func newDirSections(secs []*config.Section) []dirMatcher {
	var out []dirMatcher
	for _, s := range secs {
		d := dirMatcher{sec: s}
		if s.Kind == config.SectionDirectoryMatch {
			d.re = s.Regex
			if d.re == nil {
				re, err := config.CompileRegexp(s.Path)
				if err != nil {
					continue
				}
				d.re = re
			}
			d.names = matchNames(d.re)
			d.comps = strings.Count(s.Path, "/")
		} else {
			d.path = canonDirPath(s.Path)
			if d.path != "/" {
				d.comps = strings.Count(d.path, "/")
			}
			d.wild = parser.HasWildcard(d.path)
		}
		out = append(out, d)
	}
	sort.SliceStable(out, func(i, j int) bool {
		ri, rj := out[i].re != nil, out[j].re != nil
		if ri != rj {
			return !ri
		}
		return out[i].comps < out[j].comps
	})
	return out
}

// canonDirPath cleans a <Directory> path and gives it the trailing slash
// httpd stores.
func canonDirPath(p string) string {
	if p == "/" || p == "" {
		return "/"
	}
	c := path.Clean(p)
	if c == "/" {
		return c
	}
	return c + "/"
}

// dirMatches reports whether a non-regex Directory section applies, given
// the walk reached directory levels 1..levels of full (level k is the
// prefix of full ending at its k-th '/').
func (d *dirMatcher) dirMatches(full string, levels int) bool {
	if d.comps == 0 {
		return true
	}
	if d.comps > levels {
		return false
	}
	prefix, ok := dirPrefix(full, d.comps)
	if !ok {
		// The deepest level is the whole path, a directory without its
		// trailing slash.
		if d.wild {
			return fnmatch(d.path, full+"/")
		}
		return len(d.path) == len(full)+1 && strings.HasPrefix(d.path, full)
	}
	if d.wild {
		return fnmatch(d.path, prefix)
	}
	return d.path == prefix
}

// dirPrefix returns full up to and including its k-th '/'.
func dirPrefix(full string, k int) (string, bool) {
	n := 0
	for i := 0; i < len(full); i++ {
		if full[i] == '/' {
			n++
			if n == k {
				return full[:i+1], true
			}
		}
	}
	return "", false
}

// fileSectionMatches tests a <Files>/<FilesMatch> section against the base
// name of the mapped file.
func fileSectionMatches(s *config.Section, base string) bool {
	if s.Kind == config.SectionFilesMatch {
		re := s.Regex
		if re == nil {
			var err error
			if re, err = config.CompileRegexp(s.Path); err != nil {
				return false
			}
		}
		return re.MatchString(base)
	}
	if parser.HasWildcard(s.Path) {
		return fnmatch(s.Path, base)
	}
	return s.Path == base
}

// fnmatch is apr_fnmatch(pattern, s, APR_FNM_PATHNAME): a full match in
// which '*', '?' and bracket classes never match '/', so pattern and string
// must have the same '/'-separated segments.
func fnmatch(pattern, s string) bool {
	for {
		pi := indexSlash(pattern)
		si := strings.IndexByte(s, '/')
		if (pi < 0) != (si < 0) {
			return false
		}
		if pi < 0 {
			return parser.GlobMatch(pattern, s)
		}
		if !parser.GlobMatch(pattern[:pi], s[:si]) {
			return false
		}
		pattern, s = pattern[pi+1:], s[si+1:]
	}
}

// indexSlash finds the first '/' of a pattern that is not escaped.
func indexSlash(p string) int {
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '\\':
			i++
		case '/':
			return i
		}
	}
	return -1
}
