package parser

import (
	"net"
	"strconv"
	"strings"
)

// ParseAddrPort is APR's apr_parse_addr_port, which httpd uses for Listen,
// <VirtualHost> addresses and the Host header: "80", "host", "host:80",
// "[v6]", "[v6]:80". ok is false where APR returns EINVAL; port 0 means
// none given; a v6 host comes back without its brackets.
func ParseAddrPort(s string) (host string, port int, ok bool) {
	if s == "" {
		return "", 0, false
	}
	i := len(s) - 1
	for i >= 0 && s[i] >= '0' && s[i] <= '9' {
		i--
	}
	if i < 0 {
		p, err := strconv.Atoi(s)
		if err != nil || p < 1 || p > 65535 {
			return "", 0, false
		}
		return "", p, true
	}
	hostPart := s
	if s[i] == ':' && i != len(s)-1 {
		if i == 0 {
			return "", 0, false
		}
		p, err := strconv.Atoi(s[i+1:])
		if err != nil || p < 1 || p > 65535 {
			return "", 0, false
		}
		port = p
		hostPart = s[:i]
	}
	if strings.HasPrefix(hostPart, "[") {
		end := strings.IndexByte(hostPart, ']')
		if end != len(hostPart)-1 {
			return "", 0, false
		}
		h := hostPart[1:end]
		if strings.Contains(h, "%") {
			return "", 0, false
		}
		if ip := net.ParseIP(h); ip == nil || ip.To4() != nil && !strings.Contains(h, ":") {
			return "", 0, false
		}
		return h, port, true
	}
	return hostPart, port, true
}
