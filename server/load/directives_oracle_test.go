package load

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

var apacheOracleFlag = flag.Bool("apache", false, "also run each directive oracle case through the real apache2 -t (slow)")

// directiveOracleCases pairs a config snippet with the first error httpd +
// mod_wsgi 4.9.4 report for it ("" = Syntax OK). TestDirectiveOracle
// checks that Load reports the same text (appserver may append a hint in
// parentheses), and, with -apache on a machine with Apache + mod_wsgi, that
// Apache still agrees, so the expectations cannot drift from the real
// thing: go test ./server -run TestDirectiveOracle -apache
var directiveOracleCases = []struct {
	name, conf, want string
}{
	// Arity and context texts of the core (config.c invoke_cmd).
	{"setenv-3-args", "SetEnv a b c\n", "SetEnv takes 1-2 arguments, an environment variable name and optional value to pass to CGI."},
	{"setenv-lowercase-name", "setenv a b c\n", "SetEnv takes 1-2 arguments, an environment variable name and optional value to pass to CGI."},
	{"setenv-in-vhost-ok", "<VirtualHost *:80>\nSetEnv a\n</VirtualHost>\n", ""},
	{"unsetenv-none", "UnsetEnv\n", "UnsetEnv requires at least one argument, a list of variables to remove from the CGI environment."},
	{"unsetenv-empty-stops", "UnsetEnv A \"\" B\n", ""},
	{"servername-in-location", "<Location /a>\nServerName x\n</Location>\n", "ServerName not allowed in <Location> context"},
	{"servername-in-if", "<If \"true\">\nServerName x\n</If>\n", "ServerName not allowed in <If> context"},
	{"servername-port-range", "ServerName a.b:0\n", "The port number \"a.b:0\" is outside the appropriate range (i.e., 1..65535)."},
	{"servername-port-junk", "ServerName a.b:xx\n", "The port number \"a.b:xx\" is outside the appropriate range (i.e., 1..65535)."},
	{"servername-wildcard", "ServerName *.a.b\n", "Invalid ServerName \"*.a.b\" use ServerAlias to set multiple server names."},
	{"servername-scheme", "ServerName http://a.b:80\n", ""},
	{"serveralias-main", "ServerAlias a\n", "ServerAlias only used in <VirtualHost>"},
	{"serveralias-location", "<Location /a>\nServerAlias x\n</Location>\n", "ServerAlias not allowed in <Location> context"},
	{"require-top", "Require all granted\n", "Require not allowed here"},
	{"require-vhost", "<VirtualHost *:80>\nRequire all granted\n</VirtualHost>\n", "Require not allowed in <VirtualHost> context"},
	{"require-all-bad", "<Location />\nRequire all foo\n</Location>\n", "Argument for 'Require all' must be 'granted' or 'denied'"},
	{"require-all-missing", "<Location />\nRequire all\n</Location>\n", "Argument for 'Require all' must be 'granted' or 'denied'"},
	{"require-all-extra", "<Location />\nRequire all granted extra\n</Location>\n", "Argument for 'Require all' must be 'granted' or 'denied'"},
	{"require-all-case", "<Location />\nRequire all DENIED\n</Location>\n", ""},
	{"require-not-any", "<Location />\nRequire not ip 1.2.3.4\n</Location>\n", "negative Require directive has no effect in <RequireAny> directive"},
	{"require-ip-none", "<Location />\nRequire ip\n</Location>\n", "'require ip' requires an argument"},
	{"require-ip-name", "<Location />\nRequire ip 10.0.0.1 example.com\n</Location>\n", "ip address 'example.com' appears to be invalid"},
	{"require-ip-partial-mask", "<Location />\nRequire ip 10.1/16\n</Location>\n", "ip address '10.1/16' appears to be invalid: The specified IP address is invalid."},
	{"require-ip-zero-bits", "<Location />\nRequire ip 10.0.0.0/0\n</Location>\n", "ip address '10.0.0.0/0' appears to be invalid: The specified network mask is invalid."},
	{"require-ip-v6-netmask", "<Location />\nRequire ip fe80::/ffff::\n</Location>\n", "ip address 'fe80::/ffff::' appears to be invalid: The specified network mask is invalid."},
	{"require-ip-mapped", "<Location />\nRequire ip ::ffff:1.2.3.4\n</Location>\n", "ip address '::ffff:1.2.3.4' appears to be invalid: The specified IP address is invalid."},
	{"require-ip-five-octets", "<Location />\nRequire ip 1.2.3.4.5\n</Location>\n", "ip address '1.2.3.4.5' appears to be invalid: The specified IP address is invalid."},
	{"require-ip-forms-ok", "<Location />\nRequire ip 10.1 10. 010.1.1.1 10.0.0.0/08 172.16.0.0/255.240.0.0 10.0.0.0/255.0.255.0 2001:db8::/32 ::1\n</Location>\n", ""},
	{"require-not-ip-bad-first", "<Location />\nRequire not ip bad\n</Location>\n", "ip address 'bad' appears to be invalid"},
	{"require-local-args-ok", "<Location />\nRequire local x\n</Location>\n", ""},
	{"require-not-in-all", "<Location />\n<RequireAll>\nRequire all granted\nRequire not ip 1.2.3.4\n</RequireAll>\n</Location>\n", ""},
	{"allowoverride-top", "AllowOverride None\n", "AllowOverride not allowed here"},
	{"allowoverride-vhost", "<VirtualHost *:80>\nAllowOverride None\n</VirtualHost>\n", "AllowOverride not allowed in <VirtualHost> context"},
	{"listen-none", "Listen\n", "Listen requires 1 or 2 arguments."},
	{"listen-3", "Listen 8080 http extra\n", "Listen requires 1 or 2 arguments."},
	{"listen-noport", "Listen abc\n", "Port must be specified"},
	{"listen-zero", "Listen 0\n", "Invalid address or port"},
	{"listen-big", "Listen 70000\n", "Invalid address or port"},
	{"listen-colon", "Listen :8080\n", "Invalid address or port"},
	{"listen-v6", "Listen [::1]:8080 https\n", ""},
	{"listen-dup", "Listen 8080\nListen 8080\n", "Cannot define multiple Listeners on the same IP:port"},
	{"listen-vhost", "<VirtualHost *:80>\nListen 80\n</VirtualHost>\n", "Listen cannot occur within <VirtualHost> section"},
	{"listen-location", "<Location /a>\nListen 80\n</Location>\n", "Listen not allowed in <Location> context"},
	{"user-vhost", "<VirtualHost *:80>\nUser x\n</VirtualHost>\n", "User cannot occur within <VirtualHost> section"},
	{"pidfile-vhost", "<VirtualHost *:80>\nPidFile x\n</VirtualHost>\n", "PidFile cannot occur within <VirtualHost> section"},
	{"alias-global-1", "Alias /a\n", "Alias must have two arguments when used globally"},
	{"alias-location-2", "<Location /a>\nAlias /b /c\n</Location>\n", "Alias cannot occur within directory context"},
	{"alias-location-1", "<Location /a>\nAlias /tmp\n</Location>\n", ""},
	{"alias-directory-1", "<Directory /a>\nAlias /b\n</Directory>\n", "Alias cannot occur within <Directory> section"},
	{"alias-if-2", "<If \"true\">\nAlias /leak /tmp\n</If>\n", "Alias cannot occur within directory context"},
	{"alias-if-1", "<If \"true\">\nAlias /tmp\n</If>\n", "Alias cannot occur within <If> section"},
	{"aliasmatch-location", "<Location /a>\nAliasMatch /b /c\n</Location>\n", "AliasMatch not allowed in <Location> context"},
	{"aliasmatch-arity", "AliasMatch a\n", "AliasMatch takes two arguments, a regular expression and a filename"},
	{"documentroot-location", "<Location /a>\nDocumentRoot /\n</Location>\n", "DocumentRoot not allowed in <Location> context"},
	{"options-illegal", "Options +Foo\n", "Illegal option Foo"},
	{"options-mixed", "Options Indexes +FollowSymLinks\n", "Either all Options must start with + or -, or no Option may."},
	{"options-none-late", "Options Indexes None\n", "'Options None' must be the first Option given."},
	{"options-plus-all", "Options +All\n", "You may not use 'Options +All' or 'Options -All'."},
	{"options-ok", "Options IncludesNoExec FollowSymlinks execcgi multiviews\n", ""},
	{"limitrequestbody-junk", "LimitRequestBody 1G\n", "LimitRequestBody requires a non-negative integer."},
	{"limitrequestbody-neg", "LimitRequestBody -1\n", "LimitRequestBody requires a non-negative integer."},
	{"limitrequestbody-huge", "LimitRequestBody 99999999999999999999\n", "LimitRequestBody argument is not parsable."},
	{"limitrequestline-neg", "LimitRequestLine -5\n", "LimitRequestLine \"-5\" must be a non-negative integer"},
	{"limitrequestfieldsize-arity", "LimitRequestFieldSize\n", "LimitRequestFieldsize takes one argument, Limit on maximum size of an HTTP request header field"},
	{"timeout-junk-ok", "Timeout abc\n", ""},
	{"keepalive-bad", "KeepAlive maybe\n", "KeepAlive must be On or Off"},
	{"keepalive-extra-ok", "KeepAlive On extra\n", ""},
	{"keepalivetimeout-bad", "KeepAliveTimeout abc\n", "KeepAliveTimeout has wrong format"},
	{"keepalivetimeout-ms", "KeepAliveTimeout 5ms\n", ""},
	{"mergeslashes-bad", "MergeSlashes maybe\n", "MergeSlashes must be On or Off"},
	{"mergeslashes-location", "<Location /a>\nMergeSlashes On\n</Location>\n", "MergeSlashes not allowed in <Location> context"},
	{"allowencodedslashes-bad", "AllowEncodedSlashes maybe\n", "AllowEncodedSlashes must be On, Off, or NoDecode"},
	{"sethandler-2", "SetHandler a b\n", "SetHandler takes one argument, a handler name that overrides any other configured handler"},
	{"addhandler-1", "AddHandler wsgi-script\n", "AddHandler requires at least two arguments, a handler name followed by one or more file extensions"},
	{"customlog-cond", "CustomLog \"|/bin/cat\" combined foo\n", "error in condition clause"},
	{"logformat-3", "LogFormat \"%h\" combined extra\n", "LogFormat takes 1-2 arguments, a log format string (see docs) and an optional format name"},
	{"loglevel-bad", "LogLevel foo\n", "Log level keyword must be one of emerg/alert/crit/error/warn/notice/info/debug/trace1/.../trace8"},
	{"loglevel-module-bad", "LogLevel wsgi:foo\n", "wsgi:foo: Log level keyword must be one of emerg/alert/crit/error/warn/notice/info/debug/trace1/.../trace8"},
	{"sslengine-bad", "SSLEngine maybe\n", "Argument must be On or Off"},
	{"error-directive", "Error \"stop here\"\n", "stop here"},
	{"error-empty", "Error\n", "The Error directive was used with no message."},
	{"unknown", "FooBar x\n", "Invalid command 'FooBar', perhaps misspelled or defined by a module not included in the server configuration"},
	{"unknown-section", "<Foo bar>\n</Foo>\n", "Invalid command '<Foo', perhaps misspelled or defined by a module not included in the server configuration"},
	{"ignored-rewrite-ok", "RewriteEngine On\nRewriteRule ^/a /b\n", ""},
	{"ignored-header-ok", "<Location />\nHeader set X y\n</Location>\n", ""},
	{"ignored-order-top", "Order allow,deny\n", "order not allowed here"},
	{"ignored-startservers-vhost", "<VirtualHost *:80>\nStartServers 2\n</VirtualHost>\n", "StartServers cannot occur within <VirtualHost> section"},

	// Sections (§3.1 of the Apache reference).
	{"location-noarg", "<Location>\n</Location>\n", "<Location> directive requires additional arguments"},
	{"location-multi", "<Location /a /b>\n</Location>\n", "Multiple <Location> arguments not (yet) supported."},
	{"location-nogt", "<Location /a\n</Location>\n", "<Location> directive missing closing '>'"},
	{"location-tilde-bad", "<Location ~ \"(\">\n</Location>\n", "Regex could not be compiled"},
	{"location-tilde-alone", "<Location ~>\n</Location>\n", ""},
	{"locationmatch-multi", "<LocationMatch a b>\n</LocationMatch>\n", "Multiple <LocationMatch> arguments not (yet) supported."},
	{"directory-multi", "<Directory /a /b>\n</Directory>\n", "Multiple <Directory> arguments not (yet) supported."},
	{"directorymatch-bad", "<DirectoryMatch \"(\">\n</DirectoryMatch>\n", "Regex could not be compiled"},
	{"files-noarg", "<Files>\n</Files>\n", "<Files> directive requires additional arguments"},
	{"files-in-location", "<Location /a>\n<Files x>\n</Files>\n</Location>\n", "<Files> cannot occur within <Location> section"},
	{"files-in-files-ok", "<Directory /a>\n<Files x>\n<Files y>\n</Files>\n</Files>\n</Directory>\n", ""},
	{"location-in-location", "<Location /a>\n<Location /b>\n</Location>\n</Location>\n", "<Location not allowed in <Location> context"},
	{"location-in-directory", "<Directory /a>\n<Location /x>\n</Location>\n</Directory>\n", "<Location not allowed in <Directory> context"},
	{"location-in-if", "<If \"true\">\n<Location /x>\n</Location>\n</If>\n", "<Location not allowed in <If> context"},
	{"vhost-in-vhost", "<VirtualHost *:80>\n<VirtualHost *:80>\n</VirtualHost>\n</VirtualHost>\n", "<VirtualHost> cannot occur within <VirtualHost> section"},
	{"vhost-in-location", "<Location /a>\n<VirtualHost *:80>\n</VirtualHost>\n</Location>\n", "<VirtualHost not allowed in <Location> context"},
	{"vhost-noarg", "<VirtualHost>\n</VirtualHost>\n", "<VirtualHost> directive requires additional arguments"},
	{"vhost-badport", "<VirtualHost 1.2.3.4:0>\n</VirtualHost>\n", "The address or port is invalid"},
	{"vhost-addrs-ok", "<VirtualHost [::1]:80 127.0.0.1 _default_:* *>\n</VirtualHost>\n", ""},
	{"limit-top", "<Limit GET>\n</Limit>\n", "<Limit not allowed here"},
	{"limit-noarg", "<Location /a>\n<Limit>\n</Limit>\n</Location>\n", "<Limit> directive requires additional arguments"},
	{"limit-body-ok", "<Location /a>\n<Limit GET>\nSetEnv a b\nWSGIProcessGroup a\nRequire all granted\n</Limit>\n</Location>\n", ""},
	{"if-noarg", "<If>\n</If>\n", "<If> directive requires additional arguments"},
	{"else-arg", "<If \"true\">\n</If>\n<Else foo>\n</Else>\n", "<Else> does not take an argument"},
	{"else-alone", "<Else>\n</Else>\n", "<Else> or <ElseIf> section without previous <If> or <ElseIf> section in same scope"},
	{"elseif-noarg", "<If \"true\">\n</If>\n<ElseIf>\n</ElseIf>\n", "<ElseIf> directive requires additional arguments"},
	{"if-else-chain-ok", "<If \"true\">\n</If>\n<ElseIf \"false\">\n</ElseIf>\n<Else>\n</Else>\n", ""},
	{"files-in-if", "<If \"true\">\n<Files x>\n</Files>\n</If>\n", ""},
	{"require-in-nested-files", "<Directory /a>\n<Files x>\nRequire all denied\n</Files>\n</Directory>\n", ""},
	{"dir-level-mix-ok", "<Location /a>\nAddHandler wsgi-script .wsgi\nPassEnv PATH\nLogLevel debug\nOptions\nSetHandler None\nLimitRequestBody 0\n</Location>\n", ""},
	{"virtualhost-in-if", "<If \"true\">\n<VirtualHost *:80>\n</VirtualHost>\n</If>\n", "<VirtualHost not allowed in <If> context"},
	{"limit-in-vhost", "<VirtualHost *:80>\n<Limit GET>\n</Limit>\n</VirtualHost>\n", "<Limit not allowed in <VirtualHost> context"},
	{"requireall-top", "<RequireAll>\n</RequireAll>\n", "<RequireAll not allowed here"},
	{"proxy-in-location", "<Location />\n<Proxy \"*\">\n</Proxy>\n</Location>\n", "<Proxy not allowed in <Location> context"},

	// mod_wsgi.
	{"wsgi-daemon-noname", "WSGIDaemonProcess\n", "Name of WSGI daemon process not supplied."},
	{"wsgi-daemon-emptyname", "WSGIDaemonProcess \"\" threads=5\n", "Name of WSGI daemon process not supplied."},
	{"wsgi-daemon-bare", "WSGIDaemonProcess a threads\n", "Invalid option to WSGI daemon process definition."},
	{"wsgi-daemon-space", "WSGIDaemonProcess a threads =5\n", "Invalid option to WSGI daemon process definition."},
	{"wsgi-daemon-unknown", "WSGIDaemonProcess a foo=bar\n", "Invalid option to WSGI daemon process definition."},
	{"wsgi-daemon-eq", "WSGIDaemonProcess a threads=5 =x\n", "Invalid option to WSGI daemon process definition."},
	{"wsgi-daemon-dup", "WSGIDaemonProcess a\nWSGIDaemonProcess a\n", "Name duplicates previous WSGI daemon definition."},
	{"wsgi-daemon-quoted", "WSGIDaemonProcess 'my group' display-name=\"a b\" threads=3\n", ""},
	{"wsgi-daemon-threads0", "WSGIDaemonProcess a threads=0\n", ""},
	{"wsgi-daemon-threads-max", "WSGIDaemonProcess a threads=65533\n", ""},
	{"wsgi-daemon-threads-over", "WSGIDaemonProcess a threads=65534\n", "Invalid thread count for WSGI daemon process."},
	{"wsgi-daemon-threads-neg", "WSGIDaemonProcess a threads=-1\n", "Invalid thread count for WSGI daemon process."},
	{"wsgi-daemon-threads-empty", "WSGIDaemonProcess a threads=\n", "Invalid thread count for WSGI daemon process."},
	{"wsgi-daemon-processes0", "WSGIDaemonProcess a processes=0\n", "Invalid process count for WSGI daemon process."},
	{"wsgi-daemon-processes-junk", "WSGIDaemonProcess a processes=abc\n", "Invalid process count for WSGI daemon process."},
	{"wsgi-daemon-lenient", "WSGIDaemonProcess a graceful-timeout=abc memory-limit=1G threads=abc\n", ""},
	{"wsgi-daemon-home-empty", "WSGIDaemonProcess a home=\n", "Invalid home directory for WSGI daemon process."},
	{"wsgi-daemon-home-relative", "WSGIDaemonProcess a home=rel\n", "Invalid home directory for WSGI daemon process."},
	{"wsgi-daemon-root", "WSGIDaemonProcess a user=root\n", "WSGI process blocked from running as root."},
	{"wsgi-daemon-uid0", "WSGIDaemonProcess a user=#0\n", "WSGI process blocked from running as root."},
	{"wsgi-daemon-script-both", "WSGIDaemonProcess a script-user=www-data script-group=www-data\n", "Only one of script-user and script-group allowed."},
	{"wsgi-daemon-umask-bad", "WSGIDaemonProcess a umask=0999\n", "Invalid umask for WSGI daemon process."},
	{"wsgi-daemon-umask-empty", "WSGIDaemonProcess a umask=\n", "Invalid umask for WSGI daemon process."},
	{"wsgi-daemon-chroot-rel", "WSGIDaemonProcess a chroot=rel\n", "Invalid chroot directory for WSGI daemon process."},
	{"wsgi-daemon-stack0", "WSGIDaemonProcess a stack-size=0\n", "Invalid stack size for WSGI daemon process."},
	{"wsgi-daemon-metrics-bad", "WSGIDaemonProcess a server-metrics=yes\n", "Invalid server metrics flag for WSGI daemon process."},
	{"wsgi-daemon-sendbuf", "WSGIDaemonProcess a send-buffer-size=100\n", "Send buffer size must be >= 512 bytes, or 0 for system default."},
	{"wsgi-daemon-recvbuf", "WSGIDaemonProcess a receive-buffer-size=511\n", "Receive buffer size must be >= 512 bytes, or 0 for system default."},
	{"wsgi-daemon-headerbuf", "WSGIDaemonProcess a header-buffer-size=8191\n", "Header buffer size must be >= 8192 bytes, or 0 for default."},
	{"wsgi-daemon-respbuf", "WSGIDaemonProcess a response-buffer-size=1000\n", "Response buffer size must be >= 65536 bytes, or 0 for default."},
	{"wsgi-daemon-bufs-zero", "WSGIDaemonProcess a send-buffer-size=0 header-buffer-size=0 response-buffer-size=0\n", ""},
	{"wsgi-daemon-timeout-neg", "WSGIDaemonProcess a request-timeout=-1\n", "Invalid request timeout for WSGI daemon process."},
	{"wsgi-daemon-restart-neg", "WSGIDaemonProcess a restart-interval=-5\n", "Invalid restart interval for WSGI daemon process."},
	{"wsgi-daemon-cpu-neg", "WSGIDaemonProcess a cpu-time-limit=-5\n", "Invalid CPU time limit for WSGI daemon process."},
	{"wsgi-daemon-memory-neg", "WSGIDaemonProcess a memory-limit=-5\n", "Invalid memory limit for WSGI daemon process."},
	{"wsgi-daemon-socketuser-empty", "WSGIDaemonProcess a socket-user=\n", "Invalid socket user for WSGI daemon process."},
	{"wsgi-daemon-location", "<Location />\nWSGIDaemonProcess a\n</Location>\n", "WSGIDaemonProcess not allowed in <Location> context"},
	{"wsgi-processgroup-files-ok", "<Files x>\nWSGIProcessGroup a\n</Files>\n", ""},
	{"wsgi-processgroup-if-ok", "<If \"true\">\nWSGIProcessGroup x\n</If>\n", ""},
	{"wsgi-processgroup-empty", "WSGIProcessGroup \"\"\n", "WSGIProcessGroup takes one argument, Name of the WSGI process group."},
	{"wsgi-appgroup-2", "WSGIApplicationGroup %{GLOBAL} x\n", "WSGIApplicationGroup takes one argument, Application interpreter group."},
	{"wsgi-callable-empty", "WSGICallableObject \"\"\n", "WSGICallableObject takes one argument, Name of entry point in WSGI script file."},
	{"wsgi-passauth-bad", "WSGIPassAuthorization yes\n", "WSGIPassAuthorization must be one of: Off | On"},
	{"wsgi-maphead-auto", "WSGIMapHEADToGET auto\n", ""},
	{"wsgi-maphead-bad", "WSGIMapHEADToGET maybe\n", "WSGIMapHEADToGET must be one of: Off | On | Auto"},
	{"wsgi-pythonpath-vhost", "<VirtualHost *:80>\nWSGIPythonPath /x\n</VirtualHost>\n", "WSGIPythonPath cannot occur within <VirtualHost> section"},
	{"wsgi-pythonpath-location", "<Location /a>\nWSGIPythonPath /x\n</Location>\n", "WSGIPythonPath not allowed in <Location> context"},
	{"wsgi-socketprefix-vhost", "<VirtualHost *:80>\nWSGISocketPrefix /x\n</VirtualHost>\n", "WSGISocketPrefix cannot occur within <VirtualHost> section"},
	{"wsgi-restrictembedded-bad", "WSGIRestrictEmbedded maybe\n", "WSGIRestrictEmbedded must be one of: Off | On"},
	{"wsgi-socketrotation-bad", "WSGISocketRotation maybe\n", "WSGISocketRotation must be one of: Off | On"},
	{"wsgi-hashseed-bad", "WSGIPythonHashSeed abc\n", "WSGIPythonHashSeed must be \"random\" or an integer in range [0; 4294967295]"},
	{"wsgi-acceptmutex-bad", "WSGIAcceptMutex foo\n", "Accept mutex lock mechanism 'foo' is invalid. Valid accept mutex mechanisms for this platform are: default, flock, fcntl, sysvsem, posixsem, pthread."},
	{"wsgi-restrictprocess-empty", "WSGIRestrictProcess\n", ""},
	{"wsgi-trustedheaders-empty", "WSGITrustedProxyHeaders\n", ""},
	{"wsgi-trustedproxies-host", "WSGITrustedProxies 10.0.0.0/8 ::1 fe80::/10 example.com\n", "Unable to parse trusted proxy IP address/subnet of \"example.com\"."},
	{"wsgi-trustedproxies-mask", "WSGITrustedProxies 10.0.0.0/33\n", "Unable to parse trusted proxy IP address/subnet of \"10.0.0.0/33\". The specified network mask is invalid."},
	{"wsgi-trustedproxies-ip", "WSGITrustedProxies 300.1.1.1\n", "Unable to parse trusted proxy IP address/subnet of \"300.1.1.1\". The specified IP address is invalid."},
	{"wsgi-scriptalias-location", "<Location /a>\nWSGIScriptAlias /a /b\n</Location>\n", "WSGIScriptAlias not allowed in <Location> context"},
	{"wsgi-scriptalias-files", "<Files a>\nWSGIScriptAlias /a /b\n</Files>\n", "WSGIScriptAlias not allowed in <Files> context"},
	{"wsgi-scriptalias-1", "WSGIScriptAlias /x\n", "WSGIScriptAlias requires at least two arguments, Map location to target WSGI script file."},
	{"wsgi-scriptalias-emptytarget", "WSGIScriptAlias /x \"\"\n", "WSGIScriptAlias requires at least two arguments, Map location to target WSGI script file."},
	{"wsgi-scriptalias-badopt", "WSGIScriptAlias /x /y foo=bar\n", "Invalid option to WSGI script alias definition."},
	{"wsgi-scriptalias-bareopt", "WSGIScriptAlias /x /y a b\n", "Invalid option to WSGI script alias definition."},
	{"wsgi-scriptalias-emptypg", "WSGIScriptAlias /x /y process-group=\n", "Invalid name for WSGI process group."},
	{"wsgi-scriptalias-passauth", "WSGIScriptAlias /x /y pass-authorization=maybe\n", "Invalid value for authorization flag."},
	{"wsgi-scriptaliasmatch-bad", "WSGIScriptAliasMatch \"(\" /y\n", "Regular expression could not be compiled."},
	{"wsgi-scriptaliasmatch-noarg", "WSGIScriptAliasMatch\n", "WSGIScriptAliasMatch requires at least two arguments, Map location pattern to target WSGI script file."},
	{"wsgi-scriptalias-preload-early", "WSGIScriptAlias /x /y process-group=g application-group=%{GLOBAL}\nWSGIDaemonProcess g\n", "WSGI process group not yet configured."},
	{"wsgi-scriptalias-pg-only-ok", "WSGIScriptAlias /x /y process-group=g\nWSGIDaemonProcess g\n", ""},
	{"wsgi-scriptalias-dollar-ok", "WSGIScriptAliasMatch ^/(.*) /y/$1 process-group=a application-group=b\n", ""},
	{"wsgi-scriptalias-same-name-ok", "<VirtualHost *:80>\nServerName a\nWSGIDaemonProcess g\n</VirtualHost>\n<VirtualHost *:81>\nServerName a\nWSGIScriptAlias /x /y process-group=g application-group=%{GLOBAL}\n</VirtualHost>\n", ""},
	{"wsgi-scriptalias-main-from-vhost", "ServerName localhost\n<VirtualHost *:80>\nServerName a\nWSGIDaemonProcess g\n</VirtualHost>\nWSGIScriptAlias /x /y process-group=g application-group=%{GLOBAL}\n", "WSGI process group not accessible."},
	{"wsgi-import-other-name", "<VirtualHost *:80>\nServerName a\nWSGIDaemonProcess g\n</VirtualHost>\n<VirtualHost *:81>\nServerName b\nWSGIImportScript /y process-group=g application-group=%{GLOBAL}\n</VirtualHost>\n", "WSGI process group not accessible."},
	{"wsgi-import-unnamed-group", "<VirtualHost *:80>\nWSGIDaemonProcess g\n</VirtualHost>\n<VirtualHost *:81>\nServerName b\nWSGIImportScript /y process-group=g application-group=%{GLOBAL}\n</VirtualHost>\n", "WSGI process group not matchable."},
	{"wsgi-import-unnamed-user", "<VirtualHost *:80>\nServerName a\nWSGIDaemonProcess g\n</VirtualHost>\n<VirtualHost *:81>\nWSGIImportScript /y process-group=g application-group=%{GLOBAL}\n</VirtualHost>\n", "WSGI process group not matchable."},
	{"wsgi-import-global-group-ok", "WSGIDaemonProcess g\n<VirtualHost *:80>\nServerName a\nWSGIImportScript /y process-group=g application-group=%{GLOBAL}\n</VirtualHost>\n", ""},
	{"wsgi-import-noscript", "WSGIImportScript\n", "Location of import script not supplied."},
	{"wsgi-import-no-ag", "WSGIImportScript /y process-group=g\n", "Name of WSGI application group required."},
	{"wsgi-import-no-pg", "WSGIImportScript /y application-group=g\n", "Name of WSGI process group required."},
	{"wsgi-import-value-skips-blank", "WSGIImportScript /y application-group= process-group=x\n", "Name of WSGI process group required."},
	{"wsgi-import-badopt", "WSGIImportScript /y foo=bar\n", "Invalid option to WSGI import script definition."},

	// mod_headers (header_cmd) and ap_expr's parse messages.
	{"header-ok", "Header always set X-Frame-Options DENY\nHeader onsuccess unset X\nRequestHeader set X-Y \"%{Z}e %t %D\"\n", ""},
	{"header-bad-action", "Header bogus X y\n", "first argument must be 'add', 'set', 'setifempty', 'append', 'merge', 'unset', 'echo', 'note', 'edit', or 'edit*'."},
	{"header-empty", "Header\n", "first argument must be 'add', 'set', 'setifempty', 'append', 'merge', 'unset', 'echo', 'note', 'edit', or 'edit*'."},
	{"header-always-only", "Header always\n", "first argument must be 'add', 'set', 'setifempty', 'append', 'merge', 'unset', 'echo', 'note', 'edit', or 'edit*'."},
	{"requestheader-always", "RequestHeader always set X y\n", "first argument must be 'add', 'set', 'setifempty', 'append', 'merge', 'unset', 'echo', 'note', 'edit', or 'edit*'."},
	{"header-no-value", "Header always set X\n", "Header requires three arguments"},
	{"header-setifempty-no-value", "Header setifempty X\n", "Header requires three arguments"},
	{"header-empty-value-ok", "Header set X \"\"\n", ""},
	{"header-too-many", "Header set X y z w\n", "Too many arguments to directive"},
	{"requestheader-too-many", "RequestHeader set X y z w v\n", "RequestHeader has too many arguments"},
	{"header-unknown-param", "Header set X y z\n", "Unknown parameter: z"},
	{"header-env-empty", "Header set X y env=!\n", "error: missing environment variable name. envclause should be in the form env=envar"},
	{"header-edit-no-subs", "Header edit X a\n", "Header edit requires a match and a substitution"},
	{"header-edit-bad-regex", "Header edit X ( y\n", "Header edit regex could not be compiled"},
	{"header-edit-unknown", "Header edit X a b c\n", "Unknown parameter: c"},
	{"header-edit-all-ok", "Header always edit* X a b expr=true\nHeader edit X a b env=x\n", ""},
	{"header-unset-3", "Header unset X Y Z\n", "header unset takes two arguments"},
	{"header-unset-env-ok", "Header unset X env=a\n", ""},
	{"header-echo-bad-regex", "Header echo (\n", "Header echo regex could not be compiled"},
	{"header-echo-3", "Header echo ^X- y z\n", "Header echo takes two arguments"},
	{"requestheader-echo", "RequestHeader echo X\n", "Header echo only valid on Header directives"},
	{"requestheader-note", "RequestHeader note X Y\n", "RequestHeader does not support the 'note' action"},
	{"header-bad-format", "Header set X \"%{X}Z\"\n", "Unrecognized header format %Z"},
	{"header-format-open", "Header set X \"%{X}\"\n", "Unrecognized header format %"},
	{"header-early-in-location-ok", "<Location />\nHeader set X y early\n</Location>\n", ""},
	{"header-value-expr", "Header set X \"expr=%{FOO}\"\n", "Can't parse value expression : Variable 'FOO' does not exist"},
	{"header-expr-unknown-var", "Header set X y \"expr=%{HTTP_X_FOO} == 1\"\n", "Can't parse envclause/expression: Variable 'HTTP_X_FOO' does not exist"},
	{"header-expr-unknown-func", "Header set X y \"expr=foo(1) == 1\"\n", "Can't parse envclause/expression: Function 'foo' does not exist"},
	{"header-expr-unknown-unary", "Header set X y \"expr=-X 1\"\n", "Can't parse envclause/expression: Unary operator '-X' does not exist"},
	{"header-expr-end", "Header set X y \"expr=1 ==\"\n", "Can't parse envclause/expression: syntax error, unexpected $end"},
	{"header-expr-paren", "Header set X y \"expr=(true\"\n", "Can't parse envclause/expression: syntax error, unexpected $end, expecting T_OP_OR or T_OP_AND or ')'"},
	{"header-expr-regex", "Header set X y \"expr=%{REQUEST_URI} =~ /(/\"\n", "Can't parse envclause/expression: Failed to compile regular expression"},
	{"header-expr-ipmatch-const", "Header set X y \"expr=%{REMOTE_ADDR} -ipmatch 10.0.0.0/8\"\n", "Can't parse envclause/expression: -ipmatch requires subnet/netmask as constant argument"},
	{"header-expr-ipmatch-bad", "Header set X y \"expr=%{REMOTE_ADDR} -ipmatch '10.0.0.0/33'\"\n", "Can't parse envclause/expression: parsing of subnet/netmask failed"},
	{"header-expr-string", "Header set X y \"expr='abc == 1\"\n", "Can't parse envclause/expression: Unterminated string or variable"},
	{"header-expr-ok", "Header set X y \"expr=%{HTTP:X-Foo} =~ /a(b)/ && $1 == 'b' && %{remote_addr} -ipmatch '127.0.0.0/8' && tolower(%{REQUEST_METHOD}) in {'get', 'head'}\"\n", ""},
	{"header-in-if-ok", "<If \"-z env('HG_PROTOCOL')\">\nHeader set X y\n</If>\n<ElseIf \"%{QUERY_STRING} == 'x'\">\nRequestHeader set X y\n</ElseIf>\n<Else>\nHeader set X z\n</Else>\n", ""},
	// mod_setenvif (add_setenvif_core).
	{"setenvif-ok", "SetEnvIf A b c=1 d e=$1 !f\nBrowserMatchNoCase msie old\n<Location /x>\nSetEnvIfNoCase ^X- ^y$ hdr\n</Location>\n", ""},
	{"setenvif-none", "SetEnvIf\n", "Missing header-field name for SetEnvIf"},
	{"setenvif-no-regex", "SetEnvIf A\n", "Missing regular expression for SetEnvIf"},
	{"setenvif-empty-regex", "SetEnvIf User-Agent \"\" c\n", "Missing regular expression for SetEnvIf"},
	{"setenvif-no-vars", "SetEnvIf A b\n", "Missing envariable expression for SetEnvIf"},
	{"setenvif-empty-var", "SetEnvIf Remote_Addr x \"\" b\n", "Missing envariable expression for SetEnvIf"},
	{"setenvif-bad-regex", "SetEnvIf A ( c\n", "SetEnvIf regex could not be compiled."},
	{"browsermatch-none", "BrowserMatch\n", "Missing regular expression for BrowserMatch"},
	{"browsermatch-no-vars", "BrowserMatch x\n", "Missing envariable expression for BrowserMatch"},
	{"setenvifexpr-none", "SetEnvIfExpr\n", "Missing expression for SetEnvIfExpr"},
	{"setenvifexpr-no-vars", "SetEnvIfExpr \"true\"\n", "Missing envariable expression for SetEnvIfExpr"},
	{"setenvifexpr-bad", "SetEnvIfExpr \"%{REQUEST_URI} =~ /x\" a=1\n", "Could not parse expression \"%{REQUEST_URI} =~ /x\": syntax error, unexpected $end, expecting T_REGEX or T_REGEX_I"},
	// Authentication and mod_access_compat addresses.
	{"authtype-none", "<Location />\nAuthType\n</Location>\n", "AuthType takes one argument, an HTTP authorization type (e.g., \"Basic\")"},
	{"authtype-two", "<Location />\nAuthType Basic Digest\n</Location>\n", "AuthType takes one argument, an HTTP authorization type (e.g., \"Basic\")"},
	{"authtype-top", "AuthType Basic\n", "AuthType not allowed here"},
	{"authname-none", "<Location />\nAuthName\n</Location>\n", "AuthName takes one argument, the authentication realm (e.g. \"Members Only\")"},
	{"authname-quoted", "<Location />\nAuthName \"a \\\"b\\\" c\"\n</Location>\n", ""},
	{"authuserfile-two", "<Location />\nAuthUserFile a b\n</Location>\n", "AuthUserFile takes one argument, text file containing user IDs and passwords"},
	{"authgroupfile-two", "<Location />\nAuthGroupFile a b\n</Location>\n", "AuthGroupFile takes one argument, text file containing group names and member user IDs"},
	{"authbasicprovider-unknown", "<Location />\nAuthBasicProvider file foo\n</Location>\n", "Unknown Authn provider: foo"},
	{"authbasicprovider-dbm", "<Location />\nAuthBasicProvider file dbm\n</Location>\n", ""},
	{"require-method-bad", "<Location />\nRequire method GET get\n</Location>\n", "Invalid Method 'get'"},
	{"require-method-ok", "<Location />\nRequire method GET HEAD PATCH BASELINE-CONTROL\n</Location>\n", ""},
	{"require-user-empty", "<Location />\nRequire user\n</Location>\n", ""},
	{"require-not-valid-user", "<Location />\nRequire not valid-user\n</Location>\n", "negative Require directive has no effect in <RequireAny> directive"},
	{"allow-bad-ip", "<Location />\nAllow from 10.0.0.300\n</Location>\n", "The specified IP address is invalid."},
	{"allow-bad-mask", "<Location />\nAllow from 10.0.0.0/33\n</Location>\n", "The specified network mask is invalid."},
	{"allow-name-mask", "<Location />\nAllow from foo/8\n</Location>\n", "An IP address was expected"},
	{"allow-v6-mask", "<Location />\nDeny from ::1/200\n</Location>\n", "The specified network mask is invalid."},
	{"wsgi-authuser-none", "<Location />\nWSGIAuthUserScript\n</Location>\n", "Location of auth user script not supplied."},
	{"wsgi-authuser-badopt", "<Location />\nWSGIAuthUserScript /x process-group=b\n</Location>\n", "Invalid option to WSGI auth user script definition."},
	{"wsgi-authuser-emptygroup", "<Location />\nWSGIAuthUserScript /x application-group=\n</Location>\n", "Invalid name for WSGI application group."},
	{"wsgi-authgroup-badopt", "<Location />\nWSGIAuthGroupScript /x a\n</Location>\n", "Invalid option to WSGI auth group script definition."},
	{"wsgi-access-none", "<Location />\nWSGIAccessScript\n</Location>\n", "Location of access script not supplied."},
	{"wsgi-access-badopt", "<Location />\nWSGIAccessScript /x a=b\n</Location>\n", "Invalid option to WSGI access script definition."},
	{"wsgi-access-ok", "<Location />\nWSGIAccessScript /x application-group=%{GLOBAL}\nAuthBasicProvider wsgi\nRequire wsgi-group a\n</Location>\n", ""},
	{"allow-odd-forms", "<Location />\nAllow from 1.2.3 1.2.3.x 10.1.2.3/255.0.0.1 env=A env=!B example.org\n</Location>\n", ""},
}

