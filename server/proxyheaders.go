package server

import (
	"net/http"
	"net/netip"
	"strings"

	"github.com/appserver/appserver/server/config"
)

// Trusted proxy headers, as mod_wsgi applies WSGITrustedProxyHeaders and
// WSGITrustedProxies (mod_wsgi.c's wsgi_process_proxy_headers). Headers come in families;
// the configured member of a family rewrites the CGI variable, the other
// members are dropped so an app cannot be fooled by them.
var proxyFamilies = [][]string{
	{"X-Forwarded-For", "X-Client-Ip", "X-Real-Ip"},
	{"X-Forwarded-Https", "X-Forwarded-Proto", "X-Forwarded-Scheme", "X-Forwarded-Ssl", "X-Https", "X-Scheme"},
	{"X-Forwarded-Host", "X-Host"},
	{"X-Forwarded-Port"},
	{"X-Forwarded-Server"},
	{"X-Script-Name", "X-Forwarded-Script-Name"},
}

// applyTrustedProxies rewrites env (key, value pairs from buildEnv) for the
// trusted proxy headers of conf. Without WSGITrustedProxyHeaders it only
// returns env unchanged: mod_wsgi passes such headers through as plain
// HTTP_* variables.
func applyTrustedProxies(env []string, r *http.Request, conf *config.DirConf) []string {
	if conf == nil || len(conf.TrustedProxyHeaders) == 0 {
		return env
	}
	trusted := map[string]bool{}
	for _, h := range conf.TrustedProxyHeaders {
		trusted[http.CanonicalHeaderKey(h)] = true
	}
	proxies := parseProxies(conf.TrustedProxies)
	peer, _ := splitAddr(r.RemoteAddr)
	peerTrusted := len(proxies) == 0 || inProxies(proxies, peer)

	for _, family := range proxyFamilies {
		var use string
		for _, h := range family {
			if trusted[h] && use == "" {
				use = h
			}
		}
		if use == "" {
			continue
		}
		// Every member of a configured family leaves the environ; the
		// trusted one is applied first when the peer may set it.
		value := r.Header.Get(use)
		for _, h := range family {
			env = delEnv(env, cgiHeaderKey(h))
		}
		if !peerTrusted || value == "" {
			continue
		}
		switch use {
		case "X-Forwarded-For", "X-Client-Ip", "X-Real-Ip":
			addr, kept := clientFromForwarded(value, proxies)
			env = setEnv(env, "REMOTE_ADDR", addr)
			if use == "X-Forwarded-For" {
				env = setEnv(env, "HTTP_X_FORWARDED_FOR", kept)
			}
		case "X-Forwarded-Proto", "X-Forwarded-Scheme", "X-Scheme":
			env = setEnv(env, "HTTPS", onOff(strings.EqualFold(strings.TrimSpace(value), "https")))
		case "X-Forwarded-Https", "X-Forwarded-Ssl", "X-Https":
			v := strings.ToLower(strings.TrimSpace(value))
			env = setEnv(env, "HTTPS", onOff(v == "on" || v == "1" || v == "true" || v == "yes"))
		case "X-Forwarded-Host", "X-Host":
			env = setEnv(env, "HTTP_HOST", value)
		case "X-Forwarded-Port":
			env = setEnv(env, "SERVER_PORT", value)
		case "X-Forwarded-Server":
			env = setEnv(env, "SERVER_NAME", value)
		case "X-Script-Name", "X-Forwarded-Script-Name":
			env = setEnv(env, "mod_wsgi.mount_point", getEnv(env, "SCRIPT_NAME"))
			env = setEnv(env, "SCRIPT_NAME", value)
		}
	}
	return env
}

// clientFromForwarded picks the client from an X-Forwarded-For list: the
// leftmost entry when every peer is trusted; with a proxy list, the entry
// left of the run of trusted proxies at the right end (the rightmost entry
// when it is not trusted itself). kept is the header from that entry on.
func clientFromForwarded(value string, proxies []netip.Prefix) (client, kept string) {
	parts := strings.Split(value, ",")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	if len(proxies) == 0 {
		return parts[0], value
	}
	i := len(parts) - 1
	for i > 0 && inProxies(proxies, parts[i]) {
		i--
	}
	return parts[i], strings.Join(parts[i:], ", ")
}

func parseProxies(list []string) []netip.Prefix {
	var out []netip.Prefix
	for _, s := range list {
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p)
		} else if a, err := netip.ParseAddr(s); err == nil {
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
		}
	}
	return out
}

func inProxies(proxies []netip.Prefix, ip string) bool {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, p := range proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func onOff(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

func getEnv(env []string, k string) string {
	for i := 0; i+1 < len(env); i += 2 {
		if env[i] == k {
			return env[i+1]
		}
	}
	return ""
}

func delEnv(env []string, k string) []string {
	for i := 0; i+1 < len(env); i += 2 {
		if env[i] == k {
			return append(env[:i], env[i+2:]...)
		}
	}
	return env
}
