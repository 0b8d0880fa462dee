package server

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/appserver/appserver/daemon"
	"github.com/appserver/appserver/parser"
	"github.com/appserver/appserver/server/config"
	"github.com/appserver/appserver/server/route"
)

// logRecord is what one access log line is made from.
type logRecord struct {
	r         *http.Request
	route     *route.Route
	status    int
	bodyBytes int64
	headBytes int64
	start     time.Time
	dur       time.Duration
	header    http.Header // response headers
	requestID string
}

func appendFormat(b []byte, f config.LogFormat, rec *logRecord) []byte {
	for _, it := range f {
		if it.Op == 0 {
			b = append(b, it.Lit...)
			continue
		}
		b = appendItem(b, it, rec)
	}
	return b
}

func appendItem(b []byte, it config.LogItem, rec *logRecord) []byte {
	r := rec.r
	dash := func(s string) []byte {
		if s == "" {
			return append(b, '-')
		}
		return appendEscaped(b, s)
	}
	switch it.Op {
	case 'h', 'a':
		if it.Arg == "c" || it.Op == 'h' || it.Arg == "" {
			h, _ := splitAddr(r.RemoteAddr)
			return append(b, h...)
		}
	case 'A':
		h, _ := splitAddr(localAddrOf(r))
		return append(b, h...)
	case 'l':
		return append(b, '-')
	case 'u':
		// r->user: the authenticated user, or the one a failed Basic
		// attempt named.
		if rec.route != nil {
			return dash(rec.route.User)
		}
		return append(b, '-')
	case 't':
		return appendApacheTime(b, rec.start, it.Arg)
	case 'r':
		// Piece by piece: the same bytes without building the line first.
		b = appendEscaped(b, r.Method)
		b = append(b, ' ')
		b = appendEscaped(b, r.RequestURI)
		b = append(b, ' ')
		return appendEscaped(b, r.Proto)
	case 's':
		return strconv.AppendInt(b, int64(rec.status), 10)
	case 'b':
		if rec.bodyBytes == 0 {
			return append(b, '-')
		}
		return strconv.AppendInt(b, rec.bodyBytes, 10)
	case 'B':
		return strconv.AppendInt(b, rec.bodyBytes, 10)
	case 'O':
		return strconv.AppendInt(b, rec.bodyBytes+rec.headBytes, 10)
	case 'I':
		n := r.ContentLength
		if n < 0 {
			n = 0
		}
		return strconv.AppendInt(b, n, 10)
	case 'D':
		return strconv.AppendInt(b, rec.dur.Microseconds(), 10)
	case 'T':
		switch it.Arg {
		case "ms":
			return strconv.AppendInt(b, rec.dur.Milliseconds(), 10)
		case "us":
			return strconv.AppendInt(b, rec.dur.Microseconds(), 10)
		}
		return strconv.AppendInt(b, int64(rec.dur/time.Second), 10)
	case 'i':
		return dash(r.Header.Get(it.Arg))
	case 'o':
		return dash(rec.header.Get(it.Arg))
	case 'e':
		if rec.route != nil {
			if v, ok := rec.route.Env[it.Arg]; ok {
				return dash(v)
			}
		}
		return dash(os.Getenv(it.Arg))
	case 'P':
		return strconv.AppendInt(b, int64(os.Getpid()), 10)
	case 'p', 'v', 'V', 'U', 'f', 'R':
		return appendServerItem(b, it, rec)
	case 'q':
		if r.URL.RawQuery != "" {
			b = append(b, '?')
			return appendEscaped(b, r.URL.RawQuery)
		}
		return b
	case 'm':
		return append(b, r.Method...)
	case 'H':
		return append(b, r.Proto...)
	case 'L':
		return dash(rec.requestID)
	case 'k':
		return append(b, '0')
	case 'X':
		return append(b, '+')
	case 'S':
		return strconv.AppendInt(b, r.ContentLength+rec.bodyBytes+rec.headBytes, 10)
	}
	return append(b, '-')
}

