// Package config is the typed model of an httpd.conf as appserver reads
// it: servers, sections and their per-directory settings, aliases, groups,
// logs, and the access rules with their evaluation. Package load builds
// it; route, server and cmd read it and never change it.
package config

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/appserver/appserver/daemon"
	"github.com/appserver/appserver/parser"
)

// Config is a loaded, validated configuration: what serve runs and what
// configtest and routes report on. Build it with Load.
type Config struct {
	File       string
	ServerRoot string
	// Envvars is the apache2ctl envvars file whose variables were read.
	Envvars string

	// Listen holds the Listen directives in order.
	Listen []Listen
	// Main is the main server (directives outside any <VirtualHost>).
	Main *VHost
	// VHosts in file order.
	VHosts []*VHost
	// Groups are the WSGIDaemonProcess groups in definition order.
	Groups []*Group

	// Server-wide settings (main server only in httpd).
	User, Group          string // "" = not set
	PidFile              string
	SocketPrefix         string // WSGISocketPrefix
	PythonHome           string // WSGIPythonHome
	PythonOptimize       int    // WSGIPythonOptimize: PYTHONOPTIMIZE of every group's workers
	PythonEggs           string // WSGIPythonEggs: the default of python-eggs=
	PythonPath           []string
	RestrictEmbedded     bool
	MapHEADToGETExplicit bool
	// UsesAuthHooks: some section has a mod_wsgi auth or access script,
	// so requests carry the hooks that run them.
	UsesAuthHooks bool
	// UsesHostNames: some access rule matches client host names (Require
	// host or forward-dns, Allow/Deny from a name), so requests carry a
	// resolver.
	UsesHostNames bool
	// GracefulShutdownTimeout bounds how long a stop waits for requests in
	// flight; nil = not set, 0 = no limit (as in httpd).
	GracefulShutdownTimeout *time.Duration
	// ControlSocket is AppserverControlSocket: the unix socket of the
	// running server's control endpoints ("" = the default for the config
	// file, see server.ControlSocketPath).
	ControlSocket string
	// MonitorOff is "AppserverMonitor Off": no per-request counting (the
	// status page and metrics show processes only) and no peak RSS reading
	// in the workers. It exists to measure what monitoring costs.
	MonitorOff bool
	// ImportScripts are WSGIImportScript directives in order.
	ImportScripts []*ImportScript

	// Warnings found while loading (ignored directives, lint, host problems
	// under NoHostChecks). Errors are returned by Load instead.
	Warnings []Warning
}

// Group is a WSGIDaemonProcess: Spec is what package daemon runs; the
// other fields are what only the configuration and routing use.
type Group struct {
	Spec *daemon.Spec
	// VHost is the ServerName of the <VirtualHost> that defined the group,
	// "" for the main server. mod_wsgi lets only vhosts with the same
	// ServerName (or any, for a main-server group) use it.
	VHost string
	// Accepted as mod_wsgi does, without effect in appserver: its workers
	// speak to the front end over socket pairs (socket-user), it flushes as
	// data comes (response-buffer-size), and monitoring is its own.
	SocketUser          string
	ResponseBufferSize  int
	ServerMetrics       bool
	NewRelicConfigFile  string
	NewRelicEnvironment string
}

// Warning is a non-fatal finding, with the position it is about.
type Warning struct {
	Pos  parser.Position
	Msg  string
	Kind WarningKind
}

// WarningKind says what a warning is about; the names are those configtest
// prints and --json carries.
type WarningKind string

const (
	WarnIgnored WarningKind = "ignored" // a directive appserver recognises and does not implement
	WarnTuning  WarningKind = "tuning"  // ignored too, but it only tunes Apache itself: nothing a client sees changes
	WarnDenies  WarningKind = "denies"  // access rules appserver cannot evaluate: the section answers 403
	WarnLint    WarningKind = "lint"    // probably a mistake, though Apache accepts it
	WarnHost    WarningKind = "host"    // depends on this machine (--no-host-checks)
	WarnCompat  WarningKind = "compat"  // Apache and appserver read it differently
)

