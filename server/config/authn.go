package config

import (
	"bufio"
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"hash"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/appserver/appserver/parser"
)

// AuthFile is an AuthUserFile (htpasswd) or AuthGroupFile. httpd opens the
// file on every request; appserver reads it at load and again when its
// mtime or size changed (one stat per request that authenticates), so an
// operator's htpasswd edit applies without a reload, as with Apache.
type AuthFile struct {
	Path  string
	Pos   parser.Position
	Group bool // an AuthGroupFile

	mu   sync.Mutex // one reread at a time
	snap atomic.Pointer[authSnap]
}

type authSnap struct {
	mtime time.Time
	size  int64
	err   error
	// users: user → the password field (the first line naming the user
	// wins, as mod_authn_file stops at it); groups: user → its groups.
	users  map[string]string
	groups map[string][]string
}

// NewAuthFile reads path now; the error is returned (for a load warning)
// and kept, so that requests get httpd's 500 until the file is readable.
func NewAuthFile(path string, pos parser.Position, group bool) (*AuthFile, error) {
	f := &AuthFile{Path: path, Pos: pos, Group: group}
	s := f.read()
	f.snap.Store(s)
	return f, s.err
}

func (f *AuthFile) read() *authSnap {
	s := &authSnap{}
	fi, err := os.Stat(f.Path)
	if err != nil {
		s.err = err
		return s
	}
	s.mtime, s.size = fi.ModTime(), fi.Size()
	data, err := os.ReadFile(f.Path)
	if err != nil {
		s.err = err
		return s
	}
	if f.Group {
		s.groups = parseGroupFile(data)
	} else {
		s.users = parseUserFile(data)
	}
	return s
}

// current returns the file's contents, reread if it changed.
func (f *AuthFile) current() *authSnap {
	s := f.snap.Load()
	fi, err := os.Stat(f.Path)
	if err == nil && s.err == nil && fi.ModTime().Equal(s.mtime) && fi.Size() == s.size {
		return s
	}
	if err != nil && s.err != nil {
		return s
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	s = f.read()
	f.snap.Store(s)
	return s
}

// Password returns the user's password field; found is false for an
// unknown user; err when the file cannot be read.
func (f *AuthFile) Password(user string) (pw string, found bool, err error) {
	s := f.current()
	if s.err != nil {
		return "", false, s.err
	}
	pw, found = s.users[user]
	return pw, found, nil
}

// Groups returns the groups the user is in.
func (f *AuthFile) Groups(user string) ([]string, error) {
	s := f.current()
	if s.err != nil {
		return nil, s.err
	}
	return s.groups[user], nil
}

// lines yields the lines of a config-style file as ap_cfg_getline gives
// them (leading and trailing white space removed), skipping empty and
// comment lines as mod_authn_file and mod_authz_groupfile do.
func lines(data []byte, fn func(string)) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 8192), 1<<20)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l == "" || l[0] == '#' {
			continue
		}
		fn(l)
	}
}

// parseUserFile: "user:password[:anything]" (ap_getword on ':' twice); a
// line without a colon names a user whose password is empty (never
// matches).
func parseUserFile(data []byte) map[string]string {
	users := map[string]string{}
	lines(data, func(l string) {
		user, rest, _ := strings.Cut(l, ":")
		rest = strings.TrimLeft(rest, ":")
		pw, _, _ := strings.Cut(rest, ":")
		if _, dup := users[user]; !dup {
			users[user] = pw
		}
	})
	return users
}

// parseGroupFile: "group: user user ..." (the members are read as config
// words, so quotes group).
func parseGroupFile(data []byte) map[string][]string {
	groups := map[string][]string{}
	lines(data, func(l string) {
		name, rest, _ := strings.Cut(l, ":")
		rest = strings.TrimLeft(rest, ":")
		seen := map[string]bool{}
		for w, _, r := parser.GetWord(rest); w != ""; w, _, r = parser.GetWord(r) {
			if !seen[w] {
				seen[w] = true
				groups[w] = append(groups[w], name)
			}
		}
	})
	return groups
}

// HashSupported reports whether CheckPassword can verify hashes of this
// form (for a load warning about the others).
func HashSupported(h string) bool {
	switch {
	case strings.HasPrefix(h, "$apr1$"), strings.HasPrefix(h, "$1$"), strings.HasPrefix(h, "{SHA}"),
		strings.HasPrefix(h, "$5$"), strings.HasPrefix(h, "$6$"):
		return true
	case len(h) > 4 && h[0] == '$' && h[1] == '2' && h[3] == '$':
		return true
	}
	return false
}

