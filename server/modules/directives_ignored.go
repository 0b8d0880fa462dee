package modules

import (
	"strings"
)

// Real Apache directives appserver does not implement are accepted where
// httpd accepts them and reported with a warning (Kind "ignored") that says
// what the user loses. A name that is neither implemented nor in these
// tables is an error, as in httpd.

// ignoredDef is one recognised-and-ignored directive.
type IgnoredDef struct {
	Name       string
	module     string
	Where      Override
	GlobalOnly bool
	// why overrides the module's loss text.
	why string
}

// loss says in a few words what ignoring the directive costs.
func (ig *IgnoredDef) Loss() string {
	if ig.why != "" {
		return ig.why
	}
	if w := directiveLoss[strings.ToLower(ig.Name)]; w != "" {
		return w
	}
	if w := moduleLoss[ig.module]; w != "" {
		return w
	}
	return "appserver does not implement " + strings.TrimSuffix(ig.module, ".c")
}

// ignoredByName indexes ignoredTable and thirdPartyTable by lower-cased name.
var IgnoredByName = map[string]*IgnoredDef{}

// ignoredDirectives is every ignored definition, for suggestions.
var IgnoredDirectives []*IgnoredDef

// moduleLoss is the default loss text per httpd module.
var moduleLoss = map[string]string{
	"core.c":                   "appserver does not implement this core setting",
	"event.c":                  "appserver does not use Apache's MPM settings; its own workers are the WSGI daemon groups",
	"prefork.c":                "appserver does not use Apache's MPM settings; its own workers are the WSGI daemon groups",
	"http_core.c":              "appserver does not implement this HTTP setting",
	"mod_actions.c":            "CGI actions do not run",
	"mod_alias.c":              "this mod_alias setting is not applied",
	"mod_allowmethods.c":       "request methods are not restricted",
	"mod_auth_basic.c":         "HTTP Basic authentication does not happen",
	"mod_auth_digest.c":        "HTTP Digest authentication does not happen",
	"mod_auth_form.c":          "form-based authentication does not happen",
	"mod_authn_anon.c":         "anonymous authentication does not happen",
	"mod_authn_core.c":         "authentication does not happen",
	"mod_authn_dbd.c":          "authentication does not happen",
	"mod_authn_dbm.c":          "authentication does not happen",
	"mod_authn_file.c":         "authentication does not happen",
	"mod_authn_socache.c":      "authentication does not happen",
	"mod_authnz_fcgi.c":        "FastCGI authorizers do not run",
	"mod_authnz_ldap.c":        "LDAP authentication and authorization do not happen",
	"mod_authz_core.c":         "authorization settings beyond Require all granted|denied have no effect",
	"mod_authz_dbd.c":          "authorization does not happen",
	"mod_authz_dbm.c":          "authorization does not happen",
	"mod_authz_groupfile.c":    "group files are not read",
	"mod_autoindex.c":          "directory listings are not generated",
	"mod_brotli.c":             "responses are not compressed",
	"mod_buffer.c":             "responses are not buffered by the server",
	"mod_cache.c":              "responses are not cached",
	"mod_cache_disk.c":         "responses are not cached",
	"mod_cache_socache.c":      "responses are not cached",
	"mod_case_filter.c":        "the filter does not run",
	"mod_case_filter_in.c":     "the filter does not run",
	"mod_cern_meta.c":          "meta files are not read",
	"mod_cgi.c":                "CGI scripts do not run",
	"mod_cgid.c":               "CGI scripts do not run",
	"mod_charset_lite.c":       "character sets are not translated",
	"mod_dav.c":                "WebDAV is not served",
	"mod_dav_fs.c":             "WebDAV is not served",
	"mod_dav_lock.c":           "WebDAV is not served",
	"mod_dbd.c":                "no database connection pool is set up",
	"mod_deflate.c":            "responses are not compressed",
	"mod_dialup.c":             "bandwidth is not limited",
	"mod_dir.c":                "directory index files and trailing-slash redirects are not served",
	"mod_dumpio.c":             "request and response bodies are not logged",
	"mod_echo.c":               "the echo protocol is not served",
	"mod_env.c":                "the environment is not changed",
	"mod_expires.c":            "Expires and Cache-Control headers are not added",
	"mod_ext_filter.c":         "external filters do not run",
	"mod_file_cache.c":         "files are not cached in memory",
	"mod_filter.c":             "output filters do not run",
	"mod_heartbeat.c":          "no heartbeats are sent",
	"mod_heartmonitor.c":       "heartbeats are not collected",
	"mod_http2.c":              "HTTP/2 settings do not apply",
	"mod_ident.c":              "RFC 1413 identity is not looked up",
	"mod_imagemap.c":           "image maps are not served",
	"mod_include.c":            "server-side includes are not processed",
	"mod_info.c":               "the server-info page is not served",
	"mod_lbmethod_heartbeat.c": "proxy load balancing does not happen",
	"mod_log_config.c":         "this logging setting does not apply",
	"mod_log_debug.c":          "debug log messages are not written",
	"mod_log_forensic.c":       "the forensic log is not written",
	"mod_logio.c":              "this logging setting does not apply",
	"mod_lua.c":                "Lua scripts do not run",
	"mod_macro.c":              "this macro setting does not apply",
	"mod_md.c":                 "certificates are not obtained with ACME",
	"mod_mime.c":               "MIME types, encodings and languages are not assigned by extension",
	"mod_mime_magic.c":         "content types are not guessed from file contents",
	"mod_negotiation.c":        "content negotiation does not happen",
	"mod_proxy.c":              "this proxy setting does not apply (appserver implements ProxyPass, ProxyPassMatch, ProxyPassReverse, ProxyPreserveHost, ProxyTimeout and ProxyAddHeaders for HTTP backends)",
	"mod_proxy_connect.c":      "CONNECT is not proxied",
	"mod_proxy_express.c":      "requests are not proxied",
	"mod_proxy_fcgi.c":         "requests are not proxied",
	"mod_proxy_ftp.c":          "requests are not proxied",
	"mod_proxy_hcheck.c":       "proxy health checks do not run",
	"mod_proxy_html.c":         "proxied HTML is not rewritten",
	"mod_proxy_scgi.c":         "requests are not proxied",
	"mod_proxy_wstunnel.c":     "WebSockets are not proxied",
	"mod_reflector.c":          "request bodies are not reflected",
	"mod_remoteip.c":           "the client address is not taken from proxy headers (use WSGITrustedProxyHeaders)",
	"mod_reqtimeout.c":         "request read timeouts beyond Timeout do not apply",
	"mod_request.c":            "request bodies are not kept for filters",
	"mod_sed.c":                "sed filters do not run",
	"mod_session.c":            "sessions are not managed",
	"mod_session_cookie.c":     "sessions are not managed",
	"mod_session_crypto.c":     "sessions are not managed",
	"mod_session_dbd.c":        "sessions are not managed",
	"mod_socache_memcache.c":   "this cache setting does not apply",
	"mod_socache_redis.c":      "this cache setting does not apply",
	"mod_speling.c":            "misspelled URLs are not corrected",
	"mod_ssl.c":                "this TLS setting does not apply; Go's crypto/tls default stands for it",
	"mod_substitute.c":         "response bodies are not rewritten",
	"mod_suexec.c":             "CGI scripts do not run",
	"mod_unixd.c":              "this process setting does not apply",
	"mod_userdir.c":            "user directories are not served",
	"mod_usertrack.c":          "tracking cookies are not set",
	"mod_vhost_alias.c":        "dynamic mass virtual hosting does not happen",
	"mod_watchdog.c":           "this setting does not apply",
	"mod_wsgi.c":               "appserver does not implement this mod_wsgi feature",
	"mod_xml2enc.c":            "character sets of markup are not converted",
	"util_ldap.c":              "no LDAP connections are made",
}

