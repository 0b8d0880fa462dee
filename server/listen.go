package server

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/appserver/appserver/parser"
	"github.com/appserver/appserver/server/config"
	"github.com/appserver/appserver/server/http1"
)

// Listener is one address to serve, with TLS when a vhost on its port has
// SSLEngine on (or the Listen directive says https).
type Listener struct {
	Addr string // host:port for net.Listen
	TLS  *tls.Config
	// certs holds the TLS settings (certificates, protocols, ciphers,
	// client certificates) handed out per handshake; a reload swaps them
	// (TakeCertificates) without touching the listener.
	certs *atomic.Pointer[tlsSet]
}

// TakeCertificates makes l hand out the certificates and TLS settings of
// next, a listener of a newer config on the same address; false when
// either has no TLS.
func (l Listener) TakeCertificates(next Listener) bool {
	if l.certs == nil || next.certs == nil {
		return false
	}
	l.certs.Store(next.certs.Load())
	return true
}

// tlsSet is the TLS config of each TLS vhost on one port. As mod_ssl, the
// client's SNI name picks the vhost (ServerName, ServerAlias), and with it
// the certificate and settings; without a match the first vhost's settings
// apply, with every certificate of the port for Go to choose by name.
type tlsSet struct {
	byName   map[string]*tls.Config
	wildcard []tlsName
	fallback *tls.Config
}

type tlsName struct {
	pattern string
	conf    *tls.Config
}

func (s *tlsSet) pick(hello *tls.ClientHelloInfo) *tls.Config {
	name := strings.ToLower(strings.TrimSuffix(hello.ServerName, "."))
	if name != "" {
		if c := s.byName[name]; c != nil {
			return c
		}
		for _, w := range s.wildcard {
			if ok, _ := path.Match(w.pattern, name); ok {
				return w.conf
			}
		}
	}
	return s.fallback
}

// Listeners returns what Listen and the vhosts' SSL settings ask to serve.
// Certificates are loaded here, so a bad one is reported before anything
// starts.
func Listeners(c *config.Config) ([]Listener, error) {
	var out []Listener
	for _, l := range c.Listen {
		ln := Listener{Addr: net.JoinHostPort(l.Addr, strconv.Itoa(l.Port))}
		set := &tlsSet{byName: map[string]*tls.Config{}}
		var all []tls.Certificate
		fallbackIsMain := false
		for _, v := range append([]*config.VHost{c.Main}, c.VHosts...) {
			if v == nil || !v.SSLEngine || !vhostOnPort(v, l.Port) {
				continue
			}
			conf, err := vhostTLS(v)
			if err != nil {
				return nil, err
			}
			all = append(all, conf.Certificates...)
			// httpd's default server for an address is its first
			// <VirtualHost>, else the main server.
			if set.fallback == nil || (fallbackIsMain && !v.IsMain) {
				set.fallback, fallbackIsMain = conf, v.IsMain
			}
			for _, n := range append([]string{v.Name}, v.Aliases...) {
				n = strings.ToLower(n)
				switch {
				case n == "":
				case strings.ContainsAny(n, "*?"):
					set.wildcard = append(set.wildcard, tlsName{n, conf})
				case set.byName[n] == nil:
					set.byName[n] = conf
				}
			}
		}
		if len(all) == 0 && l.Proto == "https" {
			return nil, &parser.Error{Pos: l.Pos, Msg: fmt.Sprintf("Listen %s https: no <VirtualHost> on port %d has SSLEngine on with a certificate", ln.Addr, l.Port),
				Hint: "add a TLS <VirtualHost> on that port, or remove the Listen (Apache listens on 443 only inside <IfModule ssl_module>)"}
		}
		if len(all) > 0 {
			fb := set.fallback.Clone()
			fb.Certificates = all
			set.fallback = fb
			ln.certs = &atomic.Pointer[tlsSet]{}
			ln.certs.Store(set)
			current := ln.certs
			ln.TLS = &tls.Config{NextProtos: fb.NextProtos, MinVersion: fb.MinVersion,
				GetConfigForClient: func(hello *tls.ClientHelloInfo) (*tls.Config, error) { return current.Load().pick(hello), nil }}
		}
		out = append(out, ln)
	}
	return out, nil
}

