package route

import (
	"errors"
	"io/fs"
	"path"
	"strings"

	"github.com/appserver/appserver/server/config"
)

// This file maps a URI to a file the way httpd's translate_name hooks do
// (mod_alias first, then mod_wsgi's WSGIScriptAlias, then the core's
// DocumentRoot), and then walks that file name as ap_directory_walk does to
// split it into the file and PATH_INFO (SCRIPT_NAME/PATH_INFO as mod_wsgi
// 4.9.4 reports them).

// StatFunc looks up a file, like os.Stat.
type StatFunc func(string) (fs.FileInfo, error)

// What translation produced.
const (
	mapNone    = iota // nothing mapped the URI (no DocumentRoot)
	mapAlias          // Alias / AliasMatch: a static file
	mapWSGI           // WSGIScriptAlias(Match): handler wsgi-script
	mapDocRoot        // DocumentRoot + URI
	mapRewrite        // a file name a server-context RewriteRule produced
)

// mapping is the result of the translate phase.
type mapping struct {
	kind     int
	filename string              // r->filename before the walk
	target   string              // the alias or DocumentRoot path, for missing-file fallbacks
	script   *config.ScriptAlias // for mapWSGI
	alias    *config.Alias       // for mapAlias
}

// translate runs the translate_name hooks for uri on server st.
func (st *serverTable) translate(uri string) mapping {
	for _, a := range st.fileAliases {
		if a.Regex != nil {
			m := a.Regex.FindSubmatchIndex(uri)
			if m == nil {
				continue
			}
			fn := regSub(a.Target, uri, m)
			return mapping{kind: mapAlias, filename: fn, target: fn, alias: a}
		}
		if l := aliasMatches(uri, a.URL); l > 0 {
			return mapping{kind: mapAlias, filename: a.Target + uri[l:], target: a.Target, alias: a}
		}
	}
	for _, a := range st.scriptAliases {
		var loc, target string
		l := 0
		if a.Regex != nil {
			m := a.Regex.FindSubmatchIndex(uri)
			if m == nil {
				continue
			}
			// mod_wsgi takes the match up to its end as the mount point,
			// and an empty match as no match at all.
			l = m[1]
			loc = uri[:l]
			target = regSub(a.Target, uri, m)
		} else {
			l = aliasMatches(uri, a.URL)
			loc, target = a.URL, a.Target
		}
		if l <= 0 {
			continue
		}
		rest := uri[l:]
		if loc == "/" {
			// mod_wsgi special-cases a root mount: the whole URI is appended.
			rest = uri
		}
		fn := target + rest
		return mapping{kind: mapWSGI, filename: fn, target: target, script: a}
	}
	if st.docRoot != "" {
		return mapping{kind: mapDocRoot, filename: st.docRoot + uri, target: st.docRoot}
	}
	return mapping{kind: mapNone}
}

// aliasMatches is mod_alias's alias_matches (also used by mod_wsgi): a run
// of '/' in the alias matches any non-empty run of '/' in the URI, other
// bytes compare exactly, and the alias must end at a segment boundary. It
// returns how many bytes of uri matched (0 = no match).
func aliasMatches(uri, alias string) int {
	a, u := 0, 0
	for a < len(alias) {
		if alias[a] == '/' {
			if u >= len(uri) || uri[u] != '/' {
				return 0
			}
			for a < len(alias) && alias[a] == '/' {
				a++
			}
			for u < len(uri) && uri[u] == '/' {
				u++
			}
			continue
		}
		if u >= len(uri) || uri[u] != alias[a] {
			return 0
		}
		a++
		u++
	}
	if a > 0 && alias[a-1] != '/' && u < len(uri) && uri[u] != '/' {
		return 0
	}
	return u
}

