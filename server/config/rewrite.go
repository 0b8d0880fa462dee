package config

import "github.com/appserver/appserver/parser"

// mod_rewrite and mod_alias redirects: the typed directives. Package route
// evaluates them (route/rewrite.go, route/redirect.go).

// RewriteOption is a RewriteOptions bit.
type RewriteOption uint16

const (
	RewriteInherit RewriteOption = 1 << iota
	RewriteInheritBefore
	RewriteInheritDown
	RewriteInheritDownBefore
	RewriteIgnoreInherit
	RewriteAllowNoSlash
	RewriteAllowAnyURI
	RewriteMergeBase
	RewriteIgnoreContextInfo
	RewriteLegacyPrefixDocRoot
	RewriteLongURLOptimization
)

// RewriteServer is mod_rewrite's per-server config: the rules of the
// server (or vhost) context and its maps. A vhost with none has nil, and
// then httpd uses no server rules for it at all (the main server's config
// belongs to the main server).
type RewriteServer struct {
	Engine     bool
	EngineSet  bool
	Options    RewriteOption
	OptionsSet bool
	Maps       map[string]*RewriteMap
	Rules      []*RewriteRule
}

// RewriteDir is mod_rewrite's per-directory config.
type RewriteDir struct {
	Engine     bool
	EngineSet  bool
	Options    RewriteOption
	OptionsSet bool
	Base       string // RewriteBase ("" = unset)
	BaseSet    bool
	// Directory is the section's path with a trailing '/', "" for the
	// server defaults (no per-directory rules run there).
	Directory string
	Rules     []*RewriteRule
}

// MergeRewriteDir is config_perdir_merge.
func MergeRewriteDir(base, over *RewriteDir) *RewriteDir {
	if over == nil {
		return base
	}
	if base == nil {
		base = &RewriteDir{}
	}
	a := &RewriteDir{Engine: base.Engine, Options: base.Options, Directory: over.Directory}
	if over.EngineSet {
		a.Engine = over.Engine
	}
	a.EngineSet = over.EngineSet || base.EngineSet
	if over.OptionsSet {
		a.Options = over.Options
	}
	a.OptionsSet = over.OptionsSet || base.OptionsSet
	if a.Options&RewriteMergeBase != 0 {
		a.Base, a.BaseSet = base.Base, base.BaseSet
		if over.BaseSet {
			a.Base = over.Base
		}
		a.BaseSet = a.BaseSet || over.BaseSet
	} else {
		a.Base, a.BaseSet = over.Base, over.BaseSet
	}
	switch {
	case a.Options&RewriteInherit != 0 || (base.Options&RewriteInheritDown != 0 && a.Options&RewriteIgnoreInherit == 0):
		a.Rules = append(append([]*RewriteRule(nil), over.Rules...), base.Rules...)
	case a.Options&RewriteInheritBefore != 0 || (base.Options&RewriteInheritDownBefore != 0 && a.Options&RewriteIgnoreInherit == 0):
		a.Rules = append(append([]*RewriteRule(nil), base.Rules...), over.Rules...)
	default:
		a.Rules = over.Rules
	}
	return a
}

// MergeRewriteServer is config_server_merge: a vhost's config over the
// main server's.
func MergeRewriteServer(base, over *RewriteServer) *RewriteServer {
	if over == nil || base == nil {
		return over
	}
	a := &RewriteServer{Engine: base.Engine, Options: base.Options}
	if over.EngineSet {
		a.Engine = over.Engine
	}
	a.EngineSet = over.EngineSet || base.EngineSet
	if over.OptionsSet {
		a.Options = over.Options
	}
	a.OptionsSet = over.OptionsSet || base.OptionsSet
	overlay := func(first, second map[string]*RewriteMap) map[string]*RewriteMap {
		m := map[string]*RewriteMap{}
		for k, v := range second {
			m[k] = v
		}
		for k, v := range first {
			m[k] = v
		}
		return m
	}
	switch {
	case a.Options&RewriteInherit != 0 || (base.Options&RewriteInheritDown != 0 && a.Options&RewriteIgnoreInherit == 0):
		a.Maps = overlay(over.Maps, base.Maps)
		a.Rules = append(append([]*RewriteRule(nil), over.Rules...), base.Rules...)
	case a.Options&RewriteInheritBefore != 0 || (base.Options&RewriteInheritDownBefore != 0 && a.Options&RewriteIgnoreInherit == 0):
		a.Maps = overlay(base.Maps, over.Maps)
		a.Rules = append(append([]*RewriteRule(nil), base.Rules...), over.Rules...)
	default:
		a.Maps, a.Rules = over.Maps, over.Rules
	}
	return a
}

// RewriteMap is one RewriteMap directive.
type RewriteMap struct {
	Pos  parser.Position
	Name string
	Type string // "txt", "rnd", "int", "prg", "dbm", "dbd"
	// File is the txt/rnd file (server-root relative resolved), or the
	// int function's name.
	File string
}

// CondKind is a RewriteCond pattern type.
type CondKind uint8

const (
	CondRegex CondKind = iota
	CondFileExists
	CondFileSize
	CondFileLink
	CondFileDir
	CondFileExec
	CondLookupURL
	CondLookupFile
	CondStrLT
	CondStrLE
	CondStrEQ
	CondStrGT
	CondStrGE
	CondIntLT
	CondIntLE
	CondIntEQ
	CondIntGT
	CondIntGE
	CondExpr // ap_expr: not evaluated
)

// RewriteCondition is a RewriteCond line.
type RewriteCondition struct {
	Pos     parser.Position
	Input   string // the TestString, expanded per request
	Pattern string // the CondPattern without its operator and '!'
	Kind    CondKind
	Regex   *Regexp
	NoCase  bool
	Not     bool
	OrNext  bool
	NoVary  bool
}

// RewriteRule is a RewriteRule line with its conditions.
type RewriteRule struct {
	Pos     parser.Position
	Text    string // as written, for messages
	Pattern string
	Regex   *Regexp
	Not     bool
	Subst   string
	NoSub   bool // the substitution is "-"
	Conds   []*RewriteCondition

	Last, End, Chain, NoCase bool
	QSAppend, QSDiscard      bool
	QSLast                   bool
	PassThrough, NoEscape    bool
	Redirect                 bool // R
	Proxy                    bool // P
	DiscardPathInfo          bool
	NoSubReq                 bool
	// StatusOnly: F, G or R with a non-3xx code end the request with
	// Status (RULEFLAG_STATUS).
	StatusOnly     bool
	Status         int // forced_responsecode (302 by default)
	Next           bool
	MaxRounds      int
	Skip           int
	EscapeBackrefs bool   // B
	BackrefEscapes string // B=chars ("" = all but alphanumerics and '_')
	BackrefNoPlus  bool   // BNP
	Env            []string
	Cookies        []string
	Type, Handler  string
	// UnsafeAllow3F and UnsafePrefixStat are httpd 2.4.60's opt-outs.
	UnsafeAllow3F, UnsafePrefixStat bool
}

// Redirect is a Redirect, RedirectMatch, RedirectPermanent or
// RedirectTemp with a URL-path (or regex) to match.
type Redirect struct {
	Pos       parser.Position
	Directive string
	Path      string  // prefix (Redirect*) or regex source (RedirectMatch)
	Regex     *Regexp // RedirectMatch
	URL       string  // "" for statuses that take none
	Status    int
}
