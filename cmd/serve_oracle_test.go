package cmd_test

// The oracle in serving mode: the httpd.conf real Apache ran is served by
// `appserver serve -f` on another port, the same raw requests are sent to it,
// and everything the probe app reports (status, groups, the whole WSGI
// environ, the process title) must agree with what it reported under Apache.
// See testdata/oracle/README.md.

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// serveOracleCheck serves case c (already answered by Apache: apache) with
// `appserver serve -f` and reports every field on which the two disagree.
func serveOracleCheck(t *testing.T, c oracleCase, cd *oracleDir, bin string, apache []oracleApacheResult) {
	t.Helper()
	var conf string
	srv := serveStartFree(t, bin, filepath.Join(cd.Dir, "serve.log"), oracleEnv, func(port int) string {
		conf = serveWriteConf(t, c, cd, port)
		return conf
	})
	// appserver logs to the config's ErrorLog, which Apache wrote before;
	// only what comes after each request is read.
	srv.Logs = append(srv.Logs, filepath.Join(cd.Dir, "error.log"))
	ports := servePorts{apache: cd.Port, appserver: srv.Port}
	results := make([]oracleApacheResult, len(c.URLs))
	for i, u := range c.URLs {
		logStart := srv.LogSizes()
		r, err := oracleSendRaw(srv.Addr(), oracleHostHeader(u, cd.Port), u)
		if err != nil {
			t.Errorf("%s.urls:%d: %s: %v\n%s", c.Name, u.Line, u.Label(), err, srv.Tail(20))
			break
		}
		r.URL = u.Label()
		r.Log = srv.LogSince(logStart)
		results[i] = r
	}
	if err := srv.Stop(); err != nil {
		t.Error(err)
	}
	if *oracleKeep {
		oracleWriteJSONL(t, filepath.Join(cd.Dir, "serve.jsonl"), results)
	}
	var rows []oracleDisagreement
	for i, u := range c.URLs {
		if results[i].URL == "" {
			break // the requests stopped early; reported above
		}
		rows = append(rows, serveCompare(c.Name, u, apache[i], results[i], ports)...)
		rows = append(rows, serveCompareResponse(c.Name, c.Compare, u, apache[i], results[i])...)
	}
	for i := range rows { // the case directory is long and random: name it as case files do
		rows[i].Apache = strings.ReplaceAll(rows[i].Apache, cd.Dir, "@DIR@")
		rows[i].Appserver = strings.ReplaceAll(rows[i].Appserver, cd.Dir, "@DIR@")
		rows[i].Note = strings.ReplaceAll(rows[i].Note, cd.Dir, "@DIR@")
	}
	if len(rows) > 0 {
		t.Errorf("appserver serve -f %s: %d disagreement(s) with real Apache in %d URLs of %s (-args -oracle.keep keeps the case directory):\n%s",
			filepath.Base(conf), len(rows), len(c.URLs), c.Name, serveFormatRows(rows, *serveRows))
	}
}

// serveCompareResponse compares what a case's "# oracle-compare:" lines
// name: response headers, and the body of an answer the probe did not give.
func serveCompareResponse(caseName string, spec oracleCompareSpec, u oracleURL, a, s oracleApacheResult) []oracleDisagreement {
	var out []oracleDisagreement
	for _, name := range spec.Headers {
		av, aok := serveHeaderValue(a.Header, name)
		sv, sok := serveHeaderValue(s.Header, name)
		if av != sv || aok != sok {
			out = append(out, oracleDisagreement{Case: caseName, URL: u.Label(), Field: "header[" + name + "]",
				Apache: serveQuote(av, aok), Appserver: serveQuote(sv, sok), Note: a.Log})
		}
	}
	if spec.Body && a.Answer == nil && s.Answer == nil && !bytes.Equal(a.RawBody, s.RawBody) {
		out = append(out, oracleDisagreement{Case: caseName, URL: u.Label(), Field: "body",
			Apache: serveExcerpt(a.RawBody), Appserver: serveExcerpt(s.RawBody), Note: a.Log})
	}
	return out
}

// serveHeaderValue is a response header's values joined as one field;
// Expires is given as its offset from Date ("Date+3600s"), since the two
// servers answer at different times.
func serveHeaderValue(h http.Header, name string) (string, bool) {
	vs, ok := h[name]
	if !ok {
		return "", false
	}
	v := strings.Join(vs, ", ")
	if name == "Expires" {
		exp, err1 := http.ParseTime(v)
		date, err2 := http.ParseTime(h.Get("Date"))
		if err1 == nil && err2 == nil {
			// Rounded to 10 s: each server reads its clock twice.
			d := exp.Sub(date).Round(10 * time.Second)
			return fmt.Sprintf("Date%+ds", int(d/time.Second)), true
		}
	}
	return v, true
}

// serveExcerpt quotes a body for a report row, cut after 300 bytes.
func serveExcerpt(b []byte) string {
	if len(b) > 300 {
		return strconv.Quote(string(b[:300])) + "..."
	}
	return strconv.Quote(string(b))
}

var serveRows = flag.Int("oracle.rows", 5,
	"serving mode: print at most this many disagreement rows per field and case (0 = all); the count line has every row")

