package config

import (
	"reflect"
	"testing"
)

func TestMergeDirConf(t *testing.T) {
	on, off := true, false
	n10, n20 := int64(10), int64(20)
	set := func(v string) *Setting { return &Setting{Value: v} }
	env := func(op EnvOpKind, name, value string) EnvOp { return EnvOp{Op: op, Name: name, Value: value} }
	tests := []struct {
		name          string
		parent, child *DirConf
		want          *DirConf
	}{
		{"both-nil", nil, nil, &DirConf{}},
		{"child-wins-values",
			&DirConf{ProcessGroup: set("main"), ApplicationGroup: set("%{GLOBAL}"), PassAuthorization: &on, MapHEADToGET: "On", Handler: set("wsgi-script"), Require: "granted", LimitRequestBody: &n10},
			&DirConf{ProcessGroup: set("admin"), PassAuthorization: &off, MapHEADToGET: "Auto", Require: "denied", LimitRequestBody: &n20},
			&DirConf{ProcessGroup: set("admin"), ApplicationGroup: set("%{GLOBAL}"), PassAuthorization: &off, MapHEADToGET: "Auto", Handler: set("wsgi-script"), Require: "denied", LimitRequestBody: &n20}},
		{"unset-child-keeps-parent",
			&DirConf{CallableObject: set("app"), ScriptReloading: &off, ChunkedRequest: &on, ErrorOverride: &on, IgnoreActivity: &on, EnableSendfile: &on},
			&DirConf{},
			&DirConf{CallableObject: set("app"), ScriptReloading: &off, ChunkedRequest: &on, ErrorOverride: &on, IgnoreActivity: &on, EnableSendfile: &on}},
		{"lists-replaced",
			&DirConf{RestrictProcess: []string{"a", "b"}, TrustedProxyHeaders: []string{"X-Forwarded-For"}, TrustedProxies: []string{"10.0.0.0/8"}},
			&DirConf{RestrictProcess: []string{"c"}, TrustedProxies: []string{"192.168.0.1"}},
			&DirConf{RestrictProcess: []string{"c"}, TrustedProxyHeaders: []string{"X-Forwarded-For"}, TrustedProxies: []string{"192.168.0.1"}}},
		{"empty-list-is-a-setting",
			&DirConf{RestrictProcess: []string{"a"}},
			&DirConf{RestrictProcess: []string{}},
			&DirConf{RestrictProcess: []string{}}},
		{"env-appended",
			&DirConf{Env: []EnvOp{env("set", "A", "1"), env("set", "B", "1")}},
			&DirConf{Env: []EnvOp{env("unset", "A", ""), env("set", "B", "2")}},
			&DirConf{Env: []EnvOp{env("set", "A", "1"), env("set", "B", "1"), env("unset", "A", ""), env("set", "B", "2")}}},
		{"options-absolute-replaces",
			&DirConf{Options: []string{"Indexes", "ExecCGI"}},
			&DirConf{Options: []string{"FollowSymLinks"}},
			&DirConf{Options: []string{"FollowSymLinks"}}},
		{"options-relative-adjusts",
			&DirConf{Options: []string{"Indexes"}},
			&DirConf{Options: []string{"+ExecCGI", "-Indexes"}},
			&DirConf{Options: []string{"Indexes", "+ExecCGI", "-Indexes"}}},
		{"addhandler-per-extension",
			&DirConf{AddHandlers: map[string]string{"wsgi": "wsgi-script", "py": "cgi-script"}},
			&DirConf{AddHandlers: map[string]string{"py": "wsgi-script"}},
			&DirConf{AddHandlers: map[string]string{"wsgi": "wsgi-script", "py": "wsgi-script"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := MergeDirConf(tc.parent, tc.child)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestMergeDirConfDoesNotAlias(t *testing.T) {
	parent := &DirConf{RestrictProcess: []string{"a"}, Env: []EnvOp{{Op: "set", Name: "A"}}, AddHandlers: map[string]string{"x": "y"}}
	child := &DirConf{TrustedProxies: []string{"1.2.3.4"}}
	got := MergeDirConf(parent, child)
	got.RestrictProcess[0] = "changed"
	got.TrustedProxies[0] = "changed"
	got.Env = append(got.Env[:0], EnvOp{Name: "changed"})
	got.AddHandlers["x"] = "changed"
	if parent.RestrictProcess[0] != "a" || child.TrustedProxies[0] != "1.2.3.4" || parent.Env[0].Name != "A" || parent.AddHandlers["x"] != "y" {
		t.Errorf("MergeDirConf result shares memory with its arguments")
	}
}

// TestMergeEnvSemantics applies the merged Env operations in order and
// checks mod_env's per-variable rules (mod_env.c's merge_env_dir_configs).
func TestMergeEnvSemantics(t *testing.T) {
	apply := func(ops []EnvOp) map[string]string {
		m := map[string]string{}
		for _, op := range ops {
			switch op.Op {
			case "set", "pass":
				m[op.Name] = op.Value
			case "unset":
				delete(m, op.Name)
			}
		}
		return m
	}
	server := &DirConf{Env: []EnvOp{{Op: "set", Name: "VH", Value: "main"}, {Op: "set", Name: "KEEP", Value: "k"}}}
	vhost := &DirConf{Env: []EnvOp{{Op: "set", Name: "VH", Value: "vhost"}}}
	loc := &DirConf{Env: []EnvOp{{Op: "unset", Name: "KEEP"}, {Op: "set", Name: "X", Value: "1"}, {Op: "unset", Name: "X"}}}
	got := apply(MergeDirConf(MergeDirConf(server, vhost), loc).Env)
	if want := map[string]string{"VH": "vhost"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestOptionSet(t *testing.T) {
	tests := []struct {
		opts []string
		want bool
	}{
		{nil, false},
		{[]string{"ExecCGI"}, true},
		{[]string{"All"}, true},
		{[]string{"None"}, false},
		{[]string{"Indexes", "+ExecCGI"}, true},
		{[]string{"ExecCGI", "-ExecCGI"}, false},
		{[]string{"execcgi"}, true},
	}
	for _, tc := range tests {
		if got := OptionSet(tc.opts, "ExecCGI"); got != tc.want {
			t.Errorf("optionSet(%q) = %v, want %v", tc.opts, got, tc.want)
		}
	}
	if OptionSet([]string{"All"}, "MultiViews") {
		t.Errorf("All must not include MultiViews")
	}
}