// directiveLoss overrides moduleLoss where a directive's loss is worth
// spelling out.
var directiveLoss = map[string]string{
	"acceptpathinfo":               "requests with extra path info are not refused",
	"accessfilename":               ".htaccess files are never read",
	"allowoverridelist":            ".htaccess files are never read",
	"fileetag":                     "ETags use appserver's format",
	"enablemmap":                   "static file delivery is not tuned",
	"enablesendfile":               "static file delivery is not tuned",
	"hostnamelookups":              "client host names are not looked up",
	"serveradmin":                  "the admin address is not shown on error pages",
	"serversignature":              "error pages carry no server signature",
	"servertokens":                 "the Server header uses appserver's format",
	"usecanonicalname":             "self-referencing URLs are built from the Host header",
	"traceenable":                  "TRACE requests are refused (405) regardless",
	"stricthostcheck":              "requests for unknown host names go to the default vhost instead of getting 400",
	"protocols":                    "the protocol list does not apply; appserver offers HTTP/1.1 (and HTTP/2 over TLS)",
	"httpprotocoloptions":          "appserver applies its own HTTP parsing rules",
	"namevirtualhost":              "it has had no effect since httpd 2.4 either",
	"regexdefaultoptions":          "regexes keep httpd's default options (DOTALL, DOLLAR_ENDONLY)",
	"extendedstatus":               "appserver does not serve Apache's server-status page",
	"errorlogformat":               "the error log uses appserver's format",
	"setinputfilter":               "input filters do not run",
	"maxrequestsperchild":          "Apache children are not recycled; use maximum-requests= on WSGIDaemonProcess",
	"maxconnectionsperchild":       "Apache children are not recycled; use maximum-requests= on WSGIDaemonProcess",
	"header":                       "response headers are not changed",
	"requestheader":                "request headers are not changed before the application sees them",
	"setenvif":                     "the variable is not set from the request",
	"setenvifnocase":               "the variable is not set from the request",
	"setenvifexpr":                 "the variable is not set from the request",
	"browsermatch":                 "the variable is not set from the User-Agent",
	"browsermatchnocase":           "the variable is not set from the User-Agent",
	"typesconfig":                  "the MIME types file is not read; appserver uses Go's MIME table",
	"directoryindex":               "directory index files are not served",
	"authtype":                     "authentication does not happen, so no REMOTE_USER reaches the application",
	"authname":                     "authentication does not happen",
	"wsgiauthuserscript":           "the authentication script does not run",
	"wsgiauthgroupscript":          "the group authorization script does not run",
	"wsgigroupauthoritative":       "the group authorization script does not run",
	"wsgidispatchscript":           "the dispatch script does not run: process and application groups come from the config only",
	"wsgihandlerscript":            "handler scripts do not run",
	"wsgipassapacherequest":        "there is no Apache request object to pass",
	"xsendfile":                    "X-Sendfile responses are not served from disk",
	"proxypassreversecookiedomain": "cookies from the backend keep its domain",
	"proxypassreversecookiepath":   "cookies from the backend keep its path",
}

