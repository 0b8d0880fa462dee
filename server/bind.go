package server

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/appserver/appserver/parser"
	"github.com/appserver/appserver/server/config"
)

// Bind opens a socket for each listener, closing them all if one fails.
// A socket in inherited (systemd's socket activation) bound to a
// listener's address is used instead of a new one; the inherited sockets
// no listener matched are returned in unused. Errors name the Listen
// directive and say what to do about the common causes: the port in use,
// or a port below 1024 without the right to bind it.
func Bind(c *config.Config, listeners []Listener, inherited []net.Listener) (lns, unused []net.Listener, err error) {
	unused = append(unused, inherited...)
	for _, l := range listeners {
		if i := matchInherited(l.Addr, unused); i >= 0 {
			lns = append(lns, unused[i])
			unused = append(unused[:i], unused[i+1:]...)
			continue
		}
		ln, err := net.Listen("tcp", l.Addr)
		if err != nil {
			for _, o := range lns {
				o.Close()
			}
			return nil, unused, bindError(c, l.Addr, err)
		}
		lns = append(lns, ln)
	}
	return lns, unused, nil
}

// matchInherited finds the socket in lns bound to addr ("host:port", an
// empty host meaning every address), or -1.
func matchInherited(addr string, lns []net.Listener) int {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return -1
	}
	want := net.ParseIP(host)
	for i, ln := range lns {
		got, ok := ln.Addr().(*net.TCPAddr)
		if !ok || strconv.Itoa(got.Port) != port {
			continue
		}
		if (host == "" && got.IP.IsUnspecified()) || (want != nil && want.Equal(got.IP)) {
			return i
		}
	}
	return -1
}

func bindError(c *config.Config, addr string, err error) *parser.Error {
	pos := listenPos(c, addr)
	_, port, _ := net.SplitHostPort(addr)
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return &parser.Error{Pos: pos, Msg: fmt.Sprintf("Listen %s: the address is already in use", addr),
			Hint: "another server holds the port (Apache? systemctl stop apache2; ss -ltnp shows which): stop it or choose another port"}
	case errors.Is(err, syscall.EACCES):
		return &parser.Error{Pos: pos, Msg: fmt.Sprintf("Listen %s: permission denied", addr),
			Hint: "ports below 1024 need root or the CAP_NET_BIND_SERVICE capability (setcap cap_net_bind_service=+ep " + executable() + "); or listen on port 1024 or above"}
	}
	return &parser.Error{Pos: pos, Msg: fmt.Sprintf("Listen %s: %v", addr, err), Hint: "check the address: it must be one of this host's, port " + port}
}

// ListenProblems is what configtest can tell about the Listen directives
// on this host before serve runs: a port below 1024 it may not bind (an
// error), a port something else holds now (a host warning: it may be the
// running server this config is meant to replace).
func ListenProblems(c *config.Config) (errs parser.ErrorList, warnings []config.Warning) {
	for _, l := range c.Listen {
		addr := net.JoinHostPort(l.Addr, strconv.Itoa(l.Port))
		if l.Port < 1024 && !canBindPrivileged() {
			errs = append(errs, bindError(c, addr, syscall.EACCES))
			continue
		}
		ln, err := net.Listen("tcp", addr)
		if err == nil {
			ln.Close()
			continue
		}
		e := bindError(c, addr, err)
		if errors.Is(err, syscall.EADDRINUSE) {
			warnings = append(warnings, config.Warning{Pos: e.Pos, Kind: config.WarnHost, Msg: e.Msg + " now: serve will fail unless its holder stops (" + e.Hint + ")"})
			continue
		}
		errs = append(errs, e)
	}
	return errs, warnings
}

func listenPos(c *config.Config, addr string) parser.Position {
	for _, l := range c.Listen {
		if net.JoinHostPort(l.Addr, strconv.Itoa(l.Port)) == addr {
			return l.Pos
		}
	}
	return parser.Position{Filename: c.File, Line: 1, Column: 1}
}

// canBindPrivileged reports whether this process may bind ports below
// 1024: root, or CAP_NET_BIND_SERVICE (bit 10) in its effective set.
func canBindPrivileged() bool {
	if os.Geteuid() == 0 {
		return true
	}
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return true // cannot tell: let the bind itself say
	}
	for _, line := range strings.Split(string(data), "\n") {
		if hex, ok := strings.CutPrefix(line, "CapEff:"); ok {
			caps, err := strconv.ParseUint(strings.TrimSpace(hex), 16, 64)
			return err != nil || caps&(1<<10) != 0
		}
	}
	return true
}

func executable() string {
	if p, err := os.Executable(); err == nil {
		return p
	}
	return "appserver"
}