// serveFormatRows is oracleFormatDisagreements with at most max rows per
// field in the table (serveCapRows); the count line above it still counts
// every row.
func serveFormatRows(rows []oracleDisagreement, max int) string {
	full := oracleFormatDisagreements(rows)
	capped := oracleFormatDisagreements(serveCapRows(rows, max))
	return full[:strings.IndexByte(full, '\n')+1] + capped[strings.IndexByte(capped, '\n')+1:]
}

// serveCapRows keeps the first max rows of each field (all when max <= 0),
// so that one systematic difference (a key missing from every environ)
// does not bury the rare ones; the rows dropped are counted in a last row
// per field.
func serveCapRows(rows []oracleDisagreement, max int) []oracleDisagreement {
	if max <= 0 {
		return rows
	}
	seen := map[string]int{}
	var out []oracleDisagreement
	for _, d := range rows {
		seen[d.Field]++
		if seen[d.Field] <= max {
			out = append(out, d)
		}
	}
	var fields []string
	for f, n := range seen {
		if n > max {
			fields = append(fields, f)
		}
	}
	sort.Strings(fields)
	for _, f := range fields {
		out = append(out, oracleDisagreement{Case: rows[0].Case, URL: "...", Field: f,
			Note: fmt.Sprintf("%d more rows of %s (-args -oracle.rows 0 shows all)", seen[f]-max, f)})
	}
	return out
}

// serveWriteConf writes the config appserver serves for case c on port: the
// generated httpd.conf Apache ran, with only its Listen port changed, and the
// case snippet with @PORT@ standing for the new port (so that
// <VirtualHost *:@PORT@> still matches the listener). It returns its path.
func serveWriteConf(t *testing.T, c oracleCase, cd *oracleDir, port int) string {
	t.Helper()
	oracleWriteFile(t, filepath.Join(cd.Dir, "serve-case.conf"), []byte(oracleSnippet(c, cd, port)))
	conf := filepath.Join(cd.Dir, "serve.conf")
	oracleWriteFile(t, conf, []byte(oracleHTTPDConf(c.Name, cd.Dir, port, "serve-case.conf", os.Geteuid() == 0)))
	return conf
}

// LogSizes returns the current size of each of the server's logs.
func (s *serveServer) LogSizes() []int64 {
	sizes := make([]int64, len(s.Logs))
	for i, p := range s.Logs {
		sizes[i] = oracleFileSize(p)
	}
	return sizes
}

// LogSince returns what the server logged after LogSizes returned offsets,
// one message per line without its time, joined by " | ".
func (s *serveServer) LogSince(offsets []int64) string {
	var msgs []string
	for i, p := range s.Logs {
		data, err := os.ReadFile(p)
		if err != nil || i >= len(offsets) || int64(len(data)) <= offsets[i] {
			continue
		}
		for _, line := range strings.Split(strings.TrimSpace(string(data[offsets[i]:])), "\n") {
			// The oracle's ErrorLog is shared with the Apache that ran
			// first and may still be stopping: skip its "[time] ..." lines.
			if strings.HasPrefix(line, "[") {
				continue
			}
			if line = serveLogTime.ReplaceAllString(line, ""); line != "" {
				msgs = append(msgs, line)
			}
		}
	}
	return strings.Join(msgs, " | ")
}

// Tail returns the last n lines of each of the server's logs.
func (s *serveServer) Tail(n int) string {
	var b strings.Builder
	for _, p := range s.Logs {
		b.WriteString(oracleTail(p, n))
	}
	return b.String()
}

var serveLogTime = regexp.MustCompile(`^time=\S+ `)

// servePorts are the listening ports of the two servers of one case.
type servePorts struct{ apache, appserver int }

// serveRule says how an environ key (or a top-level field of the probe's
// answer) that differs between the two servers by nature is compared:
// check returns "" when one server's value v has the right shape.
type serveRule struct {
	why   string
	check func(v any, present bool) string
}

// serveByNature lists every value compared by shape instead of by value.
// Everything else in the environ must be equal, byte for byte, and present
// in both or in neither.
var serveByNature = map[string]serveRule{
	"SERVER_SOFTWARE":          {"names the server", serveNonEmpty},
	"REMOTE_PORT":              {"the client's ephemeral port", servePort},
	"mod_wsgi.request_start":   {"a timestamp", serveMicros},
	"mod_wsgi.queue_start":     {"a timestamp", serveMicros},
	"mod_wsgi.daemon_start":    {"a timestamp", serveMicros},
	"mod_wsgi.script_start":    {"a timestamp", serveMicros},
	"mod_wsgi.request_id":      {"a per-request id", serveToken},
	"mod_wsgi.thread_id":       {"which thread took the request", serveIntAtLeast(1)},
	"mod_wsgi.thread_requests": {"depends on which thread took the request", serveIntAtLeast(0)},
	"mod_wsgi.total_requests":  {"depends on which process took the request", serveIntAtLeast(0)},
	"wsgi.input":               {"repr() of a per-request object", serveRepr},
	"wsgi.errors":              {"repr() of a per-request object", serveRepr},
}

