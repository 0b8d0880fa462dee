// Package expr parses and evaluates the subset of Apache 2.4's ap_expr
// language (https://httpd.apache.org/docs/2.4/expr.html) that real configs
// use: in Header/RequestHeader expr=, SetEnvIfExpr and, later, Require expr.
//
// It is written by hand: no Go module implements ap_expr (the module list
// has none), and the language is small. Parse checks everything Apache
// checks when it reads the config (unknown variables, functions and
// operators, regexes, -ipmatch subnets) with Apache's messages; Eval runs
// per request against a Context. Parts Apache has and appserver does not
// evaluate (-F/-U/-A sub-requests, file(), ldap()) parse, are listed by
// Unsupported, and make Eval fail when reached, so that a caller that
// restricts access can refuse at load or deny.
package expr

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Error is a syntax error; Msg is Apache's text.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

// Expr is a parsed boolean expression.
type Expr struct {
	src         string
	root        *node
	unsupported []string
}

// String is a parsed string expression (ap_expr's string mode: text with
// %{...} variables and functions and $N back-references).
type String struct {
	src         string
	parts       []*node
	unsupported []string
}

// Source returns the expression as written.
func (e *Expr) Source() string { return e.src }

// Unsupported lists the parts appserver cannot evaluate (nil: none).
func (e *Expr) Unsupported() []string { return e.unsupported }

// Source returns the string as written.
func (s *String) Source() string { return s.src }

// Unsupported lists the parts appserver cannot evaluate (nil: none).
func (s *String) Unsupported() []string { return s.unsupported }

type nodeKind int

const (
	nTrue nodeKind = iota
	nFalse
	nNot
	nAnd
	nOr
	nCompare // op: a tStr*/tInt* kind
	nUnary   // op text "-n" ...
	nBinary  // -ipmatch, -strmatch, -strcmatch, -fnmatch
	nRegex   // =~ / !~
	nIn
	// words
	nLiteral
	nConcat
	nVar
	nFunc
	nBackref
)

type node struct {
	kind  nodeKind
	op    tokKind
	name  string // operator, variable or function name (canonical)
	text  string // literal text, function argument for %{f:arg}
	num   int    // back-reference number
	l, r  *node
	list  []*node
	re    *regex
	neg   bool
	net   netip.Prefix // constant subnet of -ipmatch / -R
	unsup bool
}

type parser struct {
	lx    lexer
	tok   token
	unsup []string
}

// Parse parses a boolean expression.
func Parse(src string) (*Expr, error) {
	p := &parser{}
	p.lx = lexer{src: src, p: p}
	p.advance()
	n, err := p.orExpr()
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tEOF {
		return nil, p.unexpected("$end")
	}
	return &Expr{src: src, root: n, unsupported: p.unsup}, nil
}

// MustParse is Parse for expressions known to be valid (tests, built-ins).
func MustParse(src string) *Expr {
	e, err := Parse(src)
	if err != nil {
		panic(err)
	}
	return e
}

// ParseString parses src in string mode.
func ParseString(src string) (*String, error) {
	p := &parser{}
	p.lx = lexer{src: src, p: p}
	parts, err := p.stringParts(&p.lx, 0)
	if err != "" {
		return nil, &Error{Msg: err}
	}
	return &String{src: src, parts: parts, unsupported: p.unsup}, nil
}

func (p *parser) advance() { p.tok = p.lx.next() }

func (p *parser) unexpected(expecting ...string) error {
	if p.tok.kind == tError && p.tok.direct {
		return &Error{Msg: p.tok.err}
	}
	msg := "syntax error, unexpected " + tokName[p.tok.kind]
	if len(expecting) > 0 {
		msg += ", expecting " + strings.Join(expecting, " or ")
	}
	if p.tok.kind == tError {
		msg += ": " + p.tok.err
	}
	return &Error{Msg: msg}
}

func (p *parser) orExpr() (*node, error) {
	l, err := p.andExpr()
	if err != nil {
		return nil, err
	}
	for p.tok.kind == tOr {
		p.advance()
		r, err := p.andExpr()
		if err != nil {
			return nil, err
		}
		l = &node{kind: nOr, l: l, r: r}
	}
	return l, nil
}

func (p *parser) andExpr() (*node, error) {
	l, err := p.notExpr()
	if err != nil {
		return nil, err
	}
	for p.tok.kind == tAnd {
		p.advance()
		r, err := p.notExpr()
		if err != nil {
			return nil, err
		}
		l = &node{kind: nAnd, l: l, r: r}
	}
	return l, nil
}

