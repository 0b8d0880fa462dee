package monitor

import (
	"bufio"
	"cmp"
	"fmt"
	"hash/fnv"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Folded is a thread profile as folded stacks: "root;caller;callee" → the
// number of samples that saw exactly that stack (Brendan Gregg's format,
// what flamegraph.pl and speedscope read).
type Folded map[string]uint64

// ParseFolded reads "frame;frame;frame count" lines; blank lines are
// skipped. The count is the last space-separated field, so frames may
// contain spaces ("handler (app.py:12)").
func ParseFolded(text string) (Folded, error) {
	f := Folded{}
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		sp := strings.LastIndexByte(line, ' ')
		if sp <= 0 {
			return nil, fmt.Errorf("folded stacks, line %d: no count: %q", i+1, line)
		}
		n, err := strconv.ParseUint(line[sp+1:], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("folded stacks, line %d: bad count %q", i+1, line[sp+1:])
		}
		f[line[:sp]] += n
	}
	return f, nil
}

// MergeFolded adds up the folded stacks of several processes: the same
// stack in two processes counts the samples of both.
func MergeFolded(texts ...string) (Folded, error) {
	out := Folded{}
	for _, t := range texts {
		f, err := ParseFolded(t)
		if err != nil {
			return nil, err
		}
		out.Add(f)
	}
	return out, nil
}

// Add counts the samples of g into f.
func (f Folded) Add(g Folded) {
	for k, n := range g {
		f[k] += n
	}
}

// Total is the number of samples.
func (f Folded) Total() uint64 {
	var n uint64
	for _, c := range f {
		n += c
	}
	return n
}

// WriteTo writes the stacks as folded lines, sorted.
func (f Folded) WriteTo(w io.Writer) (int64, error) {
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	bw := bufio.NewWriter(w)
	var n int64
	for _, k := range keys {
		m, err := fmt.Fprintf(bw, "%s %d\n", k, f[k])
		n += int64(m)
		if err != nil {
			return n, err
		}
	}
	return n, bw.Flush()
}

// flameNode is one frame of the merged call tree.
type flameNode struct {
	name     string
	count    uint64 // samples of this frame and everything it called
	children map[string]*flameNode
}

func (n *flameNode) child(name string) *flameNode {
	if c := n.children[name]; c != nil {
		return c
	}
	if n.children == nil {
		n.children = map[string]*flameNode{}
	}
	c := &flameNode{name: name}
	n.children[name] = c
	return c
}

func (n *flameNode) sorted() []*flameNode {
	out := make([]*flameNode, 0, len(n.children))
	for _, c := range n.children {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b *flameNode) int { return cmp.Compare(a.name, b.name) })
	return out
}

func (n *flameNode) depth() int {
	d := 0
	for _, c := range n.children {
		d = max(d, c.depth())
	}
	return d + 1
}

// Flame graph geometry, in SVG user units (pixels).
const (
	flameWidth   = 1200.0
	flameFrame   = 16.0 // height of one frame
	flamePad     = 10.0
	flameTitle   = 30.0 // room for the title above the graph
	flameMinRect = 0.1  // narrower frames are left out
	flameChar    = 7.0  // width of a character of the 12px font, about
)

// FlameGraph writes f as a flame graph: a self-contained SVG (no script,
// no fonts to fetch). The root is at the bottom ("all"), callees above
// their callers, each frame as wide as the samples that saw it, siblings
// in alphabetical order; hovering a frame shows its name and samples.
func FlameGraph(w io.Writer, f Folded, title string) error {
	root := &flameNode{name: "all"}
	for stack, n := range f {
		root.count += n
		node := root
		for frame := range strings.SplitSeq(stack, ";") {
			node = node.child(frame)
			node.count += n
		}
	}
	depth := root.depth()
	height := flameTitle + float64(depth)*flameFrame + 2*flamePad
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="Verdana, sans-serif" font-size="12">
<rect x="0" y="0" width="100%%" height="100%%" fill="#f8f8f0"/>
<text x="%.0f" y="20" text-anchor="middle" font-size="16">%s</text>
`, flameWidth+2*flamePad, height, flameWidth+2*flamePad, height, flamePad+flameWidth/2, xmlText(fmt.Sprintf("%s (%d samples)", title, root.count)))
	if root.count > 0 {
		scale := flameWidth / float64(root.count)
		var draw func(n *flameNode, x float64, level int)
		draw = func(n *flameNode, x float64, level int) {
			wd := float64(n.count) * scale
			if wd < flameMinRect {
				return
			}
			y := height - flamePad - float64(level+1)*flameFrame
			pct := 100 * float64(n.count) / float64(root.count)
			fmt.Fprintf(bw, `<g><title>%s (%d samples, %.2f%%)</title><rect x="%.2f" y="%.1f" width="%.2f" height="%.1f" rx="2" fill="%s"/>`,
				xmlText(n.name), n.count, pct, flamePad+x, y, wd, flameFrame-1, flameColor(n.name))
			if label := fitLabel(n.name, wd); label != "" {
				fmt.Fprintf(bw, `<text x="%.2f" y="%.1f">%s</text>`, flamePad+x+3, y+flameFrame-4, xmlText(label))
			}
			bw.WriteString("</g>\n")
			for _, c := range n.sorted() {
				draw(c, x, level+1)
				x += float64(c.count) * scale
			}
		}
		draw(root, 0, 0)
	}
	bw.WriteString("</svg>\n")
	return bw.Flush()
}

// fitLabel is name cut to what fits in width pixels, "" if too little does.
func fitLabel(name string, width float64) string {
	chars := int((width - 6) / flameChar)
	if chars < 3 {
		return ""
	}
	if utf8.RuneCountInString(name) <= chars {
		return name
	}
	r := []rune(name)
	return string(r[:chars-2]) + ".."
}

// flameColor is a warm colour that depends on the name only, so the same
// function has the same colour in every graph.
func flameColor(name string) string {
	h := fnv.New32a()
	h.Write([]byte(name))
	v := h.Sum32()
	return fmt.Sprintf("rgb(%d,%d,%d)", 205+v%50, 80+(v>>8)%150, 40+(v>>16)%55)
}

// xmlText escapes s for XML text and attribute values, and drops what XML
// 1.0 cannot carry.
func xmlText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '&':
			b.WriteString("&amp;")
		case r == '"':
			b.WriteString("&quot;")
		case r == '\t' || r == '\n' || r == '\r' || (r >= 0x20 && r != utf8.RuneError && r != 0xFFFE && r != 0xFFFF):
			b.WriteRune(r)
		}
	}
	return b.String()
}
