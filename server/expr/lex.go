package expr

import (
	"strings"
)

// tokKind is a token of the ap_expr language; the names in tokName are
// bison's (util_expr_parse.y), because Apache's syntax errors print them.
type tokKind int

const (
	tEOF tokKind = iota
	tTrue
	tFalse
	tNot
	tAnd
	tOr
	tLParen
	tRParen
	tLBrace
	tRBrace
	tComma
	tConcat
	tStrEQ // == =
	tStrNE
	tStrLT
	tStrLE
	tStrGT
	tStrGE
	tIntEQ // -eq eq
	tIntNE
	tIntLT
	tIntLE
	tIntGT
	tIntGE
	tReg  // =~
	tNReg // !~
	tIn
	tUnary  // -X
	tBinary // -ipmatch, -strmatch, -strcmatch, -fnmatch
	tDigit
	tID
	tString // a quoted string, already split into parts
	tVar    // %{NAME} or %{func:arg}
	tBackref
	tRegex
	tRegexI
	tError
)

var tokName = map[tokKind]string{
	tEOF: "$end", tTrue: "T_TRUE", tFalse: "T_FALSE", tNot: "T_OP_NOT", tAnd: "T_OP_AND", tOr: "T_OP_OR",
	tLParen: "'('", tRParen: "')'", tLBrace: "'{'", tRBrace: "'}'", tComma: "','", tConcat: "T_OP_CONCAT",
	tStrEQ: "T_OP_STR_EQ", tStrNE: "T_OP_STR_NE", tStrLT: "T_OP_STR_LT", tStrLE: "T_OP_STR_LE",
	tStrGT: "T_OP_STR_GT", tStrGE: "T_OP_STR_GE", tIntEQ: "T_OP_EQ", tIntNE: "T_OP_NE", tIntLT: "T_OP_LT",
	tIntLE: "T_OP_LE", tIntGT: "T_OP_GT", tIntGE: "T_OP_GE", tReg: "T_OP_REG", tNReg: "T_OP_NRE", tIn: "T_OP_IN",
	tUnary: "T_OP_UNARY", tBinary: "T_OP_BINARY", tDigit: "T_DIGIT", tID: "T_ID", tString: "T_STR_BEGIN",
	tVar: "T_VAR_BEGIN", tBackref: "T_REGEX_BACKREF", tRegex: "T_REGEX", tRegexI: "T_REGEX_I", tError: "T_ERROR",
}

type token struct {
	kind  tokKind
	text  string  // operator name, identifier, digits, regex source
	parts []*node // for tString: the string's pieces
	n     *node   // for tVar, tBackref
	err   string  // for tError
	// direct: err is the whole message (an unknown variable or function),
	// not a syntax error.
	direct bool
}

type lexer struct {
	src string
	pos int
	p   *parser
}

