package load

import (
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/appserver/appserver/server/config"
)

// The messages are those of `apache2 -t` (Apache 2.4.71) on the same lines.
func TestDirectiveResponsesErrors(t *testing.T) {
	tests := []struct{ line, want string }{
		{`ExpiresActive maybe`, "ExpiresActive must be On or Off"},
		{`ExpiresDefault "access plus 1 fortnight"`, "'ExpiresDefault access plus 1 fortnight': bad expires code, unrecognised <type>'fortnight'"},
		{`ExpiresDefault "soon plus 1 day"`, "'ExpiresDefault soon plus 1 day': bad expires code, unrecognised <base> 'soon'"},
		{`ExpiresDefault "access plus x days"`, "'ExpiresDefault access plus x days': bad expires code, numeric value expected <num> 'x'"},
		{`ExpiresDefault X100`, "'ExpiresDefault X100': bad expires code, unrecognised <base> 'X100'"},
		{`ExpiresByType text/html`, "ExpiresByType takes two arguments, a MIME type followed by an expiry date code"},
		{`ExpiresByType text/html "now plus 1 month 2"`, "'ExpiresByType text/html now plus 1 month 2': bad expires code, missing <type>"},
		{`ErrorDocument 404`, "ErrorDocument takes two arguments, Change responses for HTTP errors"},
		{`ErrorDocument 404 /x y`, "ErrorDocument takes two arguments, Change responses for HTTP errors"},
		{`ErrorDocument 404 ""`, "ErrorDocument takes two arguments, Change responses for HTTP errors"},
		{`ErrorDocument 99 /x`, "Unsupported HTTP response code 99"},
		{`ErrorDocument 600 /x`, "Unsupported HTTP response code 600"},
		{`ErrorDocument abc /x`, "Unsupported HTTP response code abc"},
		{`AddDefaultCharset`, "AddDefaultCharset takes one argument, The name of the default charset to add to any Content-Type without one or 'Off' to disable"},
		{`AddType text/html`, "AddType requires at least two arguments, a mime type followed by one or more file extensions"},
		{`AddCharset utf-8`, "AddCharset requires at least two arguments, a charset (e.g., iso-2022-jp), followed by one or more file extensions"},
		{`DeflateCompressionLevel 0`, "Compression Level must be between 1 and 9"},
		{`DeflateCompressionLevel x`, "Compression Level must be between 1 and 9"},
		{`AddOutputFilterByType DEFLATE`, "AddOutputFilterByType requires at least two arguments"},
		{`SetOutputFilter`, "SetOutputFilter takes one argument, filter (or ; delimited list of filters) to be run on the request content"},
		{`ForceType`, "ForceType takes one argument, a mime type that overrides other configured type"},
		{`DefaultType`, "DefaultType takes one argument, the default media type for otherwise untyped files (DEPRECATED)"},
		{`AddOutputFilter DEFLATE`, "AddOutputFilter requires at least two arguments, output filter name (or ; delimited names) followed by one or more file extensions"},
		{`RemoveOutputFilter`, "RemoveOutputFilter requires at least one argument, one or more file extensions"},
		{"<Location /x>\nDeflateCompressionLevel 5\n</Location>", "DeflateCompressionLevel not allowed in <Location> context"},
	}
	for _, tc := range tests {
		_, errs := loadTestConf(t, tc.line+"\n", Options{NoHostChecks: true})
		if len(errs) != 1 || errs[0].Msg != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.line, errStrings(errs), tc.want)
		}
	}
}