// vhostTLS is the tls.Config of one TLS vhost: its certificate with the
// SSLCertificateChainFile appended, SSLProtocol, SSLCipherSuite and
// SSLVerifyClient with its CAs and depth.
func vhostTLS(v *config.VHost) (*tls.Config, error) {
	fail := func(format string, a ...any) error {
		return &parser.Error{Pos: v.Pos, Msg: fmt.Sprintf("SSL settings of %s: ", vhostName(v)) + fmt.Sprintf(format, a...),
			Hint: "fix SSLCertificateFile/SSLCertificateKeyFile/SSLCertificateChainFile/SSLCACertificateFile"}
	}
	cert, err := tls.LoadX509KeyPair(v.SSLCertificateFile, keyFile(v))
	if err != nil {
		return nil, &parser.Error{Pos: v.Pos, Msg: fmt.Sprintf("SSL certificate of %s: %v", vhostName(v), err),
			Hint: "fix SSLCertificateFile/SSLCertificateKeyFile"}
	}
	conf := &tls.Config{NextProtos: []string{"h2", "http/1.1"}, MinVersion: tls.VersionTLS12}
	o := v.TLS
	if o == nil {
		conf.Certificates = []tls.Certificate{cert}
		return conf, nil
	}
	if o.ChainFile != "" {
		ders, err := readPEMCerts(o.ChainFile)
		if err != nil {
			return nil, fail("SSLCertificateChainFile %s: %v", o.ChainFile, err)
		}
		cert.Certificate = append(cert.Certificate, ders...)
	}
	conf.Certificates = []tls.Certificate{cert}
	if o.ProtocolSet {
		conf.MinVersion, conf.MaxVersion = o.MinVersion, o.MaxVersion
	}
	if o.CipherSuitesSet {
		conf.CipherSuites = o.CipherSuites
	}
	switch o.VerifyClient {
	case "", "none":
		return conf, nil
	case "optional_no_ca":
		conf.ClientAuth = tls.RequestClientCert
		return conf, nil
	case "optional":
		conf.ClientAuth = tls.VerifyClientCertIfGiven
	case "require":
		conf.ClientAuth = tls.RequireAndVerifyClientCert
	}
	pool := x509.NewCertPool()
	n := 0
	if o.CACertificateFile != "" {
		ders, err := readPEMCerts(o.CACertificateFile)
		if err != nil {
			return nil, fail("SSLCACertificateFile %s: %v", o.CACertificateFile, err)
		}
		for _, d := range ders {
			if c, err := x509.ParseCertificate(d); err == nil {
				pool.AddCert(c)
				n++
			}
		}
	}
	if o.CACertificatePath != "" {
		entries, err := os.ReadDir(o.CACertificatePath)
		if err != nil {
			return nil, fail("SSLCACertificatePath: %v", err)
		}
		for _, e := range entries {
			ders, err := readPEMCerts(filepath.Join(o.CACertificatePath, e.Name()))
			if err != nil {
				continue // not a certificate file (httpd reads only the hash links)
			}
			for _, d := range ders {
				if c, err := x509.ParseCertificate(d); err == nil {
					pool.AddCert(c)
					n++
				}
			}
		}
	}
	if n == 0 {
		return nil, &parser.Error{Pos: o.VerifyClientPos, Msg: fmt.Sprintf("SSLVerifyClient %s in %s: no CA certificate to verify clients with", o.VerifyClient, vhostName(v)),
			Hint: "add SSLCACertificateFile or SSLCACertificatePath (httpd: \"Unable to configure verify locations for client authentication\")"}
	}
	conf.ClientCAs = pool
	depth := 1 // mod_ssl's default SSLVerifyDepth
	if o.VerifyDepth != nil {
		depth = *o.VerifyDepth
	}
	conf.VerifyPeerCertificate = func(_ [][]byte, chains [][]*x509.Certificate) error {
		for _, ch := range chains {
			if len(ch)-1 <= depth {
				return nil
			}
		}
		if len(chains) == 0 {
			return nil // no certificate given (optional)
		}
		return fmt.Errorf("client certificate chain longer than SSLVerifyDepth %d", depth)
	}
	return conf, nil
}

