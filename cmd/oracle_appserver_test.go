package cmd_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// built is the binary every test of this package runs, built once per
// test run (TestMain removes it).
var built struct {
	once sync.Once
	dir  string
	bin  string
	err  error
}

// oracleBuild returns the real binary, building it on first use. A failure
// is returned, not fatal, so the Apache half of every case still runs and
// is reported.
func oracleBuild(t *testing.T) (string, error) {
	t.Helper()
	built.once.Do(func() {
		built.dir, built.err = os.MkdirTemp("", "appserver-test-bin-")
		if built.err != nil {
			return
		}
		bin := filepath.Join(built.dir, "appserver")
		cmd := exec.Command("go", "build", "-o", bin, "github.com/appserver/appserver/cmd/appserver")
		if out, err := cmd.CombinedOutput(); err != nil {
			built.err = fmt.Errorf("go build ./cmd/appserver failed (%v):\n%s", err, out)
			return
		}
		built.bin = bin
	})
	return built.bin, built.err
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// oracleRoute is one line of `appserver routes --json`.
type oracleRoute struct {
	URL              string            `json:"url"`
	Status           int               `json:"status"`
	VHost            json.RawMessage   `json:"vhost"`
	Handler          string            `json:"handler"`
	ProcessGroup     string            `json:"process_group"`
	ApplicationGroup string            `json:"application_group"`
	Script           string            `json:"script"`
	ScriptName       string            `json:"script_name"`
	PathInfo         string            `json:"path_info"`
	Proxy            string            `json:"proxy"` // the backend URL of a ProxyPass
	Env              map[string]string `json:"env"`
}

// oracleRouteKeys are the keys every routes --json line must carry.
var oracleRouteKeys = []string{"url", "status", "vhost", "handler", "process_group", "application_group", "script",
	"script_name", "path_info", "env"}

// errOracleRoutesMissing marks an appserver that has no routes --json yet.
var errOracleRoutesMissing = errors.New("routes --json not implemented")

// oracleRunRoutes runs `appserver routes -f conf --json [--header H]... [--host host] target...`
// and returns one oracleRoute per target, in order.
func oracleRunRoutes(bin, conf, host, method string, headers, targets []string) ([]oracleRoute, error) {
	args := []string{"routes", "-f", conf, "--json"}
	for _, h := range headers {
		args = append(args, "--header", h)
	}
	if method != "" && method != "GET" {
		// Access rules in <Limit> depend on it.
		args = append(args, "--method", method)
	}
	if host != oracleHostNone {
		args = append(args, "--host", host)
	}
	args = append(args, targets...)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), oracleEnv...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	errText := strings.TrimSpace(stderr.String())
	if err != nil {
		if strings.Contains(errText, "unknown command") || strings.Contains(errText, "unknown flag") ||
			strings.Contains(errText, "unknown shorthand flag") {
			return nil, fmt.Errorf("%w (appserver said: %s)", errOracleRoutesMissing, oracleFirstLine(errText))
		}
		return nil, fmt.Errorf("appserver %s: %v\nstderr:\n%s", strings.Join(args, " "), err, errText)
	}
	lines, perr := oracleParseRoutes(stdout.Bytes(), targets)
	if perr != nil {
		return nil, fmt.Errorf("appserver %s: %v", strings.Join(args[:4], " "), perr)
	}
	return lines, nil
}

// oracleParseRoutes checks the routes --json contract: one object per
// requested URL, in order, each with every key of oracleRouteKeys.
func oracleParseRoutes(out []byte, targets []string) ([]oracleRoute, error) {
	var lines []oracleRoute
	for n, raw := range bytes.Split(out, []byte("\n")) {
		if len(bytes.TrimSpace(raw)) == 0 {
			continue
		}
		var keys map[string]json.RawMessage
		if err := json.Unmarshal(raw, &keys); err != nil {
			return nil, fmt.Errorf("output line %d is not a JSON object (%v): %.120s", n+1, err, raw)
		}
		var missing []string
		for _, k := range oracleRouteKeys {
			if _, ok := keys[k]; !ok {
				missing = append(missing, k)
			}
		}
		if len(missing) > 0 {
			return nil, fmt.Errorf("output line %d lacks key(s) %s: %.200s", n+1, strings.Join(missing, ", "), raw)
		}
		var l oracleRoute
		if err := json.Unmarshal(raw, &l); err != nil {
			return nil, fmt.Errorf("output line %d: %v: %.200s", n+1, err, raw)
		}
		lines = append(lines, l)
	}
	if len(lines) != len(targets) {
		return nil, fmt.Errorf("printed %d JSON lines for %d URLs", len(lines), len(targets))
	}
	for i, l := range lines {
		if l.URL != targets[i] {
			return nil, fmt.Errorf("line %d is for url %q, expected %q (one line per URL, in argument order)", i+1, l.URL, targets[i])
		}
	}
	return lines, nil
}

// oracleQueryAppserver asks the binary about every URL of c, one routes run per
// distinct Host, and returns the answers in URL order.
func oracleQueryAppserver(bin string, cd *oracleDir, c oracleCase) ([]oracleRoute, error) {
	byHost := map[string][]int{}
	var hosts []string
	for i, u := range c.URLs {
		h := oracleHostHeader(u, cd.Port) + "\x00" + u.MethodOrGET() + "\x00" + strings.Join(u.Headers, "\x00")
		if _, ok := byHost[h]; !ok {
			hosts = append(hosts, h)
		}
		byHost[h] = append(byHost[h], i)
	}
	out := make([]oracleRoute, len(c.URLs))
	for _, h := range hosts {
		idx := byHost[h]
		targets := make([]string, len(idx))
		for j, i := range idx {
			targets[j] = c.URLs[i].Target
		}
		u := c.URLs[idx[0]]
		lines, err := oracleRunRoutes(bin, cd.Conf, oracleHostHeader(u, cd.Port), u.MethodOrGET(), u.Headers, targets)
		if err != nil {
			return nil, err
		}
		for j, i := range idx {
			out[i] = lines[j]
		}
	}
	return out, nil
}

func oracleFirstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
