package load

import (
	"crypto/tls"
	"strconv"
	"strings"

	"github.com/appserver/appserver/parser"
	"github.com/appserver/appserver/server/config"
	"github.com/appserver/appserver/server/modules"
)

// mod_ssl's protocol, cipher and client-certificate settings, mapped onto
// Go's crypto/tls (server/listen.go builds the tls.Config). Messages are
// mod_ssl 2.4.71's (apache2 -t).

func init() {
	directives.add(
		&directiveDef{name: "SSLProtocol", module: "mod_ssl.c", where: modules.RsrcConf, arity: rawArgs,
			help: "Enable or disable various SSL protocols ('[+-][" + "SSLv3|TLSv1|TLSv1.1|TLSv1.2|TLSv1.3] ...' - see manual)", setup: setupSSLProtocol},
		&directiveDef{name: "SSLCipherSuite", module: "mod_ssl.c", where: modules.Anywhere, arity: take12,
			help: "Colon-delimited list of permitted SSL Ciphers, optional preceded by protocol identifier ('XXX:...:XXX' - see manual)", setup: setupSSLCipherSuite},
		&directiveDef{name: "SSLHonorCipherOrder", module: "mod_ssl.c", where: modules.RsrcConf, arity: argFlag,
			help: "Use the server's cipher ordering preference", setup: func(c *cmd) *parser.Error {
				on := strings.EqualFold(c.args[0], "on")
				tlsOpts(c).HonorCipherOrder = &on
				if !on {
					c.warn(config.WarnCompat, "SSLHonorCipherOrder Off: Go's TLS server always chooses the cipher by its own preference order")
				}
				return nil
			}},
		&directiveDef{name: "SSLCertificateChainFile", module: "mod_ssl.c", where: modules.RsrcConf, arity: take1,
			help: "SSL Server CA Certificate Chain file ('/path/to/file' - PEM encoded)", setup: func(c *cmd) *parser.Error {
				p := c.ld.serverRelative(c.args[0])
				if fi, err := hostStat(p); err != nil || fi.Size() == 0 {
					c.ld.hostProblem(c.errArg(0, "SSLCertificateChainFile: file '%s' does not exist or is empty", p))
				}
				tlsOpts(c).ChainFile = p
				return nil
			}},
		&directiveDef{name: "SSLCACertificateFile", module: "mod_ssl.c", where: modules.Anywhere, arity: take1,
			help: "SSL CA Certificate file ('/path/to/file' - PEM encoded)", setup: func(c *cmd) *parser.Error {
				p := c.ld.serverRelative(c.args[0])
				if fi, err := hostStat(p); err != nil || fi.Size() == 0 {
					c.ld.hostProblem(c.errArg(0, "SSLCACertificateFile: file '%s' does not exist or is empty", p))
				}
				if c.sc.dirPath() {
					c.ignoredWarn("per-directory client certificate checks need a renegotiation Go does not do; set it at server level")
					return nil
				}
				tlsOpts(c).CACertificateFile = p
				return nil
			}},
		&directiveDef{name: "SSLCACertificatePath", module: "mod_ssl.c", where: modules.Anywhere, arity: take1,
			help: "SSL CA Certificate path ('/path/to/dir' - contains PEM encoded files)", setup: func(c *cmd) *parser.Error {
				p := c.ld.serverRelative(c.args[0])
				if fi, err := hostStat(p); err != nil || !fi.IsDir() {
					c.ld.hostProblem(c.errArg(0, "SSLCACertificatePath: directory '%s' does not exist", p))
				}
				if c.sc.dirPath() {
					c.ignoredWarn("per-directory client certificate checks need a renegotiation Go does not do; set it at server level")
					return nil
				}
				tlsOpts(c).CACertificatePath = p
				return nil
			}},
		&directiveDef{name: "SSLVerifyDepth", module: "mod_ssl.c", where: modules.Anywhere, arity: take1,
			help: "SSL Client verify depth ('N' - number of intermediate certificates)", setup: func(c *cmd) *parser.Error {
				n, _ := strconv.Atoi(c.args[0]) // mod_ssl uses atoi: "x" is 0
				if n < 0 {
					return c.err("SSLVerifyDepth: Invalid argument '%s'", c.args[0])
				}
				if c.sc.dirPath() {
					c.ignoredWarn("per-directory client certificate checks need a renegotiation Go does not do; set it at server level")
					return nil
				}
				tlsOpts(c).VerifyDepth = &n
				return nil
			}},
		&directiveDef{name: "SSLOptions", module: "mod_ssl.c", where: modules.OrOptions, arity: rawArgs,
			help: "Set one or more options to configure the SSL engine('[+-]option[=value] ...' - see manual)", setup: setupSSLOptions},
	)
}

func tlsOpts(c *cmd) *config.TLSOptions {
	if c.sc.vhost.TLS == nil {
		c.sc.vhost.TLS = &config.TLSOptions{}
	}
	return c.sc.vhost.TLS
}

// sslProtocols are mod_ssl's protocol words, mapped to Go's versions
// (SSLv3 has none).
var sslProtocols = []struct {
	name    string
	version uint16
}{
	{"SSLv3", 0}, {"TLSv1", tls.VersionTLS10}, {"TLSv1.1", tls.VersionTLS11}, {"TLSv1.2", tls.VersionTLS12}, {"TLSv1.3", tls.VersionTLS13},
}

