package server

import (
	"crypto/tls"
	"fmt"
	"net"
	"strconv"
)

// Listener is one address to serve, with TLS when a vhost on its port has
// SSLEngine on (or the Listen directive says https).
type Listener struct {
	Addr string // host:port for net.Listen
	TLS  *tls.Config
}

// Listeners returns what Listen and the vhosts' SSL settings ask to serve.
// Certificates are loaded here, so a bad one is reported before anything
// starts; with several TLS vhosts on one port the client's SNI picks.
func (c *Config) Listeners() ([]Listener, error) {
	var out []Listener
	for _, l := range c.Listen {
		ln := Listener{Addr: net.JoinHostPort(l.Addr, strconv.Itoa(l.Port))}
		var certs []tls.Certificate
		for _, v := range append([]*VHost{c.Main}, c.VHosts...) {
			if v == nil || !v.SSLEngine || !vhostOnPort(v, l.Port) {
				continue
			}
			cert, err := tls.LoadX509KeyPair(v.SSLCertificateFile, keyFile(v))
			if err != nil {
				return nil, fmt.Errorf("%s:%d: SSL certificate of %s: %w", v.Pos.Filename, v.Pos.Line, vhostName(v), err)
			}
			certs = append(certs, cert)
		}
		if len(certs) == 0 && l.Proto == "https" {
			return nil, fmt.Errorf("%s:%d: Listen %s https: no <VirtualHost> on port %d has SSLEngine on with a certificate", l.Pos.Filename, l.Pos.Line, ln.Addr, l.Port)
		}
		if len(certs) > 0 {
			ln.TLS = &tls.Config{Certificates: certs, NextProtos: []string{"h2", "http/1.1"}, MinVersion: tls.VersionTLS12}
		}
		out = append(out, ln)
	}
	return out, nil
}

func keyFile(v *VHost) string {
	if v.SSLCertificateKeyFile != "" {
		return v.SSLCertificateKeyFile
	}
	return v.SSLCertificateFile // the key may be in the certificate file, as mod_ssl allows
}

func vhostOnPort(v *VHost, port int) bool {
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

func vhostName(v *VHost) string {
	if v.Name != "" {
		return v.Name
	}
	if v.IsMain {
		return "the main server"
	}
	return "<VirtualHost>"
}
