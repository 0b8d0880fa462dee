package cmd_test

// The corpus test: `appserver configtest` on the 71 real-world mod_wsgi
// configs of ../shared/corpus/modwsgi (third-party files, read in place,
// never copied). corpusTable records, per file, what appserver says and
// what real `apache2 -t` said, so the test needs no Apache; -corpus.apache
// re-runs Apache on every file and checks the table against it.
// docs/corpus.md shows the same table.

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/appserver/appserver/parser"
)

var corpusApache = flag.Bool("corpus.apache", false,
	"also run real apache2 -t on every corpus file and check the Apache column of the corpus table")

const (
	// corpusDir is the corpus in ../shared next to the repository.
	corpusDir       = "../../shared/corpus/modwsgi"
	corpusApacheBin = "/usr/sbin/apache2"
	corpusModDir    = "/usr/lib/apache2/modules"
)

// corpusCase is what configtest and apache2 -t make of one corpus file.
type corpusCase struct {
	// want is appserver's outcome under --no-host-checks: "ok", or text
	// its first error contains (for plain and snippet files, every error).
	want string
	// line is the line of appserver's first error (0 when ok).
	line int
	// apache is what apache2 -t said: "ok", or text of its error (it
	// reports only the first one).
	apache string
	// apacheLine is the line Apache names when it is not line: it names
	// the last line of a directive continued with '\', appserver the
	// line of the offending word.
	apacheLine int
	// host lists what Apache needed of the file's own machine and was
	// made up for it (see corpusApacheRun.outcome): "user NAME", "group
	// NAME", "dir PATH", "file PATH", "ServerRoot PATH" ($SR is Apache's
	// scratch ServerRoot). appserver must report each as a "host" warning.
	host []string
	// hostGap lists what Apache needed that appserver does not report.
	hostGap []string
	// warn is text of an appserver warning that goes with Apache's error.
	warn string
	// also lists the errors appserver reports after the one Apache stops
	// at (every bad option of a WSGIDaemonProcess line, for one).
	also []string
	// why explains, for a plain or snippet file, why appserver and Apache
	// disagree (docs/corpus.md lists these).
	why string
}