func (p *parser) notExpr() (*node, error) {
	switch p.tok.kind {
	case tNot:
		p.advance()
		n, err := p.notExpr()
		if err != nil {
			return nil, err
		}
		return &node{kind: nNot, l: n}, nil
	case tTrue:
		p.advance()
		return &node{kind: nTrue}, nil
	case tFalse:
		p.advance()
		return &node{kind: nFalse}, nil
	case tLParen:
		p.advance()
		n, err := p.orExpr()
		if err != nil {
			return nil, err
		}
		if p.tok.kind != tRParen {
			return nil, p.unexpected("T_OP_OR", "T_OP_AND", "')'")
		}
		p.advance()
		return n, nil
	case tUnary:
		op := p.tok.text
		p.advance()
		w, err := p.word()
		if err != nil {
			return nil, err
		}
		return p.unaryOp(op, w)
	}
	return p.comparison()
}

// unaryOps are ap_expr's unary operators; the value says whether appserver
// evaluates it.
var unaryOps = map[string]bool{"-n": true, "-z": true, "-T": true, "-R": true, "-d": true, "-e": true,
	"-f": true, "-s": true, "-L": true, "-h": true, "-x": true, "-F": false, "-U": false, "-A": false}

func (p *parser) unaryOp(op string, w *node) (*node, error) {
	ok, known := unaryOps[op]
	if !known {
		return nil, &Error{Msg: "Unary operator '" + op + "' does not exist"}
	}
	n := &node{kind: nUnary, name: op, l: w}
	if !ok {
		n.unsup = true
		p.unsup = append(p.unsup, op+" (needs a sub-request)")
	}
	if op == "-R" {
		pfx, err := constSubnet(w, "-R")
		if err != nil {
			return nil, err
		}
		n.net = pfx
	}
	return n, nil
}

var binaryOps = map[string]bool{"-ipmatch": true, "-strmatch": true, "-strcmatch": true, "-fnmatch": true}

func (p *parser) comparison() (*node, error) {
	l, err := p.word()
	if err != nil {
		return nil, err
	}
	op := p.tok
	switch op.kind {
	case tStrEQ, tStrNE, tStrLT, tStrLE, tStrGT, tStrGE, tIntEQ, tIntNE, tIntLT, tIntLE, tIntGT, tIntGE:
		p.advance()
		r, err := p.word()
		if err != nil {
			return nil, err
		}
		return &node{kind: nCompare, op: op.kind, l: l, r: r}, nil
	case tReg, tNReg:
		p.advance()
		if p.tok.kind != tRegex && p.tok.kind != tRegexI {
			return nil, p.unexpected("T_REGEX", "T_REGEX_I")
		}
		re, err := compileRegex(p.tok.text, p.tok.kind == tRegexI)
		if err != nil {
			return nil, &Error{Msg: "Failed to compile regular expression"}
		}
		p.advance()
		return &node{kind: nRegex, l: l, re: re, neg: op.kind == tNReg}, nil
	case tIn:
		p.advance()
		if p.tok.kind == tID {
			return nil, &Error{Msg: "List function '" + p.tok.text + "' does not exist"}
		}
		if p.tok.kind != tLBrace {
			return nil, p.unexpected("T_ID", "'{'")
		}
		p.advance()
		var list []*node
		for {
			w, err := p.word()
			if err != nil {
				return nil, err
			}
			list = append(list, w)
			if p.tok.kind == tComma {
				p.advance()
				continue
			}
			if p.tok.kind != tRBrace {
				return nil, p.unexpected("T_OP_CONCAT", "','", "'}'")
			}
			p.advance()
			return &node{kind: nIn, l: l, list: list}, nil
		}
	case tBinary:
		if !binaryOps[op.text] {
			return nil, &Error{Msg: "Binary operator '" + op.text + "' does not exist"}
		}
		p.advance()
		r, err := p.word()
		if err != nil {
			return nil, err
		}
		n := &node{kind: nBinary, name: op.text, l: l, r: r}
		if op.text == "-ipmatch" {
			if n.net, err = constSubnet(r, "-ipmatch"); err != nil {
				return nil, err
			}
		}
		return n, nil
	}
	return nil, p.unexpected()
}

