package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/appserver/appserver/parser"
)

// The hashes were made by htpasswd 2.4 (-B, -m, -s, -2, -5 -r) and by
// crypt(3) (md5-crypt); each is checked with its password and a wrong one.
func TestCheckPassword(t *testing.T) {
	for _, tc := range []struct{ pw, hash string }{
		{"secret", "$2y$05$rCg3InYvUskfXlgYwVQjf.CRtdMJs0005sIuqyrbwtp/MQ0wecXxS"},
		{"bc10", "$2y$10$br9u2Ri570Y62wqmM4FIL.n01mTphhgSo1086vUz8/jPLIzV8Esqu"},
		{"md5pw", "$apr1$UUDKTsV4$PfyLXQ6jkbpd5MrD1X54Q."},
		{"shapw", "{SHA}qs67vlse11GdWHE+bbh7CYDxCOs="},
		{"sha256pw", "$5$8EJJWGIRhIAFMOk2$OyY2eIit1/dknpJNIKOhJSlntzzDTEI05l3hxksTiR/"},
		{"sha512pw", "$6$49nldic4BCbdRJvw$qNU8qfOWQZmU8yzyCdgQOME8G3VbhUq04zQi9X7/2Stz8O8Web/YhwXv1fHLj8mbzUvR8tkJe9Zm4ueXdcvtK."},
		{"sha512pw", "$6$rounds=7000$abcdefghijklmnop$OYu6v0FhSYKkzbdEtYTGciFRFTIrow2svE4I2WFfugwpp267llch0CawJfe3GR3vGX7bnDrehmbLow5NpqTys/"},
		{"md5crypt", "$1$saltsalt$IOA7mg4P0q.yEJb/yIOxG0"},
	} {
		if !CheckPassword(tc.pw, tc.hash) {
			t.Errorf("CheckPassword(%q, %q) = false, want true", tc.pw, tc.hash)
		}
		if CheckPassword(tc.pw+"x", tc.hash) {
			t.Errorf("CheckPassword(%q, %q) = true for a wrong password", tc.pw+"x", tc.hash)
		}
	}
}

// Plain text, DES crypt and an empty field never match (APR on Linux
// hands them to crypt(3); appserver has no DES: fail closed).
func TestCheckPasswordRefuses(t *testing.T) {
	for _, tc := range []struct{ pw, hash string }{
		{"plainpw", "plainpw"}, {"despw", "6yywDj63I/CrE"}, {"", ""}, {"x", "$apr1$"}, {"x", "$5$rounds=x$salt$abc"},
	} {
		if CheckPassword(tc.pw, tc.hash) {
			t.Errorf("CheckPassword(%q, %q) = true, want false", tc.pw, tc.hash)
		}
	}
}

// As mod_auth_basic reads the header (measured with Apache 2.4: "Basic" with
// nothing after it and "Basic !!!" are the user "", "basic" is accepted).
func TestBasicCredentials(t *testing.T) {
	for _, tc := range []struct {
		header, user, pw string
		ok               bool
	}{
		{"Basic YWxpY2U6c2VjcmV0", "alice", "secret", true},
		{"basic YWxpY2U6c2VjcmV0", "alice", "secret", true},
		{"Basic  \tYWxpY2U6c2VjcmV0", "alice", "secret", true},
		{"Basic", "", "", true},
		{"Basic !!!", "", "", true},
		{"Basic bm9jb2xvbmhlcmU=", "nocolonhere", "", true},
		{"Basic YTpiOmM=", "a", "b:c", true},
		{"Basic YWxpY2U6c2VjcmV0!garbage", "alice", "secret", true},
		{"Digest foo", "", "", false},
		{"Basicx YQ==", "", "", false},
	} {
		u, p, ok := BasicCredentials(tc.header)
		if u != tc.user || p != tc.pw || ok != tc.ok {
			t.Errorf("BasicCredentials(%q) = %q, %q, %v; want %q, %q, %v", tc.header, u, p, ok, tc.user, tc.pw, tc.ok)
		}
	}
}

// An htpasswd edit applies without a reload (httpd reads the file per
// request); a file that disappears answers with an error, one that comes
// back is read again.
func TestAuthFileReread(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users")
	write := func(content string, mtime time.Time) {
		t.Helper()
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	t0 := time.Now().Add(-time.Hour)
	write("alice:{SHA}qs67vlse11GdWHE+bbh7CYDxCOs=\n#bob:x\nalice:second\n", t0)
	f, err := NewAuthFile(path, parser.Position{}, false)
	if err != nil {
		t.Fatal(err)
	}
	check := func(user, wantPW string, wantFound bool) {
		t.Helper()
		pw, found, err := f.Password(user)
		if err != nil || pw != wantPW || found != wantFound {
			t.Errorf("Password(%q) = %q, %v, %v; want %q, %v", user, pw, found, err, wantPW, wantFound)
		}
	}
	check("alice", "{SHA}qs67vlse11GdWHE+bbh7CYDxCOs=", true)
	check("#bob", "", false)
	write("bob:x:extra\n", t0.Add(time.Second))
	check("alice", "", false)
	check("bob", "x", true)
	os.Remove(path)
	if _, _, err := f.Password("bob"); err == nil {
		t.Error("no error for a missing file")
	}
	write("carol:y\n", t0)
	check("carol", "y", true)

	gpath := filepath.Join(t.TempDir(), "groups")
	if err := os.WriteFile(gpath, []byte("admins: alice bob\n# staff: bob\nstaff:  carol \"alice\"\nadmins:alice\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	g, err := NewAuthFile(gpath, parser.Position{}, true)
	if err != nil {
		t.Fatal(err)
	}
	for user, want := range map[string]string{"alice": "admins staff admins", "bob": "admins", "carol": "staff", "dave": ""} {
		got, _ := g.Groups(user)
		if strings.Join(got, " ") != want {
			t.Errorf("Groups(%q) = %q, want %q", user, got, want)
		}
	}
}