// corpusTable is keyed by file name. The Apache column comes from
// go test ./cmd -run TestCorpus -corpus.apache, with corpusModules loaded.
var corpusTable = map[string]corpusCase{
	"001-graphite-vhost.conf":                 {want: "ok", apache: "ok", host: []string{"dir /opt/graphite/storage/log/webapp"}},                                                                                                                                                                                                                                                                                     // plain
	"002-freeipa-ipa.conf":                    {want: "Invalid process count for WSGI daemon process.", line: 56, apache: "Cannot load modules/mod_lookup_identity.so into server"},                                                                                                                                                                                                                                   // templated-other
	"003-freeipa-kdcproxy.conf":               {want: "ok", apache: "ok", host: []string{"user kdcproxy", "group kdcproxy"}},                                                                                                                                                                                                                                                                                          // plain
	"004-cobbler.conf":                        {want: "ok", apache: "ok"},                                                                                                                                                                                                                                                                                                                                             // templated-other
	"005-cobbler-web.conf":                    {want: "ok", apache: "ok"},                                                                                                                                                                                                                                                                                                                                             // templated-other
	"006-devstack-keystone.conf":              {want: "Port must be specified", line: 1, apache: "Port must be specified"},                                                                                                                                                                                                                                                                                            // templated-other
	"007-devstack-horizon.conf":               {want: "Invalid home directory for WSGI daemon process.", line: 3, apache: "Invalid home directory for WSGI daemon process.", host: []string{"user %USER%", "group %GROUP%"}},                                                                                                                                                                                          // templated-other
	"008-keystone-wsgi.conf":                  {want: "ok", apache: "ok", host: []string{"user keystone", "group keystone"}},                                                                                                                                                                                                                                                                                          // plain
	"009-keystone-shib-alias.conf":            {want: "ok", apache: "ok"},                                                                                                                                                                                                                                                                                                                                             // snippet
	"010-horizon-vhost.conf":                  {want: "<VirtualHost> was not closed.", line: 3, apache: "<VirtualHost> was not closed."},                                                                                                                                                                                                                                                                              // templated-jinja
	"011-patchwork.conf":                      {want: "ok", apache: "ok"},                                                                                                                                                                                                                                                                                                                                             // snippet
	"012-weblate.conf":                        {want: "Invalid option to WSGI script alias definition.", line: 31, apache: "Invalid option to WSGI script alias definition."},                                                                                                                                                                                                                                         // plain
	"013-puppet-vhost-wsgi.conf":              {want: "<%> was not closed.", line: 50, apache: "<%> was not closed."},                                                                                                                                                                                                                                                                                                 // templated-erb
	"014-puppet-mod-wsgi.conf":                {want: "Expected </%-> but saw </IfModule>", line: 22, apache: "Expected </%-> but saw </IfModule>"},                                                                                                                                                                                                                                                                   // templated-other
	"015-kolla-keystone.conf":                 {want: "Invalid command '{%', perhaps misspelled or defined by a module not included in the server configuration", line: 1, apache: "Invalid command '{%', perhaps misspelled or defined by a module not included in the server configuration"},                                                                                                                        // templated-jinja
	"016-kolla-horizon.conf":                  {want: "Invalid command '{%', perhaps misspelled or defined by a module not included in the server configuration", line: 1, apache: "Invalid command '{%', perhaps misspelled or defined by a module not included in the server configuration"},                                                                                                                        // templated-jinja
	"017-koji-hub.conf":                       {want: "ok", apache: "ok"},                                                                                                                                                                                                                                                                                                                                             // plain
	"018-koji-web.conf":                       {want: "ok", apache: "ok"},                                                                                                                                                                                                                                                                                                                                             // plain
	"019-reviewboard.conf":                    {want: "ok", apache: "ok", host: []string{"dir $SR/@sitedir@/logs"}},                                                                                                                                                                                                                                                                                                   // templated-other
	"020-fedora-wsgi-global.conf":             {want: "ok", apache: "ok"},                                                                                                                                                                                                                                                                                                                                             // snippet
	"021-copr-frontend.conf":                  {want: "Invalid command '{%-', perhaps misspelled or defined by a module not included in the server configuration", line: 6, apache: "Invalid command '{%-', perhaps misspelled or defined by a module not included in the server configuration"},                                                                                                                      // templated-jinja
	"022-copr-keygen.conf":                    {want: "ok", apache: "ok", host: []string{"user copr-signer", "group copr-signer", "dir $SR/logs"}},                                                                                                                                                                                                                                                                    // plain
	"023-pagure-infra.conf":                   {want: "Invalid command '{%', perhaps misspelled or defined by a module not included in the server configuration", line: 6, apache: "Invalid command '{%', perhaps misspelled or defined by a module not included in the server configuration"},                                                                                                                        // templated-jinja
	"024-bodhi-httpd.conf":                    {want: "Alias takes 1-2 arguments, a fakename and a realname, or a realname in a Location", line: 59, apache: "module log_config_module is built-in and can't be loaded", host: []string{"ServerRoot /httpdir"}},                                                                                                                                                       // templated-jinja
	"025-ipsilon.conf":                        {want: "Invalid command '{%', perhaps misspelled or defined by a module not included in the server configuration", line: 12, apache: "Cannot load modules/mod_intercept_form_submit.so into server"},                                                                                                                                                                   // templated-jinja
	"026-geoip-city.conf":                     {want: "ok", apache: "ok", host: []string{"user apache"}},                                                                                                                                                                                                                                                                                                              // plain
	"027-mailman3-webui.conf":                 {want: "Alias takes 1-2 arguments, a fakename and a realname, or a realname in a Location", line: 1, apache: "Alias takes 1-2 arguments, a fakename and a realname, or a realname in a Location"},                                                                                                                                                                      // templated-jinja
	"028-askbot.conf":                         {want: "ok", apache: "ok", host: []string{"user apache", "group apache"}},                                                                                                                                                                                                                                                                                              // plain
	"029-beaker-server.conf":                  {want: "ServerName takes one argument, The hostname and port of the server", line: 74, apache: "ServerName takes one argument, The hostname and port of the server", host: []string{"user apache", "group apache"}},                                                                                                                                                    // templated-jinja
	"030-libravatar.conf":                     {want: "ServerName takes one argument, The hostname and port of the server", line: 24, apache: "ServerName takes one argument, The hostname and port of the server", host: []string{"file /etc/httpd/conf.d/libravatar-app.include", "user apache", "group apache"}},                                                                                                   // templated-jinja
	"031-libravatar-app-include.conf":         {want: "ok", apache: "ok"},                                                                                                                                                                                                                                                                                                                                             // snippet
	"032-mirrorlist-server.conf":              {want: "Invalid command '{%', perhaps misspelled or defined by a module not included in the server configuration", line: 4, apache: "Invalid command '{%', perhaps misspelled or defined by a module not included in the server configuration"},                                                                                                                        // templated-jinja
	"033-pdc.conf":                            {want: "Invalid process count for WSGI daemon process.", line: 4, apache: "Invalid process count for WSGI daemon process.", host: []string{"user apache", "group apache"}},                                                                                                                                                                                             // templated-jinja
	"034-fasjson.conf":                        {want: "ok", apache: "module log_config_module is built-in and can't be loaded", host: []string{"ServerRoot /httpdir"}, why: "Debian builds mod_log_config into apache2, so LoadModule log_config_module fails here (line 9) and Apache checks nothing after it; where the file comes from it is a loadable module"},                                                   // plain
	"035-fedora-packages.conf":                {want: "ok", apache: "ok", host: []string{"user apache", "dir $SR/logs"}},                                                                                                                                                                                                                                                                                              // plain
	"036-mirrormanager-commented.conf":        {want: "ok", apache: "Redirect takes one, two or three arguments, an optional status, then document to be redirected and destination URL"},                                                                                                                                                                                                                             // templated-jinja
	"037-fas.conf":                            {want: "ok", apache: "ok", host: []string{"user fas"}},                                                                                                                                                                                                                                                                                                                 // plain
	"038-drmaatic-define.conf":                {want: "ok", apache: "ok", host: []string{"user myuser", "dir /logs"}},                                                                                                                                                                                                                                                                                                 // plain
	"039-lexbox-hgweb.conf":                   {want: "ok", apache: "ok"},                                                                                                                                                                                                                                                                                                                                             // plain
	"040-answerly.conf":                       {want: "ok", apache: "ok", host: []string{"dir $SR/${APACHE_LOG_DIR}"}},                                                                                                                                                                                                                                                                                                // plain
	"041-vigiboard.conf":                      {want: "ok", apache: "ok", host: []string{"user @HTTPD_USER@", "group @HTTPD_USER@"}},                                                                                                                                                                                                                                                                                  // templated-other
	"042-inventory.conf":                      {want: "ok", apache: "ok", host: []string{"user inventory", "group inventory", "file /etc/ssl/certs/inventory.cer", "file /etc/ssl/private/inventory.key", "dir $SR/${APACHE_LOG_DIR}"}},                                                                                                                                                                               // plain
	"043-hg-mozilla-org.conf":                 {want: "Invalid process count for WSGI daemon process.", line: 43, apache: "Invalid process count for WSGI daemon process."},                                                                                                                                                                                                                                           // templated-jinja
	"044-hg-reviewboard.conf":                 {want: "ServerName takes one argument, The hostname and port of the server", line: 10, apache: "ServerName takes one argument, The hostname and port of the server"},                                                                                                                                                                                                   // templated-jinja
	"045-autoland.conf":                       {want: "ok", apache: "ok", host: []string{"user autoland", "group autoland", "dir $SR/logs"}},                                                                                                                                                                                                                                                                          // plain
	"046-reviewboard-mozilla-snippet.conf":    {want: "ok", apache: "ok", host: []string{"user reviewboard", "group reviewboard"}},                                                                                                                                                                                                                                                                                    // snippet
	"047-embci-macro.conf":                    {want: "ok", apache: "ok", host: []string{"dir /var/www/EmBCI/embci/webui/log"}},                                                                                                                                                                                                                                                                                       // plain
	"048-washmix-webfaction.conf":             {want: "ok", apache: "module log_config_module is built-in and can't be loaded", host: []string{"ServerRoot /home/.../webapps/wm_django_production/apache2"}, why: "Debian builds mod_log_config into apache2, so LoadModule log_config_module fails here (line 10) and Apache checks nothing after it; where the file comes from it is a loadable module"},            // plain
	"049-omero-web.conf":                      {want: "ok", apache: "ok", host: []string{"user %(OMEROUSER)s"}},                                                                                                                                                                                                                                                                                                       // templated-other
	"050-pulp2-api.conf":                      {want: "ok", apache: "ok", host: []string{"user apache", "group apache"}, hostGap: []string{"file /etc/pki/pulp/ca.crt"}, why: "appserver ignores SSLCACertificateFile, so it does not check that its file exists; Apache refuses to start without it"},                                                                                                                // plain
	"051-pulp2-content.conf":                  {want: "ok", apache: "Invalid command 'XSendFile', perhaps misspelled or defined by a module not included in the server configuration", host: []string{"user apache", "group apache"}, warn: "XSendFile is ignored", why: "the third-party mod_xsendfile is not installed here, so Apache stops at XSendFile (line 20); appserver ignores it with a warning"},          // plain
	"052-helm-keystone.conf":                  {want: "Invalid command '{{/*', perhaps misspelled or defined by a module not included in the server configuration", line: 1, apache: "Invalid command '{{/*', perhaps misspelled or defined by a module not included in the server configuration"},                                                                                                                    // templated-other
	"053-puppetboard-conf.conf":               {want: "Expected </%> but saw </LocationMatch>", line: 40, apache: "Expected </%> but saw </LocationMatch>"},                                                                                                                                                                                                                                                           // templated-erb
	"054-trac-ldap-form.conf":                 {want: "ok", apache: "ok"},                                                                                                                                                                                                                                                                                                                                             // plain
	"055-submin-trac.conf":                    {want: "Invalid command '[include', perhaps misspelled or defined by a module not included in the server configuration", line: 1, apache: "Invalid command '[include', perhaps misspelled or defined by a module not included in the server configuration"},                                                                                                            // templated-other
	"056-modwsgi-test-authnz.conf":            {want: "ok", apache: "ok"},                                                                                                                                                                                                                                                                                                                                             // snippet
	"057-modwsgi-test-interrupt-timeout.conf": {want: "Invalid option to WSGI daemon process definition.", line: 21, apache: "Invalid option to WSGI daemon process definition.", apacheLine: 23},                                                                                                                                                                                                                     // snippet
	"058-modwsgi-test-proxy-headers.conf":     {want: "ok", apache: "ok"},                                                                                                                                                                                                                                                                                                                                             // snippet
	"059-modwsgi-test-reload.conf":            {want: "WSGI process group not yet configured.", line: 23, apache: "WSGI process group not yet configured."},                                                                                                                                                                                                                                                           // snippet
	"060-modwsgi-test-slash-collapse.conf":    {want: "WSGI process group not yet configured.", line: 11, apache: "WSGI process group not yet configured."},                                                                                                                                                                                                                                                           // snippet
	"061-modwsgi-test-method.conf":            {want: "ok", apache: "ok"},                                                                                                                                                                                                                                                                                                                                             // snippet
	"062-cfgov-wsgi.conf":                     {want: "Invalid home directory for WSGI daemon process.", line: 6, apache: "Invalid home directory for WSGI daemon process.", also: []string{"Invalid process count for WSGI daemon process."}},                                                                                                                                                                        // plain
	"063-microsip-windows.conf":               {want: "ok", apache: "ok"},                                                                                                                                                                                                                                                                                                                                             // plain
	"064-crdppf-windows-backslash.conf":       {want: "ok", apache: "ok"},                                                                                                                                                                                                                                                                                                                                             // snippet
	"065-datalad-ria.conf":                    {want: "ok", apache: "ok"},                                                                                                                                                                                                                                                                                                                                             // snippet
	"066-ispdb.conf":                          {want: "ok", apache: "ok", host: []string{"user ispdb", "group ispdb"}},                                                                                                                                                                                                                                                                                                // plain
	"067-geonode.conf":                        {want: "ok", apache: "ok"},                                                                                                                                                                                                                                                                                                                                             // plain
	"068-bitnami-djangostack-ifdefine.conf":   {want: "ok", apache: "ok"},                                                                                                                                                                                                                                                                                                                                             // plain
	"069-bitnami-windows-app.conf":            {want: "ok", apache: "ok"},                                                                                                                                                                                                                                                                                                                                             // plain
	"070-bitnami-windows-vhosts.conf":         {want: "ok", apache: "ok", host: []string{"file $SR/C:/Users/administrator.SCIUGKLA/Bitnami Django Stack projects/hr_system/conf/httpd-app.conf", "file $SR/C:/Users/administrator.SCIUGKLA/Bitnami Django Stack projects/hr_system/conf/certs/server.crt", "file $SR/C:/Users/administrator.SCIUGKLA/Bitnami Django Stack projects/hr_system/conf/certs/server.key"}}, // plain
	"071-chef-horizon-dash-site.conf":         {want: "Expected </%> but saw </VirtualHost>", line: 19, apache: "Expected </%> but saw </VirtualHost>"},                                                                                                                                                                                                                                                               // templated-erb
}

