package load

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/appserver/appserver/parser"
	"github.com/appserver/appserver/server/config"
	"github.com/appserver/appserver/server/modules"
)

// The directives that act on responses: core's ErrorDocument,
// AddDefaultCharset, DefaultType, ForceType and SetOutputFilter,
// mod_expires, mod_filter's AddOutputFilterByType, mod_deflate's
// compression level, and mod_mime's types, charsets and output filters.
// Contexts, arities, help texts and messages are httpd 2.4's.

// orIndexes is httpd's OR_INDEXES (mod_expires' DIR_CMD_PERMS).
const orIndexes = modules.OrAll &^ (modules.OrLimit | modules.OrOptions | modules.OrFileInfo | modules.OrAuthCfg)

func init() {
	directives.add(
		&directiveDef{name: "ErrorDocument", module: "core.c", where: modules.OrFileInfo, arity: take2,
			help: "Change responses for HTTP errors", setup: setupErrorDocument},
		&directiveDef{name: "AddDefaultCharset", module: "core.c", where: modules.OrFileInfo, arity: take1,
			help: "The name of the default charset to add to any Content-Type without one or 'Off' to disable", setup: setupAddDefaultCharset},
		&directiveDef{name: "DefaultType", module: "core.c", where: modules.OrFileInfo, arity: take1,
			help: "the default media type for otherwise untyped files (DEPRECATED)", setup: setupDefaultType},
		&directiveDef{name: "ForceType", module: "core.c", where: modules.OrFileInfo, arity: take1,
			help: "a mime type that overrides other configured type", setup: setupForceType},
		&directiveDef{name: "SetOutputFilter", module: "core.c", where: modules.OrFileInfo, arity: take1,
			help: "filter (or ; delimited list of filters) to be run on the request content", setup: setupSetOutputFilter},
		&directiveDef{name: "ExpiresActive", module: "mod_expires.c", where: orIndexes, arity: argFlag, setup: setupExpiresActive},
		&directiveDef{name: "ExpiresByType", module: "mod_expires.c", where: orIndexes, arity: take2,
			help: "a MIME type followed by an expiry date code", setup: setupExpiresByType},
		&directiveDef{name: "ExpiresDefault", module: "mod_expires.c", where: orIndexes, arity: take1,
			help: "an expiry date code", setup: setupExpiresDefault},
		&directiveDef{name: "AddOutputFilterByType", module: "mod_filter.c", where: modules.OrFileInfo, arity: rawArgs,
			setup: setupAddOutputFilterByType},
		&directiveDef{name: "DeflateCompressionLevel", module: "mod_deflate.c", where: modules.RsrcConf, arity: take1,
			help: "Set the Deflate Compression Level (1-9)", setup: setupDeflateCompressionLevel},
		&directiveDef{name: "AddType", module: "mod_mime.c", where: modules.OrFileInfo, arity: iterate2,
			help: "a mime type followed by one or more file extensions", setup: setupMimeMap("AddType")},
		&directiveDef{name: "AddCharset", module: "mod_mime.c", where: modules.OrFileInfo, arity: iterate2,
			help: "a charset (e.g., iso-2022-jp), followed by one or more file extensions", setup: setupMimeMap("AddCharset")},
		&directiveDef{name: "AddOutputFilter", module: "mod_mime.c", where: modules.OrFileInfo, arity: iterate2,
			help: "output filter name (or ; delimited names) followed by one or more file extensions", setup: setupMimeMap("AddOutputFilter")},
		&directiveDef{name: "RemoveOutputFilter", module: "mod_mime.c", where: modules.OrFileInfo, arity: iterate,
			help: "one or more file extensions", setup: setupRemoveOutputFilter},
	)
}

// resp returns the scope's response settings, created on first use.
func (c *cmd) resp() *config.Responses {
	if c.sc.conf.Responses == nil {
		c.sc.conf.Responses = &config.Responses{}
	}
	return c.sc.conf.Responses
}

