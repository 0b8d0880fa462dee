package server

import (
	"net/http"
	"strings"
)

// writeRedirect answers a redirect that mod_alias, mod_rewrite or mod_dir
// decided: the Location header and httpd's canned text for the status
// (get_canned_error_string), or the status's ErrorDocument.
func writeRedirect(w http.ResponseWriter, status int, loc string) {
	w.Header().Set("Location", loc)
	var p string
	switch status {
	case http.StatusSeeOther:
		p = "The answer to your request is located <a href=\"" + escapeHTML(loc) + "\">here</a>."
	case http.StatusUseProxy:
		p = "This resource is only accessible through the proxy\n" + escapeHTML(loc) + "<br />\nYou will need to configure your client to use that proxy."
	default:
		p = "The document has moved <a href=\"" + escapeHTML(loc) + "\">here</a>."
	}
	writeErrorHTML(w, status, p)
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
