package daemon

import "testing"

func TestFixVary(t *testing.T) {
	for _, tt := range []struct {
		in   []string
		want string
	}{
		{[]string{"Cookie"}, "Cookie"},
		{[]string{"X-Test", "Cookie"}, "X-Test,Cookie"},
		{[]string{"Accept-Encoding, Cookie", "cookie,  ,User-Agent"}, "Accept-Encoding,Cookie,User-Agent"},
		{[]string{" , "}, ""}, // the caller then leaves the header alone, as httpd does
	} {
		if got := fixVary(tt.in); got != tt.want {
			t.Errorf("fixVary(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