func setupErrorDocument(c *cmd) *parser.Error {
	code, err := strconv.Atoi(c.args[0])
	// ap_index_of_response maps unknown codes to 500's slot.
	if err != nil || code < 100 || code > 599 || (http.StatusText(code) == "" && code != 500) {
		return c.errArg(0, "Unsupported HTTP response code %s", c.args[0])
	}
	msg := c.args[1]
	switch {
	case strings.EqualFold(msg, "default"):
		msg = "default"
	case strings.Contains(msg, " "):
		msg = `"` + msg
	case msg[0] == '/':
	case isURL(msg):
		if code == http.StatusUnauthorized {
			// core's AH00113: the directive is dropped.
			c.warn(config.WarnLint, "cannot use a full URL in a 401 ErrorDocument directive --- ignoring!")
			return nil
		}
	default:
		msg = `"` + msg
	}
	r := c.resp()
	if r.ErrorDocuments == nil {
		r.ErrorDocuments = map[int]string{}
	}
	r.ErrorDocuments[code] = msg
	return nil
}

func setupAddDefaultCharset(c *cmd) *parser.Error {
	v := c.args[0]
	switch {
	case strings.EqualFold(v, "off"):
		v = "Off"
	case strings.EqualFold(v, "on"):
		v = "iso-8859-1" // core's DEFAULT_ADD_DEFAULT_CHARSET_NAME
	}
	c.resp().DefaultCharset = v
	return nil
}

func setupDefaultType(c *cmd) *parser.Error {
	if !strings.EqualFold(c.args[0], "none") && !c.sc.discard {
		// core's AH00117, which Apache logs at startup.
		c.warn(config.WarnCompat, "Ignoring deprecated use of DefaultType in line %d of %s.", c.d.Pos.Line, c.d.Pos.Filename)
	}
	return nil
}

func setupForceType(c *cmd) *parser.Error {
	v := c.args[0]
	if strings.EqualFold(v, "none") {
		v = "none"
	} else {
		v = strings.ToLower(v)
	}
	c.resp().ForceType = v
	return nil
}

// knownFilter reports whether appserver runs an output filter name; others
// are reported as ignored.
func (c *cmd) checkFilters(list string) {
	for _, f := range strings.Split(list, ";") {
		if f = strings.TrimSpace(f); f == "" || strings.EqualFold(f, "DEFLATE") || c.sc.discard {
			continue
		}
		c.warn(config.WarnIgnored, "%s %s is ignored: appserver runs only the DEFLATE output filter", c.def.name, f)
	}
}

func setupSetOutputFilter(c *cmd) *parser.Error {
	c.checkFilters(c.args[0])
	c.resp().SetOutputFilter = c.args[0]
	return nil
}

func setupAddOutputFilterByType(c *cmd) *parser.Error {
	var words []string
	for rest := c.d.Raw; ; {
		var w string
		w, _, rest = parser.GetWord(rest)
		if w == "" && rest == "" {
			break
		}
		if w != "" {
			words = append(words, w)
		}
	}
	if len(words) < 2 {
		return c.err("AddOutputFilterByType requires at least two arguments")
	}
	deflate := false
	for _, f := range strings.Split(words[0], ";") {
		switch {
		case f == "":
		case strings.EqualFold(f, "DEFLATE"):
			deflate = true
		default:
			if !c.sc.discard {
				c.warn(config.WarnIgnored, "AddOutputFilterByType %s is ignored: appserver runs only the DEFLATE output filter", f)
			}
		}
	}
	if deflate {
		r := c.resp()
		for _, t := range words[1:] {
			r.DeflateByType = append(r.DeflateByType, strings.ToLower(t))
		}
	}
	return nil
}

func setupDeflateCompressionLevel(c *cmd) *parser.Error {
	v := parser.Atoi(c.args[0])
	if v < 1 || v > 9 {
		return c.errArg(0, "Compression Level must be between 1 and 9")
	}
	c.sc.vhost.DeflateCompressionLevel = v
	return nil
}

func setupExpiresActive(c *cmd) *parser.Error {
	v := strings.EqualFold(c.args[0], "on")
	c.resp().ExpiresActive = &v
	return nil
}

