package parser

import "math"

// Atoi is C's atoi, as httpd and its modules read numeric arguments:
// leading whitespace and sign, then digits; anything else ends the number, and no digits means 0. Overflow saturates.
func Atoi(s string) int {
	n, _ := Atoi64(s)
	if n > math.MaxInt32 {
		return math.MaxInt32
	}
	if n < math.MinInt32 {
		return math.MinInt32
	}
	return int(n)
}

// Atoi64 is apr_atoi64/strtoll base 10; clean reports whether s was a
// plain number with nothing after it.
func Atoi64(s string) (n int64, clean bool) {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\v' || s[i] == '\f' || s[i] == '\r') {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	start := i
	var v uint64
	overflow := false
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		v = v*10 + uint64(s[i]-'0')
		if v > math.MaxInt64 {
			overflow = true
		}
		i++
	}
	clean = i > start && i == len(s) && !overflow
	switch {
	case overflow && neg:
		return math.MinInt64, false
	case overflow:
		return math.MaxInt64, false
	case neg:
		return -int64(v), clean
	}
	return int64(v), clean
}
