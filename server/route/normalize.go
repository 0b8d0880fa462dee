package route

import (
	"strconv"
	"strings"
)

// This file turns a request-target into httpd's r->uri, step by step as
// httpd 2.4 does it (ap_parse_uri in server/protocol.c, then
// ap_normalize_path, then ap_unescape_url_ex, then a second normalisation
// when encoded slashes are decoded).

// Encoded-slash policies (AllowEncodedSlashes).
const (
	encodedSlashesOff      = iota // %2F answers 404 (the default)
	encodedSlashesOn              // %2F is decoded and the path normalised again
	encodedSlashesNoDecode        // %2F stays as written
)

// encodedSlashMode maps an AllowEncodedSlashes value to its policy.
func encodedSlashMode(v string) int {
	switch strings.ToLower(v) {
	case "on":
		return encodedSlashesOn
	case "nodecode":
		return encodedSlashesNoDecode
	}
	return encodedSlashesOff
}

// target is a parsed request-target.
type target struct {
	// host and port come from an absolute-form target whose scheme matches
	// the connection; hasHost says whether one was given.
	host    string
	port    int
	hasPort bool
	hasHost bool
	// star is the "*" of OPTIONS *.
	star  bool
	path  string
	query string
}

// parseTarget splits a request-target as httpd's ap_parse_uri and
// apr_uri_parse do. It returns a non-empty reason when Apache answers 400.
func parseTarget(raw string, https bool) (target, string) {
	var t target
	for i := 0; i < len(raw); i++ {
		if raw[i] <= ' ' || raw[i] == 0x7f {
			// HttpProtocolOptions Strict: no controls or spaces in the
			// request-target (bytes above 0x7f are allowed).
			return t, "invalid request-URI (control character or space): " + strconv.Quote(raw)
		}
	}
	if strings.IndexByte(raw, '#') >= 0 {
		// Apache 2.4.71 refuses a fragment in the request line.
		return t, "invalid request-URI (fragment): " + raw
	}
	// A run of leading slashes is a path, never "//authority".
	for len(raw) > 1 && raw[0] == '/' && raw[1] == '/' {
		raw = raw[1:]
	}
	if raw == "*" {
		t.star = true
		t.path = "*"
		return t, ""
	}
	rest := raw
	if scheme, after, ok := cutScheme(raw); ok {
		ls := strings.ToLower(scheme)
		if ls != "http" && ls != "https" {
			return t, "invalid request-URI scheme: " + raw
		}
		rest = after
		if strings.HasPrefix(after, "//") {
			after = after[2:]
			end := strings.IndexAny(after, "/?")
			if end < 0 {
				end = len(after)
			}
			hostinfo := after[:end]
			rest = after[end:]
			if strings.IndexByte(hostinfo, '@') >= 0 {
				return t, "invalid request-URI (user info): " + raw
			}
			host, port, hasPort, ok := splitHostinfo(hostinfo)
			if !ok {
				return t, "invalid request-URI (host): " + raw
			}
			// Only an absolute URI of the connection's own scheme names the
			// host (ap_parse_uri compares with ap_http_scheme).
			if (ls == "https") == https {
				t.host, t.hasHost = host, true
				t.port, t.hasPort = port, hasPort
			}
		}
	}
	path, query, hasQuery := strings.Cut(rest, "?")
	if hasQuery {
		t.query = query
	}
	if path == "" && rest != raw {
		// "http://host" and "http://host?q" mean "/".
		path = "/"
	}
	t.path = path
	return t, ""
}

// cutScheme splits "scheme:rest" when raw starts with a URI scheme.
func cutScheme(raw string) (scheme, rest string, ok bool) {
	if raw == "" || !isAlpha(raw[0]) {
		return "", "", false
	}
	for i := 1; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c == ':':
			return raw[:i], raw[i+1:], true
		case isAlpha(c) || isDigit(c) || c == '+' || c == '-' || c == '.':
		default:
			return "", "", false
		}
	}
	return "", "", false
}

// splitHostinfo splits "host[:port]" or "[v6][:port]" of an absolute URI.
func splitHostinfo(hi string) (host string, port int, hasPort, ok bool) {
	portStr := ""
	if strings.HasPrefix(hi, "[") {
		end := strings.IndexByte(hi, ']')
		if end < 0 {
			return "", 0, false, false
		}
		host = hi[1:end]
		after := hi[end+1:]
		if after != "" {
			if after[0] != ':' {
				return "", 0, false, false
			}
			portStr, hasPort = after[1:], true
		}
	} else if i := strings.IndexByte(hi, ':'); i >= 0 {
		host, portStr, hasPort = hi[:i], hi[i+1:], true
	} else {
		host = hi
	}
	if hasPort {
		if portStr == "" {
			// "host:" means the scheme's default port.
			return host, 0, false, true
		}
		n, err := strconv.Atoi(portStr)
		if err != nil || n < 0 {
			return "", 0, false, false
		}
		port = n
	}
	return host, port, hasPort, true
}

