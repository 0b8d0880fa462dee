package cmd_test

import (
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestServeCompareResponse(t *testing.T) {
	date := "Sat, 05 Dec 2026 21:00:00 GMT"
	spec := oracleCompareSpec{Headers: []string{"X-Frame-Options", "Expires", "Vary"}, Body: true}
	apache := oracleApacheResult{Status: 404, RawBody: []byte("<p>gone</p>"),
		Header: http.Header{"Date": {date}, "Expires": {"Sat, 05 Dec 2026 22:00:00 GMT"}, "X-Frame-Options": {"DENY"}}}
	tests := []struct {
		name   string
		header http.Header
		body   string
		want   []string // the fields that differ
	}{
		{"same", http.Header{"Date": {"Sat, 05 Dec 2026 21:00:07 GMT"}, "Expires": {"Sat, 05 Dec 2026 22:00:08 GMT"}, "X-Frame-Options": {"DENY"}},
			"<p>gone</p>", nil},
		{"header missing, expiry off, extra Vary, other body",
			http.Header{"Date": {date}, "Expires": {"Sat, 05 Dec 2026 21:30:00 GMT"}, "Vary": {"Accept-Encoding"}},
			"<p>Gone</p>", []string{"header[X-Frame-Options]", "header[Expires]", "header[Vary]", "body"}},
	}
	for _, tt := range tests {
		s := oracleApacheResult{Status: 404, RawBody: []byte(tt.body), Header: tt.header}
		var got []string
		for _, r := range serveCompareResponse("c", spec, oracleURL{Target: "/x"}, apache, s) {
			got = append(got, r.Field)
		}
		if strings.Join(got, " ") != strings.Join(tt.want, " ") {
			t.Errorf("%s: differing fields %q, want %q", tt.name, got, tt.want)
		}
	}
	// The probe's own answers are compared field by field, never as bodies.
	probe := oracleApacheResult{Status: 200, Answer: []byte("{}")}
	if rows := serveCompareResponse("c", oracleCompareSpec{Body: true}, oracleURL{Target: "/"}, probe, oracleApacheResult{Status: 200, Answer: []byte("{ }")}); len(rows) != 0 {
		t.Errorf("probe answers compared as bodies: %+v", rows)
	}
}

func TestOracleCompareLines(t *testing.T) {
	dir := t.TempDir()
	write := func(name, conf string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name+".conf"), []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".urls"), []byte("/\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("good", "# oracle-compare: header:x-frame-options body\n#oracle-compare:header:Vary\nWSGIScriptAlias / @PROBE@\n")
	c, err := oracleLoadCase(dir, "good")
	if err != nil {
		t.Fatal(err)
	}
	if want := (oracleCompareSpec{Headers: []string{"X-Frame-Options", "Vary"}, Body: true}); !reflect.DeepEqual(c.Compare, want) {
		t.Errorf("Compare = %+v, want %+v", c.Compare, want)
	}
	write("bad", "# oracle-compare: headers:Vary\n")
	if _, err := oracleLoadCase(dir, "bad"); err == nil || !strings.Contains(err.Error(), "want header:NAME, body or serve-only") {
		t.Errorf("bad compare word: err = %v", err)
	}
	// serve-only skips the routes mode; oracle-write lines build data
	// files, in order, the rest of the line kept as written.
	write("hooks", "# oracle-compare: serve-only\n# oracle-write: pw/users a:1\n# oracle-write: x.py     indented\n# oracle-write: pw/users b:2 c\n")
	c, err = oracleLoadCase(dir, "hooks")
	if err != nil {
		t.Fatal(err)
	}
	want := []oracleWrite{{Rel: "pw/users", Content: "a:1\nb:2 c\n"}, {Rel: "x.py", Content: "    indented\n"}}
	if !c.Compare.ServeOnly || !reflect.DeepEqual(c.Writes, want) {
		t.Errorf("ServeOnly %v, Writes %q, want %q", c.Compare.ServeOnly, c.Writes, want)
	}
	write("escape", "# oracle-write: ../x y\n")
	if _, err := oracleLoadCase(dir, "escape"); err == nil {
		t.Error("an oracle-write outside the case directory is accepted")
	}
}