// corpusModules are loaded by the wrapper config before the corpus file:
// the httpd modules whose directives the corpus uses.
var corpusModules = []string{
	"wsgi", "ssl", "socache_shmcb", "rewrite", "headers", "alias", "env", "setenvif", "mime", "dir",
	"authz_core", "authz_host", "authz_user", "authz_groupfile", "access_compat",
	"authn_core", "authn_file", "auth_basic", "auth_digest",
	"proxy", "proxy_http", "expires", "deflate", "filter", "status", "macro",
	"autoindex", "request", "session", "session_cookie", "session_crypto", "auth_form",
	"include", "ldap", "authnz_ldap", "substitute",
}

// corpusKinds reads SOURCES.tsv: file name -> kind.
func corpusKinds(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join(corpusDir, "SOURCES.tsv"))
	if err != nil {
		t.Fatalf("corpus without SOURCES.tsv: %v", err)
	}
	defer f.Close()
	kinds := map[string]string{}
	sc := bufio.NewScanner(f)
	for first := true; sc.Scan(); first = false {
		cols := strings.Split(sc.Text(), "\t")
		if first || len(cols) < 5 {
			continue
		}
		kinds[cols[0]] = cols[4]
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return kinds
}

// corpusEnv is the environment both programs run with, so that ${VAR}
// and PassEnv do not depend on who runs the test.
func corpusEnv() []string { return []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C"} }

// corpusProblem is an error or warning of configtest --json.
type corpusProblem struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Kind    string `json:"kind"`
	Message string `json:"message"`
}

