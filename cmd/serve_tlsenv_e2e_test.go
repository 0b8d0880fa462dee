package cmd_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// tlsEnvSite is the same vhost for real Apache (mod_ssl) and appserver:
// client certificates verified against a throwaway CA, and SSLOptions
// per <Location>.
const tlsEnvSite = `WSGIDaemonProcess tlsenv processes=1 threads=2
<VirtualHost *:@PORT@>
    ServerName localhost
    SSLEngine on
    SSLProtocol -all +TLSv1.2 +TLSv1.3
    SSLCipherSuite HIGH:!aNULL:!MD5
    SSLHonorCipherOrder on
    SSLCertificateFile @CERTS@/server.pem
    SSLCertificateKeyFile @CERTS@/server.key
    SSLCertificateChainFile @CERTS@/ca.pem
    SSLCACertificateFile @CERTS@/ca.pem
    SSLVerifyClient optional
    SSLVerifyDepth 2
    WSGIScriptAlias / @PROBE@
    WSGIProcessGroup tlsenv
    <Location /std>
        SSLOptions +StdEnvVars
    </Location>
    <Location /both>
        SSLOptions +StdEnvVars +ExportCertData
    </Location>
    <Location /export>
        SSLOptions +ExportCertData
    </Location>
    <Location /needcert>
        SSLVerifyClient require
        SSLOptions +StdEnvVars
    </Location>
</VirtualHost>
`

