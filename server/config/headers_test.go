package config

import "testing"

// mod_headers' and mod_setenvif's lists merge as the parent's entries
// followed by the child's, and the result shares no array with either.
func TestMergeHeaderLists(t *testing.T) {
	p1, p2, c1 := &HeaderOp{Name: "p1"}, &HeaderOp{Name: "p2"}, &HeaderOp{Name: "c1"}
	parent := &DirConf{HeadersOnSuccess: []*HeaderOp{p1, p2}, HeadersAlways: []*HeaderOp{p1},
		SetEnvIf: []*SetEnvIfRule{{Attr: "p"}}}
	child := &DirConf{HeadersOnSuccess: []*HeaderOp{c1}, RequestHeaders: []*HeaderOp{c1}}
	m := MergeDirConf(parent, child)
	names := func(ops []*HeaderOp) string {
		s := ""
		for _, o := range ops {
			s += o.Name + " "
		}
		return s
	}
	if got := names(m.HeadersOnSuccess); got != "p1 p2 c1 " {
		t.Errorf("onsuccess = %q", got)
	}
	if got := names(m.HeadersAlways); got != "p1 " {
		t.Errorf("always = %q", got)
	}
	if got := names(m.RequestHeaders); got != "c1 " {
		t.Errorf("request = %q", got)
	}
	if len(m.SetEnvIf) != 1 || m.SetEnvIf[0].Attr != "p" {
		t.Errorf("setenvif = %v", m.SetEnvIf)
	}
	m.HeadersAlways = append(m.HeadersAlways, c1)
	m.HeadersAlways[0] = c1
	if parent.HeadersAlways[0] != p1 {
		t.Error("the merge shares the parent's array")
	}
}

func TestPregsub(t *testing.T) {
	caps := []string{"whole", "one", ""}
	for _, tc := range []struct{ tmpl, want string }{
		{"$1-$0", "one-whole"}, {"$2|$9", "|"}, {`\$1 \\`, `$1 \`}, {"&", "&"}, {"a$", "a$"},
	} {
		if got := Pregsub(tc.tmpl, caps); got != tc.want {
			t.Errorf("Pregsub(%q) = %q, want %q", tc.tmpl, got, tc.want)
		}
	}
}
