package server

import (
	"fmt"
	"net/http"
	"strings"
)

// writeRedirect answers a redirect that mod_alias or mod_rewrite decided:
// the Location header and httpd's canned page for the status
// (get_canned_error_string).
func writeRedirect(w http.ResponseWriter, status int, loc string) {
	h := w.Header()
	h.Set("Location", loc)
	var p string
	switch status {
	case http.StatusSeeOther:
		p = "<p>The answer to your request is located <a href=\"" + escapeHTML(loc) + "\">here</a>.</p>\n"
	case http.StatusUseProxy:
		p = "<p>This resource is only accessible through the proxy\n" + escapeHTML(loc) + "<br />\nYou will need to configure your client to use that proxy.</p>\n"
	default:
		p = "<p>The document has moved <a href=\"" + escapeHTML(loc) + "\">here</a>.</p>\n"
	}
	text := http.StatusText(status)
	h.Set("Content-Type", "text/html; charset=iso-8859-1")
	h.Del("Content-Length")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\" \"http://www.w3.org/TR/html4/strict.dtd\">\n<html><head>\n<title>%d %s</title>\n</head><body>\n<h1>%s</h1>\n%s</body></html>\n",
		status, text, text, p)
}

// escapeHTML is ap_escape_html: <, >, & and " only (html.EscapeString
// also escapes ', which httpd's pages keep as is).
var escapeHTML = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "\"", "&quot;").Replace

// addVaryNames adds names to the response's Vary, as mod_rewrite merges
// them and httpd's header filter folds them (fix_vary).
func addVaryNames(h http.Header, names []string) {
	for _, n := range names {
		addVary(h, n)
	}
}
