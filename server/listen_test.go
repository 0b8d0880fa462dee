package server

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/appserver/appserver/server/config"
)

// writeCert writes a self-signed certificate and key for name to dir and
// returns their paths.
func writeCert(t *testing.T, dir, name string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name}, DNSNames: []string{name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile = filepath.Join(dir, name+".pem"), filepath.Join(dir, name+".key")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// TestListenersTLSOptions: each TLS vhost's mod_ssl settings become its
// own tls.Config, picked by SNI as mod_ssl picks the vhost.
func TestListenersTLSOptions(t *testing.T) {
	dir := t.TempDir()
	aCert, aKey := writeCert(t, dir, "a.test")
	bCert, bKey := writeCert(t, dir, "b.test")
	caCert, _ := writeCert(t, dir, "ca.test")
	depth := 2
	a := &config.VHost{Name: "a.test", Addrs: []config.VHostAddr{{Host: "*", Port: 8443}}, SSLEngine: true,
		SSLCertificateFile: aCert, SSLCertificateKeyFile: aKey,
		TLS: &config.TLSOptions{ProtocolSet: true, MinVersion: tls.VersionTLS13, MaxVersion: tls.VersionTLS13, ChainFile: caCert}}
	b := &config.VHost{Name: "b.test", Aliases: []string{"*.b.test"}, Addrs: []config.VHostAddr{{Host: "*", Port: 8443}}, SSLEngine: true,
		SSLCertificateFile: bCert, SSLCertificateKeyFile: bKey,
		TLS: &config.TLSOptions{CipherSuitesSet: true, CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256},
			VerifyClient: "require", CACertificateFile: caCert, VerifyDepth: &depth}}
	cfg := &config.Config{Main: &config.VHost{IsMain: true}, VHosts: []*config.VHost{a, b}, Listen: []config.Listen{{Port: 8443}}}
	lns, err := Listeners(cfg)
	if err != nil {
		t.Fatal(err)
	}
	pick := func(sni string) *tls.Config {
		c, err := lns[0].TLS.GetConfigForClient(&tls.ClientHelloInfo{ServerName: sni})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	ca := pick("a.test")
	if ca.MinVersion != tls.VersionTLS13 || ca.ClientAuth != tls.NoClientCert || len(ca.Certificates) != 1 || len(ca.Certificates[0].Certificate) != 2 {
		t.Errorf("a.test: min %x, client auth %v, %d certificates with %d in the chain", ca.MinVersion, ca.ClientAuth, len(ca.Certificates), len(ca.Certificates[0].Certificate))
	}
	for _, sni := range []string{"B.test", "x.b.test"} {
		cb := pick(sni)
		if cb.ClientAuth != tls.RequireAndVerifyClientCert || cb.ClientCAs == nil || len(cb.CipherSuites) != 1 || cb.MinVersion != tls.VersionTLS12 {
			t.Errorf("%s: client auth %v, CAs %v, suites %v, min %x", sni, cb.ClientAuth, cb.ClientCAs != nil, cb.CipherSuites, cb.MinVersion)
		}
	}
	// No match: the first vhost's settings, with every certificate.
	if c := pick("other.test"); c.MinVersion != tls.VersionTLS13 || len(c.Certificates) != 2 {
		t.Errorf("default: min %x, %d certificates", c.MinVersion, len(c.Certificates))
	}

	// SSLVerifyDepth 2: a chain of the client certificate and two CAs
	// passes, one more does not.
	vp := pick("b.test").VerifyPeerCertificate
	chain := func(n int) [][]*x509.Certificate { return [][]*x509.Certificate{make([]*x509.Certificate, n)} }
	if err := vp(nil, chain(3)); err != nil {
		t.Errorf("depth 2, chain of 3: %v", err)
	}
	if err := vp(nil, chain(4)); err == nil {
		t.Error("depth 2, chain of 4: accepted")
	}
	b.TLS.CACertificateFile = ""
	if _, err := Listeners(cfg); err == nil {
		t.Error("SSLVerifyClient require without a CA: no error")
	}
}
