package load

import (
	"testing"

	"github.com/appserver/appserver/server/config"
)

// Header inside <If>/<ElseIf>/<Else> lands in the scope around it under
// the branch's condition; an <If> with only such directives costs no
// warning, one with others is "partly evaluated", and one inside <Proxy>
// keeps nothing.
func TestHeaderInIf(t *testing.T) {
	conf := `<If "%{HTTPS} == 'on'">
Header set X-A https
</If>
<Else>
Header set X-A http
SetEnv B c
</Else>
<Location /x>
<If "%{REQUEST_METHOD} == 'POST'">
RequestHeader set X-B post
</If>
</Location>
<Proxy "*">
<If "true">
Header set X-C never
</If>
</Proxy>
`
	cfg, errs := loadTestConf(t, conf, Options{NoHostChecks: true})
	if errs != nil {
		t.Fatal(errs)
	}
	ops := cfg.Main.Defaults.HeadersOnSuccess
	if len(ops) != 2 || ops[0].If == nil || ops[1].If == nil {
		t.Fatalf("main server's Header entries: %+v", ops)
	}
	if got := ops[0].If.Source(); got != "%{HTTPS} == 'on'" {
		t.Errorf("If condition %q", got)
	}
	if got := ops[1].If.Source(); got != "!(%{HTTPS} == 'on')" {
		t.Errorf("Else condition %q", got)
	}
	loc := cfg.Main.Sections[0].Conf
	if len(loc.RequestHeaders) != 1 || loc.RequestHeaders[0].If == nil {
		t.Errorf("<Location>'s RequestHeader entries: %+v", loc.RequestHeaders)
	}
	var ifWarnings []string
	for _, w := range cfg.Warnings {
		if w.Kind == config.WarnIgnored {
			ifWarnings = append(ifWarnings, w.Msg)
		}
	}
	want := []string{
		"<Else> is partly evaluated: its Header and RequestHeader directives apply when it matches; the other directives inside it never apply",
		"<Proxy> is ignored: appserver does not evaluate <Proxy> sections (this one grants access only, which proxied requests have anyway)",
	}
	if len(ifWarnings) != len(want) || ifWarnings[0] != want[0] || ifWarnings[1] != want[1] {
		t.Errorf("warnings %q, want %q", ifWarnings, want)
	}
}
