package cmd_test

import (
	"bufio"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// An oracleCase is one differential case: testdata/oracle/NAME.conf (an
// httpd.conf snippet, Included by the generated server config) and
// NAME.urls (the requests to send).
type oracleCase struct {
	Name string
	// Conf is the snippet as written, before @PROBE@/@DIR@/@PORT@ are
	// replaced.
	Conf string
	// Files are paths, relative to the case directory, that must exist as
	// copies of the probe app ("# oracle-file: tree/a.wsgi" lines), so that
	// directory targets and WSGIScriptAliasMatch have scripts to find.
	Files []string
	// Writes are data files the case needs (htpasswd, group files): each
	// "# oracle-write: REL/PATH LINE" line appends LINE and a newline to
	// @DIR@/REL/PATH, in order.
	Writes []oracleWrite
	URLs   []oracleURL
	// Compare lists what the serving mode compares beyond the probe's
	// answer ("# oracle-compare: header:NAME ... body" lines): response
	// headers by canonical name, and Body for answers the probe did not give.
	Compare oracleCompareSpec
}

// oracleWrite is one file "# oracle-write:" lines build.
type oracleWrite struct {
	Rel     string
	Content string
}

// oracleCompareSpec is what one case's "# oracle-compare:" lines ask for.
type oracleCompareSpec struct {
	Headers []string // canonical header names
	Body    bool
	// ServeOnly skips the routes mode: the case depends on what only a
	// serving appserver runs (mod_wsgi's auth hooks in Python).
	ServeOnly bool
}

// An oracleURL is one line of a .urls file.
type oracleURL struct {
	Line int
	// Host is the Host header to send and pass as routes --host.
	// oracleHostDefault means "127.0.0.1:PORT" (what curl sends); oracleHostNone sends
	// an HTTP/1.0 request without a Host header and omits --host.
	Host string
	// Method is the request method; "" is GET. POST and PUT carry
	// oracleBody (see oracleSendRaw).
	Method string
	Target string
	// Headers are extra request headers ("H:Name:value" words), each as
	// "Name: value" with the value percent-decoded.
	Headers []string
}

const (
	oracleHostDefault = ""
	oracleHostNone    = "-"
)

// Label is how the URL appears in reports: the target, prefixed by the
// Host when the line chose one.
func (u oracleURL) Label() string {
	target := u.Target
	if u.Method != "" {
		target = u.Method + " " + target
	}
	for i := len(u.Headers) - 1; i >= 0; i-- {
		target = "H:" + u.Headers[i] + " " + target
	}
	if u.Host == oracleHostDefault {
		return target
	}
	return "Host:" + u.Host + " " + target
}

// MethodOrGET is the method the request line carries.
func (u oracleURL) MethodOrGET() string {
	if u.Method == "" {
		return "GET"
	}
	return u.Method
}

var (
	oracleFileRe     = regexp.MustCompile(`(?m)^[ \t]*#[ \t]*oracle-file:[ \t]*(\S+)[ \t]*$`)
	oracleWriteRe    = regexp.MustCompile(`(?m)^[ \t]*#[ \t]*oracle-write:[ \t]*(\S+)[ \t]?(.*)$`)
	oracleCompareRe  = regexp.MustCompile(`(?m)^[ \t]*#[ \t]*oracle-compare:(.*)$`)
	oracleHeaderRe   = regexp.MustCompile(`^H:([!#$%&'*+.^_|~0-9A-Za-z-]+):(.*)$`)
	oraclePlaceRe    = regexp.MustCompile(`@[A-Z_]+@`)
	oraclePlaceOK    = map[string]bool{"@PROBE@": true, "@DIR@": true, "@PORT@": true}
	oracleCaseNameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
	oracleMethodRe   = regexp.MustCompile(`^[A-Z]+$`)
)

// oracleLoadCases reads every NAME.conf + NAME.urls pair in dir, sorted by
// name. A .conf without .urls (or the reverse) is an error, so a case cannot
// silently drop out.
func oracleLoadCases(dir string) ([]oracleCase, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	names := map[string]int{}
	for _, e := range entries {
		ext := filepath.Ext(e.Name())
		if e.IsDir() || (ext != ".conf" && ext != ".urls") {
			continue
		}
		names[strings.TrimSuffix(e.Name(), ext)]++
	}
	sorted := make([]string, 0, len(names))
	for name, n := range names {
		if n != 2 {
			return nil, fmt.Errorf("%s: case %q needs both %s.conf and %s.urls", dir, name, name, name)
		}
		sorted = append(sorted, name)
	}
	sort.Strings(sorted)
	cases := make([]oracleCase, 0, len(sorted))
	for _, name := range sorted {
		c, err := oracleLoadCase(dir, name)
		if err != nil {
			return nil, err
		}
		cases = append(cases, c)
	}
	return cases, nil
}

func oracleLoadCase(dir, name string) (oracleCase, error) {
	c := oracleCase{Name: name}
	if !oracleCaseNameRe.MatchString(name) {
		return c, fmt.Errorf("%s: case name %q: use lower-case letters, digits and '-'", dir, name)
	}
	confPath := filepath.Join(dir, name+".conf")
	conf, err := os.ReadFile(confPath)
	if err != nil {
		return c, err
	}
	c.Conf = string(conf)
	if err := oracleCheckConf(confPath, c.Conf); err != nil {
		return c, err
	}
	for _, m := range oracleFileRe.FindAllStringSubmatch(c.Conf, -1) {
		rel := filepath.Clean(m[1])
		if filepath.IsAbs(rel) || rel == "." || strings.HasPrefix(rel, "..") {
			return c, fmt.Errorf("%s: oracle-file %q must be a path inside the case directory", confPath, m[1])
		}
		c.Files = append(c.Files, rel)
	}
	for _, m := range oracleWriteRe.FindAllStringSubmatch(c.Conf, -1) {
		rel := filepath.Clean(m[1])
		if filepath.IsAbs(rel) || rel == "." || strings.HasPrefix(rel, "..") {
			return c, fmt.Errorf("%s: oracle-write %q must be a path inside the case directory", confPath, m[1])
		}
		i := slices.IndexFunc(c.Writes, func(w oracleWrite) bool { return w.Rel == rel })
		if i < 0 {
			c.Writes = append(c.Writes, oracleWrite{Rel: rel})
			i = len(c.Writes) - 1
		}
		c.Writes[i].Content += m[2] + "\n"
	}
	for _, m := range oracleCompareRe.FindAllStringSubmatch(c.Conf, -1) {
		for _, w := range strings.Fields(m[1]) {
			switch {
			case w == "body":
				c.Compare.Body = true
			case w == "serve-only":
				c.Compare.ServeOnly = true
			case strings.HasPrefix(w, "header:") && len(w) > len("header:"):
				c.Compare.Headers = append(c.Compare.Headers, http.CanonicalHeaderKey(strings.TrimPrefix(w, "header:")))
			default:
				return c, fmt.Errorf("%s: oracle-compare %q: want header:NAME, body or serve-only", confPath, w)
			}
		}
	}
	urlsPath := filepath.Join(dir, name+".urls")
	f, err := os.Open(urlsPath)
	if err != nil {
		return c, err
	}
	defer f.Close()
	c.URLs, err = oracleParseURLs(urlsPath, f)
	return c, err
}

// oracleCheckConf rejects placeholders the harness would not replace (a typo
// like @PROBLE@ would otherwise reach Apache as a literal path).
func oracleCheckConf(path, conf string) error {
	for i, line := range strings.Split(conf, "\n") {
		for _, loc := range oraclePlaceRe.FindAllStringIndex(line, -1) {
			if p := line[loc[0]:loc[1]]; !oraclePlaceOK[p] {
				return fmt.Errorf("%s:%d:%d: unknown placeholder %s (use @PROBE@, @DIR@ or @PORT@)", path, i+1, loc[0]+1, p)
			}
		}
	}
	return nil
}

// oracleParseURLs reads the .urls format: one request per line,
// "[Host:NAME] [H:Name:value]... [METHOD] TARGET" ("Host:-" = no Host
// header, HTTP/1.0; "H:" words add request headers; the method defaults to
// GET); blank lines and lines starting with # are skipped.
func oracleParseURLs(path string, f *os.File) ([]oracleURL, error) {
	var urls []oracleURL
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		u, err := oracleParseURL(line)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v", path, n, err)
		}
		u.Line = n
		urls = append(urls, u)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if len(urls) == 0 {
		return nil, fmt.Errorf("%s: no URLs", path)
	}
	return urls, nil
}

