package server

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
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
	// certs holds the certificates TLS hands out; a reload swaps them
	// (TakeCertificates) without touching the listener.
	certs *atomic.Pointer[tls.Config]
}

// TakeCertificates makes l hand out the certificates of next, a listener
// of a newer config on the same address; false when either has no TLS.
func (l Listener) TakeCertificates(next Listener) bool {
	if l.certs == nil || next.certs == nil {
		return false
	}
	l.certs.Store(next.certs.Load())
	return true
}

// Listeners returns what Listen and the vhosts' SSL settings ask to serve.
// Certificates are loaded here, so a bad one is reported before anything
// starts; with several TLS vhosts on one port the client's SNI picks.
func Listeners(c *config.Config) ([]Listener, error) {
	var out []Listener
	for _, l := range c.Listen {
		ln := Listener{Addr: net.JoinHostPort(l.Addr, strconv.Itoa(l.Port))}
		var certs []tls.Certificate
		for _, v := range append([]*config.VHost{c.Main}, c.VHosts...) {
			if v == nil || !v.SSLEngine || !vhostOnPort(v, l.Port) {
				continue
			}
			cert, err := tls.LoadX509KeyPair(v.SSLCertificateFile, keyFile(v))
			if err != nil {
				return nil, &parser.Error{Pos: v.Pos, Msg: fmt.Sprintf("SSL certificate of %s: %v", vhostName(v), err),
					Hint: "fix SSLCertificateFile/SSLCertificateKeyFile"}
			}
			certs = append(certs, cert)
		}
		if len(certs) == 0 && l.Proto == "https" {
			return nil, &parser.Error{Pos: l.Pos, Msg: fmt.Sprintf("Listen %s https: no <VirtualHost> on port %d has SSLEngine on with a certificate", ln.Addr, l.Port),
				Hint: "add a TLS <VirtualHost> on that port, or remove the Listen (Apache listens on 443 only inside <IfModule ssl_module>)"}
		}
		if len(certs) > 0 {
			inner := &tls.Config{Certificates: certs, NextProtos: []string{"h2", "http/1.1"}, MinVersion: tls.VersionTLS12}
			ln.certs = &atomic.Pointer[tls.Config]{}
			ln.certs.Store(inner)
			current := ln.certs
			ln.TLS = &tls.Config{NextProtos: inner.NextProtos, MinVersion: inner.MinVersion,
				GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) { return current.Load(), nil }}
		}
		out = append(out, ln)
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
