package config

import (
	"github.com/appserver/appserver/parser"
	"github.com/appserver/appserver/server/expr"
)

// HeaderAction is a mod_headers action.
type HeaderAction string

const (
	HeaderSet        HeaderAction = "set"
	HeaderSetIfEmpty HeaderAction = "setifempty"
	HeaderAdd        HeaderAction = "add"
	HeaderAppend     HeaderAction = "append"
	HeaderMerge      HeaderAction = "merge"
	HeaderUnset      HeaderAction = "unset"
	HeaderEcho       HeaderAction = "echo"
	HeaderEdit       HeaderAction = "edit"
	HeaderEditAll    HeaderAction = "edit*"
	HeaderNote       HeaderAction = "note"
)

// HeaderOp is one Header or RequestHeader directive.
type HeaderOp struct {
	Pos    parser.Position
	Action HeaderAction
	Name   string // the header name (for echo: a regex source, in Regex)
	// Value is the mod_headers format of set/add/append/merge/setifempty
	// (and the note name for note); ValueExpr replaces it for "expr=...".
	Value     []HeaderFormat
	ValueExpr *expr.String
	// Regex is edit's match or echo's header-name pattern; Subs is edit's
	// replacement ($0-$9 and \N).
	Regex *Regexp
	Subs  string
	// Condition: Early (post-read-request only), an env= clause (Env, with
	// EnvNot for env=!VAR) or an expr= clause (Cond). At most one is set.
	Early  bool
	Env    string
	EnvNot bool
	Cond   *expr.Expr
	// If is the condition of the <If> sections the directive is in (nil:
	// none): the entry applies only when it is true.
	If *expr.Expr
}

// HeaderFormat is one piece of a mod_headers value: literal text (Tag 0)
// or a format specifier: 't' (%t), 'D' (%D), 'e' (%{VAR}e), 's'
// (%{VAR}s), with Text the variable name.
type HeaderFormat struct {
	Tag  byte
	Text string
}

// SetEnvIfRule is one SetEnvIf, SetEnvIfNoCase, BrowserMatch(NoCase) or
// SetEnvIfExpr directive.
type SetEnvIfRule struct {
	Pos parser.Position
	// Attr is the attribute as written; Special is its lower-cased name when
	// it is one of mod_setenvif's request attributes (remote_host,
	// remote_addr, server_addr, request_method, request_protocol,
	// request_uri), else "". AttrRegex is set when Attr is a regex over
	// request header names.
	Attr      string
	Special   string
	AttrRegex *Regexp
	// Regex matches the attribute's value (nil for SetEnvIfExpr, which
	// has Expr instead).
	Regex *Regexp
	Expr  *expr.Expr
	Vars  []SetEnvVar
}

// SetEnvVar is one variable setting of a SetEnvIf rule: name=value, name
// (value "1"), or !name (Unset).
type SetEnvVar struct {
	Name  string
	Value string
	Unset bool
}

// Submatches is $0..$9 of a match from FindSubmatchIndex (unmatched groups
// empty).
func Submatches(s string, m []int) []string {
	n := len(m) / 2
	if n > 10 {
		n = 10
	}
	out := make([]string, n)
	for i := 0; i < n; i++ {
		if m[2*i] >= 0 {
			out[i] = s[m[2*i]:m[2*i+1]]
		}
	}
	return out
}

// Pregsub is ap_pregsub: $0-$9 are replaced by the captures (an unmatched
// one by nothing), a backslash takes the next character literally.
func Pregsub(tmpl string, caps []string) string {
	var b []byte
	for i := 0; i < len(tmpl); i++ {
		c := tmpl[i]
		switch {
		case c == '$' && i+1 < len(tmpl) && tmpl[i+1] >= '0' && tmpl[i+1] <= '9':
			i++
			if n := int(tmpl[i] - '0'); n < len(caps) {
				b = append(b, caps[n]...)
			}
		case c == '\\' && i+1 < len(tmpl):
			i++
			b = append(b, tmpl[i])
		default:
			b = append(b, c)
		}
	}
	return string(b)
}
