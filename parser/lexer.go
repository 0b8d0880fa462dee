package parser

import (
	"io"
	"sort"
	"strings"

	"github.com/alecthomas/participle/v2/lexer"
)

// The lexer is hand-written rather than built from participle's regular
// expression rules because httpd's line reading is not regular-expression
// lexing:
//
//   - logical lines are joined first: a backslash that is the last byte before
//     LF (or CR LF) deletes itself and the line break, and the next physical
//     line is appended with no space inserted, also inside comments and in the
//     middle of a word. A token must still report the physical line and column
//     it came from, which a regexp over the joined text cannot know;
//   - '#' starts a comment only as the first non-space byte of the *joined*
//     line; anywhere else it is data;
//   - whether a line opens a section depends on its first word as
//     ap_getword_conf reads it (quotes included), and the opener is cut at its
//     *last* '>' on the line ("<Location "/a>b">" has the path /a>b).
//
// A logical line becomes one token (a directive line, a closer; comments
// and blank lines none) or, for a section opener, four: its first word, the
// text up to its last '>', the '>' and any text after it. A token's Value is
// the raw source slice (continuation markers included) and its Pos is
// physical. Only the structure (which lines open, close or are plain) is
// decided here, from the text before expansion; the reader joins the slices
// again, expands ${VAR}s, tokenises with GetWord and cuts an opener at its
// last '>' once more, since a variable's value may hold one.

// Token types of the line lexer.
const (
	tokLine      lexer.TokenType = iota + 1 // a whole directive line
	tokOpen                                 // first word of a section opener ("<Location")
	tokClose                                // a whole section closer line ("</Location> ...")
	tokArgs                                 // an opener's text between its first word and its last '>'
	tokGT                                   // the opener's last '>' (Value "" when it ended the first word)
	tokTrailing                             // text after the opener's last '>'
	tokMacroLine                            // one line of a <Macro> body, unparsed
)

// lineDefinition is the participle lexer.Definition for httpd config files.
type lineDefinition struct{}

// Symbols returns a fresh map: it is called while package variables are
// initialised (fileParser), before a package-level map would be.
func (lineDefinition) Symbols() map[string]lexer.TokenType {
	return map[string]lexer.TokenType{
		"EOF":       lexer.EOF,
		"Line":      tokLine,
		"Open":      tokOpen,
		"Close":     tokClose,
		"Args":      tokArgs,
		"GT":        tokGT,
		"Trailing":  tokTrailing,
		"MacroLine": tokMacroLine,
	}
}

var (
	_ lexer.Definition      = lineDefinition{}
	_ lexer.BytesDefinition = lineDefinition{}
)

func (d lineDefinition) Lex(filename string, r io.Reader) (lexer.Lexer, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return d.LexBytes(filename, b)
}

func (lineDefinition) LexBytes(filename string, b []byte) (lexer.Lexer, error) {
	return &tokenList{toks: lexLines(filename, string(b))}, nil
}

// tokenList replays a slice of tokens; the last one is EOF.
type tokenList struct {
	toks []lexer.Token
	i    int
}

func (l *tokenList) Next() (lexer.Token, error) {
	if l.i < len(l.toks)-1 {
		l.i++
		return l.toks[l.i-1], nil
	}
	return l.toks[len(l.toks)-1], nil
}

// span maps the bytes of a text from index off onwards back to the source.
type span struct {
	off int      // first byte of the span in text.s
	pos Position // source position of text.s[off]
	lit bool     // byte-for-byte source text; false for ${VAR} values, which all map to the "${"
}

// text is (part of) a logical line with the source position of every byte.
type text struct {
	s     string
	spans []span // sorted by off, spans[0].off == 0
}

