package load

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// FindEnvvars returns the envvars file of the tree a config sits in
// (Debian's /etc/apache2/envvars next to apache2.conf), or "".
func FindEnvvars(configFile string) string {
	p := filepath.Join(filepath.Dir(configFile), "envvars")
	if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
		return p
	}
	return ""
}

// ReadEnvvars returns the variables an apache2ctl-style envvars file sets,
// by sourcing it in /bin/sh as apache2ctl does: the file is a shell script
// (Debian's computes a suffix from APACHE_CONFDIR), so no parser short of a
// shell reads it right. APACHE_CONFDIR is its folder, as apache2ctl sets
// it. Only variables that differ from appserver's own environment are
// returned.
func ReadEnvvars(path string) (map[string]string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(abs); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Sourced as apache2ctl does; its output goes to our stderr, and env -0
	// prints the result unambiguously.
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", `. "$1" >&2 && exec env -0`, "sh", abs)
	cmd.Env = append(os.Environ(), "APACHE_CONFDIR="+filepath.Dir(abs), "APACHE_ENVVARS="+abs)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return nil, fmt.Errorf("sourcing %s in /bin/sh failed: %s", abs, msg)
	}
	vars := map[string]string{}
	for _, kv := range bytes.Split(out, []byte{0}) {
		k, v, ok := strings.Cut(string(kv), "=")
		if !ok || k == "" {
			continue
		}
		switch k {
		case "PWD", "OLDPWD", "SHLVL", "_", "APACHE_ENVVARS":
			continue
		}
		if old, had := os.LookupEnv(k); had && old == v {
			continue
		}
		vars[k] = v
	}
	return vars, nil
}