func oracleParseURL(line string) (oracleURL, error) {
	var u oracleURL
	fields := strings.Fields(line)
	if len(fields) > 1 && strings.HasPrefix(fields[0], "Host:") {
		u.Host = strings.TrimPrefix(fields[0], "Host:")
		if u.Host == "" {
			return u, fmt.Errorf("empty Host: in %q (write Host:NAME, or Host:- for no Host header)", line)
		}
		fields = fields[1:]
	}
	for len(fields) > 1 && strings.HasPrefix(fields[0], "H:") {
		m := oracleHeaderRe.FindStringSubmatch(fields[0])
		if m == nil {
			return u, fmt.Errorf("cannot read header %q in %q: write H:Name:value (value percent-encoded)", fields[0], line)
		}
		v, err := url.PathUnescape(m[2])
		if err != nil || strings.ContainsAny(v, "\r\n") {
			return u, fmt.Errorf("bad header value in %q: percent-encode it, without CR or LF", fields[0])
		}
		u.Headers = append(u.Headers, m[1]+": "+v)
		fields = fields[1:]
	}
	if len(fields) == 2 && oracleMethodRe.MatchString(fields[0]) {
		u.Method = fields[0]
		if u.Method == "GET" {
			u.Method = "" // one spelling per request, so labels stay unique
		}
		fields = fields[1:]
	}
	switch {
	case len(fields) == 1 && (strings.HasPrefix(fields[0], "Host:") || strings.HasPrefix(fields[0], "H:")):
		return u, fmt.Errorf("no target after %q", fields[0])
	case len(fields) == 1:
		u.Target = fields[0]
	default:
		return u, fmt.Errorf("cannot read %q: want [Host:NAME] [H:Name:value]... [METHOD] TARGET", line)
	}
	for _, r := range u.Target + u.Host {
		if r < 0x21 || r == 0x7f {
			return u, fmt.Errorf("control or space character %s in %q: percent-encode it", strconv.QuoteRune(r), line)
		}
	}
	return u, nil
}
