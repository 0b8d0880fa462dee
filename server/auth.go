package server

import (
	"net/http"
	"strconv"
)

// unauthorizedPage is Apache 2.4's built-in 401 page, byte for byte (the
// oracle's auth-basic case compares it).
const unauthorizedPage = `<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN" "http://www.w3.org/TR/html4/strict.dtd">
<html><head>
<title>401 Unauthorized</title>
</head><body>
<h1>Unauthorized</h1>
<p>This server could not verify that you
are authorized to access the document
requested.  Either you supplied the wrong
credentials (e.g., bad password), or your
browser doesn't understand how to supply
the credentials required.</p>
</body></html>
`

// writeUnauthorized answers 401 with mod_auth_basic's challenge ("" for
// none) and Apache's page.
func writeUnauthorized(w http.ResponseWriter, r *http.Request, challenge string) {
	h := w.Header()
	if challenge != "" {
		h.Set("WWW-Authenticate", challenge)
	}
	h.Set("Content-Type", "text/html; charset=iso-8859-1")
	h.Set("Content-Length", strconv.Itoa(len(unauthorizedPage)))
	w.WriteHeader(http.StatusUnauthorized)
	if r.Method != http.MethodHead {
		_, _ = w.Write([]byte(unauthorizedPage))
	}
}
