package server

import (
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/appserver/appserver/server/config"
	"github.com/appserver/appserver/server/route"
)

// The SSL_* variables mod_ssl puts in the environ with SSLOptions
// +StdEnvVars and +ExportCertData, with its names and formats (checked
// against Apache 2.4.71 with OpenSSL 3 in TestServeTLSEnvironOracle).

// addSSLEnv appends the variables conf's SSLOptions ask for.
func addSSLEnv(env []string, r *http.Request, rt *route.Route) []string {
	cs := r.TLS
	if cs == nil {
		return env
	}
	add := func(k, v string) { env = append(env, k, v) }
	if cs.ServerName != "" {
		// mod_ssl sets it whatever SSLOptions say.
		add("SSL_TLS_SNI", cs.ServerName)
	}
	conf := rt.Conf
	if conf == nil || conf.SSLOptions == nil {
		return env
	}
	std := config.OptionSet(conf.SSLOptions, "StdEnvVars")
	export := config.OptionSet(conf.SSLOptions, "ExportCertData")
	if !std && !export {
		return env
	}
	var client *x509.Certificate
	if len(cs.PeerCertificates) > 0 {
		client = cs.PeerCertificates[0]
	}
	server := serverLeaf(rt.VHost)
	if std {
		add("SSL_VERSION_INTERFACE", strings.Fields(serverSoftware)[0])
		add("SSL_VERSION_LIBRARY", "Go/"+strings.TrimPrefix(runtime.Version(), "go"))
		add("SSL_PROTOCOL", tlsVersionName(cs.Version))
		// Secure renegotiation (RFC 5746) exists up to TLS 1.2; Go's server
		// supports it, and OpenSSL reports false for TLS 1.3.
		add("SSL_SECURE_RENEG", strconv.FormatBool(cs.Version <= tls.VersionTLS12))
		add("SSL_COMPRESS_METHOD", "NULL")
		name, bits := cipherNameBits(cs.CipherSuite)
		add("SSL_CIPHER", name)
		add("SSL_CIPHER_EXPORT", "false")
		add("SSL_CIPHER_USEKEYSIZE", strconv.Itoa(bits))
		add("SSL_CIPHER_ALGKEYSIZE", strconv.Itoa(bits))
		// Go does not expose the session ID; a value exported from the
		// session's keys is as unique and as stable for the connection.
		// Over TLS 1.2 OpenSSL has none when the client resumes by ticket,
		// as Go's and most clients do.
		if cs.Version >= tls.VersionTLS13 {
			if id, err := cs.ExportKeyingMaterial("appserver session id", nil, 32); err == nil {
				add("SSL_SESSION_ID", hex.EncodeToString(id))
			}
		}
		resumed := "Initial"
		if cs.DidResume {
			resumed = "Resumed"
		}
		add("SSL_SESSION_RESUMED", resumed)
		add("SSL_CLIENT_VERIFY", clientVerify(cs))
		if client != nil {
			env = certVars(env, "SSL_CLIENT_", client, true)
			add("SSL_CLIENT_CERT_RFC4523_CEA", fmt.Sprintf("{ serialNumber %s, issuer rdnSequence:\"%s\" }", client.SerialNumber.String(), formatDN(client.RawIssuer)))
		}
		if server != nil {
			env = certVars(env, "SSL_SERVER_", server, false)
		}
	}
	if export {
		pemOf := func(c *x509.Certificate) string {
			return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
		}
		if server != nil {
			add("SSL_SERVER_CERT", pemOf(server))
		}
		if client != nil {
			add("SSL_CLIENT_CERT", pemOf(client))
			for i, c := range cs.PeerCertificates[1:] {
				add("SSL_CLIENT_CERT_CHAIN_"+strconv.Itoa(i), pemOf(c))
			}
		} else {
			add("SSL_CLIENT_CERT", "")
		}
	}
	return env
}

func tlsVersionName(v uint16) string {
	switch v {
	case tls.VersionTLS13:
		return "TLSv1.3"
	case tls.VersionTLS12:
		return "TLSv1.2"
	case tls.VersionTLS11:
		return "TLSv1.1"
	case tls.VersionTLS10:
		return "TLSv1"
	}
	return "UNKNOWN"
}

