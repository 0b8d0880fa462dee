package config

import "strings"

// MergeDirConf returns the per-directory settings that apply when child is
// merged over parent, with the semantics of httpd's merge_dir_config for the
// modules appserver implements:
//
//   - single values (pointers, non-empty strings) are the child's when the
//     child sets them, else the parent's (mod_wsgi's "-1 means unset" rule);
//   - lists that mod_wsgi keeps per context (WSGIRestrictProcess,
//     WSGITrustedProxyHeaders, WSGITrustedProxies) are replaced, never
//     joined; a non-nil empty list is a setting of its own ("no group");
//   - Env holds the parent's operations followed by the child's, so that
//     applying them in order gives mod_env's per-variable merge (child wins,
//     UnsetEnv removes the parent's value);
//   - Require follows AuthMerging: Off (httpd's default) replaces the
//     parent's rule, And keeps a parent's denial, Or keeps a parent's grant;
//   - AuthType, AuthName, AuthBasicProvider, AuthUserFile, AuthGroupFile:
//     the child's when set (the file modules have no merger, but only a
//     section using one of their directives gets their config);
//   - Compat (mod_access_compat) is replaced whole by a child that has one:
//     the module has no merger;
//   - Denies (rules appserver cannot evaluate) accumulate: failing closed
//     may deny more than httpd, never less;
//   - AddHandler extensions are merged per extension, child wins (mod_mime);
//   - mod_headers' tables and mod_setenvif's rules are the parent's list
//     followed by the child's (merge_headers_config, merge_setenvif_config);
//   - Rewrite follows mod_rewrite's merge (MergeRewriteDir); Redirects are
//     the child's followed by the parent's (mod_alias);
//   - Responses (ErrorDocument, mod_expires, mod_filter, mod_mime types)
//     merge per status, type or extension (responses.go);
//   - Options follow core's rule: a list with any option written without
//     +/- replaces the parent's, a list of only +X/-X adjusts it.
//
// Either argument may be nil. The result never shares slices with the
// arguments, so callers may append to it.
func MergeDirConf(parent, child *DirConf) *DirConf {
	if parent == nil {
		parent = &DirConf{}
	}
	if child == nil {
		child = &DirConf{}
	}
	out := *parent
	out.RestrictProcess = copyStrings(parent.RestrictProcess)
	out.TrustedProxyHeaders = copyStrings(parent.TrustedProxyHeaders)
	out.TrustedProxies = copyStrings(parent.TrustedProxies)
	out.Options = copyStrings(parent.Options)
	out.SSLOptions = copyStrings(parent.SSLOptions)
	out.Env = append([]EnvOp(nil), parent.Env...)

	if child.ProcessGroup != nil {
		out.ProcessGroup = child.ProcessGroup
	}
	if child.ApplicationGroup != nil {
		out.ApplicationGroup = child.ApplicationGroup
	}
	if child.CallableObject != nil {
		out.CallableObject = child.CallableObject
	}
	if child.RestrictProcess != nil {
		out.RestrictProcess = copyStrings(child.RestrictProcess)
	}
	mergeBool(&out.PassAuthorization, child.PassAuthorization)
	mergeBool(&out.ScriptReloading, child.ScriptReloading)
	mergeBool(&out.ChunkedRequest, child.ChunkedRequest)
	mergeBool(&out.ErrorOverride, child.ErrorOverride)
	mergeBool(&out.IgnoreActivity, child.IgnoreActivity)
	mergeBool(&out.EnableSendfile, child.EnableSendfile)
	if child.MapHEADToGET != "" {
		out.MapHEADToGET = child.MapHEADToGET
	}
	if child.TrustedProxyHeaders != nil {
		out.TrustedProxyHeaders = copyStrings(child.TrustedProxyHeaders)
	}
	if child.TrustedProxies != nil {
		out.TrustedProxies = copyStrings(child.TrustedProxies)
	}
	out.Env = append(out.Env, child.Env...)
	if child.Handler != nil {
		out.Handler = child.Handler
	}
	if child.DirectoryIndex != nil {
		out.DirectoryIndex = child.DirectoryIndex // mod_dir: the child's list replaces
	}
	if len(parent.AddHandlers)+len(child.AddHandlers) > 0 {
		out.AddHandlers = make(map[string]string, len(parent.AddHandlers)+len(child.AddHandlers))
		for k, v := range parent.AddHandlers {
			out.AddHandlers[k] = v
		}
		for k, v := range child.AddHandlers {
			out.AddHandlers[k] = v
		}
	}
	if child.Require != "" {
		out.Require, out.RequireRule = mergeRequire(parent, child)
	}
	out.AuthMerging = child.AuthMerging
	if child.AuthType != nil {
		out.AuthType = child.AuthType
	}
	if child.AuthName != nil {
		out.AuthName = child.AuthName
	}
	if child.AuthBasicProvider != nil {
		out.AuthBasicProvider = child.AuthBasicProvider
	}
	if child.AuthUserFile != nil {
		out.AuthUserFile = child.AuthUserFile
	}
	if child.AuthGroupFile != nil {
		out.AuthGroupFile = child.AuthGroupFile
	}
	if child.AuthUserScript != nil {
		out.AuthUserScript = child.AuthUserScript
	}
	if child.AuthGroupScript != nil {
		out.AuthGroupScript = child.AuthGroupScript
	}
	if child.AccessScript != nil {
		out.AccessScript = child.AccessScript
	}
	if child.AllowMethods != nil {
		out.AllowMethods = child.AllowMethods
	}
	if child.Compat != nil {
		out.Compat = child.Compat
	}
	if len(child.Denies) > 0 {
		out.Denies = append(append([]*AccessDeny(nil), parent.Denies...), child.Denies...)
	}
	if child.LimitRequestBody != nil {
		v := *child.LimitRequestBody
		out.LimitRequestBody = &v
	}
	if child.Options != nil {
		out.Options = MergeOptions(out.Options, child.Options)
	}
	out.Proxy = mergeProxyDir(parent.Proxy, child.Proxy)
	if child.SSLOptions != nil {
		out.SSLOptions = MergeOptions(parent.SSLOptions, child.SSLOptions)
	}
	out.RequestHeaders = appendList(parent.RequestHeaders, child.RequestHeaders)
	out.HeadersOnSuccess = appendList(parent.HeadersOnSuccess, child.HeadersOnSuccess)
	out.HeadersAlways = appendList(parent.HeadersAlways, child.HeadersAlways)
	out.SetEnvIf = appendList(parent.SetEnvIf, child.SetEnvIf)
	if child.Rewrite != nil {
		out.Rewrite = MergeRewriteDir(parent.Rewrite, child.Rewrite)
	}
	if len(child.Redirects) > 0 {
		out.Redirects = append(append([]*Redirect(nil), child.Redirects...), parent.Redirects...)
	}
	if child.DirRedirect != nil {
		out.DirRedirect = child.DirRedirect
	}
	out.Responses = mergeResponses(parent.Responses, child.Responses)
	return &out
}

