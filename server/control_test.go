package server

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/appserver/appserver/server/config"
)

func TestControlSocketPath(t *testing.T) {
	if got := ControlSocketPath(&config.Config{File: "/etc/x.conf", ControlSocket: "/srv/ctl.sock"}); got != "/srv/ctl.sock" {
		t.Errorf("AppserverControlSocket: %q", got)
	}
	a := ControlSocketPath(&config.Config{File: "/etc/apache2/apache2.conf"})
	b := ControlSocketPath(&config.Config{File: "/etc/apache2/other.conf"})
	if a == b || filepath.Dir(a) != filepath.Dir(b) || !strings.HasSuffix(a, ".sock") || len(filepath.Base(a)) != len("0123456789ab.sock") {
		t.Errorf("default paths %q and %q", a, b)
	}
	wd, _ := os.Getwd()
	if rel := ControlSocketPath(&config.Config{File: "x.conf"}); rel != ControlSocketPath(&config.Config{File: filepath.Join(wd, "x.conf")}) {
		t.Errorf("a relative config path is not made absolute: %q", rel)
	}
	if os.Geteuid() == 0 && filepath.Dir(a) != "/run/appserver" {
		t.Errorf("root's default directory: %q", filepath.Dir(a))
	}
	t.Setenv("XDG_RUNTIME_DIR", "/run/user/1000")
	if os.Geteuid() != 0 {
		if d := filepath.Dir(ControlSocketPath(&config.Config{File: "/x.conf"})); d != "/run/user/1000/appserver" {
			t.Errorf("with XDG_RUNTIME_DIR: %q", d)
		}
	}
}

func TestListenControl(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	path := filepath.Join(dir, "ctl.sock")
	ln, err := ListenControl(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(path)
	if err != nil || fi.Mode().Perm() != 0o600 || fi.Mode().Type() != os.ModeSocket {
		t.Errorf("socket: %v %v, want 0600", fi.Mode(), err)
	}
	if di, _ := os.Stat(dir); di.Mode().Perm() != 0o700 {
		t.Errorf("directory %v, want 0700", di.Mode())
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	if _, err := ListenControl(path); err == nil || !strings.Contains(err.Error(), "another appserver is serving this config") {
		t.Errorf("second listener on a live socket: %v", err)
	}
	ln.Close()
	if _, err := os.Lstat(path); !os.IsNotExist(err) {
		t.Errorf("socket left after Close: %v", err)
	}

	// A server that died leaves its socket: the next one takes it over.
	stale, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	stale.SetUnlinkOnClose(false)
	stale.Close()
	ln, err = ListenControl(path)
	if err != nil {
		t.Fatalf("over a stale socket: %v", err)
	}
	ln.Close()

	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ListenControl(path); err == nil || !strings.Contains(err.Error(), "is not a socket") {
		t.Errorf("over a regular file: %v", err)
	}
	open := filepath.Join(t.TempDir(), "open")
	if err := os.Mkdir(open, 0o777); err != nil {
		t.Fatal(err)
	}
	os.Chmod(open, 0o777)
	if _, err := ListenControl(filepath.Join(open, "ctl.sock")); err == nil || !strings.Contains(err.Error(), "writable by others") {
		t.Errorf("in a world-writable directory: %v", err)
	}
}