// serveTopByNature are the probe's own fields outside the environ that are
// compared by shape; "cmdline" has a rule of its own (serveTitle).
var serveTopByNature = map[string]serveRule{
	"pid":    {"a process id", serveIntAtLeast(1)},
	"served": {"counts the requests of one process", serveIntAtLeast(1)},
	// mod_wsgi never renames comm: it stays apache2 (only argv is rewritten).
	"comm": {"the executable's name", serveNonEmpty},
}

// servePortKeys are environ keys holding a port: SERVER_PORT comes from the
// Host header (the same for both servers) or, without one, from the
// listener, as mod_wsgi.listener_port always does; the listening ports differ.
var servePortKeys = map[string]bool{"SERVER_PORT": true, "mod_wsgi.listener_port": true}

// serveCompare lists where appserver's answer s differs from Apache's a for
// request u.
func serveCompare(caseName string, u oracleURL, a, s oracleApacheResult, ports servePorts) []oracleDisagreement {
	var out []oracleDisagreement
	add := func(field, apache, appserver, note string) {
		out = append(out, oracleDisagreement{Case: caseName, URL: u.Label(), Field: field, Apache: apache, Appserver: appserver, Note: note})
	}
	note := func() string {
		if s.Log == "" {
			return a.Log
		}
		return strings.TrimSpace(a.Log + " || appserver: " + s.Log)
	}
	if a.Status != s.Status {
		add("status", strconv.Itoa(a.Status), strconv.Itoa(s.Status), note())
	}
	aProbe, sProbe := a.Answer != nil, s.Answer != nil
	if aProbe != sProbe {
		add("handler", serveHandler(a), serveHandler(s), note())
	}
	if !aProbe || !sProbe {
		return out
	}
	aa, aerr := serveParseAnswer(a.Answer)
	sa, serr := serveParseAnswer(s.Answer)
	if aerr != nil || serr != nil {
		add("answer", fmt.Sprint(aerr), fmt.Sprint(serr), "harness: the probe's answer lacks its environ")
		return out
	}
	for _, k := range serveUnion(aa.top, sa.top) {
		av, aok := aa.top[k]
		sv, sok := sa.top[k]
		switch {
		case k == "cmdline":
			if at, st := serveTitle(av), serveTitle(sv); at != st {
				add("title", strconv.Quote(at), strconv.Quote(st), "process title (ps -o args): "+serveQuote(sv, sok))
			}
		case serveTopByNature[k].check != nil:
			rule := serveTopByNature[k]
			if p := serveShapeProblems(rule, av, aok, sv, sok); p != "" || aok != sok {
				add(k, serveQuote(av, aok), serveQuote(sv, sok), "by shape ("+rule.why+")"+p)
			}
		default:
			if serveJSON(av) != serveJSON(sv) || aok != sok {
				add(k, serveQuote(av, aok), serveQuote(sv, sok), "")
			}
		}
	}
	for _, k := range serveUnion(aa.environ, sa.environ) {
		av, aok := aa.environ[k]
		sv, sok := sa.environ[k]
		field := "environ[" + k + "]"
		if rule, ok := serveByNature[k]; ok {
			if p := serveShapeProblems(rule, av, aok, sv, sok); p != "" || aok != sok {
				add(field, serveQuote(av, aok), serveQuote(sv, sok), "by shape ("+rule.why+")"+p)
			}
			continue
		}
		if servePortKeys[k] {
			av, sv = servePortShape(k, av, ports.apache, u, ports), servePortShape(k, sv, ports.appserver, u, ports)
		}
		if serveJSON(av) != serveJSON(sv) || aok != sok {
			add(field, serveQuote(av, aok), serveQuote(sv, sok), "")
		}
	}
	return out
}

// serveShapeProblems says which of the two values present is out of shape
// ("" when none); presence itself is compared by the caller.
func serveShapeProblems(rule serveRule, av any, aok bool, sv any, sok bool) string {
	var p string
	if aok {
		if msg := rule.check(av, true); msg != "" {
			p += " Apache: " + msg
		}
	}
	if sok {
		if msg := rule.check(sv, true); msg != "" {
			p += " appserver: " + msg
		}
	}
	return p
}

// serveAnswer is the probe's answer: its own fields and the environ.
type serveAnswer struct {
	top     map[string]any // pid, cmdline, comm, served, input_length
	environ map[string]any
}

// serveProbeCopies are the fields the probe copies out of the environ for
// quick reading (testdata/probe/probe.py, report), and "env", the keys the
// config added: the environ is compared in full instead.
var serveProbeCopies = map[string]bool{
	"mod_wsgi.process_group": true, "mod_wsgi.application_group": true, "SCRIPT_NAME": true, "PATH_INFO": true,
	"REQUEST_URI": true, "QUERY_STRING": true, "REQUEST_METHOD": true, "SCRIPT_FILENAME": true,
	"wsgi.multithread": true, "wsgi.multiprocess": true, "wsgi.run_once": true, "env": true, "environ": true,
}