// WarningCounts says how many warnings there are of each kind, most
// frequent first: "230 warnings: 201 ignored, 24 lint, 5 denies".
func WarningCounts(ws []Warning) string {
	if len(ws) == 0 {
		return "no warnings"
	}
	counts := map[WarningKind]int{}
	for _, w := range ws {
		k := w.Kind
		if k == "" {
			k = "other"
		}
		counts[k]++
	}
	kinds := make([]WarningKind, 0, len(counts))
	for k := range counts {
		kinds = append(kinds, k)
	}
	sort.Slice(kinds, func(i, j int) bool {
		if counts[kinds[i]] != counts[kinds[j]] {
			return counts[kinds[i]] > counts[kinds[j]]
		}
		return kinds[i] < kinds[j]
	})
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		parts[i] = fmt.Sprintf("%d %s", counts[k], k)
	}
	noun := "warnings"
	if len(ws) == 1 {
		noun = "warning"
	}
	return fmt.Sprintf("%d %s: %s", len(ws), noun, strings.Join(parts, ", "))
}

// Listen is one Listen directive.
type Listen struct {
	Pos   parser.Position
	Addr  string // host part, "" = all addresses
	Port  int
	Proto string // "http", "https" or ""
}

// VHost is the main server or one <VirtualHost>.
type VHost struct {
	Pos     parser.Position
	IsMain  bool
	Addrs   []VHostAddr // empty for the main server
	Name    string      // ServerName without port ("" = not set)
	Port    int         // port from "ServerName host:port", else 0
	Aliases []string    // ServerAlias entries, lower-cased; may contain * and ?

	// Defaults are the per-directory settings written directly at server or
	// vhost scope (httpd's "lookup defaults"). For a vhost they are merged
	// over the main server's at load time.
	Defaults *DirConf
	// Sections are the <Location>, <LocationMatch>, <Directory>,
	// <DirectoryMatch>, <Files> and <FilesMatch> sections written at this
	// scope, in file order (not merged with the main server's).
	Sections []*Section

	// Rewrite is mod_rewrite's server config (nil: no mod_rewrite
	// directive in this server); Redirects the server-context Redirect*
	// lines in file order.
	Rewrite   *RewriteServer
	Redirects []*Redirect

	ScriptAliases []*ScriptAlias // WSGIScriptAlias(Match), file order
	FileAliases   []*Alias       // Alias / AliasMatch, file order
	DocumentRoot  string
	// Admin is ServerAdmin ("" = not set; a vhost inherits the main
	// server's), SERVER_ADMIN in the environ.
	Admin string

	// Server-level settings; unset fields inherit from the main server.
	Timeout               *int // seconds
	KeepAlive             *bool
	KeepAliveTimeout      *int
	MaxKeepAliveRequests  *int
	LimitRequestLine      *int
	LimitRequestFieldSize *int
	LimitRequestFields    *int
	ErrorLog              string
	CustomLogs            []CustomLog
	LogFormats            map[string]string // nickname -> format
	LogLevel              string
	SSLEngine             bool
	SSLCertificateFile    string
	SSLCertificateKeyFile string
	MergeSlashes          *bool
	AllowEncodedSlashes   string // "", "Off", "On", "NoDecode"
	// Proxy is mod_proxy's server config (nil: none); TLS the mod_ssl
	// options beyond the engine and certificate (nil: none).
	Proxy *ProxyServer
	TLS   *TLSOptions

	// SetEnvIf are the mod_setenvif rules written at this server's scope
	// (not in a section): they run before routing. A vhost's list does not
	// include the main server's; the main server's rules run first.
	SetEnvIf []*SetEnvIfRule
	// DeflateCompressionLevel is 1-9; 0 = not set (zlib's default).
	DeflateCompressionLevel int
}