// appendServerItem appends the items that describe the server and the
// route the request took (%p %v %V %U %f %R).
func appendServerItem(b []byte, it config.LogItem, rec *logRecord) []byte {
	r := rec.r
	dash := func(s string) []byte {
		if s == "" {
			return append(b, '-')
		}
		return appendEscaped(b, s)
	}
	switch it.Op {
	case 'p':
		if it.Arg == "remote" {
			_, p := splitAddr(r.RemoteAddr)
			return append(b, p...)
		}
		if it.Arg == "local" {
			_, p := splitAddr(localAddrOf(r))
			return append(b, p...)
		}
		if rec.route != nil && rec.route.ServerPort != 0 {
			return strconv.AppendInt(b, int64(rec.route.ServerPort), 10)
		}
		_, p := splitAddr(localAddrOf(r))
		return append(b, p...)
	case 'v':
		if rec.route != nil && rec.route.VHost != nil && rec.route.VHost.Name != "" {
			return append(b, rec.route.VHost.Name...)
		}
		return dash("")
	case 'V':
		if rec.route != nil {
			return dash(rec.route.ServerName)
		}
		return dash("")
	case 'U':
		if rec.route != nil && rec.route.URI != "" {
			return appendEscaped(b, rec.route.URI)
		}
		return appendEscaped(b, r.URL.Path)
	case 'f':
		if rec.route != nil {
			if rec.route.Script != "" {
				return append(b, rec.route.Script...)
			}
			return dash(rec.route.File)
		}
		return dash("")
	case 'R':
		if rec.route != nil && rec.route.Handler == route.HandlerWSGI {
			return append(b, "wsgi-script"...)
		}
		return append(b, '-')
	}
	return b
}

// clfCache holds the last second formatted for %t: formatting costs more
// than the rest of a log line, and a busy server logs many lines a second.
type clfCache struct {
	sec  int64
	zone *time.Location
	s    string
}

var lastCLF atomic.Pointer[clfCache]

// clfTime is t as %t writes it: "[02/Jan/2006:15:04:05 -0700]".
func clfTime(t time.Time) string {
	sec, loc := t.Unix(), t.Location()
	if c := lastCLF.Load(); c != nil && c.sec == sec && c.zone == loc {
		return c.s
	}
	c := &clfCache{sec: sec, zone: loc, s: t.Format("[02/Jan/2006:15:04:05 -0700]")}
	lastCLF.Store(c)
	return c.s
}

// appendApacheTime writes %t: "[26/Nov/2026:19:18:25 +0000]", or a
// strftime-style %{...}t for the common conversions.
func appendApacheTime(b []byte, t time.Time, format string) []byte {
	if format == "" {
		return append(b, clfTime(t)...)
	}
	switch format {
	case "sec":
		return strconv.AppendInt(b, t.Unix(), 10)
	case "msec":
		return strconv.AppendInt(b, t.UnixMilli(), 10)
	case "usec":
		return strconv.AppendInt(b, t.UnixMicro(), 10)
	}
	format = strings.TrimPrefix(strings.TrimPrefix(format, "begin:"), "end:")
	repl := strings.NewReplacer("%Y", "2006", "%m", "01", "%d", "02", "%H", "15", "%M", "04", "%S", "05",
		"%b", "Jan", "%z", "-0700", "%Z", "MST", "%y", "06", "%a", "Mon", "%e", "_2")
	return t.AppendFormat(b, repl.Replace(format))
}

// appendEscaped writes s as mod_log_config does: quotes, backslashes and
// control bytes escaped, so a client cannot forge log lines.
func appendEscaped(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\t':
			b = append(b, '\\', 't')
		case c < 0x20 || c == 0x7f:
			b = append(b, '\\', 'x', "0123456789abcdef"[c>>4], "0123456789abcdef"[c&15])
		default:
			b = append(b, c)
		}
	}
	return b
}

// logFile is one access log file, shared by every CustomLog naming it.
// Lines are buffered and flushed within a fraction of a second, so that
// logging stays off the request path's syscalls.
type logFile struct {
	mu    sync.Mutex
	f     *os.File
	w     *bufio.Writer
	timer *time.Timer
}

const logFlushDelay = 200 * time.Millisecond

func openLogFile(path string) (*logFile, error) {
	var f *os.File
	var err error
	if fd, std := map[string]int{"/dev/stdout": 1, "/dev/stderr": 2}[path]; std {
		// Our own stream, not the file reopened: a reopened file has an
		// offset of its own and overwrites what the other writes when
		// both go to one file (appserver ... > log 2>&1).
		var dup int
		if dup, err = syscall.Dup(fd); err == nil {
			f = os.NewFile(uintptr(dup), path)
		}
	} else {
		f, err = os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	}
	if err != nil {
		return nil, err
	}
	lf := &logFile{f: f, w: bufio.NewWriterSize(f, 64<<10)}
	lf.timer = time.AfterFunc(time.Hour, lf.flush)
	lf.timer.Stop()
	return lf, nil
}

func (l *logFile) write(line []byte) {
	l.mu.Lock()
	wasEmpty := l.w.Buffered() == 0
	_, _ = l.w.Write(line)
	if wasEmpty {
		l.timer.Reset(logFlushDelay)
	}
	l.mu.Unlock()
}

func (l *logFile) flush() {
	l.mu.Lock()
	_ = l.w.Flush()
	l.mu.Unlock()
}

func (l *logFile) close() error {
	l.timer.Stop()
	l.flush()
	return l.f.Close()
}