func setupExpiresDefault(c *cmd) *parser.Error {
	code, msg := parseExpiresCode(c.args[0])
	if msg != "" {
		return c.errArg(0, "'ExpiresDefault %s': %s", c.args[0], msg)
	}
	c.resp().ExpiresDefault = code
	return nil
}

func setupExpiresByType(c *cmd) *parser.Error {
	code, msg := parseExpiresCode(c.args[1])
	if msg != "" {
		return c.errArg(1, "'ExpiresByType %s %s': %s", c.args[0], c.args[1], msg)
	}
	r := c.resp()
	if r.ExpiresByType == nil {
		r.ExpiresByType = map[string]*config.ExpiresCode{}
	}
	r.ExpiresByType[strings.ToLower(c.args[0])] = code
	return nil
}

// parseExpiresCode reads mod_expires' two forms: "A3600"/"M3600" (an
// upper-case A or M and seconds, read as atoi reads them), and
// "<base> [plus] {<num> <type>}*" where only the first letter of base and
// type counts (two for months and minutes), as in mod_expires' check_code.
// The message is mod_expires' text on error.
func parseExpiresCode(s string) (*config.ExpiresCode, string) {
	if s != "" && (s[0] == 'A' || s[0] == 'M') {
		n, _ := parser.Atoi64(s[1:])
		return &config.ExpiresCode{Base: s[0], Seconds: n}, ""
	}
	words := strings.Fields(s)
	if len(words) == 0 {
		return nil, "bad expires code, missing <base>"
	}
	code := &config.ExpiresCode{}
	switch w := strings.ToLower(words[0]); {
	case strings.HasPrefix(w, "a") || strings.HasPrefix(w, "n"):
		code.Base = 'A'
	case strings.HasPrefix(w, "m"):
		code.Base = 'M'
	default:
		return nil, "bad expires code, unrecognised <base> '" + words[0] + "'"
	}
	words = words[1:]
	if len(words) > 0 && strings.HasPrefix(strings.ToLower(words[0]), "p") {
		words = words[1:]
	}
	for len(words) > 0 {
		num := words[0]
		if num[0] < '0' || num[0] > '9' {
			return nil, "bad expires code, numeric value expected <num> '" + num + "'"
		}
		n, _ := parser.Atoi64(num)
		if len(words) < 2 {
			return nil, "bad expires code, missing <type>"
		}
		var factor int64
		switch t := strings.ToLower(words[1]); {
		case strings.HasPrefix(t, "y"):
			factor = 365 * 24 * 3600
		case strings.HasPrefix(t, "mo"):
			factor = 30 * 24 * 3600
		case strings.HasPrefix(t, "w"):
			factor = 7 * 24 * 3600
		case strings.HasPrefix(t, "d"):
			factor = 24 * 3600
		case strings.HasPrefix(t, "h"):
			factor = 3600
		case strings.HasPrefix(t, "mi"):
			factor = 60
		case strings.HasPrefix(t, "s"):
			factor = 1
		default:
			return nil, "bad expires code, unrecognised <type>'" + words[1] + "'"
		}
		code.Seconds += n * factor
		words = words[2:]
	}
	return code, ""
}

// setupMimeMap handles mod_mime's "value ext..." directives.
func setupMimeMap(name string) func(c *cmd) *parser.Error {
	return func(c *cmd) *parser.Error {
		r := c.resp()
		var m *map[string]string
		v := c.args[0]
		switch name {
		case "AddType":
			m, v = &r.Types, strings.ToLower(v)
		case "AddCharset":
			m, v = &r.Charsets, strings.ToLower(v) // mod_mime lower-cases it
		default:
			m = &r.OutputFilters
			c.checkFilters(v)
		}
		if *m == nil {
			*m = map[string]string{}
		}
		for _, ext := range c.args[1:] {
			(*m)[strings.ToLower(strings.TrimPrefix(ext, "."))] = v
		}
		return nil
	}
}

func setupRemoveOutputFilter(c *cmd) *parser.Error {
	r := c.resp()
	if r.OutputFilters == nil {
		r.OutputFilters = map[string]string{}
	}
	for _, ext := range c.args {
		r.OutputFilters[strings.ToLower(strings.TrimPrefix(ext, "."))] = ""
	}
	return nil
}
