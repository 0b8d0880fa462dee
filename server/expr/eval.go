package expr

import (
	"crypto/md5"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/netip"
	"net/url"
	"os"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/dlclark/regexp2"
)

// Context is what an expression reads of the request. Names passed to Var
// are upper-case request variables (REQUEST_URI, HTTPS, REMOTE_ADDR, ...);
// Var returns "" for one the caller does not know.
type Context interface {
	Var(name string) string
	RequestHeader(name string) string
	ResponseHeader(name string) string
	// Env is the request's environment table (SetEnv, SetEnvIf, ...).
	Env(name string) (string, bool)
}

// ErrUnsupported is returned by Eval when it reaches a part appserver does
// not evaluate.
var ErrUnsupported = errors.New("expression part not supported by appserver")

type state struct {
	ctx  Context
	caps []string // $0..$9 of the last successful regex match
	now  time.Time
}

// Eval evaluates the expression for one request.
func (e *Expr) Eval(ctx Context) (bool, error) {
	st := &state{ctx: ctx}
	return st.bool(e.root)
}

// EvalCaptures is Eval that also returns $0..$9 of the last successful
// regex match (SetEnvIfExpr uses them).
func (e *Expr) EvalCaptures(ctx Context) (bool, []string, error) {
	st := &state{ctx: ctx}
	ok, err := st.bool(e.root)
	return ok, st.caps, err
}

// Eval interpolates the string for one request.
func (s *String) Eval(ctx Context) (string, error) {
	st := &state{ctx: ctx}
	var b strings.Builder
	for _, p := range s.parts {
		v, err := st.word(p)
		if err != nil {
			return "", err
		}
		b.WriteString(v)
	}
	return b.String(), nil
}

func (st *state) bool(n *node) (bool, error) {
	switch n.kind {
	case nTrue:
		return true, nil
	case nFalse:
		return false, nil
	case nNot:
		v, err := st.bool(n.l)
		return !v, err
	case nAnd:
		v, err := st.bool(n.l)
		if err != nil || !v {
			return false, err
		}
		return st.bool(n.r)
	case nOr:
		v, err := st.bool(n.l)
		if err != nil || v {
			return v, err
		}
		return st.bool(n.r)
	case nCompare:
		l, err := st.word(n.l)
		if err != nil {
			return false, err
		}
		r, err := st.word(n.r)
		if err != nil {
			return false, err
		}
		return compare(n.op, l, r), nil
	case nRegex:
		l, err := st.word(n.l)
		if err != nil {
			return false, err
		}
		m := n.re.match(l)
		if m != nil {
			st.caps = m
		}
		return (m != nil) != n.neg, nil
	case nIn:
		l, err := st.word(n.l)
		if err != nil {
			return false, err
		}
		for _, w := range n.list {
			v, err := st.word(w)
			if err != nil {
				return false, err
			}
			if v == l {
				return true, nil
			}
		}
		return false, nil
	case nUnary:
		if n.unsup {
			return false, ErrUnsupported
		}
		if n.name == "-R" {
			return ipIn(st.ctx.Var("REMOTE_ADDR"), n.net), nil
		}
		v, err := st.word(n.l)
		if err != nil {
			return false, err
		}
		return unary(n.name, v), nil
	case nBinary:
		l, err := st.word(n.l)
		if err != nil {
			return false, err
		}
		if n.name == "-ipmatch" {
			return ipIn(l, n.net), nil
		}
		r, err := st.word(n.r)
		if err != nil {
			return false, err
		}
		switch n.name {
		case "-strmatch":
			return Glob(r, l, false, false), nil
		case "-strcmatch":
			return Glob(r, l, true, false), nil
		default: // -fnmatch
			return Glob(r, l, false, true), nil
		}
	}
	return false, ErrUnsupported
}

func compare(op tokKind, l, r string) bool {
	switch op {
	case tStrEQ:
		return l == r
	case tStrNE:
		return l != r
	case tStrLT:
		return l < r
	case tStrLE:
		return l <= r
	case tStrGT:
		return l > r
	case tStrGE:
		return l >= r
	}
	a, b := atoi64(l), atoi64(r)
	switch op {
	case tIntEQ:
		return a == b
	case tIntNE:
		return a != b
	case tIntLT:
		return a < b
	case tIntLE:
		return a <= b
	case tIntGT:
		return a > b
	}
	return a >= b // tIntGE
}

