package route

import (
	"fmt"
	"io/fs"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/appserver/appserver/daemon"
	"github.com/appserver/appserver/server/config"
)

// Helpers that build Configs by hand for the routing tests, the way Load
// would fill them in.

// fakeFS is a file system for Options.Stat: path -> is a directory. Parents
// of every entry are directories.
type fakeFS map[string]*fakeInfo

// newFakeFS makes a fakeFS from paths; a trailing '/' marks a directory.
func newFakeFS(paths ...string) fakeFS {
	f := fakeFS{"/": {name: "/", dir: true}}
	for _, p := range paths {
		dir := strings.HasSuffix(p, "/")
		p = strings.TrimSuffix(p, "/")
		f[p] = &fakeInfo{name: path.Base(p), dir: dir}
		for q := path.Dir(p); q != "/" && q != "."; q = path.Dir(q) {
			f[q] = &fakeInfo{name: path.Base(q), dir: true}
		}
	}
	return f
}

// errNotExist is returned for every missing file (a shared value keeps the
// benchmark's allocation count about routing, not the fake).
var errNotExist = &fs.PathError{Op: "stat", Err: fs.ErrNotExist}

func (f fakeFS) stat(p string) (fs.FileInfo, error) {
	fi, ok := f[p]
	if !ok {
		return nil, errNotExist
	}
	return fi, nil
}

type fakeInfo struct {
	name string
	dir  bool
}

func (i *fakeInfo) Name() string { return i.name }
func (i *fakeInfo) Size() int64  { return 0 }
func (i *fakeInfo) Mode() fs.FileMode {
	if i.dir {
		return fs.ModeDir | 0o755
	}
	return 0o644
}
func (i *fakeInfo) ModTime() time.Time { return time.Time{} }
func (i *fakeInfo) IsDir() bool        { return i.dir }
func (i *fakeInfo) Sys() any           { return nil }

func strp(s string) *string { return &s }
func boolp(b bool) *bool    { return &b }

func setting(v string) *config.Setting { return &config.Setting{Value: v} }

// env builds SetEnv operations from name/value pairs.
func env(kv ...string) []config.EnvOp {
	var ops []config.EnvOp
	for i := 0; i+1 < len(kv); i += 2 {
		ops = append(ops, config.EnvOp{Op: "set", Name: kv[i], Value: kv[i+1]})
	}
	return ops
}

// sec builds a section; the *Match kinds get their regex compiled.
func sec(t testing.TB, kind config.SectionKind, p string, c *config.DirConf) *config.Section {
	t.Helper()
	s := &config.Section{Kind: kind, Path: p, Conf: c}
	switch kind {
	case config.SectionLocationMatch, config.SectionDirectoryMatch, config.SectionFilesMatch:
		re, err := config.CompileRegexp(p)
		if err != nil {
			t.Fatalf("regex %q: %v", p, err)
		}
		s.Regex = re
	}
	return s
}

// scriptAlias builds a WSGIScriptAlias (or ...Match when match is set).
func scriptAlias(t testing.TB, url, target string, match bool) *config.ScriptAlias {
	t.Helper()
	a := &config.ScriptAlias{URL: url, Target: target}
	if match {
		re, err := config.CompileRegexp(url)
		if err != nil {
			t.Fatal(err)
		}
		a.Regex = re
	}
	return a
}

// mainServer returns a main server with the given ServerName.
func mainServer(name string) *config.VHost {
	return &config.VHost{IsMain: true, Name: name, Defaults: &config.DirConf{}}
}

// vhost returns a <VirtualHost> whose Defaults are merged over main's, as
// Load does.
func vhost(main *config.VHost, name string, addrs ...config.VHostAddr) *config.VHost {
	return &config.VHost{Name: name, Addrs: addrs, Defaults: config.MergeDirConf(main.Defaults, nil)}
}

func addr(text string) config.VHostAddr {
	host, port := text, 0
	if i := strings.LastIndexByte(text, ':'); i >= 0 && !strings.HasSuffix(text, "]") {
		host = text[:i]
		if p := text[i+1:]; p != "*" {
			for _, c := range p {
				port = port*10 + int(c-'0')
			}
		}
	}
	if host == "_default_" {
		host = "*"
	}
	return config.VHostAddr{Host: host, Port: port, Text: text}
}

func group(name, vhost string) *config.Group {
	return &config.Group{Spec: &daemon.Spec{Name: name, Processes: 1, Threads: 15}, VHost: vhost}
}

// get routes a GET for target with the given Host on 127.0.0.1:port.
// c is a *Config (routed against the real file system) or a *testConfig.
func get(c any, target, host string, port int) *Route {
	return tableOf(c).Route(Request{Method: "GET", Target: target, Host: host, LocalIP: "127.0.0.1", LocalPort: port})
}

// testConfig is a Config and the file system its routes see.
type testConfig struct {
	*config.Config
	Stat StatFunc
}

func (c *testConfig) Route(req Request) *Route {
	return Compile(c.Config, Options{Stat: c.Stat}).Route(req)
}

func tableOf(c any) *Table {
	switch c := c.(type) {
	case *config.Config:
		return Compile(c, Options{})
	case *testConfig:
		return Compile(c.Config, Options{Stat: c.Stat})
	}
	panic(fmt.Sprintf("tableOf(%T)", c))
}
