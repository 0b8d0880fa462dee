package parser

import (
	"errors"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
)

// include is core's Include and IncludeOptional (TAKE1, read-time): the
// files are read at this point and their directives spliced in here, inside
// whatever section holds the Include.
func (r *reader) include(s *source, d *Directive, optional bool, out []*Directive) []*Directive {
	if r.halted {
		return out
	}
	if takeErr(d, 1, 1) {
		if optional {
			r.errorf(d.Pos, s.chain, "IncludeOptional takes one argument, Name or pattern of the config file(s) to be included; ignored if the file does not exist or the pattern does not match any files")
		} else {
			r.errorf(d.Pos, s.chain, "Include takes one argument, Name(s) of the config file(s) to be included; fails if the wildcard does not match at least one file")
		}
		return out
	}
	inc := &includer{r: r, d: d, optional: optional, parent: s,
		chain: append(s.chain[:len(s.chain):len(s.chain)], d.Pos), out: out}
	path := r.serverRootRelative(d.Args[0].Value)
	if !HasWildcard(path) {
		inc.noFnmatch(path, 0)
		return inc.out
	}
	dir, rest := "", path
	if strings.HasPrefix(path, "/") {
		dir, rest = "/", strings.TrimLeft(path, "/")
	}
	inc.fnmatch(dir, rest)
	return inc.out
}

// includer carries one Include's state through the file system walk.
type includer struct {
	r        *reader
	d        *Directive
	optional bool
	parent   *source
	chain    []Position
	out      []*Directive
}

func (inc *includer) fail(hint, format string, args ...any) {
	inc.r.hintf(inc.d.Pos, inc.parent.chain, hint, format, args...)
}

// hostProblem reports a missing file or directory: an error, or a warning
// under Options.NoHostChecks.
func (inc *includer) hostProblem(hint, format string, args ...any) {
	if inc.r.opts.NoHostChecks {
		inc.r.warnAs(WarnHost, inc.d.Pos, format, args...)
		return
	}
	inc.fail(hint, format, args...)
}

// noFnmatch reads a path without wildcards: a directory is read whole,
// recursively and unfiltered, entries in byte order; a file is read.
func (inc *includer) noFnmatch(path string, dirDepth int) {
	r := inc.r
	if fi, err := r.stat(path); err == nil && fi.IsDir() {
		dirDepth++
		if dirDepth > maxIncludeDepth {
			inc.fail("look for a symbolic link loop",
				"Directory %s exceeds the maximum include directory nesting level of %d. You have probably a recursion somewhere.", path, maxIncludeDepth)
			return
		}
		entries, err := r.readDir(path)
		if err != nil {
			inc.fail("", "Include/IncludeOptional: Could not open directory %s: %s", path, errnoText(err))
			return
		}
		names := make([]string, 0, len(entries))
		for _, e := range entries {
			if n := e.Name(); n != "." && n != ".." {
				names = append(names, n)
			}
		}
		sort.Strings(names)
		for _, n := range names {
			inc.noFnmatch(joinPath(path, n), dirDepth)
		}
		return
	}
	b, err := r.readBytes(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			if inc.optional {
				return
			}
			inc.hostProblem("create the file, fix the path, or use IncludeOptional",
				"Could not open configuration file %s: %s", path, errnoText(err))
			return
		}
		inc.fail("", "Could not open configuration file %s: %s", path, errnoText(err))
		return
	}
	inc.readFile(path, b)
}

// readFile reads an included file, guarding against include loops and the
// depth limit.
func (inc *includer) readFile(path string, b []byte) {
	r := inc.r
	clean := filepath.Clean(path)
	for i, f := range r.stack {
		if f.path != clean || f.gen != r.gen {
			continue
		}
		// Same file, and no Define, LoadModule, ServerRoot or macro changed
		// since it was entered: reading it again repeats forever.
		var via []string
		for _, g := range r.stack[i+1:] {
			via = append(via, FormatPos(g.from))
		}
		via = append(via, FormatPos(inc.d.Pos))
		inc.fail("break the cycle; Apache gives up after 128 nested Includes with \"Exceeded maximum include depth of 128, There appears to be a recursion.\"",
			"Include loop: %s includes itself (%s)", path, strings.Join(via, " -> "))
		return
	}
	if len(r.stack) > maxIncludeDepth {
		// httpd stops here; so does the reader, as everything after it
		// would repeat the recursion.
		inc.fail("look for an Include that includes itself; reading stopped",
			"Exceeded maximum include depth of %d, There appears to be a recursion.", maxIncludeDepth)
		r.halted = true
		return
	}
	r.stack = append(r.stack, frame{path: clean, gen: r.gen, from: inc.d.Pos})
	inc.out = append(inc.out, r.readSource(path, b, inc.chain)...)
	r.stack = r.stack[:len(r.stack)-1]
}