// serveParseAnswer reads the probe's JSON.
func serveParseAnswer(body []byte) (serveAnswer, error) {
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		return serveAnswer{}, err
	}
	env, ok := m["environ"].(map[string]any)
	if !ok {
		return serveAnswer{}, errors.New(`no "environ": the request lacked X-Probe-Full: 1`)
	}
	a := serveAnswer{top: map[string]any{}, environ: map[string]any{}}
	for k, v := range env {
		a.environ[oracleNativeString(k)] = serveNative(v)
	}
	for k, v := range m {
		if !serveProbeCopies[k] {
			a.top[k] = v
		}
	}
	return a, nil
}

// serveNative turns the probe's Latin-1 "native strings" back into bytes.
func serveNative(v any) any {
	if s, ok := v.(string); ok {
		return oracleNativeString(s)
	}
	return v
}

func serveHandler(r oracleApacheResult) string {
	if r.Answer != nil {
		return "wsgi (the probe answered)"
	}
	return "not wsgi: " + strconv.Quote(r.Body)
}

// serveTitle is what ps shows first for the process that ran the probe:
// "(wsgi:NAME)" for display-name=%{GROUP} (Apache pads it with spaces and
// keeps its own arguments behind it), else "-" for an untitled process
// (Apache's "/usr/sbin/apache2 ..." or appserver's interpreter).
func serveTitle(v any) string {
	s, _ := v.(string)
	if !strings.HasPrefix(s, "(wsgi:") {
		return "-"
	}
	if i := strings.IndexAny(s, " \t"); i >= 0 {
		s = s[:i]
	}
	return s
}

// servePortShape names a port value by where it comes from, so that the
// two servers, which listen on different ports, can be compared: the port
// of the Host header both got, or the server's own listening port.
func servePortShape(key string, v any, own int, u oracleURL, ports servePorts) any {
	s, ok := v.(string)
	if !ok {
		return v
	}
	if key == "SERVER_PORT" {
		if _, hp, err := net.SplitHostPort(oracleHostHeader(u, ports.apache)); err == nil && hp == s {
			return "<Host header port>"
		}
	}
	if s == strconv.Itoa(own) {
		return "<own listening port>"
	}
	return s
}

func serveUnion(a, b map[string]any) []string {
	keys := make([]string, 0, len(a)+len(b))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

func serveJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func serveQuote(v any, present bool) string {
	if !present {
		return oracleUnset
	}
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	return serveJSON(v)
}

// Shape checks: each returns "" when v is acceptable.

func serveNonEmpty(v any, present bool) string {
	if s, ok := v.(string); !present || !ok || s == "" {
		return "want a non-empty string"
	}
	return ""
}

func servePort(v any, present bool) string {
	s, _ := v.(string)
	if n, err := strconv.Atoi(s); !present || err != nil || n < 1 || n > 65535 {
		return "want a port number"
	}
	return ""
}

// serveMicros accepts microseconds since the epoch within a day of now.
func serveMicros(v any, present bool) string {
	s, _ := v.(string)
	n, err := strconv.ParseInt(s, 10, 64)
	if !present || err != nil || time.Since(time.UnixMicro(n)).Abs() > 24*time.Hour {
		return "want microseconds since the epoch, near now"
	}
	return ""
}

var serveTokenRe = regexp.MustCompile(`^[A-Za-z0-9@_+/=-]{4,64}$`)

func serveToken(v any, present bool) string {
	if s, _ := v.(string); !present || !serveTokenRe.MatchString(s) {
		return "want an id of 4-64 letters, digits or -_@+/="
	}
	return ""
}

func serveIntAtLeast(min float64) func(any, bool) string {
	return func(v any, present bool) string {
		n, ok := v.(float64)
		if !present || !ok || n < min || n != float64(int64(n)) {
			return fmt.Sprintf("want an integer >= %v", min)
		}
		return ""
	}
}

var serveReprRe = regexp.MustCompile(`^<.+>$`)

func serveRepr(v any, present bool) string {
	if s, _ := v.(string); !present || !serveReprRe.MatchString(s) {
		return "want an object's repr(), <...>"
	}
	return ""
}

// serveServer is one `appserver serve` started by serveStart.
type serveServer struct {
	Port int
	// Logs are where it writes: its stderr, and the ErrorLog file when
	// the config names one (callers add it).
	Logs []string

	cmd     *exec.Cmd
	started bool          // it accepted a connection
	done    chan struct{} // closed when the process has exited
	err     error         // its exit status, once done

	// How long Stop waits for the server after SIGTERM (groups drain
	// within their shutdown-timeout, 5 s by default), then for its workers.
	termWait, kidsWait time.Duration

	mu   sync.Mutex
	kids map[oracleProc]bool // every descendant seen (Kids), for Stop to wait for

	stopOnce sync.Once
	stopErr  error
}

// serveStartFree starts `bin serve -f CONF` on a free port, where
// writeConf(port) writes CONF and returns its path, trying other ports when
// the first one was taken in between.
func serveStartFree(t *testing.T, bin, logPath string, env []string, writeConf func(port int) string) *serveServer {
	t.Helper()
	for attempt := 1; ; attempt++ {
		port := oracleFreePort(t)
		srv, err := serveStart(t, bin, writeConf(port), port, logPath, env)
		if err == nil {
			return srv
		}
		if attempt == 3 || !strings.Contains(err.Error(), "address already in use") {
			t.Fatal(err)
		}
	}
}

// serveStart runs `bin serve -f conf` (listening on port) with env added to
// its environment and its output in logPath, and waits until it accepts
// connections. Stop is registered with t.Cleanup, so no server or worker
// outlives the test, also when it fails.
func serveStart(t *testing.T, bin, conf string, port int, logPath string, env []string, extraArgs ...string) (*serveServer, error) {
	t.Helper()
	args := append([]string{"serve", "-f", conf}, extraArgs...)
	s, err := serveLaunch(t, logPath, env, bin, args...)
	if err != nil {
		return nil, err
	}
	s.Port = port
	// appserver binds before it starts the workers; a request sent before
	// they are ready waits for them (within connect-timeout).
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-s.done:
			s.Stop() // reaps workers it may have left
			return nil, fmt.Errorf("appserver %s exited before accepting connections (%v):\n%s",
				strings.Join(args, " "), s.err, s.Tail(20))
		default:
		}
		c, err := net.DialTimeout("tcp", s.Addr(), time.Second)
		if err == nil {
			c.Close()
			s.started = true
			return s, nil
		}
		if time.Now().After(deadline) {
			stopErr := s.Stop()
			return nil, fmt.Errorf("appserver %s is not accepting on %s after 30s: %v\n%s(stopping it: %v)",
				strings.Join(args, " "), s.Addr(), err, s.Tail(20), stopErr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// serveLaunch starts name args... with env added to its environment and
// its output in logPath, and registers Stop with t.Cleanup.
func serveLaunch(t *testing.T, logPath string, env []string, name string, args ...string) (*serveServer, error) {
	t.Helper()
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &serveServer{Logs: []string{logPath}, cmd: cmd, done: make(chan struct{}), kids: map[oracleProc]bool{},
		termWait: 20 * time.Second, kidsWait: 10 * time.Second}
	go func() {
		s.err = cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		// A server that never started was reported by serveStart.
		if err := s.Stop(); err != nil && s.started {
			t.Error(err)
		}
	})
	return s, nil
}

// Addr is the server's host:port.
func (s *serveServer) Addr() string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port))
}

