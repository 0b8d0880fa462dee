package config

import (
	"crypto/tls"
	"sort"
	"strings"
)

// OpenSSL cipher strings (SSLCipherSuite) mapped onto the TLS 1.2 suites
// Go's crypto/tls offers. Written by hand: no Go library maps OpenSSL's
// cipher-list language, and only Go's own suites matter here. The
// attributes are OpenSSL's (openssl ciphers -v); DHE, CAMELLIA, ARIA, PSK,
// anonymous and NULL suites have no Go counterpart and match nothing.

// Cipher is one TLS 1.2 suite with OpenSSL's name and attributes.
type Cipher struct {
	Name string // OpenSSL's name
	ID   uint16
	Kx   string // RSA, ECDHE
	Au   string // RSA, ECDSA
	Enc  string // AES128GCM, AES256GCM, CHACHA20, AES128, AES256, 3DES, RC4
	Mac  string // AEAD, SHA1, SHA256, SHA384
	Bits int    // strength (OpenSSL's alg_bits for @STRENGTH and the environ)
}

// Ciphers are Go's TLS 1.2 suites in OpenSSL's default order.
var Ciphers = []Cipher{
	{"ECDHE-ECDSA-AES256-GCM-SHA384", tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, "ECDHE", "ECDSA", "AES256GCM", "AEAD", 256},
	{"ECDHE-RSA-AES256-GCM-SHA384", tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, "ECDHE", "RSA", "AES256GCM", "AEAD", 256},
	{"ECDHE-ECDSA-CHACHA20-POLY1305", tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, "ECDHE", "ECDSA", "CHACHA20", "AEAD", 256},
	{"ECDHE-RSA-CHACHA20-POLY1305", tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, "ECDHE", "RSA", "CHACHA20", "AEAD", 256},
	{"ECDHE-ECDSA-AES128-GCM-SHA256", tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, "ECDHE", "ECDSA", "AES128GCM", "AEAD", 128},
	{"ECDHE-RSA-AES128-GCM-SHA256", tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, "ECDHE", "RSA", "AES128GCM", "AEAD", 128},
	{"ECDHE-ECDSA-AES128-SHA256", tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, "ECDHE", "ECDSA", "AES128", "SHA256", 128},
	{"ECDHE-RSA-AES128-SHA256", tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256, "ECDHE", "RSA", "AES128", "SHA256", 128},
	{"ECDHE-ECDSA-AES256-SHA", tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, "ECDHE", "ECDSA", "AES256", "SHA1", 256},
	{"ECDHE-RSA-AES256-SHA", tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA, "ECDHE", "RSA", "AES256", "SHA1", 256},
	{"ECDHE-ECDSA-AES128-SHA", tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, "ECDHE", "ECDSA", "AES128", "SHA1", 128},
	{"ECDHE-RSA-AES128-SHA", tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, "ECDHE", "RSA", "AES128", "SHA1", 128},
	{"AES256-GCM-SHA384", tls.TLS_RSA_WITH_AES_256_GCM_SHA384, "RSA", "RSA", "AES256GCM", "AEAD", 256},
	{"AES128-GCM-SHA256", tls.TLS_RSA_WITH_AES_128_GCM_SHA256, "RSA", "RSA", "AES128GCM", "AEAD", 128},
	{"AES128-SHA256", tls.TLS_RSA_WITH_AES_128_CBC_SHA256, "RSA", "RSA", "AES128", "SHA256", 128},
	{"AES256-SHA", tls.TLS_RSA_WITH_AES_256_CBC_SHA, "RSA", "RSA", "AES256", "SHA1", 256},
	{"AES128-SHA", tls.TLS_RSA_WITH_AES_128_CBC_SHA, "RSA", "RSA", "AES128", "SHA1", 128},
	{"ECDHE-RSA-DES-CBC3-SHA", tls.TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA, "ECDHE", "RSA", "3DES", "SHA1", 112},
	{"DES-CBC3-SHA", tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA, "RSA", "RSA", "3DES", "SHA1", 112},
	{"ECDHE-ECDSA-RC4-SHA", tls.TLS_ECDHE_ECDSA_WITH_RC4_128_SHA, "ECDHE", "ECDSA", "RC4", "SHA1", 128},
	{"ECDHE-RSA-RC4-SHA", tls.TLS_ECDHE_RSA_WITH_RC4_128_SHA, "ECDHE", "RSA", "RC4", "SHA1", 128},
	{"RC4-SHA", tls.TLS_RSA_WITH_RC4_128_SHA, "RSA", "RSA", "RC4", "SHA1", 128},
}

// CipherByID finds a TLS 1.2 suite by its number.
func CipherByID(id uint16) *Cipher {
	for i := range Ciphers {
		if Ciphers[i].ID == id {
			return &Ciphers[i]
		}
	}
	return nil
}