// word parses word ('.' word)*.
func (p *parser) word() (*node, error) {
	w, err := p.atom()
	if err != nil {
		return nil, err
	}
	for p.tok.kind == tConcat {
		p.advance()
		r, err := p.atom()
		if err != nil {
			return nil, err
		}
		if w.kind != nConcat {
			w = &node{kind: nConcat, list: []*node{w}}
		}
		w.list = append(w.list, r)
	}
	return w, nil
}

func (p *parser) atom() (*node, error) {
	t := p.tok
	switch t.kind {
	case tDigit:
		p.advance()
		return &node{kind: nLiteral, text: t.text}, nil
	case tString:
		p.advance()
		return joinParts(t.parts), nil
	case tVar, tBackref:
		p.advance()
		return t.n, nil
	case tID:
		p.advance()
		if p.tok.kind != tLParen {
			return nil, p.unexpected("'('")
		}
		p.advance()
		arg, err := p.word()
		if err != nil {
			return nil, err
		}
		if p.tok.kind != tRParen {
			return nil, p.unexpected("T_OP_CONCAT", "')'")
		}
		p.advance()
		return p.function(t.text, arg)
	}
	return nil, p.unexpected()
}

func joinParts(parts []*node) *node {
	switch len(parts) {
	case 0:
		return &node{kind: nLiteral}
	case 1:
		return parts[0]
	}
	return &node{kind: nConcat, list: parts}
}

// stringFuncs are ap_expr's string functions; the value says whether
// appserver evaluates it.
var stringFuncs = map[string]bool{"req": true, "http": true, "req_novary": true, "resp": true, "reqenv": true,
	"v": true, "osenv": true, "note": true, "env": true, "tolower": true, "toupper": true, "escape": true,
	"unescape": true, "base64": true, "unbase64": true, "md5": true, "sha1": true, "filesize": true,
	"file": false, "filemod": false, "ldap": false}

func (p *parser) function(name string, arg *node) (*node, error) {
	lname := strings.ToLower(name)
	ok, known := stringFuncs[lname]
	if !known {
		return nil, &Error{Msg: "Function '" + name + "' does not exist"}
	}
	n := &node{kind: nFunc, name: lname, l: arg}
	if !ok {
		n.unsup = true
		p.unsup = append(p.unsup, lname+"()")
	}
	return n, nil
}

// Variables, by the table they come from in util_expr_eval.c.
var (
	requestVars = set("REQUEST_METHOD REQUEST_SCHEME REQUEST_URI REQUEST_FILENAME REMOTE_HOST REMOTE_IDENT " +
		"REMOTE_USER SERVER_ADMIN SERVER_NAME SERVER_PORT SERVER_PROTOCOL SCRIPT_FILENAME PATH_INFO " +
		"QUERY_STRING IS_SUBREQ DOCUMENT_ROOT AUTH_TYPE THE_REQUEST CONTENT_TYPE HANDLER REQUEST_LOG_ID " +
		"SCRIPT_USER SCRIPT_GROUP DOCUMENT_URI LAST_MODIFIED CONTEXT_PREFIX CONTEXT_DOCUMENT_ROOT " +
		"REQUEST_STATUS REMOTE_ADDR REMOTE_PORT HTTPS IPV6 CONN_LOG_ID CONN_REMOTE_ADDR SERVER_SOFTWARE API_VERSION")
	headerVars = map[string]string{"HTTP_ACCEPT": "Accept", "HTTP_COOKIE": "Cookie", "HTTP_FORWARDED": "Forwarded",
		"HTTP_HOST": "Host", "HTTP_PROXY_CONNECTION": "Proxy-Connection", "HTTP_REFERER": "Referer",
		"HTTP_USER_AGENT": "User-Agent"}
	timeVars = set("TIME_YEAR TIME_MON TIME_DAY TIME_HOUR TIME_MIN TIME_SEC TIME_WDAY TIME")
)