// PID is the server's own process id.
func (s *serveServer) PID() int { return s.cmd.Process.Pid }

// Kids returns the server's live descendants (its workers) and remembers
// them, so that Stop also waits for workers the server may have lost track
// of.
func (s *serveServer) Kids() []oracleProc {
	kids := oracleDescendants(s.PID())
	s.mu.Lock()
	for _, k := range kids {
		s.kids[k] = true
	}
	s.mu.Unlock()
	return kids
}

// Exited reports whether the server process has exited, and how.
func (s *serveServer) Exited() (bool, error) {
	select {
	case <-s.done:
		return true, s.err
	default:
		return false, nil
	}
}

// Stop sends SIGTERM and waits until the server and every worker it had are
// gone; anything still running after the limits is killed and reported, as
// is a non-zero exit. Safe to call more than once.
func (s *serveServer) Stop() error {
	s.stopOnce.Do(func() { s.stopErr = s.stop() })
	return s.stopErr
}

func (s *serveServer) stop() error {
	s.Kids()
	var problems []string
	if exited, _ := s.Exited(); !exited {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(s.termWait):
			problems = append(problems, fmt.Sprintf("ignored SIGTERM for %v; killed", s.termWait))
			_ = s.cmd.Process.Kill()
			<-s.done
		}
	}
	if s.err != nil {
		problems = append(problems, fmt.Sprintf("exited with %v", s.err))
	}
	s.mu.Lock()
	kids := make([]oracleProc, 0, len(s.kids))
	for k := range s.kids {
		kids = append(kids, k)
	}
	s.mu.Unlock()
	if !oracleWaitGone(kids, s.kidsWait) {
		for _, k := range kids {
			if oracleAlive(k) {
				cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", k.pid))
				problems = append(problems, fmt.Sprintf("worker pid %d (%s) outlived the server; killed",
					k.pid, strings.ReplaceAll(string(cmdline), "\x00", " ")))
				_ = syscall.Kill(k.pid, syscall.SIGKILL)
			}
		}
		oracleWaitGone(kids, 5*time.Second)
	}
	if len(problems) > 0 {
		return fmt.Errorf("appserver serve (pid %d): %s\n%s", s.PID(), strings.Join(problems, ""), s.Tail(15))
	}
	return nil
}

// Tests of the serving mode's own parts that need neither Apache nor
// appserver.

// serveFakeAnswer is a probe answer as the oracle reads it: top-level
// fields plus the environ.
func serveFakeAnswer(t *testing.T, top map[string]any, environ map[string]any) oracleApacheResult {
	t.Helper()
	m := map[string]any{"served": 1, "SCRIPT_NAME": environ["SCRIPT_NAME"], "PATH_INFO": environ["PATH_INFO"],
		"env": map[string]any{}, "environ": environ}
	for k, v := range top {
		m[k] = v
	}
	body, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return oracleParseProbe(200, body)
}

