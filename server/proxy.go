package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/appserver/appserver/server/config"
	"github.com/appserver/appserver/server/route"
)

// proxyTransports holds one Transport per backend timeout (ProxyTimeout,
// timeout=, or Timeout), so that connections to backends are reused as
// httpd's workers reuse theirs.
var proxyTransports sync.Map // transportKey -> *http.Transport

// transportKey: a backend's timeout, and its unix socket ("" = TCP).
type transportKey struct {
	timeout time.Duration
	socket  string
}

func proxyTransport(timeout time.Duration, socket string) *http.Transport {
	k := transportKey{timeout, socket}
	if t, ok := proxyTransports.Load(k); ok {
		return t.(*http.Transport)
	}
	d := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	dial := d.DialContext
	if socket != "" {
		dial = func(ctx context.Context, _, _ string) (net.Conn, error) { return d.DialContext(ctx, "unix", socket) }
	}
	t := &http.Transport{
		DialContext:           dial,
		ResponseHeaderTimeout: timeout,
		MaxIdleConnsPerHost:   32,
		IdleConnTimeout:       90 * time.Second,
		// httpd's mod_proxy_http sends the body as the client sent it and
		// does not ask for compression on its own.
		DisableCompression: true,
	}
	actual, _ := proxyTransports.LoadOrStore(k, t)
	return actual.(*http.Transport)
}

// serveProxy is mod_proxy_http's handler: the request goes to
// rt.ProxyURL with the X-Forwarded-* headers mod_proxy_http adds, and the
// backend's redirects are mapped back by ProxyPassReverse.
func (f *Frontend) serveProxy(w http.ResponseWriter, r *http.Request, rt *route.Route, req *request) {
	target, err := url.Parse(rt.ProxyURL)
	if err != nil {
		f.log.Error("proxy: bad backend URL", "url", rt.ProxyURL, "uri", r.RequestURI)
		writeError(w, http.StatusInternalServerError, "")
		return
	}
	var pd *config.ProxyDir
	if rt.Conf != nil {
		pd = rt.Conf.Proxy
	}
	timeout := rt.ProxyTimeout
	if rt.ProxyPass != nil && rt.ProxyPass.Timeout != 0 {
		timeout = rt.ProxyPass.Timeout
	}
	if timeout == 0 {
		timeout = 60 * time.Second
		if m := req.gen.cfg.Main; m != nil && m.Timeout != nil && *m.Timeout > 0 {
			timeout = time.Duration(*m.Timeout) * time.Second
		}
	}
	client, _ := splitAddr(r.RemoteAddr)
	socket := ""
	if rt.ProxyPass != nil {
		socket = rt.ProxyPass.Socket
	}
	rp := &httputil.ReverseProxy{
		Transport: proxyTransport(timeout, socket),
		Rewrite: func(pr *httputil.ProxyRequest) {
			out := pr.Out
			out.URL = target
			out.Host = ""
			if pd != nil && pd.PreserveHost != nil && *pd.PreserveHost {
				out.Host = pr.In.Host
			}
			h := out.Header
			// httpd keeps its backend connections alive and says so.
			h.Set("Connection", "Keep-Alive")
			// ReverseProxy drops the client's X-Forwarded-For/-Host/-Proto
			// before Rewrite; httpd passes them on, and adds to them
			// (apr_table_mergen) unless ProxyAddHeaders Off.
			for _, k := range [...]string{"X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto"} {
				if v, ok := pr.In.Header[k]; ok {
					h[k] = v
				}
			}
			if pd != nil && pd.AddHeaders != nil && !*pd.AddHeaders {
				return
			}
			mergeHeader(h, "X-Forwarded-For", client)
			if host := pr.In.Host; host != "" {
				mergeHeader(h, "X-Forwarded-Host", host)
			}
			mergeHeader(h, "X-Forwarded-Server", rt.ServerHostname())
		},
		ModifyResponse: func(resp *http.Response) error {
			if pd != nil && len(pd.Reverse) > 0 {
				for _, name := range [...]string{"Location", "Content-Location", "URI"} {
					if v := resp.Header.Get(name); v != "" {
						resp.Header.Set(name, reverseMap(pd.Reverse, v, r, rt))
					}
				}
			}
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			f.proxyError(w, r, rt, err)
		},
	}
	rp.ServeHTTP(w, r)
}

func mergeHeader(h http.Header, name, v string) {
	if old := h.Get(name); old != "" {
		v = old + ", " + v
	}
	h.Set(name, v)
}

// reverseMap is ProxyPassReverse (ap_proxy_location_reverse_map): a value
// that starts with a rule's backend URL gets the rule's path instead, as
// an absolute URL of this server as the client named it.
func reverseMap(rules []config.ProxyReverse, v string, r *http.Request, rt *route.Route) string {
	for _, rr := range rules {
		if !strings.HasPrefix(v, rr.URL) {
			continue
		}
		rest := v[len(rr.URL):]
		path := rr.Path
		if strings.HasSuffix(path, "/") && strings.HasPrefix(rest, "/") {
			rest = rest[1:]
		}
		return serverURL(r, rt) + path + rest
	}
	return v
}

// serverURL is ap_construct_url's scheme://host[:port] for the request.
func serverURL(r *http.Request, rt *route.Route) string {
	scheme, defPort := "http", 80
	if r.TLS != nil {
		scheme, defPort = "https", 443
	}
	host := rt.ServerName
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if rt.ServerPort != 0 && rt.ServerPort != defPort {
		host += ":" + strconv.Itoa(rt.ServerPort)
	}
	return scheme + "://" + host
}

// proxyError answers as httpd does when the backend fails: 503 when it
// cannot be reached (mod_proxy puts the worker in error state), 502 "Proxy
// Error" when it does not answer in time or answers badly. The bodies are
// httpd 2.4's.
func (f *Frontend) proxyError(w http.ResponseWriter, r *http.Request, rt *route.Route, err error) {
	if errors.Is(err, context.Canceled) {
		return // the client went away
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		f.log.Error("AH01114: HTTP: failed to make connection to backend: "+op.Addr.String(), "uri", r.RequestURI, "backend", rt.ProxyURL, "error", err.Error())
		writeProxyPage(w, http.StatusServiceUnavailable, "Service Unavailable", proxy503)
		return
	}
	f.log.Error("AH00898: Error reading from remote server returned by "+r.URL.Path, "backend", rt.ProxyURL, "error", err.Error())
	writeProxyPage(w, http.StatusBadGateway, "Proxy Error", proxy502)
}

const (
	proxy503 = "<p>The server is temporarily unable to service your\nrequest due to maintenance downtime or capacity\nproblems. Please try again later.</p>\n"
	proxy502 = "<p>The proxy server received an invalid\nresponse from an upstream server.<br />\nThe proxy server could not handle the request<p>Reason: <strong>Error reading from remote server</strong></p></p>\n"
)

// writeProxyPage writes httpd 2.4's error page for status with its title.
func writeProxyPage(w http.ResponseWriter, status int, title, body string) {
	h := w.Header()
	h.Del("Content-Length")
	h.Set("Content-Type", "text/html; charset=iso-8859-1")
	if rw, ok := w.(interface{ WriteHeaderReason(int, string) }); ok {
		rw.WriteHeaderReason(status, title) // "502 Proxy Error", as httpd's status line
	} else {
		w.WriteHeader(status)
	}
	fmt.Fprintf(w, "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\" \"http://www.w3.org/TR/html4/strict.dtd\">\n<html><head>\n<title>%d %s</title>\n</head><body>\n<h1>%s</h1>\n%s</body></html>\n", status, title, title, body)
}
