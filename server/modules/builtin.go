package modules

// Provided are the module identifiers and source names <IfModule>
// treats as loaded in a config with no LoadModule: the modules whose
// directives appserver implements. docs/configuration.md lists them (the -M
// view).
var Provided = []string{
	"core_module", "core.c", "http_module", "http_core.c",
	"so_module", "mod_so.c",
	"mpm_event_module", "event.c",
	"wsgi_module", "mod_wsgi.c",
	"env_module", "mod_env.c",
	"alias_module", "mod_alias.c",
	"authz_core_module", "mod_authz_core.c",
	"mime_module", "mod_mime.c",
	"log_config_module", "mod_log_config.c",
	"ssl_module", "mod_ssl.c",
	"proxy_module", "mod_proxy.c", "proxy_http_module", "mod_proxy_http.c",
	"version_module", "mod_version.c",
	"macro_module", "mod_macro.c",
	"status_module", "mod_status.c",
	"headers_module", "mod_headers.c",
	"setenvif_module", "mod_setenvif.c",
	"expires_module", "mod_expires.c",
	"deflate_module", "mod_deflate.c",
	"filter_module", "mod_filter.c",
	"appserver_module", "mod_appserver.c",
}

// Static are what <IfModule> treats as loaded before the first
// LoadModule of a config that loads its modules: those compiled into
// Debian's apache2 (apache2 -l), and appserver's own.
var Static = []string{
	"core_module", "core.c", "http_module", "http_core.c",
	"so_module", "mod_so.c", "watchdog_module", "mod_watchdog.c",
	"log_config_module", "mod_log_config.c", "logio_module", "mod_logio.c",
	"version_module", "mod_version.c", "unixd_module", "mod_unixd.c",
	"appserver_module", "mod_appserver.c",
}