type corpusResult struct {
	exit     int
	OK       bool            `json:"ok"`
	Errors   []corpusProblem `json:"errors"`
	Warnings []corpusProblem `json:"warnings"`
}

// corpusConfigtest runs configtest --no-host-checks --json on path.
func corpusConfigtest(t *testing.T, bin, path string) corpusResult {
	t.Helper()
	cmd := exec.Command(bin, "configtest", "-f", path, "--no-host-checks", "--json")
	cmd.Env = corpusEnv()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var res corpusResult
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("run configtest: %v", err)
		}
		res.exit = ee.ExitCode()
	}
	if res.exit != 0 && res.exit != 1 {
		t.Fatalf("exit %d (want 0 or 1); stderr:\n%s", res.exit, stderr.String())
	}
	if strings.Contains(stderr.String(), "panic") || strings.Contains(stderr.String(), "goroutine ") {
		t.Fatalf("crash on stderr:\n%s", stderr.String())
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("configtest --json printed no JSON object (%v):\n%s\nstderr:\n%s", err, out, stderr.String())
	}
	return res
}

// corpusDenies counts, per file, the "denies" warnings of configtest: the
// access directives appserver cannot evaluate, whose sections answer 403
// (fail closed; docs/corpus.md lists them). Files not listed have none.
var corpusDenies = map[string]int{
	"002-freeipa-ipa.conf":         2, // SSLVerifyClient require; AuthType GSSAPI
	"015-kolla-keystone.conf":      2, // AuthType openid-connect
	"021-copr-frontend.conf":       1, // AuthType GSSAPI
	"025-ipsilon.conf":             1, // AuthType GSSAPI
	"034-fasjson.conf":             1, // AuthType GSSAPI
	"054-trac-ldap-form.conf":      2, // AuthType form
	"056-modwsgi-test-authnz.conf": 1, // AuthType Digest
}