// posAt is the source position of s[i]; i == len(s) gives the position just
// after the last byte.
func (t *text) posAt(i int) Position {
	if len(t.spans) == 0 {
		return Position{}
	}
	k := sort.Search(len(t.spans), func(k int) bool { return t.spans[k].off > i }) - 1
	if k < 0 {
		k = 0
	}
	sp := t.spans[k]
	if !sp.lit {
		return sp.pos
	}
	p := sp.pos
	d := i - sp.off
	p.Offset += d
	p.Column += d
	return p
}

// endOffset is the source offset just past s[j-1] (j > 0) in a text made
// only of literal spans.
func (t *text) endOffset(j int) int {
	if j <= 0 {
		return t.posAt(0).Offset
	}
	return t.posAt(j-1).Offset + 1
}

// joinRaw joins a raw source slice that starts at pos: every line break in it
// is a continuation (the slice lies inside one logical line), so the "\"
// before it, an optional CR and the LF are removed.
func joinRaw(raw string, pos Position) text {
	t := text{spans: []span{{off: 0, pos: pos, lit: true}}}
	if !containsByte(raw, '\n') {
		t.s = raw
		return t
	}
	b := make([]byte, 0, len(raw))
	line := pos.Line
	start := 0
	for start <= len(raw) {
		nl := indexByteFrom(raw, '\n', start)
		if nl < 0 {
			b = append(b, raw[start:]...)
			break
		}
		piece := raw[start:nl]
		if n := len(piece); n > 0 && piece[n-1] == '\r' {
			piece = piece[:n-1]
		}
		if n := len(piece); n > 0 && piece[n-1] == '\\' {
			piece = piece[:n-1]
		}
		b = append(b, piece...)
		start = nl + 1
		line++
		t.spans = append(t.spans, span{off: len(b), pos: Position{
			Filename: pos.Filename, Offset: pos.Offset + start, Line: line, Column: 1,
		}, lit: true})
	}
	t.s = string(b)
	return t
}

// equalFold is ASCII case-insensitive equality, as httpd's strcasecmp.
func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

func containsByte(s string, c byte) bool { return indexByteFrom(s, c, 0) >= 0 }

