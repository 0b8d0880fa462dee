package config

import (
	"time"

	"github.com/appserver/appserver/parser"
)

// ProxyPass is one ProxyPass or ProxyPassMatch mapping (mod_proxy), at
// server level or as the one-argument form inside a <Location>.
type ProxyPass struct {
	Pos parser.Position
	// Path is the local URL-path; Regex is set for ProxyPassMatch and for
	// ProxyPass inside <LocationMatch> (Path is then its source).
	Path  string
	Regex *Regexp
	// URL is the backend ("http://host:port/path"); Exclude is "!".
	URL     string
	Exclude bool
	// Socket is the unix socket of a "unix:/path|http://host/" backend
	// ("" = connect to URL's host).
	Socket string
	// Flags and keys appserver honours; the other worker parameters are
	// accepted and only change connection pooling in httpd.
	NoCanon bool
	NoQuery bool          // accepted; it changes only mod_proxy_fcgi's SCRIPT_FILENAME
	Timeout time.Duration // timeout=; 0 = ProxyTimeout, else Timeout
}

// ProxyReverse is one ProxyPassReverse: a backend's redirect headers that
// start with URL get Path instead.
type ProxyReverse struct {
	Path string
	URL  string
}

// ProxyDir holds mod_proxy's per-directory settings.
type ProxyDir struct {
	// Pass is the one-argument ProxyPass of a <Location> (nil: none).
	Pass         *ProxyPass
	Reverse      []ProxyReverse
	PreserveHost *bool
	// AddHeaders is ProxyAddHeaders (nil: On, the X-Forwarded-* headers).
	AddHeaders *bool
}

// ProxyServer holds mod_proxy's per-server settings.
type ProxyServer struct {
	// Passes are the server's ProxyPass/ProxyPassMatch in file order; a
	// vhost is checked after the main server's (ProxyPassInherit On).
	Passes  []*ProxyPass
	Timeout time.Duration // ProxyTimeout; 0 = the server's Timeout
	// Unevaluated are <Proxy> sections with access rules appserver does
	// not evaluate: every proxied request of the server is refused.
	Unevaluated []parser.Position
}

// mergeProxyDir merges mod_proxy's per-directory settings: a child's
// Location ProxyPass and ProxyPreserveHost win, ProxyPassReverse rules
// accumulate (the parent's first, as mod_proxy appends them).
func mergeProxyDir(parent, child *ProxyDir) *ProxyDir {
	if child == nil {
		return parent
	}
	if parent == nil {
		return child
	}
	out := *parent
	if child.Pass != nil {
		out.Pass = child.Pass
	}
	if child.PreserveHost != nil {
		out.PreserveHost = child.PreserveHost
	}
	if child.AddHeaders != nil {
		out.AddHeaders = child.AddHeaders
	}
	if len(child.Reverse) > 0 {
		out.Reverse = append(append([]ProxyReverse(nil), parent.Reverse...), child.Reverse...)
	}
	return &out
}