func TestDirectiveOracle(t *testing.T) {
	apache := apacheOracle(t)
	for _, tc := range directiveOracleCases {
		t.Run(tc.name, func(t *testing.T) {
			_, errs := loadTestConf(t, tc.conf, Options{NoHostChecks: true})
			got := ""
			if len(errs) > 0 {
				got = errs[0].Msg
			}
			if !sameMessage(got, tc.want) {
				t.Errorf("appserver: got %q, want %q (all errors: %v)", got, tc.want, errs)
			}
			if apache != nil {
				if real := apache(t, tc.conf); real != tc.want {
					t.Errorf("Apache says %q, the table says %q", real, tc.want)
				}
			}
		})
	}
}

// sameMessage reports whether got is want, possibly followed by a hint of
// appserver's in parentheses.
func sameMessage(got, want string) bool {
	if got == want {
		return true
	}
	return want != "" && strings.HasPrefix(got, want+" (")
}

// apacheOracle returns a function that runs `apache2 -t` on a snippet and
// returns its first error ("" for Syntax OK), or nil unless -apache is set
// and Apache + mod_wsgi are installed.
func apacheOracle(t *testing.T) func(*testing.T, string) string {
	const httpd, modDir = "/usr/sbin/apache2", "/usr/lib/apache2/modules"
	if !*apacheOracleFlag {
		return nil
	}
	if _, err := os.Stat(httpd); err != nil {
		return nil
	}
	if _, err := os.Stat(filepath.Join(modDir, "mod_wsgi.so")); err != nil {
		return nil
	}
	mods, _ := filepath.Glob(filepath.Join(modDir, "mod_*.so"))
	sort.Strings(mods)
	var head strings.Builder
	head.WriteString("LoadModule mpm_event_module " + filepath.Join(modDir, "mod_mpm_event.so") + "\n")
	for _, m := range mods {
		name := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(m), "mod_"), ".so")
		if strings.HasPrefix(name, "mpm_") {
			continue
		}
		head.WriteString("LoadModule " + name + "_module " + m + "\n")
	}
	errLine := regexp.MustCompile(`^AH00526: Syntax error on line \d+ of .*:$`)
	return func(t *testing.T, conf string) string {
		dir := t.TempDir()
		main := filepath.Join(dir, "httpd.conf")
		snippet := filepath.Join(dir, "snippet.conf")
		hdr := "ServerRoot " + dir + "\nErrorLog " + filepath.Join(dir, "error.log") +
			"\nPidFile " + filepath.Join(dir, "pid") + "\nDefaultRuntimeDir " + dir + "\n" + head.String() +
			"Include " + snippet + "\n"
		if err := os.WriteFile(main, []byte(hdr), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(snippet, []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
		out, _ := exec.Command(httpd, "-d", dir, "-f", main, "-t").CombinedOutput()
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		for i, l := range lines {
			if errLine.MatchString(l) && i+1 < len(lines) {
				return lines[i+1]
			}
			if l == "Syntax OK" {
				return ""
			}
		}
		t.Fatalf("cannot read apache2 -t output:\n%s", out)
		return ""
	}
}
