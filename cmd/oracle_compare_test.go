package cmd_test

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
)

// An oracleDisagreement is one field on which appserver and real Apache differ.
type oracleDisagreement struct {
	Case, URL, Field, Apache, Appserver string
	// Note is Apache's error log for the request, when it had something to
	// say (why it answered 400, 404, 500...).
	Note string
}

const oracleUnset = "(unset)"

// oracleCompare lists where appserver's decision r differs from what Apache
// did (a). The status is always compared; the handler when Apache answered
// 2xx; the WSGI fields only when the request reached the probe app, since
// only then does Apache tell us its decision.
// oracleAppDecides reports whether the final answer to u is the app's to
// choose: the probe answers the status a "status=" query asks for, and
// what follows from it (WSGIErrorOverride and ErrorDocument) happens on
// the way out, which only the serving mode sees. So is the answer to a
// conditional request (If-None-Match, If-Modified-Since: 304 or 200).
func oracleAppDecides(u oracleURL, r oracleRoute) bool {
	_, q, _ := strings.Cut(u.Target, "?")
	if r.Status == 200 && r.Handler == "wsgi" && (strings.HasPrefix(q, "status=") || strings.Contains(q, "&status=")) {
		return true
	}
	// A conditional request's 304 is the handler's answer, as the app's.
	for _, h := range u.Headers {
		if r.Status == 200 && strings.HasPrefix(strings.ToLower(h), "if-") {
			return true
		}
	}
	return false
}

func oracleCompare(caseName string, u oracleURL, a oracleApacheResult, r oracleRoute) []oracleDisagreement {
	var out []oracleDisagreement
	add := func(field, apache, appserver string) {
		out = append(out, oracleDisagreement{Case: caseName, URL: u.Label(), Field: field, Apache: apache, Appserver: appserver})
	}
	if r.Handler == "proxy" && r.Status == 200 {
		// Routing hands the request to the backend; what the backend
		// answers is not its decision. When the backend is this server's
		// probe, the URI it saw must be where routing sent the request.
		if a.Probe {
			if got := oracleProxyURI(r.Proxy); got != a.RequestURI {
				add("proxied REQUEST_URI", strconv.Quote(a.RequestURI), strconv.Quote(got))
			}
		}
		return out
	}
	if oracleAppDecides(u, r) {
		return nil // the app chose the status (?status=): the serving mode compares what followed
	}
	// A status the probe chose (?status=NNN) is the app's, not a routing
	// decision: routes can only say that the app runs.
	if a.Status != r.Status && !(a.Probe && r.Status == 200 && r.Handler == "wsgi") {
		add("status", strconv.Itoa(a.Status), strconv.Itoa(r.Status))
		out[len(out)-1].Note = a.Log
	}
	// A HEAD answer has no body to tell who answered.
	if a.Status/100 == 2 && a.Probe != (r.Handler == "wsgi") && u.MethodOrGET() != "HEAD" {
		apache := "wsgi"
		if !a.Probe {
			apache = "not wsgi: " + strconv.Quote(a.Body)
		}
		add("handler", apache, strconv.Quote(r.Handler))
	}
	// Without a WSGI decision on appserver's side, its empty WSGI fields
	// would only repeat the handler row.
	if !a.Probe || r.Handler != "wsgi" {
		return out
	}
	for _, f := range []struct{ name, apache, appserver string }{
		{"process_group", a.ProcessGroup, r.ProcessGroup},
		{"application_group", a.ApplicationGroup, r.ApplicationGroup},
		{"script_name", a.ScriptName, r.ScriptName},
		{"path_info", a.PathInfo, r.PathInfo},
	} {
		if f.apache != f.appserver {
			add(f.name, strconv.Quote(f.apache), strconv.Quote(f.appserver))
		}
	}
	keys := map[string]bool{}
	for k := range a.Env {
		keys[k] = true
	}
	for k := range r.Env {
		// The probe leaves out what it counts as the gateway's own
		// (mod_rewrite's SCRIPT_URL/SCRIPT_URI, REDIRECT_*); the serving
		// mode compares those in the whole environ.
		if k == "SCRIPT_URL" || k == "SCRIPT_URI" || strings.HasPrefix(k, "REDIRECT_") {
			continue
		}
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		av, aok := a.Env[k]
		rv, rok := r.Env[k]
		if av != rv || aok != rok {
			add("env["+k+"]", oracleQuoteOrUnset(av, aok), oracleQuoteOrUnset(rv, rok))
		}
	}
	return out
}

// oracleProxyURI is the request-target a proxied request reaches the
// backend with: the backend URL without scheme and host.
func oracleProxyURI(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
	}
	if i := strings.IndexByte(u, '/'); i >= 0 {
		return u[i:]
	}
	return "/"
}

func oracleShorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

func oracleQuoteOrUnset(v string, ok bool) string {
	if !ok {
		return oracleUnset
	}
	return strconv.Quote(v)
}

// oracleFormatDisagreements renders rows as an aligned table, one row per field,
// after a count per field (env[...] rows counted together) that shows where
// to start.
func oracleFormatDisagreements(rows []oracleDisagreement) string {
	counts := map[string]int{}
	for _, d := range rows {
		field := d.Field
		if strings.HasPrefix(field, "env[") {
			field = "env"
		}
		counts[field]++
	}
	fields := make([]string, 0, len(counts))
	for f := range counts {
		fields = append(fields, f)
	}
	sort.Slice(fields, func(i, j int) bool {
		if counts[fields[i]] != counts[fields[j]] {
			return counts[fields[i]] > counts[fields[j]]
		}
		return fields[i] < fields[j]
	})
	var b strings.Builder
	b.WriteString("by field:")
	for _, f := range fields {
		fmt.Fprintf(&b, " %s %d", f, counts[f])
	}
	b.WriteString("\n")
	w := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "CASE\tURL\tFIELD\tAPACHE\tAPPSERVER\tAPACHE ERROR LOG")
	for _, d := range rows {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", d.Case, d.URL, d.Field, d.Apache, d.Appserver, oracleShorten(d.Note, 160))
	}
	w.Flush()
	return b.String()
}

// oracleFormatApache renders Apache's answers as a table (-oracle.show).
func oracleFormatApache(results []oracleApacheResult) string {
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "URL\tSTATUS\tPROCESS_GROUP\tAPPLICATION_GROUP\tSCRIPT_NAME\tPATH_INFO\tENV")
	for _, r := range results {
		if !r.Probe {
			fmt.Fprintf(w, "%s\t%d\t-\t-\t-\t-\t%s\n", r.URL, r.Status, oracleShorten(r.Log, 120))
			continue
		}
		keys := make([]string, 0, len(r.Env))
		for k := range r.Env {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		env := make([]string, len(keys))
		for i, k := range keys {
			env[i] = k + "=" + strconv.Quote(r.Env[k])
		}
		fmt.Fprintf(w, "%s\t%d\t%q\t%q\t%q\t%q\t%s\n", r.URL, r.Status, r.ProcessGroup, r.ApplicationGroup,
			r.ScriptName, r.PathInfo, strings.Join(env, " "))
	}
	w.Flush()
	return b.String()
}
