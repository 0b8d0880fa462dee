package cmd_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestServeTLSAndAccessLog runs a vhost with SSLEngine on and a CustomLog:
// HTTPS with HTTP/2, the environ an app sees over TLS, and the access log
// line in the config's own LogFormat.
func TestServeTLSAndAccessLog(t *testing.T) {
	bin := serveBinary(t)
	dir := serveWorldDir(t, "appserver-e2e-tls-")
	probe, err := os.ReadFile(oracleProbeSource)
	if err != nil {
		t.Fatal(err)
	}
	oracleWriteFile(t, filepath.Join(dir, "probe.py"), probe)
	certPEM := tlsWriteCert(t, dir)
	accessLog := filepath.Join(dir, "access.log")

	srv := serveStartFree(t, bin, filepath.Join(dir, "serve.log"), nil, func(port int) string {
		conf := filepath.Join(dir, "tls.conf")
		text := strings.NewReplacer("@DIR@", dir, "@PORT@", strconv.Itoa(port)).Replace(`Listen 127.0.0.1:@PORT@
WSGIPythonHome /usr
LogFormat "%h %>s %b \"%r\" %H %{X-Test}i %{newrelic.app_name}e %D" mine
CustomLog @DIR@/access.log mine
WSGIDaemonProcess tls processes=1 threads=2 display-name=%{GROUP}
<VirtualHost *:@PORT@>
    ServerName localhost
    SSLEngine on
    SSLCertificateFile @DIR@/cert.pem
    SSLCertificateKeyFile @DIR@/key.pem
    WSGIScriptAlias / @DIR@/probe.py
    WSGIProcessGroup tls
    SetEnv newrelic.app_name tls-site
    # Satisfied over TLS: /secure/x below must be served.
    <Location /secure>
        SSLRequireSSL
    </Location>
</VirtualHost>
`)
		oracleWriteFile(t, conf, []byte(text))
		return conf
	})

	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: pool, ServerName: "localhost"},
		ForceAttemptHTTP2: true,
	}}
	defer client.CloseIdleConnections()
	req, _ := http.NewRequest("GET", "https://"+srv.Addr()+"/secure/x?a=1", nil)
	req.Header.Set("X-Probe-Full", "1")
	req.Header.Set("X-Test", "tls-check")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("HTTPS request: %v", err)
	}
	var probeOut struct {
		Group   string         `json:"mod_wsgi.process_group"`
		Environ map[string]any `json:"environ"`
	}
	err = json.NewDecoder(resp.Body).Decode(&probeOut)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("HTTPS request: status %d, body: %v", resp.StatusCode, err)
	}
	if resp.Proto != "HTTP/2.0" {
		t.Errorf("protocol %s, want HTTP/2.0 over TLS", resp.Proto)
	}
	env := probeOut.Environ
	for k, want := range map[string]any{
		"wsgi.url_scheme": "https", "REQUEST_SCHEME": "https", "SERVER_PROTOCOL": "HTTP/2.0",
		"SERVER_NAME": "127.0.0.1", "PATH_INFO": "/secure/x", "newrelic.app_name": "tls-site",
	} {
		if env[k] != want {
			t.Errorf("environ[%s] = %v, want %v", k, env[k], want)
		}
	}
	if _, ok := env["HTTPS"]; ok {
		t.Errorf("environ has HTTPS = %v: mod_wsgi turns it into wsgi.url_scheme and removes it", env["HTTPS"])
	}
	if probeOut.Group != "tls" {
		t.Errorf("process group %q, want tls", probeOut.Group)
	}

	// Plain HTTP on the TLS port is not served as a page.
	if plain, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://" + srv.Addr() + "/"); err == nil {
		if plain.StatusCode == 200 {
			t.Errorf("plain HTTP on the TLS listener answered 200")
		}
		plain.Body.Close()
	}

	// The access log is flushed within a fraction of a second.
	want := regexp.MustCompile(regexp.QuoteMeta(`127.0.0.1 200 `) + `\d+` +
		regexp.QuoteMeta(` "GET /secure/x?a=1 HTTP/2.0" HTTP/2.0 tls-check tls-site `) + `\d+`)
	deadline := time.Now().Add(5 * time.Second)
	for {
		data, _ := os.ReadFile(accessLog)
		if want.Match(data) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("access log %s:\n%s\nhas no line matching %s", accessLog, data, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
	serveCheckSIGTERM(t, srv)
}

// tlsWriteCert writes a self-signed certificate for localhost and
// 127.0.0.1 to dir/cert.pem and its key to dir/key.pem.
func tlsWriteCert(t *testing.T, dir string) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	oracleWriteFile(t, filepath.Join(dir, "cert.pem"), certPEM)
	oracleWriteFile(t, filepath.Join(dir, "key.pem"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}))
	return certPEM
}

// TestReloadCertificate: a reload makes a listener that stays hand out the
// certificate now on disk (a renewed one) from the next handshake on.
func TestReloadCertificate(t *testing.T) {
	bin := serveBinary(t)
	dir := serveWorldDir(t, "appserver-e2e-tlsreload-")
	oracleWriteFile(t, filepath.Join(dir, "app.py"), []byte(signalsApp))
	first := tlsWriteCert(t, dir)
	srv := serveStartFree(t, bin, filepath.Join(dir, "serve.log"), nil, func(port int) string {
		conf := filepath.Join(dir, "tls.conf")
		oracleWriteFile(t, conf, []byte(strings.NewReplacer("@DIR@", dir, "@PORT@", strconv.Itoa(port)).Replace(`Listen 127.0.0.1:@PORT@
WSGIPythonHome /usr
<VirtualHost *:@PORT@>
    ServerName localhost
    SSLEngine on
    SSLCertificateFile @DIR@/cert.pem
    SSLCertificateKeyFile @DIR@/key.pem
    WSGIScriptAlias / @DIR@/app.py
</VirtualHost>
`)))
		return conf
	})
	served := func() []byte {
		t.Helper()
		conn, err := tls.Dial("tcp", srv.Addr(), &tls.Config{InsecureSkipVerify: true, ServerName: "localhost"})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0].Raw
	}
	der := func(pemBytes []byte) []byte {
		b, _ := pem.Decode(pemBytes)
		return b.Bytes
	}
	if !bytes.Equal(served(), der(first)) {
		t.Fatal("the server does not hand out the certificate it started with")
	}
	offsets := srv.LogSizes()
	renewed := tlsWriteCert(t, dir)
	if err := srv.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(srv.LogSince(offsets), "msg=reloaded") {
		if time.Now().After(deadline) {
			t.Fatalf("no reload: %s", srv.LogSince(offsets))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !bytes.Equal(served(), der(renewed)) {
		t.Error("after the reload the server still hands out the old certificate")
	}
}
