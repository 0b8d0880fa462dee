package parser

// isSpace is C's isspace in the "C" locale, which is what httpd's apr_isspace
// uses: only ASCII whitespace separates words (a UTF-8 NBSP does not).
func isSpace(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\v', '\f', '\r':
		return true
	}
	return false
}

// GetWord takes the first word off s exactly as httpd's ap_getword_conf does
// and returns it, the quote character that enclosed it (a double or single
// quote, or 0 for a bare word), and the rest of s with leading whitespace
// removed.
//
// The rules, byte by byte and with no locale:
//   - leading whitespace is skipped; an empty or all-space s gives "", 0, "";
//   - a word starting with a double or single quote runs to the next
//     unescaped copy of that quote, or to the end of s when there is none
//     (not an error); inside it only \\ and \<quote> are escapes, any other
//     backslash stays;
//   - any other word runs to the next whitespace and only \\ is an escape;
//     quote characters inside it are literal;
//   - a quoted word ends at its closing quote even if text follows, so "a"b is
//     two words.
//
// Other packages use it to tokenise RAW_ARGS directives (mod_wsgi's
// name=value options are read with it after the '=').
func GetWord(s string) (tok string, quote byte, rest string) {
	tok, quote, _, next := getWord(s, 0)
	return tok, quote, s[next:]
}

// getWord is GetWord on s[i:] reporting indexes into s: start is where the
// word (or its opening quote) begins and next is where the following word
// starts (after the separating whitespace).
func getWord(s string, i int) (tok string, quote byte, start, next int) {
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	start = i
	if i == len(s) {
		return "", 0, start, i
	}
	var end int
	if q := s[i]; q == '"' || q == '\'' {
		quote = q
		j := i + 1
		for j < len(s) && s[j] != q {
			if s[j] == '\\' && j+1 < len(s) && (s[j+1] == q || s[j+1] == '\\') {
				j += 2
			} else {
				j++
			}
		}
		tok = unescapeConf(s[i+1:j], q)
		end = j
		if end < len(s) {
			end++ // the closing quote
		}
	} else {
		j := i
		for j < len(s) && !isSpace(s[j]) {
			j++
		}
		tok = unescapeConf(s[i:j], 0)
		end = j
	}
	for end < len(s) && isSpace(s[end]) {
		end++
	}
	return tok, quote, start, end
}

// wordEnd returns the index just past the word that starts at s[i] (which
// must not be whitespace): past the closing quote of a quoted word, else at
// the next whitespace.
func wordEnd(s string, i int) int {
	if i >= len(s) {
		return i
	}
	if q := s[i]; q == '"' || q == '\'' {
		j := i + 1
		for j < len(s) && s[j] != q {
			if s[j] == '\\' && j+1 < len(s) && (s[j+1] == q || s[j+1] == '\\') {
				j += 2
			} else {
				j++
			}
		}
		if j < len(s) {
			j++
		}
		return j
	}
	j := i
	for j < len(s) && !isSpace(s[j]) {
		j++
	}
	return j
}

// unescapeConf is httpd's substring_conf: \\ becomes \ and, inside quotes,
// \<quote> becomes <quote>; every other byte, backslashes included, is kept.
func unescapeConf(s string, quote byte) string {
	k := -1
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '\\' && (s[i+1] == '\\' || (quote != 0 && s[i+1] == quote)) {
			k = i
			break
		}
	}
	if k < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	b = append(b, s[:k]...)
	for i := k; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && (s[i+1] == '\\' || (quote != 0 && s[i+1] == quote)) {
			i++
		}
		b = append(b, s[i])
	}
	return string(b)
}
