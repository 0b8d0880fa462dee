package config

import "github.com/appserver/appserver/parser"

// HookScript is a WSGIAuthUserScript, WSGIAuthGroupScript or
// WSGIAccessScript: a Python file whose check_password, groups_for_user or
// allow_access function mod_wsgi calls, loaded into AppGroup ("" =
// %{GLOBAL}, mod_wsgi's default for these scripts).
type HookScript struct {
	Path     string
	AppGroup string
	Pos      parser.Position
}

// AuthHooks runs mod_wsgi's hook functions for one request. Results are
// the Python values as mod_wsgi accepts them: "True", "False", "None", or
// "User:NAME" when check_password names the user; an error is an
// exception or a result mod_wsgi refuses.
type AuthHooks interface {
	CheckPassword(s *HookScript, user, password string) (string, error)
	GroupsForUser(s *HookScript, user string) ([]string, error)
	AllowAccess(s *HookScript, host string) (string, error)
}
