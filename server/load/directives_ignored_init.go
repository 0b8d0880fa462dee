package load

import (
	"strings"

	"github.com/appserver/appserver/parser"
	"github.com/appserver/appserver/server/modules"
)

// Every ignored directive is registered as such, and must not also be
// implemented.
func init() {
	for _, table := range [][]modules.IgnoredDef{modules.IgnoredTable, modules.ThirdPartyTable} {
		for i := range table {
			ig := &table[i]
			k := strings.ToLower(ig.Name)
			if _, dup := modules.IgnoredByName[k]; dup {
				panic("server: ignored directive listed twice: " + ig.Name)
			}
			if _, impl := directives[k]; impl {
				panic("server: directive both implemented and ignored: " + ig.Name)
			}
			modules.IgnoredByName[k] = ig
			modules.IgnoredDirectives = append(modules.IgnoredDirectives, ig)
		}
	}
	// Read-time directives the parser executes. Should one still reach the
	// walk (a hand-built tree), it has already done its work.
	for _, n := range []string{"LoadModule", "LoadFile", "Include", "IncludeOptional", "Define", "UnDefine", "ServerRoot", "Use", "UndefMacro"} {
		directives.add(&directiveDef{name: n, module: "core.c", where: modules.Anywhere, arity: rawArgs,
			setup: func(*cmd) *parser.Error { return nil }})
	}
}