// normalizePath runs ap_normalize_path with NOT_ABOVE_ROOT and
// DECODE_UNRESERVED (plus MERGE_SLASHES when mergeSlashes), then
// ap_unescape_url_ex as AllowEncodedSlashes asks. It returns r->uri, or the
// status Apache answers (400 or 404) with the reason it logs.
func normalizePath(p string, mergeSlashes bool, slashes int) (string, int, string) {
	if p == "" || p[0] != '/' {
		return "", 400, "invalid URI path (" + p + ")"
	}
	n, ok := normalizeSegments(p, mergeSlashes, true)
	if !ok {
		return "", 400, "invalid URI path (" + p + ")"
	}
	u, st := unescapePath(n, slashes)
	switch st {
	case 400:
		return "", 400, "invalid URI path (" + p + ")"
	case 404:
		if strings.Contains(n, "%00") {
			return "", 404, "NUL (%00) in URI path (" + p + "), returning 404"
		}
		return "", 404, "found %2f (encoded '/') in URI path (" + p + "), returning 404"
	}
	if slashes == encodedSlashesOn && u != n {
		// Decoded slashes can form new "//", "/./" and "/../" runs; httpd
		// normalises again and ignores the result code this time.
		u, _ = normalizeSegments(u, mergeSlashes, false)
	}
	return u, 0, ""
}

// normalizeSegments is ap_normalize_path for a path that starts with '/'.
// ok is false for a bad %-escape or (with notAboveRoot semantics, always on
// here) a ".." that climbs above "/"; the path is still fully processed.
func normalizeSegments(p string, mergeSlashes, decodeUnreserved bool) (string, bool) {
	if !needsNormalizing(p, mergeSlashes) {
		return p, true
	}
	b := []byte(p)
	ok := true
	l, w := 1, 1
	for l < len(b) {
		if decodeUnreserved && b[l] == '%' {
			if l+2 < len(b) && isHex(b[l+1]) && isHex(b[l+2]) {
				c := hexPair(b[l+1], b[l+2])
				if isUnreserved(c) {
					// Overwrite the last char of the escape and read on from it.
					l += 2
					b[l] = c
				}
			} else {
				ok = false
			}
		}
		if w == 0 || b[w-1] == '/' {
			if mergeSlashes && b[l] == '/' {
				for l < len(b) && b[l] == '/' {
					l++
				}
				continue
			}
			if b[l] == '.' {
				if l+1 >= len(b) || b[l+1] == '/' {
					// "/./" or a trailing "/.".
					l++
					if l < len(b) {
						l++
					}
					continue
				}
				// "/../" or "/.%2e/" (the first dot was decoded above).
				n := l + 1
				dotdot := false
				if b[n] == '.' {
					dotdot = true
				} else if decodeUnreserved && b[n] == '%' && n+2 < len(b) && b[n+1] == '2' && (b[n+2] == 'e' || b[n+2] == 'E') {
					n += 2
					dotdot = true
				}
				if dotdot && (n+1 >= len(b) || b[n+1] == '/') {
					if w > 1 {
						w--
						for w > 0 && b[w-1] != '/' {
							w--
						}
					} else {
						ok = false
					}
					l = n + 1
					if l < len(b) {
						l++
					}
					continue
				}
			}
		}
		b[w] = b[l]
		w++
		l++
	}
	return string(b[:w]), ok
}

// needsNormalizing reports whether normalizeSegments could change p, so
// that the common clean path costs no allocation.
func needsNormalizing(p string, mergeSlashes bool) bool {
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '%':
			return true
		case '.':
			if p[i-1] == '/' {
				return true
			}
		case '/':
			if mergeSlashes && i > 0 && p[i-1] == '/' {
				return true
			}
		}
	}
	return false
}

// unescapePath is ap_unescape_url_ex with KEEP_UNRESERVED and the
// AllowEncodedSlashes flags. Status 400 means a bad escape, 404 an encoded
// NUL or a forbidden encoded slash.
func unescapePath(p string, slashes int) (string, int) {
	i := strings.IndexByte(p, '%')
	if i < 0 {
		return p, 0
	}
	var sb strings.Builder
	sb.Grow(len(p))
	sb.WriteString(p[:i])
	badEsc, badPath := false, false
	for ; i < len(p); i++ {
		c := p[i]
		if c != '%' {
			sb.WriteByte(c)
			continue
		}
		if i+2 >= len(p) || !isHex(p[i+1]) || !isHex(p[i+2]) {
			badEsc = true
			sb.WriteByte('%')
			continue
		}
		d := hexPair(p[i+1], p[i+2])
		switch {
		case d == 0 || (d == '/' && slashes == encodedSlashesOff):
			badPath = true
			sb.WriteByte(d)
			i += 2
		case isUnreserved(d) || (d == '/' && slashes == encodedSlashesNoDecode):
			sb.WriteString(p[i : i+3])
			i += 2
		default:
			sb.WriteByte(d)
			i += 2
		}
	}
	switch {
	case badEsc:
		return "", 400
	case badPath:
		return "", 404
	}
	return sb.String(), 0
}

// noSlashRuns collapses every run of '/' to one (httpd's ap_no2slash).
func noSlashRuns(s string) string {
	if !strings.Contains(s, "//") {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '/' && len(b) > 0 && b[len(b)-1] == '/' {
			continue
		}
		b = append(b, s[i])
	}
	return string(b)
}

func isAlpha(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isHex(c byte) bool   { return isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'f') }

func hexPair(a, b byte) byte { return unhex(a)<<4 | unhex(b) }

func unhex(c byte) byte {
	if isDigit(c) {
		return c - '0'
	}
	return c | 0x20 - 'a' + 10
}

// isUnreserved is RFC 3986's unreserved set, which ap_normalize_path decodes.
func isUnreserved(c byte) bool {
	return isAlpha(c) || isDigit(c) || c == '-' || c == '.' || c == '_' || c == '~'
}