// CheckPassword is apr_password_validate on Linux: bcrypt, APR1-MD5 and
// {SHA} by APR itself, anything else by crypt(3), of which appserver
// implements MD5-crypt ($1$) and SHA-crypt ($5$, $6$). Plain text is not
// accepted (APR compares it only on Windows and NetWare), and traditional
// DES crypt and yescrypt never match here (fail closed; the load warns).
func CheckPassword(pw, h string) bool {
	switch {
	case h == "":
		return false
	case strings.HasPrefix(h, "$apr1$"):
		return constEq(md5Crypt(pw, h, "$apr1$"), h)
	case strings.HasPrefix(h, "$1$"):
		return constEq(md5Crypt(pw, h, "$1$"), h)
	case strings.HasPrefix(h, "{SHA}"):
		sum := sha1.Sum([]byte(pw))
		return constEq("{SHA}"+base64.StdEncoding.EncodeToString(sum[:]), h)
	case len(h) > 4 && h[0] == '$' && h[1] == '2' && h[3] == '$':
		return bcrypt.CompareHashAndPassword([]byte(h), []byte(pw)) == nil
	case strings.HasPrefix(h, "$5$"):
		return constEq(shaCrypt(pw, h, false), h)
	case strings.HasPrefix(h, "$6$"):
		return constEq(shaCrypt(pw, h, true), h)
	}
	return false
}