// regSub is ap_pregsub: $0..$9 become the groups of match m in src (empty
// when a group did not take part), a backslash makes the next byte literal.
func regSub(tmpl, src string, m []int) string {
	if strings.IndexAny(tmpl, `$\`) < 0 {
		return tmpl
	}
	var sb strings.Builder
	for i := 0; i < len(tmpl); i++ {
		c := tmpl[i]
		if c == '$' && i+1 < len(tmpl) && isDigit(tmpl[i+1]) {
			n := int(tmpl[i+1] - '0')
			i++
			if 2*n+1 < len(m) && m[2*n] >= 0 && m[2*n] < m[2*n+1] {
				sb.WriteString(src[m[2*n]:m[2*n+1]])
			}
			continue
		}
		if c == '\\' && i+1 < len(tmpl) {
			i++
			c = tmpl[i]
		}
		sb.WriteByte(c)
	}
	return sb.String()
}

// canonFilename is apr_filepath_merge for an absolute path: slash runs and
// "." segments go, ".." removes the previous segment (never above "/"), a
// trailing slash is kept.
func canonFilename(p string) string {
	if p == "" {
		return p
	}
	if !strings.Contains(p, "//") && !strings.Contains(p, "/.") && p[0] == '/' {
		return p
	}
	abs := p[0] == '/'
	trailing := strings.HasSuffix(p, "/") || strings.HasSuffix(p, "/.") || strings.HasSuffix(p, "/..")
	var segs []string
	for _, s := range strings.Split(p, "/") {
		switch s {
		case "", ".":
		case "..":
			if len(segs) > 0 {
				segs = segs[:len(segs)-1]
			}
		default:
			segs = append(segs, s)
		}
	}
	out := strings.Join(segs, "/")
	if abs {
		out = "/" + out
	}
	if trailing && !strings.HasSuffix(out, "/") {
		out += "/"
	}
	return out
}

// File types found by the walk.
const (
	ftNone = iota // the walk ended on a name that does not exist
	ftFile
	ftDir
)

// walkResult is what ap_directory_walk leaves in r->filename,
// r->path_info and r->finfo.
type walkResult struct {
	full     string // the canonical name that was walked
	filename string
	pathInfo string
	ftype    int
	levels   int // directory levels reached: 1 = "/", 2 = "/x/", ...
	// finfo is the stat of filename when ftype is ftFile and it really
	// exists (nil when the walker made it up).
	finfo fs.FileInfo
}

// walkFile walks a canonical absolute file name segment by segment,
// stopping at the first regular file (the rest is PATH_INFO) or at the first
// name that does not exist.
func walkFile(full string, wk *walker) walkResult {
	w := walkResult{full: full, levels: 1, ftype: ftDir}
	if full == "" || full[0] != '/' {
		w.filename, w.ftype = full, ftNone
		return w
	}
	if t := wk.target; wk.kind != mapDocRoot && len(t) > 1 && !wk.dirTarget && strings.HasPrefix(full, t) &&
		(len(full) == len(t) || full[len(t)] == '/') {
		// One stat instead of one per segment: when the target (usually a
		// WSGI script) is a file, the segment walk would stop there too,
		// since every parent must be a directory for this stat to succeed.
		if fi, err := wk.stat(t); err == nil && !fi.IsDir() {
			w.filename, w.pathInfo, w.ftype, w.finfo = t, full[len(t):], ftFile, fi
			w.levels = strings.Count(t, "/")
			return w
		}
	}
	pos := 0 // full[:pos] has been walked; full[pos] is '/' or the end
	for {
		if pos >= len(full)-1 {
			// Nothing left but at most a trailing '/'.
			w.filename = full
			return w
		}
		end := len(full)
		if next := strings.IndexByte(full[pos+1:], '/'); next >= 0 {
			end = pos + 1 + next
		}
		ft, fi := wk.fileType(full[:end])
		switch ft {
		case ftNone:
			w.filename, w.pathInfo, w.ftype = full[:end], full[end:], ftNone
			return w
		case ftFile:
			w.filename, w.pathInfo, w.ftype, w.finfo = full[:end], full[end:], ftFile, fi
			return w
		}
		w.levels++
		pos = end
	}
}

// walker answers the walk's stat calls. When the mapping's target does not
// exist on this host (neither it nor its folder) it fakes it, so that
// "routes" works on a config checked away from its server: the target's parents are directories, a
// WSGI script target is a file (or, when it ends in '/', a directory of
// script files), a DocumentRoot is a directory, and any other missing
// target is a directory when the request goes on below it.
type walker struct {
	stat      StatFunc
	kind      int    // mapping kind
	target    string // canonical target without a trailing '/'
	dirTarget bool   // the target was written with a trailing '/'
	below     bool   // the walked name goes on below the target
	missing   int8   // -1 unknown, 0 target exists, 1 target missing
}

func newWalker(stat StatFunc, m *mapping, full string) walker {
	wk := walker{stat: stat, kind: m.kind, missing: -1}
	if m.target == "" || m.target[0] != '/' {
		wk.missing = 0
		return wk
	}
	t := canonFilename(m.target)
	wk.dirTarget = len(t) > 1 && strings.HasSuffix(t, "/")
	wk.target = strings.TrimSuffix(t, "/")
	wk.below = len(full) > len(wk.target)+1 && strings.HasPrefix(full, wk.target+"/")
	if wk.target == "" {
		wk.missing = 0
	}
	return wk
}

func (wk *walker) notExist(p string) bool {
	_, err := wk.stat(p)
	return err != nil && errors.Is(err, fs.ErrNotExist)
}

// fileType says what p is; fi is its stat when it exists.
func (wk *walker) fileType(p string) (int, fs.FileInfo) {
	fi, err := wk.stat(p)
	if err == nil {
		if fi.IsDir() {
			return ftDir, fi
		}
		return ftFile, fi
	}
	return wk.fakeType(p), nil
}

// fakeType is fileType for a name that cannot be stat'ed.
func (wk *walker) fakeType(p string) int {
	if wk.missing < 0 {
		wk.missing = 0
		if wk.notExist(wk.target) {
			// A file target counts as missing from this host only when its
			// folder is missing too: a folder that exists means the site is
			// here and the file is simply not there (Apache's 404).
			if wk.dirTarget || wk.kind == mapDocRoot || wk.notExist(path.Dir(wk.target)) {
				wk.missing = 1
			}
		}
	}
	if wk.missing == 0 {
		return ftNone
	}
	t := wk.target
	switch {
	case len(p) < len(t) && strings.HasPrefix(t, p) && t[len(p)] == '/':
		return ftDir
	case p == t:
		switch {
		case wk.kind == mapWSGI:
			if wk.dirTarget {
				return ftDir
			}
			return ftFile
		case wk.kind == mapDocRoot || wk.dirTarget || wk.below:
			return ftDir
		}
		return ftFile
	case wk.kind == mapWSGI && wk.dirTarget && len(p) > len(t)+1 && strings.HasPrefix(p, t) &&
		p[len(t)] == '/' && strings.IndexByte(p[len(t)+1:], '/') < 0:
		return ftFile
	}
	return ftNone
}

// findPathInfo is ap_find_path_info: where PATH_INFO starts in uri, matching
// uri and path_info from their ends (a '/' in path_info matches a run of
// '/' in uri), then moving on to the end of the current URI segment.
func findPathInfo(uri, pathInfo string) int {
	lu, lp := len(uri), len(pathInfo)
	for {
		if lu == 0 {
			lu = -1
			break
		}
		lu--
		if lp == 0 {
			break
		}
		lp--
		if uri[lu] != pathInfo[lp] {
			break
		}
		if pathInfo[lp] == '/' {
			for lu > 0 && uri[lu-1] == '/' {
				lu--
			}
		}
	}
	if lu < 0 {
		lu = 0
	}
	for lu < len(uri) && uri[lu] != '/' {
		lu++
	}
	return lu
}

// collapseCGIPath is mod_wsgi's SCRIPT_NAME/PATH_INFO clean-up: a value
// starting with '/' loses every repeated '/'.
func collapseCGIPath(s string) string {
	if s == "" || s[0] != '/' {
		return s
	}
	return noSlashRuns(s)
}