func TestCorpus(t *testing.T) {
	if _, err := os.Stat(corpusDir); err != nil {
		t.Fatalf("the corpus must sit in ../shared next to the repository: %v", err)
	}
	kinds := corpusKinds(t)
	files, _ := filepath.Glob(filepath.Join(corpusDir, "*.conf"))
	if len(files) == 0 {
		t.Fatal("the corpus folder holds no .conf files")
	}
	bin, err := oracleBuild(t)
	if err != nil {
		t.Fatal(err)
	}
	var apache *corpusApacheRun
	if *corpusApache {
		apache = corpusNewApache(t)
	}
	seen := map[string]bool{}
	for _, path := range files {
		name := filepath.Base(path)
		seen[name] = true
		t.Run(strings.TrimSuffix(name, ".conf"), func(t *testing.T) {
			kind := kinds[name]
			if kind == "" {
				t.Fatalf("%s is not listed in SOURCES.tsv", name)
			}
			res := corpusConfigtest(t, bin, path)
			corpusCheckShape(t, res)
			c, ok := corpusTable[name]
			if !ok {
				t.Errorf("no corpusTable entry; appserver says %s", corpusSummary(res))
				if apache != nil {
					got, line, madeUp := apache.outcome(t, path)
					t.Logf("apache2 -t: %s (line %d; made up: %q)", got, line, madeUp)
				}
				return
			}
			corpusCheckTable(t, kind, c, res)
			denies := 0
			for _, w := range res.Warnings {
				if w.Kind == "denies" {
					denies++
				}
			}
			if denies != corpusDenies[name] {
				t.Errorf("%d denies warnings, want %d (corpusDenies)", denies, corpusDenies[name])
			}
			if apache != nil {
				apache.check(t, kind, path, c, res)
			}
		})
	}
	for name := range corpusTable {
		if !seen[name] {
			t.Errorf("corpusTable lists %s, which is not in the corpus", name)
		}
	}
}

// corpusCheckShape checks what holds for every file, templated or not.
func corpusCheckShape(t *testing.T, res corpusResult) {
	t.Helper()
	if (res.exit == 0) != res.OK || (res.exit == 0) != (len(res.Errors) == 0) {
		t.Errorf("exit %d, ok=%v with %d errors: they disagree", res.exit, res.OK, len(res.Errors))
	}
	for _, p := range append(append([]corpusProblem(nil), res.Errors...), res.Warnings...) {
		if p.File == "" || p.Line <= 0 || p.Column <= 0 || strings.TrimSpace(p.Message) == "" {
			t.Errorf("unpositioned or empty problem: %+v", p)
		}
	}
	for _, w := range res.Warnings {
		switch w.Kind {
		case "ignored", "tuning", "lint", "host", "compat", "denies":
		default:
			t.Errorf("warning of unknown kind %q: %s", w.Kind, w.Message)
		}
	}
}