// thirdPartyTable lists directives of widely used modules that Debian does
// not ship with httpd; configs in the wild load them with LoadModule.
var ThirdPartyTable = []IgnoredDef{
	{Name: "XSendFile", module: "mod_xsendfile.c", Where: Anywhere, why: "X-Sendfile responses are not served from disk"},
	{Name: "XSendFilePath", module: "mod_xsendfile.c", Where: Anywhere, why: "X-Sendfile responses are not served from disk"},
	{Name: "XSendFileIgnoreEtag", module: "mod_xsendfile.c", Where: Anywhere, why: "X-Sendfile responses are not served from disk"},
	{Name: "XSendFileIgnoreLastModified", module: "mod_xsendfile.c", Where: Anywhere, why: "X-Sendfile responses are not served from disk"},
	{Name: "php_value", module: "mod_php.c", Where: Anywhere, why: "PHP is not run"},
	{Name: "php_flag", module: "mod_php.c", Where: Anywhere, why: "PHP is not run"},
	{Name: "php_admin_value", module: "mod_php.c", Where: Anywhere, why: "PHP is not run"},
	{Name: "php_admin_flag", module: "mod_php.c", Where: Anywhere, why: "PHP is not run"},
	{Name: "AuthExternal", module: "mod_authnz_external.c", Where: AccessConf | OrAuthCfg | OrLimit, why: "external authentication does not happen"},
	{Name: "DefineExternalAuth", module: "mod_authnz_external.c", Where: RsrcConf, why: "external authentication does not happen"},
	{Name: "GroupExternal", module: "mod_authnz_external.c", Where: AccessConf | OrAuthCfg | OrLimit, why: "external authorization does not happen"},
	{Name: "DefineExternalGroup", module: "mod_authnz_external.c", Where: RsrcConf, why: "external authorization does not happen"},
	{Name: "LookupUserByCertificate", module: "mod_lookup_identity.c", Where: Anywhere, why: "users are not looked up"},
	{Name: "LookupUserByCertificateParamName", module: "mod_lookup_identity.c", Where: Anywhere, why: "users are not looked up"},
	{Name: "InterceptFormLogin", module: "mod_intercept_form_submit.c", Where: Anywhere, why: "form logins are not intercepted"},
	{Name: "InterceptFormPassword", module: "mod_intercept_form_submit.c", Where: Anywhere, why: "form logins are not intercepted"},
	{Name: "InterceptFormPasswordRedact", module: "mod_intercept_form_submit.c", Where: Anywhere, why: "form logins are not intercepted"},
	{Name: "InterceptFormPAMService", module: "mod_intercept_form_submit.c", Where: Anywhere, why: "form logins are not intercepted"},
	{Name: "NSSEngine", module: "mod_nss.c", Where: RsrcConf, why: "mod_nss TLS is not provided; use SSLEngine"},
	{Name: "NSSCertificateDatabase", module: "mod_nss.c", Where: RsrcConf, why: "mod_nss TLS is not provided; use SSLCertificateFile"},
	{Name: "NSSNickname", module: "mod_nss.c", Where: RsrcConf, why: "mod_nss TLS is not provided; use SSLCertificateFile"},
	{Name: "NSSProtocol", module: "mod_nss.c", Where: RsrcConf, why: "mod_nss TLS is not provided"},
	{Name: "NSSCipherSuite", module: "mod_nss.c", Where: RsrcConf, why: "mod_nss TLS is not provided"},
	{Name: "PassengerEnabled", module: "mod_passenger.c", Where: Anywhere, why: "Passenger does not run"},
	{Name: "PassengerAppRoot", module: "mod_passenger.c", Where: Anywhere, why: "Passenger does not run"},
	{Name: "PassengerRoot", module: "mod_passenger.c", Where: RsrcConf, why: "Passenger does not run"},
	{Name: "PassengerPython", module: "mod_passenger.c", Where: Anywhere, why: "Passenger does not run"},
	{Name: "ShibRequestSetting", module: "mod_shib.c", Where: AccessConf | OrAuthCfg | OrLimit, why: "Shibboleth authentication does not happen"},
	{Name: "ShibRequireSession", module: "mod_shib.c", Where: AccessConf | OrAuthCfg | OrLimit, why: "Shibboleth authentication does not happen"},
	{Name: "ShibUseHeaders", module: "mod_shib.c", Where: AccessConf | OrAuthCfg | OrLimit, why: "Shibboleth authentication does not happen"},
	{Name: "ShibCompatValidUser", module: "mod_shib.c", Where: RsrcConf, why: "Shibboleth authentication does not happen"},
	{Name: "Krb5KeyTab", module: "mod_auth_kerb.c", Where: AccessConf | OrAuthCfg | OrLimit, why: "Kerberos authentication does not happen"},
	{Name: "KrbMethodNegotiate", module: "mod_auth_kerb.c", Where: AccessConf | OrAuthCfg | OrLimit, why: "Kerberos authentication does not happen"},
	{Name: "KrbMethodK5Passwd", module: "mod_auth_kerb.c", Where: AccessConf | OrAuthCfg | OrLimit, why: "Kerberos authentication does not happen"},
	{Name: "KrbAuthRealms", module: "mod_auth_kerb.c", Where: AccessConf | OrAuthCfg | OrLimit, why: "Kerberos authentication does not happen"},
	{Name: "KrbServiceName", module: "mod_auth_kerb.c", Where: AccessConf | OrAuthCfg | OrLimit, why: "Kerberos authentication does not happen"},
	{Name: "KrbSaveCredentials", module: "mod_auth_kerb.c", Where: AccessConf | OrAuthCfg | OrLimit, why: "Kerberos authentication does not happen"},
	{Name: "KrbLocalUserMapping", module: "mod_auth_kerb.c", Where: AccessConf | OrAuthCfg | OrLimit, why: "Kerberos authentication does not happen"},
}

// thirdPartyPrefixes are name families of third-party auth modules (their
// directive lists are long and change between releases): mod_auth_gssapi,
// mod_auth_mellon, mod_auth_openidc.
var thirdPartyPrefixes = []struct {
	prefix, module, why string
}{
	{"gssapi", "mod_auth_gssapi.c", "GSSAPI (Kerberos) authentication does not happen, so no REMOTE_USER reaches the application"},
	{"mellon", "mod_auth_mellon.c", "SAML authentication does not happen, so no REMOTE_USER reaches the application"},
	{"oidc", "mod_auth_openidc.c", "OpenID Connect authentication does not happen, so no REMOTE_USER reaches the application"},
}

// thirdPartyByPrefix returns a definition for a name of one of the
// thirdPartyPrefixes families, allowed anywhere.
func ThirdPartyByPrefix(lower, written string) *IgnoredDef {
	for _, p := range thirdPartyPrefixes {
		if strings.HasPrefix(lower, p.prefix) && len(lower) > len(p.prefix) {
			return &IgnoredDef{Name: written, module: p.module, Where: Anywhere, why: p.why}
		}
	}
	return nil
}
