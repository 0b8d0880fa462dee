package parser

import (
	"path/filepath"
	"strings"
)

// asciiLower lower-cases ASCII letters only, as httpd's case-insensitive
// tables and apr_tolower do.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// takeErr checks httpd's TAKE1/TAKE2/TAKE12 arity: the first token must be
// non-empty and there may be at most max tokens (and at least min).
func takeErr(d *Directive, min, max int) bool {
	return len(d.Args) < min || len(d.Args) == 0 || d.Args[0].Value == "" || len(d.Args) > max
}

// define is core's Define (TAKE12, read-time).
func (r *reader) define(s *source, d *Directive) {
	if takeErr(d, 1, 2) {
		r.errorf(d.Pos, s.chain, "Define takes 1-2 arguments, Define a variable, optionally to a value.  Same as passing -D to the command line.")
		return
	}
	name := d.Args[0].Value
	if strings.Contains(name, ":") {
		r.hintf(d.Args[0].Pos, s.chain, "rename the variable; ':' is reserved for ${map:key} lookups",
			"Variable name must not contain ':'")
		return
	}
	if !r.cfg.Defines[name] {
		r.gen++
		r.cfg.Defines[name] = true
	}
	// An empty optional argument counts as absent (TAKE12), so
	// Define X "" sets no variable.
	if len(d.Args) == 2 && d.Args[1].Value != "" {
		key := asciiLower(name)
		if old, ok := r.vars[key]; !ok || old != d.Args[1].Value {
			r.gen++
			r.vars[key] = d.Args[1].Value
		}
	}
}

// undefine is core's UnDefine (TAKE1): it removes the define (exact name)
// and the variable (any case).
func (r *reader) undefine(s *source, d *Directive) {
	if takeErr(d, 1, 1) {
		r.errorf(d.Pos, s.chain, "UnDefine takes one argument, Undefine the existence of a variable. Undo a Define.")
		return
	}
	name, key := d.Args[0].Value, asciiLower(d.Args[0].Value)
	if _, ok := r.vars[key]; ok || r.cfg.Defines[name] {
		r.gen++
	}
	delete(r.cfg.Defines, name)
	delete(r.vars, key)
}

// setServerRoot is core's ServerRoot (TAKE1, read-time). A relative path is
// taken from the current directory, as apr_filepath_merge does.
func (r *reader) setServerRoot(s *source, d *Directive) {
	if takeErr(d, 1, 1) {
		r.errorf(d.Pos, s.chain, "ServerRoot takes one argument, Common directory of server-related files (logs, confs, etc.)")
		return
	}
	root := d.Args[0].Value
	if !filepath.IsAbs(root) {
		if abs, err := filepath.Abs(root); err == nil {
			root = abs
		}
	}
	root = filepath.Clean(root)
	if fi, err := r.stat(root); err != nil || !fi.IsDir() {
		if r.opts.NoHostChecks {
			r.warnAs(WarnHost, d.Args[0].Pos, "ServerRoot must be a valid directory (%s is not one on this host)", root)
		} else {
			r.hintf(d.Args[0].Pos, s.chain, "point ServerRoot at an existing directory",
				"ServerRoot must be a valid directory")
			return
		}
	}
	if root != r.serverRoot {
		r.gen++
		r.serverRoot = root
	}
}

// serverRootRelative is ap_server_root_relative: absolute paths stay,
// relative ones are joined to the ServerRoot in force.
func (r *reader) serverRootRelative(p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(r.serverRoot, p)
}

// loadModule is mod_so's LoadModule (TAKE2, read-time). appserver loads no
// shared objects; it records the module identifier and the source file name
// <IfModule> also accepts (mod_foo.so -> mod_foo.c).
func (r *reader) loadModule(s *source, d *Directive) {
	if takeErr(d, 2, 2) || d.Args[1].Value == "" {
		r.errorf(d.Pos, s.chain, "LoadModule takes two arguments, a module name and the name of a shared object file to load it from")
		return
	}
	id := d.Args[0].Value
	if r.loaded[id] {
		r.warnf(d.Pos, "module %s is already loaded, skipping", id)
		return
	}
	r.gen++
	r.loaded[id] = true
	r.cfg.Modules[id] = true
	r.cfg.Modules[sourceName(id, d.Args[1].Value)] = true
}

// sourceName guesses the C source file name a loaded module reports (what
// <IfModule mod_foo.c> tests) from its shared object: mod_foo.so gives
// mod_foo.c. The MPMs are the known exception: mpm_event_module is event.c.
func sourceName(id, file string) string {
	if mpm, ok := strings.CutPrefix(id, "mpm_"); ok {
		if name, ok := strings.CutSuffix(mpm, "_module"); ok {
			return name + ".c"
		}
	}
	base := filepath.Base(file)
	if ext := filepath.Ext(base); ext != "" {
		base = strings.TrimSuffix(base, ext)
	}
	return base + ".c"
}