// readPEMCerts returns the DER bytes of every CERTIFICATE block of a file.
func readPEMCerts(name string) ([][]byte, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type == "CERTIFICATE" {
			out = append(out, b.Bytes)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no PEM certificate in it")
	}
	return out, nil
}

func keyFile(v *config.VHost) string {
	if v.SSLCertificateKeyFile != "" {
		return v.SSLCertificateKeyFile
	}
	return v.SSLCertificateFile // the key may be in the certificate file, as mod_ssl allows
}

func vhostOnPort(v *config.VHost, port int) bool {
	if v.IsMain {
		return v.Port == 0 || v.Port == port
	}
	for _, a := range v.Addrs {
		if a.Port == 0 || a.Port == port {
			return true
		}
	}
	return false
}

func vhostName(v *config.VHost) string {
	if v.Name != "" {
		return v.Name
	}
	if v.IsMain {
		return "the main server"
	}
	return "<VirtualHost>"
}

// HTTP1Server returns the HTTP/1.x server of a listener, with the main
// server's connection settings (Timeout, KeepAlive, KeepAliveTimeout,
// MaxKeepAliveRequests) and the request limits of the first vhost on the
// listener's port that sets them, else the main server's. Over TLS, h2
// connections go to a net/http server with the same Timeout and limits.
func HTTP1Server(c *config.Config, ln Listener, h http.Handler, log *slog.Logger) *http1.Server {
	m := c.Main
	if m == nil {
		m = &config.VHost{}
	}
	seconds := func(p *int, def int) time.Duration {
		if p != nil && *p > 0 {
			return time.Duration(*p) * time.Second
		}
		return time.Duration(def) * time.Second
	}
	value := func(p *int, def int) int {
		if p != nil && *p > 0 {
			return *p
		}
		return def
	}
	port := 0
	if _, p, err := net.SplitHostPort(ln.Addr); err == nil {
		port, _ = strconv.Atoi(p)
	}
	limit := func(get func(v *config.VHost) *int) *int {
		for _, v := range c.VHosts {
			if v != nil && vhostOnPort(v, port) && get(v) != nil {
				return get(v)
			}
		}
		return get(m)
	}
	lines := limit(func(v *config.VHost) *int { return v.LimitRequestLine })
	fieldSize := limit(func(v *config.VHost) *int { return v.LimitRequestFieldSize })
	fields := limit(func(v *config.VHost) *int { return v.LimitRequestFields })
	maxReq := 100
	if m.MaxKeepAliveRequests != nil {
		maxReq = max(*m.MaxKeepAliveRequests, 0)
	}
	srv := &http1.Server{
		Handler:   h,
		TLSConfig: ln.TLS,
		Log:       log,
		ErrorPage: ErrorPage,
		Limits: http1.Limits{
			RequestLine:          value(lines, 8190),
			FieldSize:            value(fieldSize, 8190),
			Fields:               value(fields, 100),
			Timeout:              seconds(m.Timeout, 60),
			KeepAlive:            m.KeepAlive == nil || *m.KeepAlive,
			KeepAliveTimeout:     seconds(m.KeepAliveTimeout, 5),
			MaxKeepAliveRequests: maxReq,
		},
	}
	if ln.TLS != nil {
		h2 := &http.Server{
			Handler:           h,
			TLSConfig:         ln.TLS,
			ReadHeaderTimeout: seconds(m.Timeout, 60),
			IdleTimeout:       seconds(m.KeepAliveTimeout, 5),
			MaxHeaderBytes:    value(lines, 8190) + value(fields, 100)*(value(fieldSize, 8190)+2),
		}
		if log != nil {
			h2.ErrorLog = slog.NewLogLogger(log.Handler(), slog.LevelWarn)
		}
		srv.H2 = h2
	}
	return srv
}