// setupSSLProtocol: mod_ssl's "[+-]protocol ..." word list; a word without
// a sign replaces the set. Go takes a range, so a set with a gap becomes
// its span (with a warning), and versions below TLS 1.2 stay off: this
// host's OpenSSL 3 (security level 1) refuses them for Apache as well.
func setupSSLProtocol(c *cmd) *parser.Error {
	set := map[string]bool{}
	named := map[string]bool{}
	for _, w := range words(c.d.Raw) {
		op := byte(0)
		if w[0] == '+' || w[0] == '-' {
			op, w = w[0], w[1:]
		}
		var names []string
		switch {
		case strings.EqualFold(w, "all"):
			names = []string{"TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"}
		case strings.EqualFold(w, "SSLv2"):
			return c.err("SSLProtocol: SSLv2 is no longer supported")
		default:
			for _, p := range sslProtocols {
				if strings.EqualFold(w, p.name) {
					names = []string{p.name}
					named[p.name] = op != '-'
				}
			}
			if names == nil {
				return c.err("SSLProtocol: Illegal protocol '%s'", w)
			}
		}
		if op == 0 {
			set = map[string]bool{}
		}
		for _, n := range names {
			set[n] = op != '-'
		}
	}
	o := tlsOpts(c)
	o.ProtocolSet = true
	o.MinVersion, o.MaxVersion = 0, 0
	gap := false
	for _, p := range sslProtocols {
		on := set[p.name]
		switch {
		case on && p.version == 0:
			c.warn(config.WarnCompat, "SSLProtocol: Go does not implement SSLv3; it stays off")
		case on && p.version < tls.VersionTLS12:
			if named[p.name] {
				c.warn(config.WarnCompat, "SSLProtocol: %s stays off (Go's server and this host's OpenSSL refuse it at their default security level)", p.name)
			}
		case on:
			if o.MaxVersion != 0 && o.MaxVersion != p.version-1 {
				gap = true
			}
			if o.MinVersion == 0 {
				o.MinVersion = p.version
			}
			o.MaxVersion = p.version
		}
	}
	if gap {
		c.warn(config.WarnCompat, "SSLProtocol: Go takes a range of versions; every version from the lowest to the highest enabled one is on")
	}
	if o.MinVersion == 0 {
		// Apache would have no protocol left ("No SSL protocols available").
		return c.err("SSLProtocol %s: no protocol Go can offer is left (it offers TLSv1.2 and TLSv1.3)", strings.TrimSpace(c.d.Raw))
	}
	return nil
}

func setupSSLCipherSuite(c *cmd) *parser.Error {
	spec := c.args[0]
	if len(c.args) == 2 {
		switch proto := c.args[0]; {
		case strings.EqualFold(proto, "SSL"):
			spec = c.args[1]
		case strings.EqualFold(proto, "TLSv1.3"):
			c.warn(config.WarnCompat, "SSLCipherSuite TLSv1.3 is not applied: Go does not let the TLS 1.3 suites be chosen (it offers AES-GCM and ChaCha20-Poly1305)")
			return nil
		default:
			return c.err("protocol '%s' not supported", proto)
		}
	}
	ids, unknown := config.ParseCipherList(spec)
	if len(unknown) > 0 {
		c.warn(config.WarnCompat, "SSLCipherSuite: Go has no suite for %s (only ECDHE and RSA key exchange with AES, ChaCha20, 3DES or RC4 exist in Go)", strings.Join(unknown, ", "))
	}
	if c.sc.dirPath() {
		// A per-directory cipher list needs a renegotiation; fail closed.
		c.denyFor(&config.AccessDeny{}, "a per-directory SSLCipherSuite needs a TLS renegotiation, which Go's server does not do")
		return nil
	}
	if len(ids) == 0 {
		return c.err("SSLCipherSuite %s: none of Go's TLS 1.2 suites is left (Apache: \"Unable to configure permitted SSL ciphers\")", spec)
	}
	o := tlsOpts(c)
	o.CipherSuites, o.CipherSuitesSet = ids, true
	return nil
}

// sslOptionNames are mod_ssl's SSLOptions words.
var sslOptionNames = []string{"StdEnvVars", "ExportCertData", "FakeBasicAuth", "StrictRequire", "OptRenegotiate", "LegacyDNStringFormat"}

func setupSSLOptions(c *cmd) *parser.Error {
	var opts []string
	for _, w := range words(c.d.Raw) {
		sign := ""
		if w[0] == '+' || w[0] == '-' {
			sign, w = w[:1], w[1:]
		}
		name := ""
		for _, n := range sslOptionNames {
			if strings.EqualFold(w, n) {
				name = n
			}
		}
		if name == "" {
			return c.err("SSLOptions: Illegal option '%s'", w)
		}
		switch name {
		case "FakeBasicAuth":
			if sign != "-" {
				c.warn(config.WarnIgnored, "SSLOptions FakeBasicAuth is ignored: the client certificate's DN is not offered as a Basic user (no request is granted by it)")
			}
		case "StrictRequire":
			// appserver's SSLRequireSSL already refuses whatever else
			// grants (see access.go): the strict behaviour.
		}
		opts = append(opts, sign+name)
	}
	if opts == nil {
		opts = []string{}
	}
	if !c.sc.discard {
		c.sc.conf.SSLOptions = config.MergeOptions(c.sc.conf.SSLOptions, opts)
	}
	return nil
}