// mergeRequire merges a child's Require over its parent's as
// mod_authz_core does: AuthMerging Off replaces, And needs both to grant,
// Or either. Outcomes known at load time stay static.
func mergeRequire(parent, child *DirConf) (string, *AuthzRule) {
	pr, cr := parent.Require, child.Require
	switch child.AuthMerging {
	case "and":
		switch {
		case pr == "denied" || cr == "granted" && pr == "request":
			return pr, parent.RequireRule
		case pr == "request" && cr == "request":
			return "request", &AuthzRule{Kind: AuthzAnd, Rules: []*AuthzRule{parent.RequireRule, child.RequireRule}}
		}
	case "or":
		switch {
		case pr == "granted" || cr == "denied" && pr == "request":
			return pr, parent.RequireRule
		case pr == "request" && cr == "request":
			return "request", &AuthzRule{Kind: AuthzOr, Rules: []*AuthzRule{parent.RequireRule, child.RequireRule}}
		}
	}
	return cr, child.RequireRule
}

// appendList is parent's items followed by child's, sharing neither.
func appendList[T any](parent, child []T) []T {
	if len(child) == 0 {
		if len(parent) == 0 {
			return nil
		}
		return append([]T(nil), parent...)
	}
	return append(append(make([]T, 0, len(parent)+len(child)), parent...), child...)
}

// AuthzState is mod_authz_core's per-directory config as httpd's merges
// carry it: the rule and the AuthMerging op of the last section that had
// one. The op travels with the merged result, so that when a walk's
// sections are merged with each other first, the last one's "AuthMerging
// Or" then also combines the walk's result with the config before the
// walk (measured on Apache 2.4: a <Location> with AuthMerging Or under a
// <Directory> granting all is open).
type AuthzState struct {
	Require string
	Rule    *AuthzRule
	Op      string
}

// AuthzOf returns c's own mod_authz_core config, and whether it has one
// (httpd creates it only in sections using the module's directives).
func AuthzOf(c *DirConf) (AuthzState, bool) {
	if c == nil || (c.Require == "" && c.AuthMerging == "") {
		return AuthzState{}, false
	}
	return AuthzState{Require: c.Require, Rule: c.RequireRule, Op: c.AuthMerging}, true
}

// MergeAuthz is merge_authz_core_dir_config.
func MergeAuthz(base, next AuthzState) AuthzState {
	if next.Require == "" {
		return AuthzState{Require: base.Require, Rule: base.Rule, Op: next.Op}
	}
	r, rule := mergeRequire(&DirConf{Require: base.Require, RequireRule: base.Rule},
		&DirConf{Require: next.Require, RequireRule: next.Rule, AuthMerging: next.Op})
	return AuthzState{Require: r, Rule: rule, Op: next.Op}
}

func mergeBool(dst **bool, child *bool) {
	if child != nil {
		v := *child
		*dst = &v
	}
}

func copyStrings(s []string) []string {
	if s == nil {
		return nil
	}
	return append(make([]string, 0, len(s)), s...)
}

// mergeOptions applies child's Options list over parent's. httpd keeps
// options as bit sets; we keep the words, which is enough to answer "is
// ExecCGI on here" (optionSet).
func MergeOptions(parent, child []string) []string {
	relative := true
	for _, o := range child {
		if o == "" || (o[0] != '+' && o[0] != '-') {
			relative = false
			break
		}
	}
	if !relative {
		return copyStrings(child)
	}
	out := copyStrings(parent)
	if out == nil {
		out = []string{}
	}
	return append(out, child...)
}

// optionSet reports whether option name (e.g. "ExecCGI") is on after the
// Options words in opts, applied in order. "All" turns on everything except
// MultiViews, as in httpd.
func OptionSet(opts []string, name string) bool {
	on := false
	for _, o := range opts {
		switch {
		case o == "":
		case o[0] == '+' || o[0] == '-':
			if strings.EqualFold(o[1:], name) || (strings.EqualFold(o[1:], "All") && !strings.EqualFold(name, "MultiViews")) {
				on = o[0] == '+'
			}
		case strings.EqualFold(o, "None"):
			on = false
		case strings.EqualFold(o, name) || (strings.EqualFold(o, "All") && !strings.EqualFold(name, "MultiViews")):
			on = true
		}
	}
	return on
}
