package daemon

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// userLabel names the workers' user for messages: "user nobody (uid 65534)".
func (g *Group) userLabel() string {
	if g.cred == nil {
		return fmt.Sprintf("uid %d", os.Geteuid())
	}
	name := g.spec.User
	if name == "" || strings.HasPrefix(name, "#") {
		if u, err := user.LookupId(strconv.Itoa(int(g.cred.Uid))); err == nil {
			name = u.Username
		}
	}
	if name == "" {
		return fmt.Sprintf("uid %d", g.cred.Uid)
	}
	return fmt.Sprintf("user %s (uid %d)", name, g.cred.Uid)
}

// execBlocker returns why cred cannot run the program at path, or "" when
// it can (or when it cannot tell: root, or ACLs on the way). It checks
// every folder on the path as written and on its symlink-resolved form,
// and the program's own x bit.
func execBlocker(path string, cred *syscall.Credential) string {
	if cred == nil || cred.Uid == 0 {
		return ""
	}
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return ""
	}
	gids := append([]uint32{cred.Gid}, cred.Groups...)
	allowed := func(fi fs.FileInfo) (ok, known bool) {
		st, isSys := fi.Sys().(*syscall.Stat_t)
		if !isSys {
			return true, false
		}
		mode := uint32(fi.Mode().Perm())
		switch {
		case st.Uid == cred.Uid:
			return mode&0o100 != 0, true
		case slices.Contains(gids, st.Gid):
			return mode&0o010 != 0, true
		default:
			return mode&0o001 != 0, true
		}
	}
	for _, p := range []string{path, real} {
		var dirs []string
		for d := filepath.Dir(p); ; d = filepath.Dir(d) {
			dirs = append(dirs, d)
			if d == "/" || d == "." {
				break
			}
		}
		slices.Reverse(dirs)
		for _, d := range dirs {
			fi, err := os.Stat(d)
			if err != nil {
				return ""
			}
			if ok, known := allowed(fi); known && !ok && !hasACL(d) {
				return fmt.Sprintf("the folder %s (mode %s) is not searchable by that user", d, fi.Mode().Perm())
			}
		}
	}
	fi, err := os.Stat(real)
	if err != nil {
		return ""
	}
	if ok, known := allowed(fi); known && !ok && !hasACL(real) {
		return fmt.Sprintf("%s (mode %s) is not executable by that user", real, fi.Mode().Perm())
	}
	return ""
}

// hasACL reports whether path carries a POSIX access ACL, which the mode
// bits alone do not describe.
func hasACL(path string) bool {
	n, err := unix.Getxattr(path, "system.posix_acl_access", nil)
	return err == nil && n > 0
}

// LookupUser resolves a user written as a name or "#uid", as httpd reads
// User and mod_wsgi its user options: the uid, and the account (nil for a
// #uid this host has no account for). The configuration is checked with
// it at load and the workers are started with it, so both read alike.
func LookupUser(v string) (uint32, *user.User, error) {
	if id, ok := strings.CutPrefix(v, "#"); ok {
		n, err := strconv.ParseUint(id, 10, 32)
		if err != nil {
			return 0, nil, fmt.Errorf("invalid user %q: write a name or #uid", v)
		}
		u, _ := user.LookupId(id)
		return uint32(n), u, nil
	}
	u, err := user.Lookup(v)
	if err != nil {
		return 0, nil, fmt.Errorf("unknown user %q: %v", v, err)
	}
	n, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return 0, nil, fmt.Errorf("user %q has the non-numeric uid %q", v, u.Uid)
	}
	return uint32(n), u, nil
}