func TestServeOracleCompare(t *testing.T) {
	ports := servePorts{apache: 8001, appserver: 9002}
	u := oracleURL{Target: "/app/x"} // Host: 127.0.0.1:8001
	apacheEnv := func() map[string]any {
		return map[string]any{
			"SCRIPT_NAME": "/app", "PATH_INFO": "/x", "SERVER_PORT": "8001", "mod_wsgi.listener_port": "8001",
			"REMOTE_PORT": "40000", "SERVER_SOFTWARE": "Apache/2.4.71", "mod_wsgi.request_id": "yRE0/lrFhis",
			"mod_wsgi.request_start": strconv.FormatInt(time.Now().UnixMicro(), 10), "mod_wsgi.thread_id": 1,
			"wsgi.input": "<mod_wsgi.Input object at 0x7f00>", "wsgi.multiprocess": true, "KEEP": "caf\u00c3\u00a9",
		}
	}
	apacheTop := map[string]any{"pid": 100, "cmdline": "(wsgi:main)     -d /x -f /x/httpd.conf -k start", "comm": "apache2",
		"input_length": 0}
	// appserver's answer: every by-nature value different, all in shape.
	sameEnv := func() map[string]any {
		e := apacheEnv()
		e["mod_wsgi.listener_port"] = "9002"
		e["REMOTE_PORT"] = "51234"
		e["SERVER_SOFTWARE"] = "appserver/0.1"
		e["mod_wsgi.request_id"] = "d9Iq6CGDpDg"
		e["mod_wsgi.thread_id"] = 3
		e["wsgi.input"] = "<mod_wsgi.Input object at 0x7f99>"
		return e
	}
	sameTop := map[string]any{"pid": 200, "cmdline": "(wsgi:main) -", "comm": "(wsgi:main)", "input_length": 0}
	tests := []struct {
		name   string
		env    func(map[string]any)
		top    func(map[string]any)
		status int
		want   []string // "field|apache|appserver"
	}{
		{"agree", nil, nil, 200, nil},
		{"missing key", func(e map[string]any) { delete(e, "PATH_INFO") }, nil, 200,
			[]string{`environ[PATH_INFO]|"/x"|(unset)`}},
		{"extra key", func(e map[string]any) { e["HTTP_HOST"] = "" }, nil, 200,
			[]string{`environ[HTTP_HOST]|(unset)|""`}},
		{"different value", func(e map[string]any) { e["KEEP"] = "other" }, nil, 200,
			[]string{`environ[KEEP]|"café"|"other"`}}, // the Latin-1 native string, back to UTF-8 bytes
		{"type matters", func(e map[string]any) { e["wsgi.multiprocess"] = "True" }, nil, 200,
			[]string{`environ[wsgi.multiprocess]|true|"True"`}},
		{"by-nature key missing", func(e map[string]any) { delete(e, "REMOTE_PORT") }, nil, 200,
			[]string{`environ[REMOTE_PORT]|"40000"|(unset)`}},
		{"by-nature key out of shape", func(e map[string]any) { e["mod_wsgi.request_start"] = "yesterday" }, nil, 200,
			[]string{`environ[mod_wsgi.request_start]|`}},
		{"listener port is not the server's own", func(e map[string]any) { e["mod_wsgi.listener_port"] = "8001" }, nil, 200,
			[]string{`environ[mod_wsgi.listener_port]|"<own listening port>"|"8001"`}},
		{"SERVER_PORT from the listener, not the Host header", func(e map[string]any) { e["SERVER_PORT"] = "9002" }, nil, 200,
			[]string{`environ[SERVER_PORT]|"<Host header port>"|"<own listening port>"`}},
		{"untitled worker", nil, func(m map[string]any) { m["cmdline"] = "python3 -" }, 200,
			[]string{`title|"(wsgi:main)"|"-"`}},
		{"pid out of shape", nil, func(m map[string]any) { m["pid"] = 0 }, 200, []string{`pid|100|0`}},
		{"body not read", nil, func(m map[string]any) { m["input_length"] = 7 }, 200, []string{`input_length|0|7`}},
		{"status", nil, nil, 500, []string{`status|200|500`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := serveFakeAnswer(t, apacheTop, apacheEnv())
			env, top := sameEnv(), map[string]any{}
			for k, v := range sameTop {
				top[k] = v
			}
			if tt.env != nil {
				tt.env(env)
			}
			if tt.top != nil {
				tt.top(top)
			}
			s := serveFakeAnswer(t, top, env)
			s.Status = tt.status
			var got []string
			for _, d := range serveCompare("c", u, a, s, ports) {
				got = append(got, d.Field+"|"+d.Apache+"|"+d.Appserver)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tt.want[i]) {
					t.Errorf("row %q, want %q", got[i], tt.want[i])
				}
			}
		})
	}

	t.Run("handler", func(t *testing.T) {
		a := serveFakeAnswer(t, apacheTop, apacheEnv())
		s := oracleParseProbe(404, []byte("<title>404 Not Found</title>"))
		rows := serveCompare("c", u, a, s, ports)
		if len(rows) != 2 || rows[0].Field != "status" || rows[1].Field != "handler" {
			t.Errorf("rows %+v, want status and handler", rows)
		}
		// Both refused: nothing more to compare.
		if rows := serveCompare("c", u, s, s, ports); len(rows) != 0 {
			t.Errorf("two equal error answers gave rows %+v", rows)
		}
	})

	t.Run("no Host header", func(t *testing.T) {
		// HTTP/1.0 without Host: SERVER_PORT is each server's own port.
		a := serveFakeAnswer(t, apacheTop, apacheEnv())
		env := sameEnv()
		env["SERVER_PORT"] = "9002"
		s := serveFakeAnswer(t, sameTop, env)
		if rows := serveCompare("c", oracleURL{Host: oracleHostNone, Target: "/app/x"}, a, s, ports); len(rows) != 0 {
			t.Errorf("rows %+v", rows)
		}
	})
}

