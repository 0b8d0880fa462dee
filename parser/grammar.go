package parser

import (
	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

// The participle grammar gives one file its structure: plain lines, sections
// with a body, and closers. Every line kind starts with its own token type
// (Line, Open, Close); only an opener has further tokens (Args, GT,
// Trailing), which never start a line, so lines need no end-of-line token
// and one token of lookahead is enough. Matching a closer's name to its
// opener, and every read-time behaviour, is left to the reader: httpd
// decides those by name, after ${VAR} expansion.

// rawFile is one config file. A directive line is a single Line token (the
// reader expands the whole line before it takes the name off, as httpd
// does); a closer is a single Close token. A closer at the top level has no
// section to close; it is kept so the reader can report it.
type rawFile struct {
	Items []*rawTop `parser:"@@*"`
}

type rawTop struct {
	Line    *lexer.Token `parser:"@Line"`
	Section *rawSection  `parser:"| @@"`
	Stray   *lexer.Token `parser:"| @Close"`
}

// rawItem is a line inside a section body: a Close token ends the body.
type rawItem struct {
	Line    *lexer.Token `parser:"@Line"`
	Section *rawSection  `parser:"| @@"`
}

// rawSection is an opener, its body and its closer (nil when the file ended
// first).
type rawSection struct {
	Open     lexer.Token  `parser:"@Open"`
	Args     *lexer.Token `parser:"@Args?"`
	GT       *lexer.Token `parser:"@GT?"`
	Trailing *lexer.Token `parser:"@Trailing?"`
	// Lines is the body of a <Macro>, kept as text: mod_macro stores it
	// unparsed and only counts <Macro>/</Macro> to find its end.
	Lines []*rawMacroLine `parser:"@@*"`
	Body  []*rawItem      `parser:"@@*"`
	Close *lexer.Token    `parser:"@Close?"`
}

// rawMacroLine is one line of a <Macro> body. (A []lexer.Token field would
// keep only the last token of a repetition.)
type rawMacroLine struct {
	Tok lexer.Token `parser:"@MacroLine"`
}

var fileParser = participle.MustBuild[rawFile](
	participle.Lexer(lineDefinition{}),
)

// parseFile lexes and parses one file's bytes. The grammar accepts every
// token sequence the lexer produces, so an error here is a bug; it is still
// returned rather than panicking.
func parseFile(filename string, src []byte) (*rawFile, error) {
	return fileParser.ParseBytes(filename, src)
}