func isIDStart(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isIDChar(c byte) bool  { return isIDStart(c) || c >= '0' && c <= '9' || c == '_' }
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

var wordOps = map[string]tokKind{
	"and": tAnd, "or": tOr, "not": tNot, "in": tIn, "true": tTrue, "false": tFalse,
	"eq": tIntEQ, "ne": tIntNE, "lt": tIntLT, "le": tIntLE, "gt": tIntGT, "ge": tIntGE,
}

func (l *lexer) next() token {
	for l.pos < len(l.src) && isSpace(l.src[l.pos]) {
		l.pos++
	}
	if l.pos >= len(l.src) {
		return token{kind: tEOF}
	}
	s, c := l.src[l.pos:], l.src[l.pos]
	two := func(k tokKind) token { l.pos += 2; return token{kind: k, text: s[:2]} }
	one := func(k tokKind) token { l.pos++; return token{kind: k, text: s[:1]} }
	switch {
	case strings.HasPrefix(s, "=="):
		return two(tStrEQ)
	case strings.HasPrefix(s, "=~"):
		return two(tReg)
	case strings.HasPrefix(s, "!="):
		return two(tStrNE)
	case strings.HasPrefix(s, "!~"):
		return two(tNReg)
	case strings.HasPrefix(s, "<="):
		return two(tStrLE)
	case strings.HasPrefix(s, ">="):
		return two(tStrGE)
	case strings.HasPrefix(s, "&&"):
		return two(tAnd)
	case strings.HasPrefix(s, "||"):
		return two(tOr)
	case c == '=':
		return one(tStrEQ)
	case c == '<':
		return one(tStrLT)
	case c == '>':
		return one(tStrGT)
	case c == '!':
		return one(tNot)
	case c == '(':
		return one(tLParen)
	case c == ')':
		return one(tRParen)
	case c == '{':
		return one(tLBrace)
	case c == '}':
		return one(tRBrace)
	case c == ',':
		return one(tComma)
	case c == '.':
		return one(tConcat)
	case c == '\'' || c == '"':
		return l.quoted(c)
	case strings.HasPrefix(s, "%{"):
		n, err := l.p.variable(l)
		if err != "" {
			return token{kind: tError, err: err, direct: !strings.HasPrefix(err, "Unterminated")}
		}
		return token{kind: tVar, n: n}
	case c == '$':
		if len(s) > 1 && s[1] >= '0' && s[1] <= '9' {
			l.pos += 2
			return token{kind: tBackref, n: &node{kind: nBackref, num: int(s[1] - '0')}}
		}
	case c == '/':
		return l.regex('/', 1)
	case c == 'm' && len(s) > 1 && !isIDChar(s[1]) && !isSpace(s[1]) && s[1] != '(':
		return l.regex(s[1], 2)
	case c == '-' && len(s) > 1 && isIDStart(s[1]):
		j := 2
		for j < len(s) && isIDChar(s[j]) {
			j++
		}
		l.pos += j
		if j == 2 {
			return token{kind: tUnary, text: s[:2]}
		}
		name := s[:j]
		if k, ok := wordOps[strings.ToLower(name[1:])]; ok && k >= tIntEQ && k <= tIntGE {
			return token{kind: k, text: name}
		}
		return token{kind: tBinary, text: name}
	case c >= '0' && c <= '9':
		j := 0
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		l.pos += j
		return token{kind: tDigit, text: s[:j]}
	case isIDStart(c):
		j := 0
		for j < len(s) && isIDChar(s[j]) {
			j++
		}
		l.pos += j
		if k, ok := wordOps[strings.ToLower(s[:j])]; ok {
			return token{kind: k, text: s[:j]}
		}
		return token{kind: tID, text: s[:j]}
	}
	return token{kind: tError, err: "Parse error near '" + s[:1] + "'"}
}

// regex reads /re/ or m#re# with an optional i flag.
func (l *lexer) regex(sep byte, skip int) token {
	s := l.src[l.pos+skip:]
	end := -1
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && s[i+1] == sep {
			i++
			continue
		}
		if s[i] == sep {
			end = i
			break
		}
	}
	if end < 0 {
		// Apache's scanner reads an unterminated regex to the end.
		l.pos = len(l.src)
		return token{kind: tEOF}
	}
	src := strings.ReplaceAll(s[:end], `\`+string(sep), string(sep))
	l.pos += skip + end + 1
	if l.pos < len(l.src) && l.src[l.pos] == 'i' && (l.pos+1 == len(l.src) || !isIDChar(l.src[l.pos+1])) {
		l.pos++
		return token{kind: tRegexI, text: src}
	}
	return token{kind: tRegex, text: src}
}

// quoted reads a '...' or "..." string: text with %{...} variables and $N
// back-references; a backslash takes the next character literally.
func (l *lexer) quoted(q byte) token {
	l.pos++
	parts, err := l.p.stringParts(l, q)
	if err != "" {
		return token{kind: tError, err: err, direct: true}
	}
	return token{kind: tString, parts: parts}
}
