package parser

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Dump writes ds as stable, readable text for golden files: one line per
// directive with its position and name, then one indented line per
// argument (position, quote kind, Go-quoted value), the raw argument text,
// and the body of a section, indented. Positions in the same file as their
// directive are shown as line:col.
func Dump(w io.Writer, ds []*Directive) {
	var b strings.Builder
	dump(&b, ds, "")
	io.WriteString(w, b.String())
}

func dump(b *strings.Builder, ds []*Directive, indent string) {
	for _, d := range ds {
		b.WriteString(indent)
		b.WriteString(FormatPos(d.Pos))
		b.WriteByte(' ')
		if d.Section {
			b.WriteByte('<')
		}
		b.WriteString(d.Name)
		if d.Section {
			b.WriteByte('>')
		}
		if d.MissingGT {
			b.WriteString(" missing-'>'")
		}
		if len(d.IncludedFrom) > 0 {
			b.WriteString(" via")
			for _, p := range d.IncludedFrom {
				b.WriteByte(' ')
				b.WriteString(FormatPos(p))
			}
		}
		b.WriteByte('\n')
		in := indent + "    "
		for _, a := range d.Args {
			q := "bare"
			switch a.Quote {
			case '"':
				q = "dq"
			case '\'':
				q = "sq"
			}
			fmt.Fprintf(b, "%sarg %s %s %s\n", in, relPos(d.Pos, a.Pos), q, strconv.Quote(a.Value))
		}
		if d.Raw != "" {
			fmt.Fprintf(b, "%sraw %s %s\n", in, relPos(d.Pos, d.RawPos), strconv.Quote(d.Raw))
		}
		if d.Section {
			dump(b, d.Body, in)
			if d.End == (Position{}) {
				fmt.Fprintf(b, "%send none\n", in)
			} else {
				fmt.Fprintf(b, "%send %s\n", in, relPos(d.Pos, d.End))
			}
		}
	}
}

// relPos is line:col when p is in base's file, else file:line:col.
func relPos(base, p Position) string {
	if p.Filename == base.Filename {
		return fmt.Sprintf("%d:%d", p.Line, p.Column)
	}
	return FormatPos(p)
}