// atoi64 is apr_atoi64: leading space, a sign and digits; anything else
// ends the number (no digits: 0).
func atoi64(s string) int64 {
	s = strings.TrimLeft(s, " \t\n\r\f\v")
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	var n int64
	for i := 0; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		n = n*10 + int64(s[i]-'0')
	}
	if neg {
		return -n
	}
	return n
}

func unary(op, v string) bool {
	switch op {
	case "-n":
		return v != ""
	case "-z":
		return v == ""
	case "-T":
		switch strings.ToLower(v) {
		case "", "0", "off", "false", "no":
			return false
		}
		return true
	}
	// File tests.
	var fi os.FileInfo
	var err error
	if op == "-L" || op == "-h" {
		fi, err = os.Lstat(v)
		return err == nil && fi.Mode()&os.ModeSymlink != 0
	}
	fi, err = os.Stat(v)
	if err != nil {
		return false
	}
	switch op {
	case "-d":
		return fi.IsDir()
	case "-f":
		return fi.Mode().IsRegular()
	case "-s":
		return fi.Mode().IsRegular() && fi.Size() > 0
	case "-x":
		return fi.Mode()&0o111 != 0
	}
	return true // -e
}

func ipIn(s string, pfx netip.Prefix) bool {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return false
	}
	if pfx.Addr().Is4() && a.Is4In6() {
		a = a.Unmap()
	}
	return pfx.Contains(a)
}

func (st *state) word(n *node) (string, error) {
	switch n.kind {
	case nLiteral:
		return n.text, nil
	case nConcat:
		var b strings.Builder
		for _, p := range n.list {
			v, err := st.word(p)
			if err != nil {
				return "", err
			}
			b.WriteString(v)
		}
		return b.String(), nil
	case nBackref:
		if n.num < len(st.caps) {
			return st.caps[n.num], nil
		}
		return "", nil
	case nVar:
		if timeVars[n.name] {
			return st.timeVar(n.name), nil
		}
		return st.ctx.Var(n.name), nil
	case nFunc:
		if n.unsup {
			return "", ErrUnsupported
		}
		arg, err := st.word(n.l)
		if err != nil {
			return "", err
		}
		return st.call(n.name, arg), nil
	}
	return "", ErrUnsupported
}

func (st *state) timeVar(name string) string {
	if st.now.IsZero() {
		st.now = time.Now()
	}
	return TimeVar(name, st.now)
}

// TimeVar is the TIME_* variable name (TIME_YEAR ... TIME_WDAY, TIME) at
// t, as ap_expr and mod_ssl format them; "" for another name.
func TimeVar(name string, t time.Time) string {
	two := func(v int) string {
		if v < 10 {
			return "0" + strconv.Itoa(v)
		}
		return strconv.Itoa(v)
	}
	switch name {
	case "TIME_YEAR":
		return strconv.Itoa(t.Year())
	case "TIME_MON":
		return two(int(t.Month()))
	case "TIME_DAY":
		return two(t.Day())
	case "TIME_HOUR":
		return two(t.Hour())
	case "TIME_MIN":
		return two(t.Minute())
	case "TIME_SEC":
		return two(t.Second())
	case "TIME_WDAY":
		return strconv.Itoa(int(t.Weekday()))
	case "TIME":
		return t.Format("20060102150405")
	}
	return ""
}

func (st *state) call(name, arg string) string {
	switch name {
	case "req", "http", "req_novary":
		return st.ctx.RequestHeader(arg)
	case "resp":
		return st.ctx.ResponseHeader(arg)
	case "reqenv", "v":
		v, _ := st.ctx.Env(arg)
		return v
	case "osenv":
		return os.Getenv(arg)
	case "note":
		return "" // appserver keeps no request notes
	case "env":
		if v, ok := st.ctx.Env(arg); ok {
			return v
		}
		return os.Getenv(arg)
	case "tolower":
		return strings.ToLower(arg)
	case "toupper":
		return strings.ToUpper(arg)
	case "escape":
		return (&url.URL{Path: arg}).EscapedPath()
	case "unescape":
		if v, err := url.PathUnescape(arg); err == nil {
			return v
		}
		return arg
	case "base64":
		return base64.StdEncoding.EncodeToString([]byte(arg))
	case "unbase64":
		b, _ := base64.StdEncoding.DecodeString(arg)
		return string(b)
	case "md5":
		h := md5.Sum([]byte(arg))
		return hex.EncodeToString(h[:])
	case "sha1":
		h := sha1.Sum([]byte(arg))
		return hex.EncodeToString(h[:])
	case "filesize":
		fi, err := os.Stat(arg)
		if err != nil || !fi.Mode().IsRegular() {
			return "0"
		}
		return strconv.FormatInt(fi.Size(), 10)
	}
	return ""
}

