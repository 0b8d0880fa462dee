// Package http1 is appserver's hand-written HTTP/1.x server: net/http cannot
// apply Apache's per-line/per-field limits (414/400, not 431), refuse bare LF,
// close after CL+TE, read chunked on HTTP/1.0, time out each body read (408),
// send custom reason phrases, leave HEAD without a computed Content-Length, or
// let an app answer before reading the body. HTTP/2 stays on net/http.
package http1

import (
	"bufio"
	"errors"
	"io"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
)

// statusError is a request the server refuses itself.
type statusError struct {
	code int
	msg  string
}

func (e *statusError) Error() string   { return strconv.Itoa(e.code) + " " + e.msg }
func (e *statusError) StatusCode() int { return e.code }

func bad(msg string) error { return &statusError{http.StatusBadRequest, msg} }

var (
	errLineTooLong = errors.New("line too long")
	errBareLF      = errors.New("bare LF")
	errBareCR      = errors.New("bare CR")
)

// readLine reads one CRLF-ended line of at most max bytes (without CRLF)
// into buf, returning the line. It refuses bare LF and bare CR.
func readLine(br *bufio.Reader, buf []byte, max int) ([]byte, error) {
	line := buf[:0]
	for {
		frag, err := br.ReadSlice('\n')
		if len(line)+len(frag) > max+2 {
			return nil, errLineTooLong
		}
		line = append(line, frag...)
		if err == nil {
			break
		}
		if err != bufio.ErrBufferFull {
			if err == io.EOF && len(line) > 0 {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
	n := len(line)
	if n < 2 || line[n-2] != '\r' {
		return nil, errBareLF
	}
	line = line[:n-2]
	for _, c := range line {
		if c == '\r' {
			return nil, errBareCR
		}
	}
	return line, nil
}

func isTokenChar(c byte) bool {
	if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

func isToken(s []byte) bool {
	if len(s) == 0 {
		return false
	}
	for _, c := range s {
		if !isTokenChar(c) {
			return false
		}
	}
	return true
}

// requestLine is a parsed request line.
type requestLine struct {
	method, target string
	major, minor   int
	proto          string
}

// parseRequestLine applies Apache 2.4's strict rules: single spaces, a
// token method, HTTP/d.d (any 1.x above 1.1 and 2.0 served as 1.1), and
// "METHOD TARGET" alone as HTTP/0.9.
func parseRequestLine(line []byte) (requestLine, error) {
	var rl requestLine
	sp1 := indexByte(line, ' ')
	if sp1 <= 0 {
		return rl, bad("malformed request line")
	}
	method := line[:sp1]
	if !isToken(method) {
		return rl, bad("bad method")
	}
	rest := line[sp1+1:]
	sp2 := indexByte(rest, ' ')
	var target, version []byte
	if sp2 < 0 {
		target = rest
	} else {
		target, version = rest[:sp2], rest[sp2+1:]
	}
	if len(target) == 0 {
		return rl, bad("empty target")
	}
	for _, c := range target {
		if c <= ' ' || c == 0x7f {
			return rl, bad("control character in target")
		}
	}
	rl.method, rl.target = string(method), string(target)
	if len(version) == 0 {
		rl.major, rl.minor, rl.proto = 0, 9, "HTTP/0.9"
		return rl, nil
	}
	if len(version) != 8 || string(version[:5]) != "HTTP/" || version[6] != '.' ||
		version[5] < '0' || version[5] > '9' || version[7] < '0' || version[7] > '9' {
		return rl, bad("bad protocol version")
	}
	major, minor := int(version[5]-'0'), int(version[7]-'0')
	switch {
	case major == 1 && minor == 0:
		rl.major, rl.minor, rl.proto = 1, 0, "HTTP/1.0"
	case major == 1 || major == 2:
		rl.major, rl.minor, rl.proto = 1, 1, "HTTP/1.1"
	default:
		return rl, bad("unsupported protocol version")
	}
	return rl, nil
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

// parseTarget builds the request URL; host is the authority of an
// absolute-form or authority-form target.
func parseTarget(method, target string) (u *url.URL, host string, err error) {
	switch {
	case target == "*":
		if method != http.MethodOptions {
			return nil, "", bad("* target is for OPTIONS only")
		}
		return &url.URL{Path: "*"}, "", nil
	case method == http.MethodConnect:
		if strings.HasPrefix(target, "/") {
			break
		}
		if !validHost(target) {
			return nil, "", bad("bad authority")
		}
		return &url.URL{Host: target}, target, nil
	case target[0] != '/':
		i := strings.Index(target, "://")
		if i <= 0 {
			return nil, "", bad("bad target")
		}
		scheme := strings.ToLower(target[:i])
		if scheme != "http" && scheme != "https" {
			return nil, "", bad("bad scheme")
		}
	}
	if strings.IndexByte(target, '#') >= 0 {
		return nil, "", bad("fragment in target")
	}
	u, err = url.ParseRequestURI(target)
	if err != nil {
		return nil, "", bad("bad target")
	}
	if target[0] != '/' {
		if u.Host == "" || !validHost(u.Host) {
			return nil, "", bad("bad host in target")
		}
		host = u.Host
	}
	if escapesRoot(u.EscapedPath()) {
		return nil, "", bad("path escapes the root")
	}
	return u, host, nil
}

// escapesRoot reports whether the path's dot segments (%2e decoded, as
// Apache's normalisation does) climb above "/".
func escapesRoot(p string) bool {
	if !strings.Contains(p, ".") && !strings.Contains(p, "%2") {
		return false
	}
	depth := 0
	for _, seg := range strings.Split(p, "/")[1:] {
		seg = strings.ReplaceAll(strings.ReplaceAll(seg, "%2e", "."), "%2E", ".")
		switch seg {
		case "..":
			if depth == 0 {
				return true
			}
			depth--
		case ".", "":
		default:
			depth++
		}
	}
	return false
}

// validHost checks a Host value: reg-name or IP literal, optional digit port.
func validHost(h string) bool {
	if h == "" {
		return false
	}
	hostPart, port := h, ""
	if h[0] == '[' {
		end := strings.IndexByte(h, ']')
		if end < 0 {
			return false
		}
		hostPart, port = h[1:end], h[end+1:]
		for i := 0; i < len(hostPart); i++ {
			c := hostPart[i]
			if !(c == ':' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
		if port != "" {
			if port[0] != ':' {
				return false
			}
			port = port[1:]
		}
	} else {
		if i := strings.LastIndexByte(h, ':'); i >= 0 {
			hostPart, port = h[:i], h[i+1:]
		}
		for i := 0; i < len(hostPart); i++ {
			c := hostPart[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._~!$&'()*+,;=%", c) >= 0) {
				return false
			}
		}
	}
	for i := 0; i < len(port); i++ {
		if port[i] < '0' || port[i] > '9' {
			return false
		}
	}
	return true
}

// head is the parsed request head.
type head struct {
	rl       requestLine
	header   http.Header
	hosts    int
	cls      []string
	te       []string
	expect   []string
	sawTE    bool
	sawCL    bool
	fieldErr error
}

// readFields reads the field lines up to the empty line. Continuation
// lines (obs-fold) are joined to the previous field as Apache does; one
// right after the request line is refused.
func readFields(br *bufio.Reader, buf []byte, fieldSize, maxFields int, h http.Header) (int, error) {
	n := 0
	var last string
	for {
		line, err := readLine(br, buf, fieldSize+1)
		if err != nil {
			switch err {
			case errLineTooLong:
				return n, bad("field line too long")
			case errBareLF, errBareCR:
				return n, bad(err.Error())
			}
			return n, err
		}
		if len(line) == 0 {
			return n, nil
		}
		if line[0] == ' ' || line[0] == '\t' {
			if last == "" {
				return n, bad("obs-fold before any field")
			}
			v := h[last]
			add := strings.Trim(string(line), " \t")
			if !validValue(add) {
				return n, bad("bad field value")
			}
			v[len(v)-1] = strings.TrimRight(v[len(v)-1]+" "+add, " \t")
			continue
		}
		n++
		if n > maxFields {
			return n, bad("too many fields")
		}
		colon := indexByte(line, ':')
		if colon <= 0 || !isToken(line[:colon]) {
			return n, bad("bad field name")
		}
		value := strings.Trim(string(line[colon+1:]), " \t")
		if !validValue(value) {
			return n, bad("bad field value")
		}
		last = textproto.CanonicalMIMEHeaderKey(string(line[:colon]))
		h[last] = append(h[last], value)
	}
}

func validValue(v string) bool {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// framing decides how the body is delimited (RFC 9112 section 6, Apache's
// rules): only "chunked" alone is accepted; a list ending in chunked is 501;
// anything else 400. Content-Length must be digits, once.
func framing(h http.Header) (chunked bool, cl int64, closeAfter bool, err error) {
	te, hasTE := h["Transfer-Encoding"]
	cls, hasCL := h["Content-Length"]
	cl = -1
	if hasTE {
		parts := strings.Split(strings.Join(te, ","), ",")
		last := strings.ToLower(strings.Trim(parts[len(parts)-1], " \t"))
		switch {
		case len(parts) == 1 && last == "chunked":
		case last == "chunked":
			return false, 0, true, &statusError{http.StatusNotImplemented, "unsupported transfer coding"}
		default:
			return false, 0, true, bad("bad Transfer-Encoding")
		}
		if hasCL {
			closeAfter = true
			delete(h, "Content-Length")
		}
		return true, -1, closeAfter, nil
	}
	if hasCL {
		if len(cls) != 1 || cls[0] == "" || len(cls[0]) > 18 {
			return false, 0, true, bad("bad Content-Length")
		}
		var n int64
		for i := 0; i < len(cls[0]); i++ {
			c := cls[0][i]
			if c < '0' || c > '9' {
				return false, 0, true, bad("bad Content-Length")
			}
			n = n*10 + int64(c-'0')
		}
		cl = n
	}
	return false, cl, false, nil
}