// corpusCheckTable compares a configtest result with the table entry.
func corpusCheckTable(t *testing.T, kind string, c corpusCase, res corpusResult) {
	t.Helper()
	plain := kind == "plain" || kind == "snippet"
	if plain && c.why == "" && (c.want != c.apache || len(c.hostGap) > 0) {
		t.Errorf("table: appserver %q and Apache %q (host gaps %q) disagree on a %s file with no why", c.want, c.apache, c.hostGap, kind)
	}
	if c.want == "ok" {
		if len(res.Errors) > 0 {
			t.Errorf("want Syntax OK, appserver says %s", corpusSummary(res))
		}
	} else {
		if len(res.Errors) == 0 {
			t.Errorf("want an error containing %q at line %d, appserver says Syntax OK", c.want, c.line)
		} else {
			check := res.Errors
			if !plain {
				check = check[:1]
			}
			for _, e := range check {
				if !strings.Contains(e.Message, c.want) && !slices.ContainsFunc(c.also, func(a string) bool { return strings.Contains(e.Message, a) }) {
					t.Errorf("error %s:%d:%d %q does not contain %q", filepath.Base(e.File), e.Line, e.Column, e.Message, c.want)
				}
			}
			if res.Errors[0].Line != c.line {
				t.Errorf("first error at line %d, want %d: %s", res.Errors[0].Line, c.line, res.Errors[0].Message)
			}
		}
	}
	for _, h := range c.host {
		what, v, _ := strings.Cut(h, " ")
		v = strings.TrimPrefix(v, "$SR/")
		switch what {
		case "user":
			v = "bad user name " + v
		case "group":
			v = "bad group name " + v
		}
		if !corpusHasWarning(res, "host", v) {
			t.Errorf("Apache needed %q of the host; appserver gives no host warning containing %q", h, v)
		}
	}
	if c.warn != "" && !corpusHasWarning(res, "", c.warn) {
		t.Errorf("want a warning containing %q", c.warn)
	}
}

// corpusHasWarning reports whether res has a warning of kind (any when
// "") containing text.
func corpusHasWarning(res corpusResult, kind, text string) bool {
	for _, w := range res.Warnings {
		if (kind == "" || w.Kind == kind) && strings.Contains(w.Message, text) {
			return true
		}
	}
	return false
}

func corpusSummary(res corpusResult) string {
	if len(res.Errors) == 0 {
		return "Syntax OK"
	}
	var b strings.Builder
	for i, e := range res.Errors {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%d:%d %s", e.Line, e.Column, e.Message)
	}
	return fmt.Sprintf("%d error(s): %s", len(res.Errors), b.String())
}

// corpusApacheRun holds the scratch ServerRoot real Apache checks files in.
type corpusApacheRun struct {
	dir, conf string
	// overlay is set when Apache can run as root in a mount namespace of
	// its own, chrooted into an overlay of / (see outcome).
	overlay bool
}

// corpusNewApache writes the wrapper config: scratch ServerRoot (with a
// modules link, for corpus files that load modules by relative path), the
// corpusModules, the corpus file, then an MPM unless the file loaded one.
func corpusNewApache(t *testing.T) *corpusApacheRun {
	t.Helper()
	if _, err := os.Stat(corpusApacheBin); err != nil {
		t.Skipf("-corpus.apache needs %s: %v", corpusApacheBin, err)
	}
	dir := t.TempDir()
	if err := os.Symlink(corpusModDir, filepath.Join(dir, "modules")); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "ServerRoot %q\nPidFile %q\nErrorLog %q\nDefaultRuntimeDir %q\n",
		dir, filepath.Join(dir, "httpd.pid"), filepath.Join(dir, "error.log"), dir)
	for _, m := range corpusModules {
		fmt.Fprintf(&b, "LoadModule %s_module %s/mod_%s.so\n", m, corpusModDir, m)
	}
	b.WriteString("Include \"${CORPUS_FILE}\"\n")
	for _, m := range []string{"prefork", "worker", "event"} {
		fmt.Fprintf(&b, "<IfModule !mpm_%s_module>\n", m)
	}
	fmt.Fprintf(&b, "LoadModule mpm_event_module %s/mod_mpm_event.so\n", corpusModDir)
	b.WriteString(strings.Repeat("</IfModule>\n", 3))
	conf := filepath.Join(dir, "httpd.conf")
	if err := os.WriteFile(conf, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	_, errUnshare := exec.LookPath("unshare")
	return &corpusApacheRun{dir: dir, conf: conf, overlay: os.Geteuid() == 0 && errUnshare == nil}
}