func set(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// variable reads %{NAME} or %{func:arg} at l.pos.
func (p *parser) variable(l *lexer) (*node, string) {
	s := l.src[l.pos+2:]
	end := strings.IndexByte(s, '}')
	if end < 0 {
		return nil, "Unterminated string or variable"
	}
	body := s[:end]
	l.pos += 2 + end + 1
	if fn, arg, ok := strings.Cut(body, ":"); ok {
		n, err := p.function(fn, &node{kind: nLiteral, text: arg})
		if err != nil {
			return nil, err.Error()
		}
		return n, ""
	}
	name := strings.ToUpper(body)
	switch {
	case requestVars[name], timeVars[name]:
		return &node{kind: nVar, name: name}, ""
	case headerVars[name] != "":
		return &node{kind: nFunc, name: "req", l: &node{kind: nLiteral, text: headerVars[name]}}, ""
	}
	return nil, "Variable '" + body + "' does not exist"
}

// stringParts reads a string up to the closing quote q (0: to the end).
func (p *parser) stringParts(l *lexer, q byte) ([]*node, string) {
	var parts []*node
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			parts = append(parts, &node{kind: nLiteral, text: lit.String()})
			lit.Reset()
		}
	}
	for {
		if l.pos >= len(l.src) {
			if q != 0 {
				return nil, "Unterminated string or variable"
			}
			flush()
			return parts, ""
		}
		c := l.src[l.pos]
		switch {
		case q != 0 && c == q:
			l.pos++
			flush()
			return parts, ""
		case c == '\\' && q != 0 && l.pos+1 < len(l.src):
			lit.WriteByte(l.src[l.pos+1])
			l.pos += 2
		case c == '%' && strings.HasPrefix(l.src[l.pos:], "%{"):
			n, err := p.variable(l)
			if err != "" {
				return nil, err
			}
			flush()
			parts = append(parts, n)
		case c == '$' && l.pos+1 < len(l.src) && l.src[l.pos+1] >= '0' && l.src[l.pos+1] <= '9':
			flush()
			parts = append(parts, &node{kind: nBackref, num: int(l.src[l.pos+1] - '0')})
			l.pos += 2
		default:
			lit.WriteByte(c)
			l.pos++
		}
	}
}

// constSubnet reads the constant subnet argument of -ipmatch and -R as
// apr_ipsubnet_create does: an address, address/bits, address/netmask, or
// a partial IPv4 address ("10.1" = 10.1.0.0/16).
func constSubnet(w *node, op string) (netip.Prefix, error) {
	if w.kind != nLiteral {
		return netip.Prefix{}, &Error{Msg: op + " requires subnet/netmask as constant argument"}
	}
	if pfx, ok := ParseSubnet(w.text); ok {
		return pfx, nil
	}
	return netip.Prefix{}, &Error{Msg: "parsing of subnet/netmask failed"}
}

// ParseSubnet reads an apr_ipsubnet_create argument.
func ParseSubnet(s string) (netip.Prefix, bool) {
	addr, mask, hasMask := strings.Cut(s, "/")
	if !strings.Contains(addr, ":") {
		// A partial dotted address: its parts are the network.
		parts := strings.Split(addr, ".")
		if len(parts) < 4 && !hasMask {
			for len(parts) < 4 {
				parts = append(parts, "0")
			}
			a, err := netip.ParseAddr(strings.Join(parts, "."))
			if err != nil {
				return netip.Prefix{}, false
			}
			return netip.PrefixFrom(a, 8*len(strings.Split(addr, "."))), true
		}
	}
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return netip.Prefix{}, false
	}
	bits := a.BitLen()
	if hasMask {
		if m, err := netip.ParseAddr(mask); err == nil && m.Is4() && a.Is4() {
			v := m.As4()
			n := uint32(v[0])<<24 | uint32(v[1])<<16 | uint32(v[2])<<8 | uint32(v[3])
			bits = 0
			for n&0x80000000 != 0 {
				bits++
				n <<= 1
			}
			if n != 0 {
				return netip.Prefix{}, false
			}
		} else {
			b, err := strconv.Atoi(mask)
			if err != nil || b < 1 || b > a.BitLen() {
				return netip.Prefix{}, false
			}
			bits = b
		}
	}
	return netip.PrefixFrom(a, bits).Masked(), true
}

func (n *node) String() string { return fmt.Sprintf("%d:%s", n.kind, n.name) }

// And is an expression true when every one of es is (nil ones are left
// out; And() is nil). It lets a caller combine the conditions of nested
// <If> sections.
func And(es ...*Expr) *Expr {
	var out *Expr
	for _, e := range es {
		if e == nil {
			continue
		}
		if out == nil {
			out = e
			continue
		}
		out = &Expr{src: "(" + out.src + ") && (" + e.src + ")", root: &node{kind: nAnd, l: out.root, r: e.root},
			unsupported: append(append([]string(nil), out.unsupported...), e.unsupported...)}
	}
	return out
}

// Not is the negation of e (for <ElseIf> and <Else>).
func Not(e *Expr) *Expr {
	return &Expr{src: "!(" + e.src + ")", root: &node{kind: nNot, l: e.root}, unsupported: e.unsupported}
}
