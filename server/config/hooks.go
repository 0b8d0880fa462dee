package config

import (
	"net/netip"
	"strings"

	"github.com/appserver/appserver/parser"
)

// HookScript is a WSGIAuthUserScript, WSGIAuthGroupScript or
// WSGIAccessScript: a Python file whose check_password, groups_for_user or
// allow_access function mod_wsgi calls, loaded into AppGroup ("" =
// %{GLOBAL}, mod_wsgi's default for these scripts).
type HookScript struct {
	Path     string
	AppGroup string
	Pos      parser.Position
}

// AuthHooks runs mod_wsgi's hook functions for one request. Results are
// the Python values as mod_wsgi accepts them: "True", "False", "None", or
// "User:NAME" when check_password names the user; an error is an
// exception or a result mod_wsgi refuses.
type AuthHooks interface {
	CheckPassword(s *HookScript, user, password string) (string, error)
	GroupsForUser(s *HookScript, user string) ([]string, error)
	AllowAccess(s *HookScript, host string) (string, error)
}

// HostResolver answers the DNS questions of Require host, Require
// forward-dns and Allow/Deny from a host name, for one request.
type HostResolver interface {
	// RemoteHost is the client's name by double reverse lookup (the PTR
	// name, whose forward lookup includes ip), lower case; false when
	// there is none.
	RemoteHost(ip netip.Addr) (string, bool)
	// HasAddr reports whether name resolves to ip.
	HasAddr(name string, ip netip.Addr) bool
}

// InDomain is httpd's in_domain: host is domain or ends with it on a
// label boundary (a domain starting with '.' matches only below it),
// compared without case.
func InDomain(domain, host string) bool {
	dl, hl := len(domain), len(host)
	if domain == "" || hl < dl || !strings.EqualFold(domain, host[hl-dl:]) {
		return false
	}
	return hl == dl || domain[0] == '.' || host[hl-dl-1] == '.'
}