// corpusSyntaxError finds the innermost "Syntax error on line N of FILE:"
// of an apache2 -t failure (both the one-line pass-1 and the two-line
// AH00526 shape).
var corpusSyntaxError = regexp.MustCompile(`Syntax error on line (\d+) of ([^:\n]+):[ \n]`)

// corpusHost is what the corpus files need of the machine they were
// written for: users, groups, folders and files.
type corpusHost struct {
	users, groups, dirs, files []string
	// roots are ServerRoot folders, made with a modules link so that
	// "LoadModule x modules/mod_x.so" finds Debian's modules.
	roots []string
}

// corpusNeeds recognises Apache's messages about things this machine lacks
// and adds the missing thing to h; false when msg is not one of them.
func corpusNeeds(h *corpusHost, msg, file string, line int) bool {
	for _, n := range []struct {
		re   *regexp.Regexp
		list *[]string
	}{
		{regexp.MustCompile(`bad user name (\S+)`), &h.users},
		{regexp.MustCompile(`bad group name (\S+)`), &h.groups},
		{regexp.MustCompile(`Cannot access directory '([^']+)/'`), &h.dirs},
		{regexp.MustCompile(`file '([^']+)' does not exist or is empty`), &h.files},
		{regexp.MustCompile(`Could not open configuration file (.+): No such file or directory`), &h.files},
	} {
		if m := n.re.FindStringSubmatch(msg); m != nil {
			*n.list = append(*n.list, m[1])
			return true
		}
	}
	// "ServerRoot must be a valid directory" does not name the folder:
	// take it from the line Apache points at.
	if strings.Contains(msg, "ServerRoot must be a valid directory") && line > 0 {
		data, err := os.ReadFile(file)
		if err != nil {
			return false
		}
		lines := strings.Split(string(data), "\n")
		if line > len(lines) {
			return false
		}
		_, _, rest := parser.GetWord(lines[line-1])
		if root, _, _ := parser.GetWord(rest); root != "" {
			h.roots = append(h.roots, root)
			return true
		}
	}
	return false
}

// outcome runs apache2 -t on path: "ok", or the error text with the line
// it names in path (0 when none), and what of the target machine it had
// to make up. Something the file's own host has and this one lacks (a
// user, a log folder, a certificate) stops Apache there and hides the rest
// of the file; so, as root, Apache runs chrooted into a private overlay of
// / (in a mount namespace of its own; the real / is never written), and
// each missing thing Apache names is created in the overlay before it runs
// again.
func (a *corpusApacheRun) outcome(t *testing.T, path string) (msg string, line int, madeUp []string) {
	t.Helper()
	var h corpusHost
	for try := 0; ; try++ {
		msg, line = a.run(t, path, h)
		if !a.overlay || try == 20 {
			return msg, line, madeUp
		}
		before := h
		if !corpusNeeds(&h, msg, path, line) {
			return msg, line, madeUp
		}
		for _, l := range []struct {
			what   string
			before []string
			after  []string
		}{{"user", before.users, h.users}, {"group", before.groups, h.groups}, {"dir", before.dirs, h.dirs}, {"file", before.files, h.files}, {"ServerRoot", before.roots, h.roots}} {
			for _, v := range l.after[len(l.before):] {
				madeUp = append(madeUp, l.what+" "+v)
			}
		}
	}
}

// corpusChrootScript mounts the overlay, makes up the host's missing
// things in it, and runs Apache chrooted there. $1 is the scratch folder;
// the lists come in the environment, one item a line.
const corpusChrootScript = `set -e
d=$1; shift
mkdir -p "$d/upper" "$d/work" "$d/root"
mount -t overlay overlay -o "lowerdir=/,upperdir=$d/upper,workdir=$d/work" "$d/root"
mount --bind /dev "$d/root/dev"
mount --bind /proc "$d/root/proc"
exec chroot "$d/root" /bin/sh -c '
set -e
i=0
printf "%s\n" "$CORPUS_USERS" | while IFS= read -r u; do [ -n "$u" ] || continue; i=$((i+1)); echo "$u:x:$((61000+i)):$((61000+i))::/nonexistent:/usr/sbin/nologin" >>/etc/passwd; done
printf "%s\n" "$CORPUS_GROUPS" | while IFS= read -r g; do [ -n "$g" ] || continue; i=$((i+1)); echo "$g:x:$((62000+i)):" >>/etc/group; done
printf "%s\n" "$CORPUS_DIRS" | while IFS= read -r p; do [ -n "$p" ] || continue; mkdir -p "$p"; done
printf "%s\n" "$CORPUS_ROOTS" | while IFS= read -r p; do [ -n "$p" ] || continue; mkdir -p "$p"; ln -sfn "$CORPUS_MODDIR" "$p/modules"; done
printf "%s\n" "$CORPUS_FILES" | while IFS= read -r p; do [ -n "$p" ] || continue; mkdir -p "$(dirname "$p")"; [ -s "$p" ] || echo "# made up by the corpus test" >"$p"; done
exec "$@"' sh "$@"
`