// cipherAlias reports whether c matches one OpenSSL name or alias; known
// is false for a word OpenSSL knows but Go has nothing for (or a word
// OpenSSL does not know either).
func cipherAlias(c *Cipher, w string) (match, known bool) {
	if strings.EqualFold(w, c.Name) {
		return true, true
	}
	switch strings.ToUpper(w) {
	case "ALL", "DEFAULT", "HIGH", "COMPLEMENTOFALL":
		// Go's suites are all "HIGH" except 3DES and RC4.
		if strings.EqualFold(w, "HIGH") {
			return c.Enc != "3DES" && c.Enc != "RC4", true
		}
		return true, true
	case "MEDIUM":
		return c.Enc == "RC4", true
	case "LOW", "EXPORT", "EXP", "ENULL", "NULL", "ANULL", "ADH", "AECDH", "MD5", "DES", "IDEA", "SEED",
		"CAMELLIA", "CAMELLIA128", "CAMELLIA256", "ARIA", "ARIA128", "ARIA256", "PSK", "SRP", "KDHE", "EDH", "DHE", "KEDH",
		"ADSS", "DSS", "KPSK", "KECDHEPSK", "KDHEPSK", "KRSAPSK", "APSK", "KGOST", "AGOST", "GOST89MAC", "GOST94",
		"COMPLEMENTOFDEFAULT", "SSLV2", "SUITEB128", "SUITEB128ONLY", "SUITEB192":
		return false, true
	case "RSA":
		return c.Kx == "RSA" || c.Au == "RSA", true
	case "KRSA":
		return c.Kx == "RSA", true
	case "ARSA":
		return c.Au == "RSA", true
	case "ECDHE", "EECDH", "KECDHE", "KEECDH", "ECDH":
		return c.Kx == "ECDHE", true
	case "AECDSA", "ECDSA":
		return c.Au == "ECDSA", true
	case "AES":
		return strings.HasPrefix(c.Enc, "AES"), true
	case "AES128":
		return strings.HasPrefix(c.Enc, "AES128"), true
	case "AES256":
		return strings.HasPrefix(c.Enc, "AES256"), true
	case "AESGCM":
		return strings.HasSuffix(c.Enc, "GCM"), true
	case "CHACHA20":
		return c.Enc == "CHACHA20", true
	case "3DES":
		return c.Enc == "3DES", true
	case "RC4":
		return c.Enc == "RC4", true
	case "SHA1", "SHA":
		return c.Mac == "SHA1", true
	case "SHA256":
		return c.Mac == "SHA256" || c.Name == "ECDHE-ECDSA-CHACHA20-POLY1305" || c.Name == "ECDHE-RSA-CHACHA20-POLY1305" || strings.HasSuffix(c.Name, "GCM-SHA256"), true
	case "SHA384":
		return strings.HasSuffix(c.Name, "SHA384"), true
	case "TLSV1.2":
		return c.Mac != "SHA1", true
	case "TLSV1", "SSLV3", "TLSV1.0":
		return c.Mac == "SHA1", true
	}
	return false, false
}

// ParseCipherList evaluates an OpenSSL cipher list over Go's suites, as
// SSL_CTX_set_cipher_list does: words separated by ':' (or ',' or space);
// "A+B" matches what both match; a plain word appends its matches, "-"
// removes them, "!" removes them for good, "+" moves them to the end;
// "@STRENGTH" sorts by strength. unknown lists the words that matched no
// Go suite because Go has none of them or OpenSSL knows no such name.
func ParseCipherList(spec string) (ids []uint16, unknown []string) {
	var list []*Cipher
	banned := map[uint16]bool{}
	in := func(c *Cipher) int {
		for i, x := range list {
			if x == c {
				return i
			}
		}
		return -1
	}
	words := strings.FieldsFunc(spec, func(r rune) bool { return r == ':' || r == ',' || r == ' ' })
	for _, w := range words {
		op := byte(0)
		if w[0] == '!' || w[0] == '-' || w[0] == '+' {
			op, w = w[0], w[1:]
		}
		if strings.EqualFold(w, "@STRENGTH") {
			sort.SliceStable(list, func(i, j int) bool { return list[i].Bits > list[j].Bits })
			continue
		}
		if strings.HasPrefix(w, "@") {
			continue // @SECLEVEL=n: OpenSSL's policy, nothing for Go
		}
		var matched []*Cipher
		for i := range Ciphers {
			c := &Ciphers[i]
			ok := true
			for _, part := range strings.Split(w, "+") {
				m, _ := cipherAlias(c, part)
				ok = ok && m
			}
			if ok {
				matched = append(matched, c)
			}
		}
		if len(matched) == 0 && op == 0 {
			unknown = append(unknown, w)
			continue
		}
		switch op {
		case 0:
			for _, c := range matched {
				if !banned[c.ID] && in(c) < 0 {
					list = append(list, c)
				}
			}
		case '-', '!':
			for _, c := range matched {
				if i := in(c); i >= 0 {
					list = append(list[:i], list[i+1:]...)
				}
				if op == '!' {
					banned[c.ID] = true
				}
			}
		case '+':
			var keep, moved []*Cipher
			for _, c := range list {
				if cipherIn(matched, c) {
					moved = append(moved, c)
				} else {
					keep = append(keep, c)
				}
			}
			list = append(keep, moved...)
		}
	}
	for _, c := range list {
		ids = append(ids, c.ID)
	}
	return ids, unknown
}

func cipherIn(list []*Cipher, c *Cipher) bool {
	for _, x := range list {
		if x == c {
			return true
		}
	}
	return false
}