// VHostAddr is one address of a <VirtualHost>.
type VHostAddr struct {
	Host string // IP, hostname, or "*" (also for _default_)
	Port int    // 0 = any port ("*" or omitted with no main-server port)
	Text string // as written, which also acts as an exact alias
}

// SectionKind tells which kind of section a Section is.
type SectionKind int

const (
	SectionLocation      SectionKind = iota
	SectionLocationMatch             // <LocationMatch> and <Location ~>
	SectionDirectory
	SectionDirectoryMatch // <DirectoryMatch> and <Directory ~>
	SectionFiles
	SectionFilesMatch // <FilesMatch> and <Files ~>
)

// Section is one per-directory section with the settings written in it.
type Section struct {
	Pos  parser.Position
	Kind SectionKind
	// Path is the argument as written (a URL path, filesystem path, file name
	// pattern, or regex source).
	Path string
	// Regex is set for the *Match kinds.
	Regex *Regexp
	Conf  *DirConf
	// Nested are <Files> sections inside a <Directory>.
	Nested []*Section
}

// DirConf holds per-directory settings. A nil pointer or empty string means
// "not set here", so merging keeps the parent's value.
type DirConf struct {
	ProcessGroup        *Setting // WSGIProcessGroup
	ApplicationGroup    *Setting // WSGIApplicationGroup
	CallableObject      *Setting // WSGICallableObject
	RestrictProcess     []string // WSGIRestrictProcess (replaces, not merges)
	PassAuthorization   *bool
	ScriptReloading     *bool
	ChunkedRequest      *bool
	ErrorOverride       *bool
	IgnoreActivity      *bool
	EnableSendfile      *bool
	MapHEADToGET        string   // "", "On", "Off", "Auto"
	TrustedProxyHeaders []string // replaces, not merges
	TrustedProxies      []string // replaces, not merges

	// Env lists SetEnv, UnsetEnv and PassEnv in the order written; mod_env
	// merges them per variable (child wins, UnsetEnv removes the parent's).
	Env []EnvOp

	Handler *Setting // SetHandler ("wsgi-script", "None", "server-status", ...)
	// Require is the section's Require outcome when it is known at load
	// time: "" (none), "granted", "denied"; or "request" when it depends
	// on the client's address and RequireRule decides per request.
	Require     string
	RequireRule *AuthzRule
	// AllowMethods lists the methods mod_allowmethods lets through (nil:
	// not set here; empty: "reset", every method).
	AllowMethods []string
	// AuthMerging is this section's own AuthMerging ("", "off", "and",
	// "or"): how its Require combines with the parent's.
	AuthMerging string
	// AuthType ("" for None), AuthName (quotes escaped as httpd stores
	// it), AuthBasicProvider (nil: "file"), AuthUserFile and AuthGroupFile
	// of mod_auth_basic, mod_authn_core, mod_authn_file and
	// mod_authz_groupfile; nil when unset.
	AuthType          *string
	AuthName          *string
	AuthBasicProvider []string
	AuthUserFile      *AuthFile
	AuthGroupFile     *AuthFile
	// AuthUserScript, AuthGroupScript and AccessScript are mod_wsgi's
	// WSGIAuthUserScript (AuthBasicProvider wsgi), WSGIAuthGroupScript
	// (Require wsgi-group) and WSGIAccessScript.
	AuthUserScript  *HookScript
	AuthGroupScript *HookScript
	AccessScript    *HookScript
	// Compat is the Order/Allow/Deny/Satisfy config in effect (access.go).
	Compat *AccessCompat
	// Denies are restricting rules appserver does not evaluate; each
	// refuses the requests it could apply to (fail closed).
	Denies           []*AccessDeny
	LimitRequestBody *int64
	Options          []string // kept for ExecCGI checks; otherwise ignored

	// DirectoryIndex lists mod_dir's index file names (nil: not set here;
	// empty: "DirectoryIndex disabled"); the nearest section's list wins.
	DirectoryIndex []string

	// AddHandlers maps file extensions (lower-case, without the dot) to
	// handler names (AddHandler); merged per extension, child wins.
	AddHandlers map[string]string

	// Proxy holds ProxyPass (in a <Location>), ProxyPassReverse and
	// ProxyPreserveHost (proxy.go); nil when none is set.
	Proxy *ProxyDir
	// SSLOptions are the SSLOptions words in order (+X/-X adjust the
	// parent's, as Options do); nil: not set here.
	SSLOptions []string
	// mod_headers' three tables (RequestHeader, Header [onsuccess], Header
	// always); mod_setenvif's rules written in a section. Each merges as
	// the parent's list followed by the child's.
	RequestHeaders   []*HeaderOp
	HeadersOnSuccess []*HeaderOp
	HeadersAlways    []*HeaderOp
	SetEnvIf         []*SetEnvIfRule
	// Rewrite is mod_rewrite's per-directory config (nil: no mod_rewrite
	// directive here). Redirects are mod_alias's Redirect* lines with a
	// path in this section (the child's first, as mod_alias merges them);
	// DirRedirect is the one-argument form ("Redirect [status] URL").
	Rewrite     *RewriteDir
	Redirects   []*Redirect
	DirRedirect *Redirect
	// Responses are the settings that act on the answer (responses.go);
	// nil when none applies.
	Responses *Responses
}