// run is one apache2 -t, in the overlay with h made up when possible.
func (a *corpusApacheRun) run(t *testing.T, path string, h corpusHost) (string, int) {
	t.Helper()
	args := []string{corpusApacheBin, "-d", a.dir, "-f", a.conf, "-t"}
	var cmd *exec.Cmd
	if a.overlay {
		scratch, err := os.MkdirTemp(a.dir, "overlay")
		if err != nil {
			t.Fatal(err)
		}
		cmd = exec.Command("unshare", append([]string{"--mount", "--propagation", "private",
			"sh", "-c", corpusChrootScript, "sh", scratch}, args...)...)
	} else {
		cmd = exec.Command(args[0], args[1:]...)
	}
	cmd.Env = append(corpusEnv(), "CORPUS_FILE="+path,
		"CORPUS_USERS="+strings.Join(h.users, "\n"), "CORPUS_GROUPS="+strings.Join(h.groups, "\n"),
		"CORPUS_DIRS="+strings.Join(h.dirs, "\n"), "CORPUS_FILES="+strings.Join(h.files, "\n"),
		"CORPUS_ROOTS="+strings.Join(h.roots, "\n"), "CORPUS_MODDIR="+corpusModDir)
	out, err := cmd.CombinedOutput()
	if err == nil {
		return "ok", 0
	}
	if _, ok := err.(*exec.ExitError); !ok {
		t.Fatalf("run apache2: %v", err)
	}
	text := string(out)
	if locs := corpusSyntaxError.FindAllStringSubmatchIndex(text, -1); len(locs) > 0 {
		last := locs[len(locs)-1]
		line := 0
		if text[last[4]:last[5]] == path {
			line, _ = strconv.Atoi(text[last[2]:last[3]])
		}
		msg, _, _ := strings.Cut(text[last[1]:], "\n")
		return strings.TrimSpace(msg), line
	}
	// Startup failures (bad user, log folder): the lines that are not
	// timestamped warnings, other warnings or the closing AH00014.
	var keep []string
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		switch {
		case l == "", strings.HasPrefix(l, "["), strings.Contains(l, "AH00014"),
			strings.Contains(l, "AH00558"), strings.Contains(l, "AH00112"):
			continue
		}
		keep = append(keep, l)
	}
	return strings.Join(keep, " | "), 0
}

// check compares live Apache with the table: its outcome, what it had to
// make up, and (plain and snippet files) the line it names.
func (a *corpusApacheRun) check(t *testing.T, kind, path string, c corpusCase, res corpusResult) {
	t.Helper()
	got, line, madeUp := a.outcome(t, path)
	for i, m := range madeUp {
		madeUp[i] = strings.ReplaceAll(m, a.dir, "$SR")
	}
	t.Logf("apache2 -t: %s (line %d; made up: %q); appserver: %s", got, line, madeUp, corpusSummary(res))
	switch {
	case c.apache == "ok" && got != "ok":
		t.Errorf("table says Apache accepts it; apache2 -t says: %s", got)
	case c.apache != "ok" && !strings.Contains(got, c.apache):
		t.Errorf("table says Apache reports %q; apache2 -t says: %s", c.apache, got)
	}
	if a.overlay {
		want := append(append([]string(nil), c.host...), c.hostGap...)
		sort.Strings(want)
		sort.Strings(madeUp)
		if strings.Join(want, "\n") != strings.Join(madeUp, "\n") {
			t.Errorf("Apache needed %q of the host, table says %q", madeUp, want)
		}
	}
	if kind != "plain" && kind != "snippet" || c.want != c.apache || c.want == "ok" || line == 0 {
		return
	}
	wantLine := c.line
	if c.apacheLine != 0 {
		wantLine = c.apacheLine
	}
	if line != wantLine {
		t.Errorf("Apache names line %d, table says %d", line, wantLine)
	}
}

// TestCorpusTableConsistent checks that every table entry is complete.
func TestCorpusTableConsistent(t *testing.T) {
	names := make([]string, 0, len(corpusTable))
	for n := range corpusTable {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		c := corpusTable[n]
		if c.want == "" || c.apache == "" {
			t.Errorf("%s: want and apache must be set", n)
		}
		if (c.want == "ok") != (c.line == 0) {
			t.Errorf("%s: line %d does not fit want %q", n, c.line, c.want)
		}
	}
}