func constEq(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// No maintained Go library on the module proxy offers APR1-MD5 or
// SHA-crypt, so both are written here from their published algorithms
// (Poul-Henning Kamp's MD5-crypt, Ulrich Drepper's SHA-crypt spec), and
// tested against htpasswd's and crypt(3)'s output.

const crypt64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

func to64(b *strings.Builder, v uint32, n int) {
	for ; n > 0; n-- {
		b.WriteByte(crypt64[v&0x3f])
		v >>= 6
	}
}

// md5Crypt computes the MD5-crypt of pw with the salt of setting (after
// magic, up to 8 characters, ending at '$').
func md5Crypt(pw, setting, magic string) string {
	salt := strings.TrimPrefix(setting, magic)
	if i := strings.IndexByte(salt, '$'); i >= 0 {
		salt = salt[:i]
	}
	if len(salt) > 8 {
		salt = salt[:8]
	}
	alt := md5.Sum([]byte(pw + salt + pw))
	h := md5.New()
	h.Write([]byte(pw + magic + salt))
	for n := len(pw); n > 0; n -= 16 {
		h.Write(alt[:min(n, 16)])
	}
	for i := len(pw); i != 0; i >>= 1 {
		if i&1 != 0 {
			h.Write([]byte{0})
		} else {
			h.Write([]byte{pw[0]})
		}
	}
	final := h.Sum(nil)
	for i := 0; i < 1000; i++ {
		h.Reset()
		if i&1 != 0 {
			h.Write([]byte(pw))
		} else {
			h.Write(final)
		}
		if i%3 != 0 {
			h.Write([]byte(salt))
		}
		if i%7 != 0 {
			h.Write([]byte(pw))
		}
		if i&1 != 0 {
			h.Write(final)
		} else {
			h.Write([]byte(pw))
		}
		final = h.Sum(final[:0])
	}
	var b strings.Builder
	b.WriteString(magic + salt + "$")
	for _, t := range [][3]int{{0, 6, 12}, {1, 7, 13}, {2, 8, 14}, {3, 9, 15}, {4, 10, 5}} {
		to64(&b, uint32(final[t[0]])<<16|uint32(final[t[1]])<<8|uint32(final[t[2]]), 4)
	}
	to64(&b, uint32(final[11]), 2)
	return b.String()
}

// The byte order of SHA-crypt's output, three bytes per four characters.
var (
	sha256Order = [][3]int{{0, 10, 20}, {21, 1, 11}, {12, 22, 2}, {3, 13, 23}, {24, 4, 14}, {15, 25, 5},
		{6, 16, 26}, {27, 7, 17}, {18, 28, 8}, {9, 19, 29}}
	sha512Order = [][3]int{{0, 21, 42}, {22, 43, 1}, {44, 2, 23}, {3, 24, 45}, {25, 46, 4}, {47, 5, 26},
		{6, 27, 48}, {28, 49, 7}, {50, 8, 29}, {9, 30, 51}, {31, 52, 10}, {53, 11, 32}, {12, 33, 54},
		{34, 55, 13}, {56, 14, 35}, {15, 36, 57}, {37, 58, 16}, {59, 17, 38}, {18, 39, 60}, {40, 61, 19},
		{62, 20, 41}}
)

// shaCrypt computes SHA-crypt ($5$ or $6$) of pw with the setting of h.
func shaCrypt(pw, h string, is512 bool) string {
	magic, newH := "$5$", sha256.New
	if is512 {
		magic, newH = "$6$", sha512.New
	}
	rest := strings.TrimPrefix(h, magic)
	rounds, custom := 5000, false
	if r, ok := strings.CutPrefix(rest, "rounds="); ok {
		num, after, found := strings.Cut(r, "$")
		n, err := strconv.ParseUint(num, 10, 64)
		if !found || err != nil {
			return ""
		}
		rounds, custom, rest = int(min(max(n, 1000), 999999999)), true, after
	}
	salt := rest
	if i := strings.IndexByte(salt, '$'); i >= 0 {
		salt = salt[:i]
	}
	if len(salt) > 16 {
		salt = salt[:16]
	}
	P, S := []byte(pw), []byte(salt)
	sum := func(parts ...[]byte) []byte {
		d := newH()
		for _, p := range parts {
			d.Write(p)
		}
		return d.Sum(nil)
	}
	B := sum(P, S, P)
	a := newH()
	a.Write(P)
	a.Write(S)
	n := len(B)
	for i := len(P); i > 0; i -= n {
		a.Write(B[:min(i, n)])
	}
	for i := len(P); i > 0; i >>= 1 {
		if i&1 != 0 {
			a.Write(B)
		} else {
			a.Write(P)
		}
	}
	A := a.Sum(nil)
	repeat := func(d hash.Hash, src []byte, times int) []byte {
		for i := 0; i < times; i++ {
			d.Write(src)
		}
		return d.Sum(nil)
	}
	DP := repeat(newH(), P, len(P))
	DS := repeat(newH(), S, 16+int(A[0]))
	fill := func(dg []byte, l int) []byte {
		out := make([]byte, 0, l)
		for len(out) < l {
			out = append(out, dg[:min(len(dg), l-len(out))]...)
		}
		return out
	}
	Pp, Sp := fill(DP, len(P)), fill(DS, len(S))
	C := A
	d := newH()
	for i := 0; i < rounds; i++ {
		d.Reset()
		if i&1 != 0 {
			d.Write(Pp)
		} else {
			d.Write(C)
		}
		if i%3 != 0 {
			d.Write(Sp)
		}
		if i%7 != 0 {
			d.Write(Pp)
		}
		if i&1 != 0 {
			d.Write(C)
		} else {
			d.Write(Pp)
		}
		C = d.Sum(C[:0])
	}
	var b strings.Builder
	b.WriteString(magic)
	if custom {
		b.WriteString("rounds=" + strconv.Itoa(rounds) + "$")
	}
	b.WriteString(salt + "$")
	order := sha256Order
	if is512 {
		order = sha512Order
	}
	for _, t := range order {
		to64(&b, uint32(C[t[0]])<<16|uint32(C[t[1]])<<8|uint32(C[t[2]]), 4)
	}
	if is512 {
		to64(&b, uint32(C[63]), 2)
	} else {
		to64(&b, uint32(C[31])<<8|uint32(C[30]), 3)
	}
	return b.String()
}

// BasicCredentials reads an Authorization header as mod_auth_basic does:
// the scheme is the first space-separated word (any case), spaces and
// tabs after it are skipped, the rest is decoded as far as it is base64,
// and the user ends at the first colon (no colon: an empty password).
// ok is false for another scheme.
func BasicCredentials(header string) (user, pw string, ok bool) {
	scheme, rest, _ := strings.Cut(header, " ")
	if !strings.EqualFold(scheme, "Basic") {
		return "", "", false
	}
	rest = strings.TrimLeft(rest, " \t")
	n := 0
	for n < len(rest) && strings.IndexByte(b64Alphabet, rest[n]) >= 0 {
		n++
	}
	enc := rest[:n]
	if len(enc)%4 == 1 {
		enc = enc[:len(enc)-1]
	}
	dec, err := base64.RawStdEncoding.DecodeString(enc)
	if err != nil {
		return "", "", true
	}
	user, pw, _ = strings.Cut(string(dec), ":")
	return user, pw, true
}

const b64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

// Users lists the users of an AuthUserFile, sorted.
func (f *AuthFile) Users() []string {
	s := f.snap.Load()
	out := make([]string, 0, len(s.users))
	for u := range s.users {
		out = append(out, u)
	}
	slices.Sort(out)
	return out
}