// regex is an ap_expr regex: PCRE with httpd's default DOTALL. RE2 runs it
// when it can; patterns RE2 rejects fall back to regexp2 (PCRE-like).
type regex struct {
	re  *regexp.Regexp
	re2 *regexp2.Regexp
}

func compileRegex(src string, icase bool) (*regex, error) {
	flags := "(?s)"
	if icase {
		flags = "(?si)"
	}
	if re, err := regexp.Compile(flags + src); err == nil {
		return &regex{re: re}, nil
	}
	opts := regexp2.RegexOptions(regexp2.Singleline)
	if icase {
		opts |= regexp2.IgnoreCase
	}
	re2, err := regexp2.Compile(src, opts)
	if err != nil {
		return nil, err
	}
	return &regex{re2: re2}, nil
}

// match returns $0..$9 (unmatched groups empty), or nil.
func (r *regex) match(s string) []string {
	if r.re != nil {
		m := r.re.FindStringSubmatch(s)
		if m == nil {
			return nil
		}
		if len(m) > 10 {
			m = m[:10]
		}
		return m
	}
	m, err := r.re2.FindStringMatch(s)
	if err != nil || m == nil {
		return nil
	}
	var out []string
	for i, g := range m.Groups() {
		if i >= 10 {
			break
		}
		out = append(out, g.String())
	}
	return out
}

// Glob is apr_fnmatch: * ? and [...] classes, a backslash escapes. With
// pathname, * ? and classes never match '/' (APR_FNM_PATHNAME, which
// -fnmatch uses). Written here because Go's path.Match always treats '/'
// as a separator, which -strmatch must not.
func Glob(pattern, s string, fold, pathname bool) bool {
	if fold {
		pattern, s = strings.ToLower(pattern), strings.ToLower(s)
	}
	if pathname {
		ok, err := path.Match(pattern, s)
		return err == nil && ok
	}
	return glob(pattern, s)
}

// glob matches with one backtracking point (the last '*'), so a pattern
// that comes from the request cannot make it exponential.
func glob(p, s string) bool {
	px, sx := 0, 0
	starPx, starSx := -1, -1
	for px < len(p) || sx < len(s) {
		if px < len(p) {
			switch c := p[px]; c {
			case '*':
				starPx, starSx = px, sx+1
				px++
				continue
			case '?':
				if sx < len(s) {
					px, sx = px+1, sx+1
					continue
				}
			case '[':
				if sx < len(s) {
					ok, w := matchClass(p[px:], s[sx])
					if w == 0 { // no closing ']': a literal '['
						ok, w = s[sx] == '[', 1
					}
					if ok {
						px, sx = px+w, sx+1
						continue
					}
				}
			case '\\':
				lit, w := byte('\\'), 1
				if px+1 < len(p) {
					lit, w = p[px+1], 2
				}
				if sx < len(s) && s[sx] == lit {
					px, sx = px+w, sx+1
					continue
				}
			default:
				if sx < len(s) && s[sx] == c {
					px, sx = px+1, sx+1
					continue
				}
			}
		}
		if starPx >= 0 && starSx <= len(s) {
			px, sx = starPx+1, starSx
			starSx++
			continue
		}
		return false
	}
	return true
}

// matchClass matches c against the class at the start of p ("[...]"),
// returning the class's width, or 0 when it has no closing ']'.
func matchClass(p string, c byte) (bool, int) {
	i := 1
	neg := i < len(p) && (p[i] == '!' || p[i] == '^')
	if neg {
		i++
	}
	in := false
	for first := true; i < len(p); first = false {
		if p[i] == ']' && !first {
			return in != neg, i + 1
		}
		lo := p[i]
		if i+2 < len(p) && p[i+1] == '-' && p[i+2] != ']' {
			if c >= lo && c <= p[i+2] {
				in = true
			}
			i += 3
			continue
		}
		if c == lo {
			in = true
		}
		i++
	}
	return false, 0
}