func indexByteFrom(s string, c byte, from int) int {
	for i := from; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

// lexLines turns a whole file into line tokens (see the comment at the top of
// this file). It never fails: every byte sequence is some configuration.
func lexLines(filename string, src string) []lexer.Token {
	// About two tokens per line; one allocation for most files.
	toks := make([]lexer.Token, 0, 2*strings.Count(src, "\n")+2)
	pos, line := 0, 1
	// lastEnd is the position of the last line terminator seen (or of the
	// end of the file): where the EOF token sits.
	lastEnd := Position{Filename: filename, Line: 1, Column: 1}
	var buf []byte
	var t text
	macroDepth := 0 // > 0 while inside a <Macro> body
	for pos < len(src) {
		// Join physical lines into one logical line.
		buf = buf[:0]
		t.spans = t.spans[:0]
		for {
			nl := indexByteFrom(src, '\n', pos)
			end, next := len(src), len(src)
			if nl >= 0 {
				end, next = nl, nl+1
			}
			body := src[pos:end]
			cont := false
			if nl >= 0 {
				b := body
				if n := len(b); n > 0 && b[n-1] == '\r' {
					b = b[:n-1]
				}
				if n := len(b); n > 0 && b[n-1] == '\\' {
					cont, body = true, b[:n-1]
				}
			}
			t.spans = append(t.spans, span{off: len(buf), pos: Position{
				Filename: filename, Offset: pos, Line: line, Column: 1,
			}, lit: true})
			buf = append(buf, body...)
			lastEnd = Position{Filename: filename, Offset: end, Line: line, Column: end - pos + 1}
			pos = next
			if nl >= 0 {
				line++
			}
			// A continuation on the last line simply ends the logical line.
			if !cont || pos >= len(src) {
				break
			}
		}
		t.s = string(buf)
		toks = lexLogical(toks, src, &t, &macroDepth)
	}
	return append(toks, lexer.EOFToken(lastEnd))
}

// lexLogical appends the tokens of one logical line.
//
// Inside a <Macro> body (*macroDepth > 0) every line but comments becomes a
// MacroLine token, as mod_macro stores the body unparsed; only a first word
// of exactly "</Macro>" at the outer nesting level ends it, and "<Macro"
// nests.
func lexLogical(toks []lexer.Token, src string, t *text, macroDepth *int) []lexer.Token {
	s := t.s
	lo, hi := 0, len(s)
	for lo < hi && isSpace(s[lo]) {
		lo++
	}
	for hi > lo && isSpace(s[hi-1]) {
		hi--
	}
	tok := func(typ lexer.TokenType, i, j int) lexer.Token {
		p := t.posAt(i)
		return lexer.Token{Type: typ, Value: src[p.Offset:t.endOffset(j)], Pos: p}
	}
	if lo < hi && s[lo] == '#' {
		// Comments are not structure: no token (mod_macro drops them from
		// a body too). An elided token would be worse: participle hands
		// elided tokens to the next captured lexer.Token field.
		return toks
	}
	word, _, _, rest := getWord(s[:hi], lo)
	if *macroDepth > 0 {
		switch {
		case equalFold(word, "</Macro>"):
			*macroDepth--
		case equalFold(word, "<Macro"):
			*macroDepth++
		}
		if *macroDepth > 0 {
			if lo == hi {
				// Blank lines count in the body's line numbers.
				return append(toks, lexer.Token{Type: tokMacroLine, Pos: t.posAt(0)})
			}
			return append(toks, tok(tokMacroLine, lo, hi))
		}
	}
	if lo == hi {
		return toks // blank line
	}
	wend := wordEnd(s, lo)
	if equalFold(word, "<Macro") || (rest == hi && equalFold(word, "<Macro>")) {
		*macroDepth = 1
	}
	switch {
	case len(word) >= 2 && word[0] == '<' && word[1] == '/':
		toks = append(toks, tok(tokClose, lo, hi))
	case len(word) >= 1 && word[0] == '<':
		if rest == hi && word[len(word)-1] == '>' {
			// "<Location>": httpd strips the '>' from the word itself.
			if s[wend-1] == '>' {
				toks = append(toks, tok(tokOpen, lo, wend-1), tok(tokGT, wend-1, wend))
			} else { // quoted: "<Location>"
				toks = append(toks, tok(tokOpen, lo, wend), lexer.Token{Type: tokGT, Pos: t.posAt(wend - 1)})
			}
			break
		}
		toks = append(toks, tok(tokOpen, lo, wend))
		gt := -1
		for i := hi - 1; i >= rest; i-- {
			if s[i] == '>' {
				gt = i
				break
			}
		}
		argEnd := hi
		if gt >= 0 {
			argEnd = gt
		}
		for argEnd > rest && isSpace(s[argEnd-1]) {
			argEnd--
		}
		if argEnd > rest {
			toks = append(toks, tok(tokArgs, rest, argEnd))
		}
		if gt >= 0 {
			toks = append(toks, tok(tokGT, gt, gt+1))
			tr := gt + 1
			for tr < hi && isSpace(s[tr]) {
				tr++
			}
			if tr < hi {
				toks = append(toks, tok(tokTrailing, tr, hi))
			}
		}
	default:
		toks = append(toks, tok(tokLine, lo, hi))
	}
	return toks
}

// slice returns t.s[i:j] with its positions.
func (t *text) slice(i, j int) text {
	out := text{s: t.s[i:j]}
	if len(t.spans) == 0 {
		return out
	}
	k := sort.Search(len(t.spans), func(k int) bool { return t.spans[k].off > i }) - 1
	if k < 0 {
		k = 0
	}
	out.spans = append(out.spans, span{off: 0, pos: t.posAt(i), lit: t.spans[k].lit})
	for k++; k < len(t.spans) && t.spans[k].off < j; k++ {
		sp := t.spans[k]
		sp.off -= i
		out.spans = append(out.spans, sp)
	}
	return out
}