func TestDirectiveResponsesValues(t *testing.T) {
	conf := `ErrorDocument 404 /errors/404
ErrorDocument 403 "custom <b>forbidden</b>"
ErrorDocument 500 quoted
ErrorDocument 410 http://example.com/gone
ErrorDocument 401 http://example.com/login
ExpiresActive On
ExpiresDefault "access plus 1 hour"
ExpiresByType Text/HTML "access plus 2 days 3 hours"
ExpiresByType text/css M3600
ExpiresByType image/png "modification 1 mo 1 mi 1 s"
ExpiresByType image/gif Access
AddOutputFilterByType DEFLATE text/html TEXT/Plain
AddType application/x-foo .FOO bar
AddCharset UTF-8 .html
AddDefaultCharset On
DeflateCompressionLevel 4
<Location /sub>
  ErrorDocument 404 default
  ExpiresActive Off
  ExpiresByType text/css A60
  AddOutputFilterByType DEFLATE;INCLUDES application/json
  RemoveOutputFilter txt
  AddType text/plain foo
  ForceType None
  AddDefaultCharset off
  SetOutputFilter DEFLATE
</Location>
`
	cfg, errs := loadTestConf(t, conf, Options{NoHostChecks: true})
	if errs != nil {
		t.Fatal(errStrings(errs))
	}
	r := cfg.Main.Defaults.Responses
	wantDocs := map[int]string{404: "/errors/404", 403: `"custom <b>forbidden</b>`, 500: `"quoted`, 410: "http://example.com/gone"}
	if !reflect.DeepEqual(r.ErrorDocuments, wantDocs) {
		t.Errorf("ErrorDocuments = %v, want %v", r.ErrorDocuments, wantDocs)
	}
	code := func(c *config.ExpiresCode) string {
		if c == nil {
			return "nil"
		}
		return string(c.Base) + strconv.FormatInt(c.Seconds, 10)
	}
	for typ, want := range map[string]string{"text/html": "A183600", "text/css": "M3600", "image/png": "M2592061", "image/gif": "A0"} {
		if got := code(r.ExpiresByType[typ]); got != want {
			t.Errorf("ExpiresByType[%s] = %s, want %s", typ, got, want)
		}
	}
	if got := code(r.ExpiresDefault); got != "A3600" {
		t.Errorf("ExpiresDefault = %s", got)
	}
	if !reflect.DeepEqual(r.DeflateByType, []string{"text/html", "text/plain"}) || r.DefaultCharset != "iso-8859-1" ||
		r.Types["foo"] != "application/x-foo" || r.Types["bar"] != "application/x-foo" || r.Charsets["html"] != "utf-8" {
		t.Errorf("main responses: %+v", r)
	}
	if cfg.Main.DeflateCompressionLevel != 4 {
		t.Errorf("DeflateCompressionLevel = %d", cfg.Main.DeflateCompressionLevel)
	}
	sub := config.MergeDirConf(cfg.Main.Defaults, cfg.Main.Sections[0].Conf).Responses
	if sub.ErrorDocuments[404] != "default" || sub.ErrorDocuments[403] == "" {
		t.Errorf("merged ErrorDocuments = %v", sub.ErrorDocuments)
	}
	if sub.ExpiresFor("text/css") != nil {
		t.Errorf("ExpiresActive Off in the child must turn expiry off")
	}
	on := true
	sub2 := *sub
	sub2.ExpiresActive = &on
	if got := code(sub2.ExpiresFor("text/css; charset=x")); got != "A60" {
		t.Errorf("child ExpiresByType text/css = %s", got)
	}
	if got := code(sub2.ExpiresFor("TEXT/HTML")); got != "A183600" {
		t.Errorf("parent ExpiresByType text/html = %s", got)
	}
	if got := code(sub2.ExpiresFor("application/json")); got != "A3600" {
		t.Errorf("default = %s", got)
	}
	if !reflect.DeepEqual(sub.DeflateByType, []string{"text/html", "text/plain", "application/json"}) || sub.OutputFilters["txt"] != "" ||
		sub.Types["foo"] != "text/plain" || sub.Types["bar"] != "application/x-foo" || sub.ForceType != "none" ||
		sub.DefaultCharset != "Off" || sub.SetOutputFilter != "DEFLATE" {
		t.Errorf("merged responses: %+v", sub)
	}
	ws := strings.Join(warnStrings(cfg.Warnings), "\n")
	for _, w := range []string{
		"5:1: [lint] cannot use a full URL in a 401 ErrorDocument directive --- ignoring!",
		"21:3: [ignored] AddOutputFilterByType INCLUDES is ignored: appserver runs only the DEFLATE output filter",
	} {
		if !strings.Contains(ws, w) {
			t.Errorf("warnings lack %q:\n%s", w, ws)
		}
	}
}

func TestDirectiveDefaultTypeWarns(t *testing.T) {
	cfg, errs := loadTestConf(t, "\nDefaultType text/plain\nDefaultType none\n", Options{NoHostChecks: true})
	if errs != nil {
		t.Fatal(errStrings(errs))
	}
	want := []string{"2:1: [compat] Ignoring deprecated use of DefaultType in line 2 of /cfg/test.conf."}
	if got := warnStrings(cfg.Warnings); !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
