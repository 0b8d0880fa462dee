package config

import (
	"fmt"
	"strings"
)

// Formats every Apache config in the wild assumes (Debian's apache2.conf
// defines them); a LogFormat with the same nickname replaces them.
var BuiltinLogFormats = map[string]string{
	"common":         `%h %l %u %t "%r" %>s %b`,
	"combined":       `%h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i"`,
	"vhost_combined": `%v:%p %h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i"`,
	"referer":        `%{Referer}i -> %U`,
	"agent":          `%{User-agent}i`,
}

// logFormat is a compiled mod_log_config format.
type LogFormat []LogItem

type LogItem struct {
	Lit  string // literal text when op == 0
	Op   byte   // the conversion letter
	Arg  string // the {...} argument
	orig bool   // '<': the original request's value (same as final here)
}

// compileLogFormat parses a LogFormat string; unknown conversions are an
// error, as in mod_log_config.
func CompileLogFormat(s string) (LogFormat, error) {
	var f LogFormat
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			f = append(f, LogItem{Lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) {
			i++
			switch s[i] {
			case 'n':
				lit.WriteByte('\n')
			case 't':
				lit.WriteByte('\t')
			default:
				lit.WriteByte(s[i])
			}
			continue
		}
		if c != '%' {
			lit.WriteByte(c)
			continue
		}
		i++
		if i >= len(s) {
			return nil, fmt.Errorf("LogFormat %q ends with a lone %%", s)
		}
		if s[i] == '%' {
			lit.WriteByte('%')
			continue
		}
		item := LogItem{}
		// Modifiers: status conditions ("!400,501") and < / >.
		for i < len(s) && strings.IndexByte("!0123456789,<>", s[i]) >= 0 {
			if s[i] == '<' {
				item.orig = true
			}
			i++
		}
		if i < len(s) && s[i] == '{' {
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				return nil, fmt.Errorf("LogFormat %q: missing '}'", s)
			}
			item.Arg = s[i+1 : i+end]
			i += end + 1
		}
		if i >= len(s) {
			return nil, fmt.Errorf("LogFormat %q ends inside a %% conversion", s)
		}
		item.Op = s[i]
		if strings.IndexByte("aABbDefhHiklLmnopPqrRsStTuUvVXIO", item.Op) < 0 {
			return nil, fmt.Errorf("Unrecognized LogFormat directive %%%c", item.Op)
		}
		flush()
		f = append(f, item)
	}
	flush()
	return f, nil
}