// cipherNameBits is OpenSSL's name and key size of a suite: TLS 1.3 suites
// go by their IANA names, TLS 1.2 ones by OpenSSL's.
func cipherNameBits(id uint16) (string, int) {
	switch id {
	case tls.TLS_AES_128_GCM_SHA256:
		return "TLS_AES_128_GCM_SHA256", 128
	case tls.TLS_AES_256_GCM_SHA384:
		return "TLS_AES_256_GCM_SHA384", 256
	case tls.TLS_CHACHA20_POLY1305_SHA256:
		return "TLS_CHACHA20_POLY1305_SHA256", 256
	}
	if c := config.CipherByID(id); c != nil {
		return c.Name, c.Bits
	}
	return tls.CipherSuiteName(id), 0
}

// clientVerify is SSL_CLIENT_VERIFY: NONE without a certificate, SUCCESS
// when the handshake verified it, GENEROUS when optional_no_ca let an
// unverified one through.
func clientVerify(cs *tls.ConnectionState) string {
	switch {
	case len(cs.PeerCertificates) == 0:
		return "NONE"
	case len(cs.VerifiedChains) > 0:
		return "SUCCESS"
	}
	return "GENEROUS"
}

// certVars adds mod_ssl's per-certificate variables under prefix.
func certVars(env []string, prefix string, c *x509.Certificate, remain bool) []string {
	add := func(k, v string) { env = append(env, prefix+k, v) }
	add("M_VERSION", strconv.Itoa(c.Version))
	serial := strings.ToUpper(c.SerialNumber.Text(16))
	if len(serial)%2 == 1 {
		serial = "0" + serial // BN_bn2hex prints whole bytes
	}
	add("M_SERIAL", serial)
	add("V_START", asn1Time(c.NotBefore))
	add("V_END", asn1Time(c.NotAfter))
	if remain {
		// Whole days, from whole seconds as ASN1_TIME_diff counts them.
		days := int((c.NotAfter.Unix() - time.Now().Unix()) / 86400)
		if days < 0 {
			days = 0
		}
		add("V_REMAIN", strconv.Itoa(days))
	}
	add("S_DN", formatDN(c.RawSubject))
	env = dnVars(env, prefix+"S_DN_", c.RawSubject)
	add("I_DN", formatDN(c.RawIssuer))
	env = dnVars(env, prefix+"I_DN_", c.RawIssuer)
	for i, n := range c.DNSNames {
		add("SAN_DNS_"+strconv.Itoa(i), n)
	}
	for i, n := range c.EmailAddresses {
		add("SAN_Email_"+strconv.Itoa(i), n)
	}
	add("A_KEY", keyAlgName(c))
	add("A_SIG", sigAlgName(c))
	return env
}

// asn1Time is OpenSSL's ASN1_TIME_print: "Jan  4 21:13:51 2027 GMT".
func asn1Time(t time.Time) string { return t.UTC().Format("Jan _2 15:04:05 2006 GMT") }

// dnAttrs are OpenSSL's short names of DN attributes and, where mod_ssl
// has one, the suffix of its per-attribute variable.
var dnAttrs = map[string][2]string{
	"2.5.4.6":                    {"C", "C"},
	"2.5.4.8":                    {"ST", "ST"},
	"2.5.4.7":                    {"L", "L"},
	"2.5.4.10":                   {"O", "O"},
	"2.5.4.11":                   {"OU", "OU"},
	"2.5.4.3":                    {"CN", "CN"},
	"2.5.4.12":                   {"title", "T"},
	"2.5.4.43":                   {"initials", "I"},
	"2.5.4.42":                   {"GN", "G"},
	"2.5.4.4":                    {"SN", "S"},
	"2.5.4.13":                   {"description", "D"},
	"0.9.2342.19200300.100.1.1":  {"UID", "UID"},
	"1.2.840.113549.1.9.1":       {"emailAddress", "Email"},
	"2.5.4.5":                    {"serialNumber", ""},
	"0.9.2342.19200300.100.1.25": {"DC", ""},
	"2.5.4.9":                    {"street", ""},
	"2.5.4.17":                   {"postalCode", ""},
}

func parseDN(raw []byte) pkix.RDNSequence {
	var seq pkix.RDNSequence
	if _, err := asn1.Unmarshal(raw, &seq); err != nil {
		return nil
	}
	return seq
}

