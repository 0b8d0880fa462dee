package route

import (
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/appserver/appserver/server/config"
	"github.com/appserver/appserver/server/expr"
)

// mod_setenvif: the rules written at server scope run in post-read-request
// (the main server's, then the vhost's), those of the merged sections in the
// header parser; both before mod_env's fixup, so SetEnv wins for a name
// both set. The result is a Route.Env of the request's own: the shared map
// of the merged config is copied, never changed.

// setEnvIf applies the SetEnvIf rules that concern r.
func (t *Table) setEnvIf(req *Request, r *Route) {
	vars := r.envIf
	if !r.envIfDone {
		vars = t.envIfVars(req, r)
	}
	if len(vars) == 0 {
		return
	}
	env := make(map[string]string, len(r.Env)+len(vars))
	for k, v := range vars {
		env[k] = v
	}
	for k, v := range r.Env {
		env[k] = v
	}
	r.Env = env
}

// envIfVars runs the SetEnvIf rules of r's server and merged sections and
// returns the variables they set (nil: none), remembered on r.
func (t *Table) envIfVars(req *Request, r *Route) map[string]string {
	r.envIf, r.envIfDone = nil, true
	var server, section []*config.SetEnvIfRule
	if t.cfg != nil && t.cfg.Main != nil {
		server = t.cfg.Main.SetEnvIf
	}
	if v := r.VHost; v != nil && t.cfg != nil && v != t.cfg.Main && len(v.SetEnvIf) > 0 {
		server = append(append([]*config.SetEnvIfRule(nil), server...), v.SetEnvIf...)
	}
	if r.Conf != nil {
		section = r.Conf.SetEnvIf
	}
	if len(server)+len(section) == 0 {
		return nil
	}
	s := &envIfState{req: *req, r: r} // a copy: req itself stays on the caller's stack
	s.run(server, true)
	if len(section) > 0 {
		s.run(section, false)
	}
	r.envIf = s.env
	return s.env
}

type envIfState struct {
	req      Request
	r        *Route
	env      map[string]string
	postRead bool
}

func (s *envIfState) run(rules []*config.SetEnvIfRule, postRead bool) {
	s.postRead = postRead
	for _, rule := range rules {
		var caps []string
		if rule.Expr != nil {
			ok, c, err := rule.Expr.EvalCaptures(s)
			if err != nil || !ok {
				continue // an expression that cannot be evaluated sets nothing
			}
			caps = c
		} else {
			val := s.value(rule)
			m := rule.Regex.FindSubmatchIndex(val)
			if m == nil {
				continue
			}
			caps = config.Submatches(val, m)
		}
		if s.env == nil {
			s.env = make(map[string]string, len(rule.Vars))
		}
		for _, v := range rule.Vars {
			if v.Unset {
				delete(s.env, v.Name)
				continue
			}
			val := v.Value
			if strings.IndexByte(val, '$') >= 0 {
				val = config.Pregsub(val, caps)
			}
			s.env[v.Name] = val
		}
	}
}

// value is what a rule's attribute is for this request; "" when absent,
// which mod_setenvif matches as an empty string.
func (s *envIfState) value(rule *config.SetEnvIfRule) string {
	req := &s.req
	switch rule.Special {
	case "remote_host", "remote_addr":
		return req.RemoteIP
	case "server_addr":
		if req.LocalIP == "" {
			return "127.0.0.1"
		}
		return req.LocalIP
	case "request_method":
		if req.Method == "" {
			return "GET"
		}
		return req.Method
	case "request_protocol":
		return s.proto()
	case "request_uri":
		if s.postRead {
			return rawPath(req.Target) // r->uri before it is decoded
		}
		return s.r.URI
	}
	if rule.AttrRegex != nil {
		names := make([]string, 0, len(req.Header)+1)
		for k := range req.Header {
			names = append(names, k)
		}
		if req.Host != "" {
			names = append(names, "Host")
		}
		sort.Strings(names)
		for _, k := range names {
			if rule.AttrRegex.MatchString(k) {
				if v, _ := s.header(k); rule.Regex.MatchString(v) {
					return v
				}
			}
		}
		return ""
	}
	if v, ok := s.header(rule.Attr); ok {
		return v
	}
	return s.env[rule.Attr] // a variable an earlier rule set
}

func (s *envIfState) proto() string {
	switch {
	case s.req.Proto != "":
		return s.req.Proto
	case s.req.Host == "":
		return "HTTP/1.0"
	}
	return "HTTP/1.1"
}

// rawPath is the path of a request-target as sent, without its query.
func rawPath(target string) string {
	if i := strings.Index(target, "://"); i >= 0 {
		rest := target[i+3:]
		if j := strings.IndexByte(rest, '/'); j >= 0 {
			target = rest[j:]
		} else {
			target = "/"
		}
	}
	p, _, _ := strings.Cut(target, "?")
	return p
}

func (s *envIfState) header(name string) (string, bool) {
	return HeaderValue(s.req.Header, s.req.Host, name)
}

// HeaderValue is a request header as httpd's headers_in table gives it:
// repeated fields joined with ", ", and Host from the request's host.
func HeaderValue(h http.Header, host, name string) (string, bool) {
	if strings.EqualFold(name, "Host") {
		return host, host != ""
	}
	vs := h.Values(name)
	switch len(vs) {
	case 0:
		return "", false
	case 1:
		return vs[0], true
	}
	return strings.Join(vs, ", "), true
}

// expr.Context for SetEnvIfExpr.

func (s *envIfState) RequestHeader(name string) string { v, _ := s.header(name); return v }
func (s *envIfState) ResponseHeader(string) string     { return "" }
func (s *envIfState) Env(name string) (string, bool) {
	v, ok := s.env[name]
	return v, ok
}

func (s *envIfState) Var(name string) string {
	req, r := &s.req, s.r
	switch name {
	case "REQUEST_METHOD":
		if req.Method == "" {
			return "GET"
		}
		return req.Method
	case "REQUEST_SCHEME":
		if req.HTTPS {
			return "https"
		}
		return "http"
	case "REQUEST_URI", "DOCUMENT_URI":
		if s.postRead {
			return rawPath(req.Target)
		}
		return r.URI
	case "QUERY_STRING":
		return r.Query
	case "THE_REQUEST":
		return s.Var("REQUEST_METHOD") + " " + req.Target + " " + s.proto()
	case "SERVER_PROTOCOL":
		return s.proto()
	case "HTTPS":
		if req.HTTPS {
			return "on"
		}
		return "off"
	case "REMOTE_ADDR", "REMOTE_HOST", "CONN_REMOTE_ADDR":
		return req.RemoteIP
	case "SERVER_NAME":
		return r.ServerName
	case "SERVER_PORT":
		return strconv.Itoa(r.ServerPort)
	case "IS_SUBREQ":
		return "false"
	case "IPV6":
		if strings.Contains(req.RemoteIP, ":") {
			return "on"
		}
		return "off"
	}
	return ""
}

var _ expr.Context = (*envIfState)(nil)