// accessLog is one CustomLog of a vhost.
type accessLog struct {
	format  config.LogFormat
	out     *logFile
	envCond string // "VAR" or "!VAR" from env=, "" = always
}

// accessLogs holds the compiled CustomLogs of every vhost.
type accessLogs struct {
	byVHost map[*config.VHost][]*accessLog
	files   map[string]*logFile
}

// openAccessLogs compiles every CustomLog and opens its file. Piped logs
// ("|program") and expr= conditions are not supported: they are reported
// in the returned warnings and skipped.
func openAccessLogs(cfg *config.Config) (*accessLogs, []string, error) {
	al := &accessLogs{byVHost: map[*config.VHost][]*accessLog{}, files: map[string]*logFile{}}
	var warnings []string
	for _, v := range append([]*config.VHost{cfg.Main}, cfg.VHosts...) {
		if v == nil {
			continue
		}
		for _, cl := range v.CustomLogs {
			at := parser.FormatPos(cl.Pos)
			if strings.HasPrefix(cl.Target, "|") {
				warnings = append(warnings, at+": piped logs are not supported; CustomLog "+cl.Target+" is not written")
				continue
			}
			src, ok := v.LogFormats[cl.Format]
			if !ok {
				if b, isBuiltin := config.BuiltinLogFormats[cl.Format]; isBuiltin {
					src = b
				} else if cl.Format == "" {
					src = config.BuiltinLogFormats["common"]
				} else {
					src = cl.Format // httpd: a string that is no nickname is the format itself
				}
			}
			format, err := config.CompileLogFormat(src)
			if err != nil {
				al.close()
				return nil, warnings, fmt.Errorf("%s: %w", at, err)
			}
			var cond string
			if strings.HasPrefix(strings.ToLower(cl.Cond), "env=") {
				cond = cl.Cond[4:]
			} else if cl.Cond != "" {
				warnings = append(warnings, at+": CustomLog conditions other than env= are not supported; logging every request")
			}
			out, ok := al.files[cl.Target]
			if !ok {
				out, err = openLogFile(cl.Target)
				if err != nil {
					al.close()
					return nil, warnings, fmt.Errorf("%s: %w", at, err)
				}
				al.files[cl.Target] = out
			}
			al.byVHost[v] = append(al.byVHost[v], &accessLog{format: format, out: out, envCond: cond})
		}
	}
	return al, warnings, nil
}

var logBufPool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

func (al *accessLogs) log(rec *logRecord) {
	if rec.route == nil || rec.route.VHost == nil {
		return
	}
	for _, l := range al.byVHost[rec.route.VHost] {
		if l.envCond != "" {
			name, want := l.envCond, true
			if strings.HasPrefix(name, "!") {
				name, want = name[1:], false
			}
			if _, set := rec.route.Env[name]; set != want {
				continue
			}
		}
		bp := logBufPool.Get().(*[]byte)
		b := appendFormat((*bp)[:0], l.format, rec)
		b = append(b, '\n')
		l.out.write(b)
		*bp = b
		logBufPool.Put(bp)
	}
}

func (al *accessLogs) has(v *config.VHost) bool { return al != nil && len(al.byVHost[v]) > 0 }

func (al *accessLogs) close() {
	if al == nil {
		return
	}
	for _, f := range al.files {
		_ = f.close()
	}
}

// loggingWriter records what the access log and the monitor need about a
// response.
type loggingWriter struct {
	http.ResponseWriter
	trace     daemon.Trace // what the group measured, for the monitor
	logged    bool         // an access log wants headBytes
	status    int
	bodyBytes int64
	headBytes int64
}

// WriteHeaderReason passes a custom reason phrase on when the connection's
// writer can send one.
func (w *loggingWriter) WriteHeaderReason(code int, reason string) {
	rw, ok := w.ResponseWriter.(interface{ WriteHeaderReason(int, string) })
	if !ok {
		w.WriteHeader(code)
		return
	}
	w.record(code, len(reason))
	rw.WriteHeaderReason(code, reason)
}

func (w *loggingWriter) WriteHeader(code int) {
	w.record(code, len("OK")) // as before: the size is an estimate
	w.ResponseWriter.WriteHeader(code)
}

func (w *loggingWriter) record(code, reasonLen int) {
	if w.status == 0 && code >= 200 {
		w.status = code
		if !w.logged {
			return
		}
		n := len("HTTP/1.1 200 \r\n") + reasonLen + 2
		for k, vs := range w.Header() {
			for _, v := range vs {
				n += len(k) + len(v) + 4
			}
		}
		w.headBytes = int64(n)
	}
}

func (w *loggingWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	n, err := w.ResponseWriter.Write(p)
	w.bodyBytes += int64(n)
	return n, err
}

func (w *loggingWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection.
func (w *loggingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
