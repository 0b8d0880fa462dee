package load

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// An envvars file is sourced as apache2ctl sources it: shell logic on
// APACHE_CONFDIR works, exported and plain assignments both count.
func TestReadEnvvars(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "apache2-test")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "envvars")
	script := `unset HOME
if [ "${APACHE_CONFDIR##*/apache2-}" != "${APACHE_CONFDIR}" ] ; then
	SUFFIX="-${APACHE_CONFDIR##*/apache2-}"
else
	SUFFIX=
fi
export APACHE_RUN_USER=www-data
export APACHE_LOG_DIR=/var/log/apache2$SUFFIX
echo "noise on stdout"
`
	if err := os.WriteFile(file, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	vars, err := ReadEnvvars(file)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"APACHE_RUN_USER": "www-data", "APACHE_LOG_DIR": "/var/log/apache2-test"}
	for k, v := range want {
		if vars[k] != v {
			t.Errorf("%s = %q, want %q (all: %v)", k, vars[k], v, vars)
		}
	}
	if _, ok := vars["SUFFIX"]; ok {
		t.Errorf("a variable the file did not export is passed on: %v", vars)
	}

	if err := os.WriteFile(file, []byte("exit 3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadEnvvars(file); err == nil {
		t.Error("a failing envvars file is accepted")
	}
}

// ${VAR}s come from the envvars file; an undefined one is one error at its
// place (not a follow-on "bad user" or "cannot access folder"), or a host
// warning under NoHostChecks.
func TestLoadEnvvarsAndUndefinedVars(t *testing.T) {
	dir := t.TempDir()
	envvars := filepath.Join(dir, "envvars")
	if err := os.WriteFile(envvars, []byte("export APACHE_RUN_USER=root\nexport APP_ROOT="+dir+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "wsgi.py"), []byte("application = None\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "site.conf")
	text := "User ${APACHE_RUN_USER}\nWSGIScriptAlias / ${APP_ROOT}/wsgi.py\n"
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := File(conf, Options{Envvars: envvars, LookupEnv: noEnv})
	if err != nil {
		t.Fatalf("with envvars: %v", err)
	}
	if cfg.User != "root" || cfg.Envvars != envvars {
		t.Errorf("User %q, Envvars %q", cfg.User, cfg.Envvars)
	}

	_, err = File(conf, Options{LookupEnv: noEnv})
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	for _, want := range []string{
		"site.conf:1:6: Config variable ${APACHE_RUN_USER} is not defined",
		"/etc/apache2/envvars",
		"site.conf:2:19: Config variable ${APP_ROOT} is not defined",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	if n := strings.Count(msg, "site.conf:"); n != 2 {
		t.Errorf("%d errors, want one per undefined variable:\n%s", n, msg)
	}

	cfg, err = File(conf, Options{LookupEnv: noEnv, NoHostChecks: true})
	if err != nil {
		t.Fatalf("NoHostChecks: %v", err)
	}
	hosts := 0
	for _, w := range cfg.Warnings {
		if w.Kind == "host" && strings.Contains(w.Msg, "is not defined") {
			hosts++
		}
	}
	if hosts != 2 {
		t.Errorf("%d host warnings about undefined variables, want 2: %v", hosts, cfg.Warnings)
	}
}

func noEnv(string) (string, bool) { return "", false }