// LookupGroup is LookupUser for a group name or "#gid".
func LookupGroup(v string) (uint32, *user.Group, error) {
	if id, ok := strings.CutPrefix(v, "#"); ok {
		n, err := strconv.ParseUint(id, 10, 32)
		if err != nil {
			return 0, nil, fmt.Errorf("invalid group %q: write a name or #gid", v)
		}
		g, _ := user.LookupGroupId(id)
		return uint32(n), g, nil
	}
	g, err := user.LookupGroup(v)
	if err != nil {
		return 0, nil, fmt.Errorf("unknown group %q: %v", v, err)
	}
	n, err := strconv.ParseUint(g.Gid, 10, 32)
	if err != nil {
		return 0, nil, fmt.Errorf("group %q has the non-numeric gid %q", v, g.Gid)
	}
	return uint32(n), g, nil
}

// credentials decides the uid/gid of the workers. Only root can switch;
// otherwise the workers run as we do and User/Group are ignored.
func credentials(spec *Spec, allowRoot bool) (cred *syscall.Credential, home string, err error) {
	if os.Geteuid() != 0 {
		return nil, "", nil
	}
	uid, gid := uint32(0), uint32(0)
	var u *user.User
	if spec.User != "" {
		if uid, u, err = LookupUser(spec.User); err != nil {
			return nil, "", err
		}
		if u != nil {
			n, _ := strconv.ParseUint(u.Gid, 10, 32)
			gid = uint32(n)
			home = u.HomeDir
		}
	}
	if uid == 0 && !allowRoot {
		return nil, "", errors.New("worker processes would run as root; set user= on WSGIDaemonProcess " +
			"(or the server's User directive), or allow root explicitly")
	}
	if spec.Group != "" {
		if gid, _, err = LookupGroup(spec.Group); err != nil {
			return nil, "", err
		}
	}
	cred = &syscall.Credential{Uid: uid, Gid: gid}
	switch {
	case spec.SupplementaryGroups != nil:
		for _, name := range spec.SupplementaryGroups {
			id, _, err := LookupGroup(name)
			if err != nil {
				return nil, "", fmt.Errorf("supplementary group: %w", err)
			}
			cred.Groups = append(cred.Groups, id)
		}
	case u != nil:
		// initgroups(user), as mod_wsgi does without supplementary-groups.
		ids, _ := u.GroupIds()
		for _, id := range ids {
			if n, err := strconv.ParseUint(id, 10, 32); err == nil {
				cred.Groups = append(cred.Groups, uint32(n))
			}
		}
	}
	return cred, home, nil
}

// checkScriptOwner applies script-user or script-group as mod_wsgi does
// before it connects to the daemon: the script and its folder must belong
// to that user (group), and neither may be writable by others (nor, for
// script-user, by the group). A script that cannot be stat'ed is left to
// the worker's own error.
func (g *Group) checkScriptOwner(script string) error {
	check := func(path, what string) error {
		fi, err := os.Stat(path)
		if err != nil {
			return nil
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			return nil
		}
		mode := fi.Mode().Perm()
		if g.scriptUID >= 0 {
			if int(st.Uid) != g.scriptUID {
				return fmt.Errorf("Owner of %s does not match required user for daemon process, user=%s: %s",
					what, userName(st.Uid), script)
			}
		} else if int(st.Gid) != g.scriptGID {
			return fmt.Errorf("Group of %s does not match required group for daemon process, group=%s: %s",
				what, groupName(st.Gid), script)
		}
		what = strings.ToUpper(what[:1]) + what[1:]
		if mode&0o002 != 0 {
			return fmt.Errorf("%s is writable to world: %s", what, script)
		}
		if g.scriptUID >= 0 && mode&0o020 != 0 {
			return fmt.Errorf("%s is writable to group: %s", what, script)
		}
		return nil
	}
	if err := check(script, "WSGI script file"); err != nil {
		return err
	}
	return check(filepath.Dir(script), "parent directory of WSGI script file")
}

func userName(uid uint32) string {
	if u, err := user.LookupId(strconv.Itoa(int(uid))); err == nil {
		return u.Username
	}
	return strconv.Itoa(int(uid))
}

func groupName(gid uint32) string {
	if g, err := user.LookupGroupId(strconv.Itoa(int(gid))); err == nil {
		return g.Name
	}
	return strconv.Itoa(int(gid))
}
