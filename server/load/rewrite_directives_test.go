package load

import "testing"

// rewriteOracleCases are mod_rewrite's and mod_alias's configuration
// errors with httpd's text ("" = Syntax OK); -apache checks them against
// apache2 -t: go test ./server/load -run TestRewriteDirectiveOracle -apache
var rewriteOracleCases = []struct {
	name, conf, want string
}{
	{"rule-ok", "RewriteEngine On\nRewriteRule ^/a /b [L,R=301,NC,QSA,QSD,QSL,PT,NE,E=A:b,S=1,C,B,CO=a:b:c,N=5,END,DPI,T=text/plain,H=x]\n", ""},
	{"rule-one-arg", "RewriteRule ^/a\n", "RewriteRule: bad argument line '^/a'"},
	{"rule-bad-regex", "RewriteRule ^/(a /b\n", "RewriteRule: cannot compile regular expression '^/(a'"},
	{"rule-unknown-flag", "RewriteRule ^/a /b [L,XYZ]\n", "RewriteRule: unknown flag 'XYZ'"},
	{"rule-bad-delims", "RewriteRule ^/a /b L\n", "RewriteRule: bad flag delimiters"},
	{"rule-bad-end", "RewriteRule ^/a /b [L\n", "RewriteRule: bad flag delimiters"},
	{"rule-bad-status", "RewriteRule ^/a /b [R=999]\n", "RewriteRule: invalid HTTP response code '999' for flag 'R'"},
	{"rule-status-ok", "RewriteRule ^/a - [R=404]\nRewriteRule ^/b - [R=500]\nRewriteRule ^/c /d [R=permanent]\n", ""},
	{"rule-in-limit-ok", "<Location />\n<Limit GET>\nRewriteRule ^a b\n</Limit>\n</Location>\n", ""},
	{"rule-four-words-ok", "RewriteRule ^/a /b [L] extra\n", ""},
	{"rule-quoted-ok", "RewriteRule \"^/a b\" '/c d' [L]\n", ""},
	{"cond-one-arg", "RewriteCond %{HTTP_HOST}\nRewriteRule ^ -\n", "RewriteCond: bad argument line '%{HTTP_HOST}'"},
	{"cond-bad-flag", "RewriteCond %{HTTP_HOST} ^a [XX]\nRewriteRule ^ -\n", "RewriteCond: unknown flag 'XX'"},
	{"cond-bad-regex", "RewriteCond %{HTTP_HOST} ^(a\nRewriteRule ^ -\n", "RewriteCond: cannot compile regular expression '^(a'"},
	{"cond-ok", "RewriteCond %{REQUEST_FILENAME} !-f [NC]\nRewriteCond %{HTTP_HOST} =a [OR,NV]\nRewriteCond %{QUERY_STRING} -lt10\nRewriteRule ^ -\n", ""},
	{"engine-bad", "RewriteEngine maybe\n", "RewriteEngine must be On or Off"},
	{"options-bad", "RewriteOptions Foo\n", "RewriteOptions: unknown option 'Foo'"},
	{"options-ok", "RewriteOptions Inherit InheritBefore AllowNoSlash\n", ""},
	{"base-server", "RewriteBase /a\n", "RewriteBase: only valid in per-directory config files"},
	{"base-relative", "<Directory /a>\nRewriteBase a\n</Directory>\n", "RewriteBase: argument is not a valid URL"},
	{"base-ok", "<Directory /a>\nRewriteBase /a\n</Directory>\n", ""},
	{"map-int-bad", "RewriteMap m int:nope\n", "RewriteMap: internal map not found:nope"},
	{"map-missing-file", "RewriteMap m txt:/nonexistent/map.txt\n", "RewriteMap: file for map m not found:/nonexistent/map.txt"},
	{"map-in-location", "<Location />\nRewriteMap m int:tolower\n</Location>\n", "RewriteMap not allowed in <Location> context"},
	{"map-ok", "RewriteMap m int:tolower\n", ""},
	{"redirect-no-url", "Redirect /a\n", "URL to redirect to is missing"},
	{"redirect-non-url", "Redirect /a b\n", "Redirect to non-URL"},
	{"redirect-bad-first", "Redirect foo /a http://x/\n", "Redirect: invalid first argument (of three)"},
	{"redirect-gone-url", "Redirect gone /a http://x/\n", "Redirect URL not valid for this status"},
	{"redirect-ok", "Redirect /a http://x/\nRedirect permanent /b /c\nRedirect gone /d\nRedirect 404 /e\n", ""},
	{"redirect-none", "Redirect\n", "Redirect takes one, two or three arguments, an optional status, then document to be redirected and destination URL"},
	{"redirectmatch-bad", "RedirectMatch ^/(a http://x/\n", "Regular expression could not be compiled."},
	{"redirectmatch-one", "RedirectMatch ^/a\n", "RedirectMatch takes two or three arguments, an optional status, then a regular expression and destination URL"},
	{"redirecttemp-one", "RedirectTemp /a\n", "RedirectTemp takes two arguments, a document to be redirected, then the destination URL"},
	{"redirect-one-server", "Redirect http://x/\n", "URL to redirect to is missing"},
	{"redirect-gone-server", "Redirect gone\n", ""}, // accepted, but Apache's child crashes on every request
	{"redirect-location-two-ok", "<Location /a>\nRedirect /a/b http://x/\n</Location>\n", ""},
	{"redirect-location-one-ok", "<Location /a>\nRedirect http://x/\n</Location>\n<Location /b>\nRedirect gone\n</Location>\n", ""},
}

func TestRewriteDirectiveOracle(t *testing.T) {
	apache := apacheOracle(t)
	for _, tc := range rewriteOracleCases {
		t.Run(tc.name, func(t *testing.T) {
			_, errs := loadTestConf(t, tc.conf, Options{})
			got := ""
			if len(errs) > 0 {
				got = errs[0].Msg
			}
			if !sameMessage(got, tc.want) {
				t.Errorf("appserver: got %q, want %q (all errors: %v)", got, tc.want, errs)
			}
			if apache != nil {
				if real := apache(t, tc.conf); real != tc.want {
					t.Errorf("Apache says %q, the table says %q", real, tc.want)
				}
			}
		})
	}
}