// tlsEnvCerts writes a CA, a server certificate it signed (with the CA
// as its chain) and a client certificate with a DN that needs escaping,
// and returns what a client needs.
func tlsEnvCerts(t *testing.T, dir string) (roots *x509.CertPool, client tls.Certificate) {
	t.Helper()
	newKey := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	writeKey := func(name string, k *ecdsa.PrivateKey) []byte {
		der, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		b := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})
		oracleWriteFile(t, filepath.Join(dir, name), b)
		return b
	}
	now := time.Now().Truncate(time.Second)
	caKey := newKey()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(0x1001), Subject: pkix.Name{Country: []string{"DE"}, Organization: []string{"Test CA"}, CommonName: "Test Root"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(90 * 24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	oracleWriteFile(t, filepath.Join(dir, "ca.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}))
	issue := func(serial int64, subject pkix.Name, k *ecdsa.PrivateKey, usage x509.ExtKeyUsage, dns ...string) []byte {
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: subject, DNSNames: dns,
			// Half a day past whole days: SSL_CLIENT_V_REMAIN (whole days left)
			// is then the same when Apache and appserver answer seconds apart.
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(30*24*time.Hour + 12*time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
			ExtKeyUsage: []x509.ExtKeyUsage{usage}}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	}
	srvKey := newKey()
	oracleWriteFile(t, filepath.Join(dir, "server.pem"), issue(0x2002, pkix.Name{CommonName: "localhost"}, srvKey, x509.ExtKeyUsageServerAuth, "localhost"))
	writeKey("server.key", srvKey)
	cliKey := newKey()
	email := pkix.AttributeTypeAndValue{Type: asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}, Value: "alice@example.com"}
	cliPEM := issue(0x00ab3003, pkix.Name{Country: []string{"US"}, Province: []string{"CA"}, Organization: []string{"Acme, Inc."},
		OrganizationalUnit: []string{"Dev", "Ops"}, CommonName: "Alice Client", ExtraNames: []pkix.AttributeTypeAndValue{email}},
		cliKey, x509.ExtKeyUsageClientAuth)
	client, err = tls.X509KeyPair(cliPEM, writeKey("client.key", cliKey))
	if err != nil {
		t.Fatal(err)
	}
	roots = x509.NewCertPool()
	roots.AddCert(ca)
	return roots, client
}

// TestServeTLSEnvironOracle runs the same TLS vhost under real Apache with
// mod_ssl and under appserver, and compares the SSL_* variables the probe
// sees, request by request (with and without a client certificate, over
// TLS 1.2 with a fixed suite, and over TLS 1.3).
func TestServeTLSEnvironOracle(t *testing.T) {
	oracleRequireApache(t)
	bin := serveBinary(t)
	certs := serveWorldDir(t, "appserver-e2e-tlsenv-certs-")
	roots, clientCert := tlsEnvCerts(t, certs)
	site := strings.ReplaceAll(tlsEnvSite, "@CERTS@", certs)

	type request struct {
		path   string
		cert   bool
		tls13  bool
		status int
	}
	requests := []request{
		{"/std", true, false, 200},
		{"/std", false, false, 200},
		{"/both", true, false, 200},
		{"/both", false, false, 200},
		{"/export", true, false, 200},
		{"/plain", true, false, 200},
		{"/needcert", true, false, 200},
		{"/std", true, true, 200},
	}
	fetch := func(t *testing.T, addr string, rq request) (int, map[string]string) {
		// Apache renegotiates for the per-directory SSLVerifyClient.
		conf := &tls.Config{RootCAs: roots, ServerName: "localhost", Renegotiation: tls.RenegotiateOnceAsClient}
		if rq.cert {
			conf.Certificates = []tls.Certificate{clientCert}
		}
		if !rq.tls13 {
			conf.MaxVersion = tls.VersionTLS12
			conf.CipherSuites = []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}
		}
		client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: conf, DisableKeepAlives: true}}
		req, _ := http.NewRequest("GET", "https://"+addr+rq.path, nil)
		req.Header.Set("X-Probe-Full", "1")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", rq.path, err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		var out struct {
			Environ map[string]any `json:"environ"`
		}
		_ = json.Unmarshal(body, &out)
		env := map[string]string{}
		for k, v := range out.Environ {
			if strings.HasPrefix(k, "SSL_") || k == "HTTPS" || k == "wsgi.url_scheme" {
				s, _ := v.(string)
				env[k] = s
			}
		}
		return resp.StatusCode, env
	}

	// Real Apache first.
	c := oracleCase{Name: "tlsenv", Conf: site}
	cd, _ := oracleStartCase(t, c)
	apacheAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(cd.Port))
	var want []map[string]string
	for _, rq := range requests {
		status, env := fetch(t, apacheAddr, rq)
		if status != rq.status {
			t.Fatalf("Apache %s: status %d, want %d", rq.path, status, rq.status)
		}
		want = append(want, env)
	}

	dir := serveWorldDir(t, "appserver-e2e-tlsenv-")
	probe := filepath.Join(dir, "probe.py")
	probeSrc, err := os.ReadFile(oracleProbeSource)
	if err != nil {
		t.Fatal(err)
	}
	oracleWriteFile(t, probe, probeSrc)
	conf := "Listen 127.0.0.1:@PORT@\nServerName 127.0.0.1\nWSGIPythonHome /usr\n" + strings.ReplaceAll(site, "@PROBE@", probe)
	srv := serveStartConf(t, bin, dir, "tls.conf", conf)
	byNature := map[string]*regexp.Regexp{
		"SSL_SESSION_ID":        regexp.MustCompile(`^[0-9a-f]{64}$`),
		"SSL_VERSION_INTERFACE": regexp.MustCompile(`^\S+/\S+$`),
		"SSL_VERSION_LIBRARY":   regexp.MustCompile(`^\S+/\S+$`),
		// TLS 1.3 suites are the implementation's choice, not the config's.
		"SSL_CIPHER": regexp.MustCompile(`^TLS_(AES_128_GCM_SHA256|AES_256_GCM_SHA384|CHACHA20_POLY1305_SHA256)$`),
	}
	for i, rq := range requests {
		status, got := fetch(t, srv.Addr(), rq)
		if status != rq.status {
			t.Errorf("appserver %s: status %d, want %d", rq.path, status, rq.status)
			continue
		}
		keys := map[string]bool{}
		for k := range want[i] {
			keys[k] = true
		}
		for k := range got {
			keys[k] = true
		}
		var sorted []string
		for k := range keys {
			sorted = append(sorted, k)
		}
		sort.Strings(sorted)
		for _, k := range sorted {
			a, aok := want[i][k]
			b, bok := got[k]
			if rq.tls13 && strings.HasSuffix(k, "KEYSIZE") && aok && bok {
				continue // follows the TLS 1.3 suite, which is by nature
			}
			if re := byNature[k]; re != nil && aok && bok && (k != "SSL_CIPHER" || rq.tls13) {
				if !re.MatchString(b) {
					t.Errorf("%s (cert %v, tls1.3 %v): %s = %q, not of the shape %s (Apache: %q)", rq.path, rq.cert, rq.tls13, k, b, re, a)
				}
				continue
			}
			if a != b || aok != bok {
				t.Errorf("%s (cert %v, tls1.3 %v): %s: Apache %q (set %v), appserver %q (set %v)", rq.path, rq.cert, rq.tls13, k, a, aok, b, bok)
			}
		}
	}
	// Without a certificate, the per-directory SSLVerifyClient require
	// refuses (Apache would renegotiate and fail the handshake instead).
	if status, _ := fetch(t, srv.Addr(), request{path: "/needcert"}); status != 403 {
		t.Errorf("/needcert without a client certificate: %d, want 403", status)
	}
}
