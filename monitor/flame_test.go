package monitor

import (
	"bytes"
	"encoding/xml"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"
)

func TestMergeFolded(t *testing.T) {
	a := "main (app.py:1);handler (app.py:10);busy (app.py:20) 30\nmain (app.py:1);handler (app.py:10) 5\n"
	b := "main (app.py:1);handler (app.py:10);busy (app.py:20) 12\n\nmain (app.py:1);idle (app.py:40) 3\n"
	f, err := MergeFolded(a, b)
	if err != nil {
		t.Fatal(err)
	}
	want := Folded{
		"main (app.py:1);handler (app.py:10);busy (app.py:20)": 42,
		"main (app.py:1);handler (app.py:10)":                  5,
		"main (app.py:1);idle (app.py:40)":                     3,
	}
	if len(f) != len(want) {
		t.Fatalf("merged %v, want %v", f, want)
	}
	for k, n := range want {
		if f[k] != n {
			t.Errorf("%q: %d samples, want %d", k, f[k], n)
		}
	}
	if f.Total() != 50 {
		t.Errorf("total %d, want 50", f.Total())
	}
	var out bytes.Buffer
	if _, err := f.WriteTo(&out); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "main (app.py:1);handler (app.py:10) 5\nmain (app.py:1);handler (app.py:10);busy (app.py:20) 42\nmain (app.py:1);idle (app.py:40) 3\n" {
		t.Errorf("folded output:\n%s", got)
	}
	again, err := ParseFolded(out.String())
	if err != nil || again.Total() != 50 {
		t.Errorf("round trip: %v %v", again, err)
	}
	for _, bad := range []string{"nocount\n", "a;b x\n", "a;b -1\n"} {
		if _, err := ParseFolded(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

type svgFrame struct {
	Title string `xml:"title"`
	Rect  struct {
		X     string `xml:"x,attr"`
		Y     string `xml:"y,attr"`
		Width string `xml:"width,attr"`
	} `xml:"rect"`
}

// parseFlame checks that the SVG is well-formed XML and returns its frames
// by name (the title up to " (N samples").
func parseFlame(t *testing.T, svg []byte) map[string]svgFrame {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(svg))
	frames := map[string]svgFrame{}
	sawSVG := false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not valid XML: %v\n%s", err, svg)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch se.Name.Local {
		case "svg":
			sawSVG = se.Name.Space == "http://www.w3.org/2000/svg"
		case "g":
			var f svgFrame
			if err := d.DecodeElement(&f, &se); err != nil {
				t.Fatal(err)
			}
			frames[f.Title[:strings.LastIndex(f.Title, " (")]] = f
		}
	}
	if !sawSVG {
		t.Fatal("no <svg> root in the SVG namespace")
	}
	return frames
}

func TestFlameGraph(t *testing.T) {
	f := Folded{"main;handler;busy": 60, "main;handler": 15, "main;idle <&> \"x\"": 25}
	var out bytes.Buffer
	if err := FlameGraph(&out, f, "group <web>"); err != nil {
		t.Fatal(err)
	}
	frames := parseFlame(t, out.Bytes())
	width := func(name string) float64 {
		fr, ok := frames[name]
		if !ok {
			t.Fatalf("no frame %q in %v", name, frames)
		}
		w, err := strconv.ParseFloat(fr.Rect.Width, 64)
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	all := width("all")
	if math.Abs(all-flameWidth) > 0.01 {
		t.Errorf("root width %v, want %v", all, flameWidth)
	}
	for name, share := range map[string]float64{"main": 1, "handler": 0.75, "busy": 0.60, `idle <&> "x"`: 0.25} {
		if got := width(name) / all; math.Abs(got-share) > 0.001 {
			t.Errorf("%s is %.4f of the graph, want %.2f", name, got, share)
		}
	}
	y := func(name string) float64 {
		v, _ := strconv.ParseFloat(frames[name].Rect.Y, 64)
		return v
	}
	if !(y("all") > y("main") && y("main") > y("handler") && y("handler") > y("busy")) {
		t.Errorf("callees are not above their callers: all %v main %v handler %v busy %v", y("all"), y("main"), y("handler"), y("busy"))
	}
	if !strings.Contains(out.String(), "group &lt;web&gt; (100 samples)") {
		t.Errorf("title missing:\n%s", out.String())
	}
	// An empty profile is still a valid picture.
	out.Reset()
	if err := FlameGraph(&out, Folded{}, "empty"); err != nil {
		t.Fatal(err)
	}
	if frames := parseFlame(t, out.Bytes()); len(frames) != 0 {
		t.Errorf("empty profile has frames: %v", frames)
	}
}