func TestServeOracleTitle(t *testing.T) {
	for in, want := range map[string]string{
		"(wsgi:volume)     -d /tmp/x -f /tmp/x/httpd.conf -k start": "(wsgi:volume)",
		"(wsgi:volume) -":                      "(wsgi:volume)",
		"(wsgi:averyveryve -f /x":              "(wsgi:averyveryve",
		"/usr/sbin/apache2 -d /tmp/x -k start": "-",
		"/usr/bin/python3 -":                   "-",
		"":                                     "-",
	} {
		if got := serveTitle(in); got != want {
			t.Errorf("serveTitle(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestServeOracleShapes(t *testing.T) {
	now := strconv.FormatInt(time.Now().UnixMicro(), 10)
	tests := []struct {
		name  string
		check func(any, bool) string
		v     any
		ok    bool
	}{
		{"micros now", serveMicros, now, true},
		{"micros seconds", serveMicros, strconv.FormatInt(time.Now().Unix(), 10), false},
		{"micros int", serveMicros, 1.0, false},
		{"port", servePort, "40000", true},
		{"port 0", servePort, "0", false},
		{"token", serveToken, "yRE0/lrFhis", true},
		{"token empty", serveToken, "", false},
		{"repr", serveRepr, "<mod_wsgi.Log object at 0x1>", true},
		{"repr plain", serveRepr, "stderr", false},
		{"int", serveIntAtLeast(1), 3.0, true},
		{"int low", serveIntAtLeast(1), 0.0, false},
		{"int fraction", serveIntAtLeast(0), 1.5, false},
		{"non-empty", serveNonEmpty, "x", true},
		{"empty", serveNonEmpty, "", false},
	}
	for _, tt := range tests {
		if got := tt.check(tt.v, true); (got == "") != tt.ok {
			t.Errorf("%s: %v -> %q, want ok=%v", tt.name, tt.v, got, tt.ok)
		}
		if tt.check(tt.v, false) == "" {
			t.Errorf("%s: an absent value passed", tt.name)
		}
	}
}

// TestServeOracleConf checks that the config appserver serves differs from
// the one Apache ran only in the port: the Listen line, the Include of the
// snippet, and @PORT@ inside the snippet.
func TestServeOracleConf(t *testing.T) {
	c := oracleCase{Name: "conf", Conf: "WSGIScriptAlias / @PROBE@\n<VirtualHost *:@PORT@>\n    ServerName a.test\n</VirtualHost>\n"}
	cd := oracleNewDir(t, c, 8001)
	serveConf := serveWriteConf(t, c, cd, 9002)
	read := func(p string) []string {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return strings.Split(string(data), "\n")
	}
	apache, served := read(cd.Conf), read(serveConf)
	if len(apache) != len(served) {
		t.Fatalf("%d lines vs %d", len(apache), len(served))
	}
	var diffs []string
	for i := range apache {
		if apache[i] != served[i] {
			diffs = append(diffs, apache[i]+" => "+served[i])
		}
	}
	want := []string{
		"Listen 127.0.0.1:8001 => Listen 127.0.0.1:9002",
		fmt.Sprintf("Include %q => Include %q", filepath.Join(cd.Dir, "case.conf"), filepath.Join(cd.Dir, "serve-case.conf")),
	}
	if strings.Join(diffs, "\n") != strings.Join(want, "\n") {
		t.Errorf("httpd.conf vs serve.conf:\n%s\nwant:\n%s", strings.Join(diffs, "\n"), strings.Join(want, "\n"))
	}
	snippet, _ := os.ReadFile(filepath.Join(cd.Dir, "serve-case.conf"))
	if !strings.Contains(string(snippet), "<VirtualHost *:9002>") || !strings.Contains(string(snippet), cd.Probe) {
		t.Errorf("serve-case.conf:\n%s", snippet)
	}
	if !slices.Contains(apache, "WSGIPythonHome "+oraclePythonHome) {
		t.Errorf("httpd.conf lacks WSGIPythonHome %s", oraclePythonHome)
	}
}

func TestOracleRawRequest(t *testing.T) {
	tests := []struct {
		host string
		u    oracleURL
		want string
	}{
		{"127.0.0.1:8001", oracleURL{Target: "//a/../x?q=%2F"},
			"GET //a/../x?q=%2F HTTP/1.1\r\nHost: 127.0.0.1:8001\r\nUser-Agent: appserver-oracle\r\nX-Probe-Full: 1\r\nConnection: close\r\n\r\n"},
		{oracleHostNone, oracleURL{Host: oracleHostNone, Target: "/x"},
			"GET /x HTTP/1.0\r\nUser-Agent: appserver-oracle\r\nX-Probe-Full: 1\r\n\r\n"},
		{"b.test", oracleURL{Host: "b.test", Method: "POST", Target: "/x"},
			"POST /x HTTP/1.1\r\nHost: b.test\r\nUser-Agent: appserver-oracle\r\nX-Probe-Full: 1\r\nContent-Type: " +
				oracleContentType + "\r\nContent-Length: 20\r\nConnection: close\r\n\r\n" + oracleBody},
		{"b.test", oracleURL{Host: "b.test", Method: "DELETE", Target: "/x"},
			"DELETE /x HTTP/1.1\r\nHost: b.test\r\nUser-Agent: appserver-oracle\r\nX-Probe-Full: 1\r\nConnection: close\r\n\r\n"},
	}
	for _, tt := range tests {
		if got := oracleRawRequest(tt.host, tt.u); got != tt.want {
			t.Errorf("oracleRawRequest(%q, %+v) =\n%q\nwant\n%q", tt.host, tt.u, got, tt.want)
		}
	}
	if len(oracleBody) != 20 {
		t.Errorf("oracleBody changed length: fix the Content-Length above")
	}
	if got := (oracleURL{Host: "b.test", Method: "POST", Target: "/x"}).Label(); got != "Host:b.test POST /x" {
		t.Errorf("Label = %q", got)
	}
}

// TestServeStop checks what Stop reports, on stand-in servers (sh scripts):
// a clean exit, a worker left behind, a server ignoring SIGTERM, a failed
// exit, and a server that never starts.
func TestServeStop(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	tests := []struct {
		name, script string
		want         string // in Stop's error; "" = none
	}{
		{"clean", `trap 'exit 0' TERM; while :; do sleep 0.05; done`, ""},
		{"worker left behind", `sleep 300 & trap 'exit 0' TERM; while :; do sleep 0.05; done`, "outlived the server; killed"},
		{"ignores SIGTERM", `trap '' TERM; while :; do sleep 0.05; done`, "ignored SIGTERM for 1s; killed"},
		{"exit status", `trap 'exit 3' TERM; while :; do sleep 0.05; done`, "exited with exit status 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := serveLaunch(t, filepath.Join(t.TempDir(), "log"), nil, "sh", "-c", tt.script)
			if err != nil {
				t.Fatal(err)
			}
			s.termWait, s.kidsWait = time.Second, time.Second
			// Let sh start its children and set its trap.
			for deadline := time.Now().Add(5 * time.Second); len(s.Kids()) == 0 && time.Now().Before(deadline); {
				time.Sleep(10 * time.Millisecond)
			}
			time.Sleep(50 * time.Millisecond)
			kids := s.Kids()
			err = s.Stop()
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("Stop() = %v, want %q", err, tt.want)
			}
			for _, k := range kids {
				if oracleAlive(k) {
					t.Errorf("pid %d still running after Stop", k.pid)
				}
			}
		})
	}
	t.Run("never starts", func(t *testing.T) {
		t.Parallel()
		bin := filepath.Join(t.TempDir(), "fake")
		oracleWriteFile(t, bin, []byte("#!/bin/sh\necho 'appserver: listen tcp 127.0.0.1:1: bind: address already in use' >&2\nexit 1\n"))
		if err := os.Chmod(bin, 0o755); err != nil {
			t.Fatal(err)
		}
		_, err := serveStart(t, bin, "/x.conf", 1, filepath.Join(t.TempDir(), "log"), nil)
		if err == nil || !strings.Contains(err.Error(), "exited before accepting") || !strings.Contains(err.Error(), "address already in use") {
			t.Errorf("serveStart error = %v, want the exit and the server's own message", err)
		}
		// The cleanup must not report the server a second time: this
		// subtest passes only if it stays quiet.
	})
}

func TestServeOracleFormatRows(t *testing.T) {
	var rows []oracleDisagreement
	for i := range 4 {
		rows = append(rows, oracleDisagreement{Case: "c", URL: fmt.Sprintf("/u%d", i), Field: "environ[X]", Apache: `"a"`, Appserver: oracleUnset})
	}
	rows = append(rows, oracleDisagreement{Case: "c", URL: "/rare", Field: "status", Apache: "200", Appserver: "404"})
	out := serveFormatRows(rows, 2)
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if lines[0] != "by field: environ[X] 4 status 1" {
		t.Errorf("count line %q: must count every row", lines[0])
	}
	// header, /u0, /u1, /rare, the "2 more" row
	if len(lines) != 6 || !strings.Contains(out, "/rare") || strings.Contains(out, "/u2") ||
		!strings.Contains(lines[5], "2 more rows of environ[X]") {
		t.Errorf("table:\n%s", out)
	}
	if got := serveFormatRows(rows, 0); got != oracleFormatDisagreements(rows) {
		t.Errorf("max 0 must print every row:\n%s", got)
	}
}