// Setting is a string value with the position it was set at.
type Setting struct {
	Value string
	Pos   parser.Position
}

// EnvOp is one SetEnv, UnsetEnv or PassEnv variable.
type EnvOp struct {
	Op    EnvOpKind
	Name  string
	Value string // for EnvSet; for EnvPass the value read from the environment at load time
	Pos   parser.Position
}

// EnvOpKind is the mod_env directive an EnvOp comes from.
type EnvOpKind string

const (
	EnvSet   EnvOpKind = "set"   // SetEnv
	EnvUnset EnvOpKind = "unset" // UnsetEnv
	EnvPass  EnvOpKind = "pass"  // PassEnv
)

// ScriptAlias is a WSGIScriptAlias or WSGIScriptAliasMatch.
type ScriptAlias struct {
	Pos    parser.Position
	URL    string  // prefix, or regex source for Match
	Regex  *Regexp // set for WSGIScriptAliasMatch
	Target string  // file or directory; may contain $N for Match
	// Options; nil = not given.
	ProcessGroup      *string
	ApplicationGroup  *string
	CallableObject    *string
	PassAuthorization *bool
}

// Alias is an Alias, AliasMatch (static files), or a ScriptAlias (CGI; kept
// so that routes can explain it).
type Alias struct {
	Pos    parser.Position
	URL    string
	Regex  *Regexp
	Target string
	Kind   AliasKind
}

// AliasKind is the mod_alias directive an Alias comes from.
type AliasKind string

const (
	AliasFile      AliasKind = "alias"            // Alias
	AliasFileMatch AliasKind = "aliasmatch"       // AliasMatch
	AliasCGI       AliasKind = "scriptalias"      // ScriptAlias
	AliasCGIMatch  AliasKind = "scriptaliasmatch" // ScriptAliasMatch
)

// CGI reports whether the alias maps to CGI scripts (ScriptAlias*).
func (k AliasKind) CGI() bool { return k == AliasCGI || k == AliasCGIMatch }

// ImportScript is a WSGIImportScript directive.
type ImportScript struct {
	Pos              parser.Position
	Script           string
	ProcessGroup     string
	ApplicationGroup string
}

// CustomLog is one CustomLog directive.
type CustomLog struct {
	Pos    parser.Position
	Target string // file path or "|program"
	Format string // nickname or inline format
	Cond   string // env=[!]VAR, if given
}