// fnmatch walks pattern (relative to dir) one component at a time, as
// httpd's process_resource_config_fnmatch: wildcard components are matched
// against directory entries (a leading '.' only by a literal '.'), only
// directories match a component that is not the last, and a wildcard that
// matches nothing in a directory is an error for Include.
func (inc *includer) fnmatch(dir, pattern string) {
	r := inc.r
	comp, rest, hasRest := strings.Cut(pattern, "/")
	if !HasWildcard(comp) {
		p := joinPath(dir, comp)
		if !hasRest {
			inc.noFnmatch(p, 0)
		} else {
			inc.fnmatch(p, rest)
		}
		return
	}
	listDir := dir
	if listDir == "" {
		listDir = "."
	}
	entries, err := r.readDir(listDir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			if inc.optional {
				return
			}
			inc.hostProblem("create the directory, fix the path, or use IncludeOptional",
				"Include/IncludeOptional: Could not open directory %s: %s", listDir, errnoText(err))
			return
		}
		inc.fail("", "Include/IncludeOptional: Could not open directory %s: %s", listDir, errnoText(err))
		return
	}
	var matches []string
	for _, e := range entries {
		n := e.Name()
		if n == "." || n == ".." || !fnmatchName(comp, n) {
			continue
		}
		// Like httpd (dirent type), a symbolic link is not a directory here.
		if hasRest && !e.IsDir() {
			continue
		}
		matches = append(matches, joinPath(dir, n))
	}
	if len(matches) == 0 {
		if !inc.optional {
			inc.hostProblem("add a matching file, fix the pattern, or use IncludeOptional",
				"Include/IncludeOptional: No matches for the wildcard '%s' in '%s', failing", comp, listDir)
		}
		return
	}
	sort.Strings(matches)
	for _, m := range matches {
		if !hasRest {
			inc.noFnmatch(m, 0)
		} else {
			inc.fnmatch(m, rest)
		}
	}
}

// joinPath is ap_make_full_path: dir and name with exactly one '/' between.
func joinPath(dir, name string) string {
	switch {
	case dir == "":
		return name
	case strings.HasSuffix(dir, "/"):
		return dir + name
	}
	return dir + "/" + name
}

// HasWildcard is apr_fnmatch_test: does the pattern contain a wildcard ('*',
// '?', or '[' with a later ']'), escapes with '\' honoured?
func HasWildcard(p string) bool {
	nesting := 0
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '?', '*':
			return true
		case '\\':
			i++
			if i >= len(p) {
				return false
			}
		case '[':
			nesting++
		case ']':
			if nesting > 0 {
				return true
			}
		}
	}
	return false
}

// fnmatchName matches one path component against a glob pattern with
// apr_fnmatch's APR_FNM_PERIOD rule: a leading '.' in name must be matched
// by a literal '.' in the pattern. '\' escapes the next pattern byte.
func fnmatchName(pattern, name string) bool {
	if strings.HasPrefix(name, ".") {
		lit := strings.HasPrefix(pattern, ".") || strings.HasPrefix(pattern, "\\.")
		if !lit {
			return false
		}
	}
	return GlobMatch(pattern, name)
}

// GlobMatch is apr_fnmatch on one path segment: a byte-wise match of the
// whole of s with '*', '?', '[...]' (negated by '!' or '^', with ranges) and
// '\' escapes. An unclosed '[' is literal. Callers split on '/' themselves
// (FNM_PATHNAME) and decide about leading dots (FNM_PERIOD).
func GlobMatch(p, s string) bool {
	// Iterative with one backtrack point for the last '*'.
	pi, si := 0, 0
	starP, starS := -1, 0
	for si < len(s) {
		if pi < len(p) {
			switch p[pi] {
			case '*':
				starP, starS = pi, si
				pi++
				continue
			case '?':
				pi++
				si++
				continue
			case '[':
				if ok, width, matched := matchClass(p[pi:], s[si]); ok {
					if matched {
						pi += width
						si++
						continue
					}
				} else if s[si] == '[' { // unclosed: literal
					pi++
					si++
					continue
				}
			case '\\':
				if pi+1 < len(p) && p[pi+1] == s[si] {
					pi += 2
					si++
					continue
				}
				if pi+1 == len(p) && s[si] == '\\' {
					pi++
					si++
					continue
				}
			default:
				if p[pi] == s[si] {
					pi++
					si++
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		starS++
		pi, si = starP+1, starS
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// matchClass matches c against the bracket expression at the start of p.
// ok is false when the bracket is not closed.
func matchClass(p string, c byte) (ok bool, width int, matched bool) {
	i := 1
	negate := false
	if i < len(p) && (p[i] == '!' || p[i] == '^') {
		negate = true
		i++
	}
	first := true
	for i < len(p) {
		if p[i] == ']' && !first {
			return true, i + 1, matched != negate
		}
		first = false
		lo := p[i]
		if lo == '\\' && i+1 < len(p) {
			i++
			lo = p[i]
		}
		i++
		hi := lo
		if i+1 < len(p) && p[i] == '-' && p[i+1] != ']' {
			hi = p[i+1]
			if hi == '\\' && i+2 < len(p) {
				hi = p[i+2]
				i++
			}
			i += 2
		}
		if lo <= c && c <= hi {
			matched = true
		}
	}
	return false, 0, false
}
