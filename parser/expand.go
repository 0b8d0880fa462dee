package parser

import (
	"os"
	"strings"
)

// expand substitutes ${NAME} in a logical line the way httpd's
// ap_resolve_env does before the line is tokenised:
//   - NAME runs from "${" to the first '}' after it; without a '}' the '$'
//     is literal;
//   - Define'd variables are looked up case-insensitively, then the process
//     environment (Options.LookupEnv) case-sensitively;
//   - an undefined NAME stays as written and is warned about, unless it
//     contains ':' (reserved for mod_rewrite's ${map:key});
//   - one pass: a substituted value is not expanded again.
//
// Substituted bytes map back to the position of their "${".
func (r *reader) expand(s *source, t text) text {
	if strings.IndexByte(t.s, '$') < 0 {
		return t
	}
	var out text
	var b strings.Builder
	lit := 0 // start of the pending literal run
	flush := func(end int) {
		if end > lit {
			piece := t.slice(lit, end)
			for _, sp := range piece.spans {
				sp.off += b.Len()
				out.spans = append(out.spans, sp)
			}
			b.WriteString(piece.s)
		}
	}
	for i := 0; i < len(t.s); {
		if t.s[i] != '$' || i+1 >= len(t.s) || t.s[i+1] != '{' {
			i++
			continue
		}
		close := strings.IndexByte(t.s[i+2:], '}')
		if close < 0 {
			i++
			continue
		}
		name := t.s[i+2 : i+2+close]
		end := i + 2 + close + 1
		val, ok := r.lookupVar(name)
		if !ok {
			if !strings.Contains(name, ":") {
				r.warnAs(WarnUndefinedVar, t.posAt(i), "Config variable ${%s} is not defined", name)
				r.cfg.Warnings[len(r.cfg.Warnings)-1].Var = name
			}
			i = end
			continue
		}
		flush(i)
		out.spans = append(out.spans, span{off: b.Len(), pos: t.posAt(i), lit: false})
		b.WriteString(val)
		lit, i = end, end
	}
	if lit == 0 {
		return t
	}
	flush(len(t.s))
	out.s = b.String()
	if len(out.spans) == 0 {
		out.spans = []span{{pos: t.posAt(0), lit: true}}
	}
	return out
}

func (r *reader) lookupVar(name string) (string, bool) {
	if v, ok := r.vars[asciiLower(name)]; ok {
		return v, true
	}
	if r.opts.LookupEnv != nil {
		return r.opts.LookupEnv(name)
	}
	return os.LookupEnv(name)
}