// formatDN is the DN as mod_ssl prints it (OpenSSL's RFC 2253 form without
// escaping UTF-8): the last RDN first, "," between RDNs, "+" inside one.
func formatDN(raw []byte) string {
	seq := parseDN(raw)
	var b strings.Builder
	for i := len(seq) - 1; i >= 0; i-- {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		// OpenSSL walks the entries backwards, inside an RDN too.
		rdn := seq[i]
		for j := len(rdn) - 1; j >= 0; j-- {
			atv := rdn[j]
			if j < len(rdn)-1 {
				b.WriteByte('+')
			}
			oid := atv.Type.String()
			name := oid
			if a, ok := dnAttrs[oid]; ok {
				name = a[0]
			}
			b.WriteString(name)
			b.WriteByte('=')
			b.WriteString(escapeDNValue(fmt.Sprint(atv.Value)))
		}
	}
	return b.String()
}

// escapeDNValue escapes as RFC 2253 (and OpenSSL's ESC_2253) asks.
func escapeDNValue(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		ch := v[i]
		switch {
		case strings.IndexByte(",+\"\\<>;", ch) >= 0,
			i == 0 && (ch == '#' || ch == ' '),
			i == len(v)-1 && ch == ' ':
			b.WriteByte('\\')
		}
		b.WriteByte(ch)
	}
	return b.String()
}

// dnVars adds SSL_*_DN_x for each attribute mod_ssl names, in the DN's
// order; a repeated attribute gets _1, _2... after the first.
func dnVars(env []string, prefix string, raw []byte) []string {
	seen := map[string]int{}
	for _, rdn := range parseDN(raw) {
		for _, atv := range rdn {
			a, ok := dnAttrs[atv.Type.String()]
			if !ok || a[1] == "" {
				continue
			}
			k := prefix + a[1]
			if n := seen[a[1]]; n > 0 {
				k += "_" + strconv.Itoa(n)
			}
			seen[a[1]]++
			env = append(env, k, fmt.Sprint(atv.Value))
		}
	}
	return env
}

func keyAlgName(c *x509.Certificate) string {
	switch c.PublicKeyAlgorithm {
	case x509.RSA:
		return "rsaEncryption"
	case x509.ECDSA:
		return "id-ecPublicKey"
	case x509.Ed25519:
		return "ED25519"
	case x509.DSA:
		return "dsaEncryption"
	}
	return "UNKNOWN"
}

func sigAlgName(c *x509.Certificate) string {
	switch c.SignatureAlgorithm {
	case x509.SHA256WithRSA:
		return "sha256WithRSAEncryption"
	case x509.SHA384WithRSA:
		return "sha384WithRSAEncryption"
	case x509.SHA512WithRSA:
		return "sha512WithRSAEncryption"
	case x509.SHA1WithRSA:
		return "sha1WithRSAEncryption"
	case x509.SHA256WithRSAPSS, x509.SHA384WithRSAPSS, x509.SHA512WithRSAPSS:
		return "rsassaPss"
	case x509.ECDSAWithSHA256:
		return "ecdsa-with-SHA256"
	case x509.ECDSAWithSHA384:
		return "ecdsa-with-SHA384"
	case x509.ECDSAWithSHA512:
		return "ecdsa-with-SHA512"
	case x509.ECDSAWithSHA1:
		return "ecdsa-with-SHA1"
	case x509.PureEd25519:
		return "ED25519"
	}
	return "UNKNOWN"
}

// serverLeaves caches the parsed certificate of each SSLCertificateFile by
// path and modification time (a renewed file is read again).
var serverLeaves sync.Map // leafKey -> *x509.Certificate

type leafKey struct {
	path  string
	mtime time.Time
}

// serverLeaf is the certificate of v's SSLCertificateFile (nil when it
// cannot be read).
func serverLeaf(v *config.VHost) *x509.Certificate {
	if v == nil || v.SSLCertificateFile == "" {
		return nil
	}
	fi, err := os.Stat(v.SSLCertificateFile)
	if err != nil {
		return nil
	}
	k := leafKey{v.SSLCertificateFile, fi.ModTime()}
	if c, ok := serverLeaves.Load(k); ok {
		return c.(*x509.Certificate)
	}
	ders, err := readPEMCerts(v.SSLCertificateFile)
	if err != nil {
		return nil
	}
	c, err := x509.ParseCertificate(ders[0])
	if err != nil {
		return nil
	}
	serverLeaves.Store(k, c)
	return c
}
