package daemon

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/appserver/appserver/internal/testutil"
)

func TestAppendHeadRoundTrip(t *testing.T) {
	tests := []struct {
		name  string
		req   Request
		flags byte
		nul   bool // a string holds a NUL: the length table, not headSplit
	}{
		{"empty", Request{}, headNoBody, false},
		{"typical", Request{
			Script: "/srv/app/app.wsgi", ApplicationGroup: "localhost|/app", CallableObject: "application",
			Env: []string{"REQUEST_METHOD", "GET", "PATH_INFO", "/x", "QUERY_STRING", "", "HTTP_HOST", "localhost"},
		}, headReloading, false},
		{"bytes that are not utf-8", Request{Env: []string{"HTTP_X", "caf\xe9\xff", "", ""}}, 0, false},
		{"a NUL inside a value", Request{Env: []string{"HTTP_X", "caf\xe9\x00\xff", "", ""}}, 0, true},
		{"a NUL in the script name", Request{Script: "/a\x00b", Env: []string{"A", "1"}}, 0, true},
		{"large value", Request{Env: []string{"HTTP_COOKIE", strings.Repeat("c", 100000)}}, 0, false},
		// The mtime goes out (as a fourth fixed string) only with reloading.
		{"mtime without reloading", Request{Script: "/a.wsgi", ScriptMtime: time.Unix(1700000000, 123456789),
			Env: []string{"A", "1"}}, 0, false},
		{"mtime with reloading", Request{Script: "/a.wsgi", ScriptReloading: true, ScriptMtime: time.Unix(1700000000, 123456789),
			Env: []string{"A", "1"}}, headReloading, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			prefix := []byte("prefix")
			b, err := appendHead(prefix, &tc.req, tc.flags)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(b, prefix) {
				t.Fatal("appendHead lost what was in the buffer")
			}
			b = b[len(prefix):]
			h := parseHeader(b)
			want := []string{tc.req.Script, tc.req.ApplicationGroup, tc.req.CallableObject}
			wantFlags := tc.flags
			if tc.req.ScriptReloading && !tc.req.ScriptMtime.IsZero() {
				want = append(want, strconv.FormatInt(tc.req.ScriptMtime.UnixNano(), 10))
				wantFlags |= headMtime
			}
			want = append(want, tc.req.Env...)
			if !tc.nul {
				wantFlags |= headSplit
			}
			if h.typ != frameHead || h.flags != wantFlags || int(h.count) != len(want) || int(h.length) != len(b)-frameHeaderLen {
				t.Fatalf("header %+v for %d strings in %d bytes", h, len(want), len(b))
			}
			got, err := decodeHead(h, b[frameHeaderLen:])
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("decoded %q, want %q", got, want)
			}
		})
	}
	if _, err := appendHead(nil, &Request{Env: []string{"ODD"}}, 0); !errors.Is(err, errOddEnv) {
		t.Errorf("odd Env: err %v, want errOddEnv", err)
	}
}

// decodeHead decodes an H payload as the worker does.
func decodeHead(h frameHeader, payload []byte) ([]string, error) {
	if h.flags&headSplit == 0 {
		return decodeStrings(payload, h.count)
	}
	ss := strings.Split(string(payload), "\x00")
	if len(ss) != int(h.count) {
		return nil, fmt.Errorf("%d strings, header says %d", len(ss), h.count)
	}
	return ss, nil
}

// TestFrameLayoutGolden freezes the wire format: a change here must be a
// deliberate protocol change (bump protocolVersion and the worker).
// Regenerate with -update.
func TestFrameLayoutGolden(t *testing.T) {
	req := Request{Script: "/a.wsgi", ApplicationGroup: "", CallableObject: "app",
		Env: []string{"REQUEST_METHOD", "POST", "HTTPS", "on"}}
	head, err := appendHead(nil, &req, headReloading)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	out.WriteString("# H frame: header(type flags reserved count length) NUL-separated strings\n")
	out.WriteString(hex.Dump(head))
	req.Env[3] = "o\x00n"
	if head, err = appendHead(nil, &req, headReloading); err != nil {
		t.Fatal(err)
	}
	out.WriteString("# H frame with a NUL in a string: header lengths strings\n")
	out.WriteString(hex.Dump(head))
	for _, f := range []struct {
		name        string
		typ, flags  byte
		count, size uint32
	}{
		{"B, 5 bytes follow", frameBody, 0, 0, 5},
		{"C", frameCancel, 0, 0, 0},
		{"R, 65536 wanted", frameRead, 0, 65536, 0},
	} {
		var b [frameHeaderLen]byte
		putHeader(b[:], f.typ, f.flags, f.count, f.size)
		out.WriteString("# " + f.name + "\n" + hex.Dump(b[:]))
	}
	testutil.Golden(t, "testdata/frames.golden", []byte(out.String()))
}

// sFrame builds an S payload the way the worker does.
func sFrame(strs ...string) ([]byte, uint32) {
	var b []byte
	for _, s := range strs {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(s)))
	}
	for _, s := range strs {
		b = append(b, s...)
	}
	return b, uint32(len(strs))
}

func TestDecodeResponseHead(t *testing.T) {
	tests := []struct {
		name    string
		strs    []string
		code    int
		header  http.Header
		bad     []string
		wantErr string
	}{
		{"ok", []string{"200 OK", "Content-Type", "text/plain"}, 200,
			http.Header{"Content-Type": {"text/plain"}}, nil, ""},
		{"canonical keys and repeats kept apart", []string{"404 Not Found", "set-cookie", "a=1", "Set-Cookie", "b=2"}, 404,
			http.Header{"Set-Cookie": {"a=1", "b=2"}}, nil, ""},
		{"no reason phrase", []string{"204"}, 204, http.Header{}, nil, ""},
		{"custom reason", []string{"599 Whatever"}, 599, http.Header{}, nil, ""},
		{"invalid name dropped", []string{"200 OK", "Bad Name", "x", "X-Ok", "y"}, 200,
			http.Header{"X-Ok": {"y"}}, []string{"Bad Name"}, ""},
		{"control character dropped", []string{"200 OK", "X-Nul", "a\x00b"}, 200,
			http.Header{}, []string{"X-Nul"}, ""},
		{"even count", []string{"200 OK", "X-Only-Name"}, 0, nil, nil, "response head with 2 strings"},
		{"not a status", []string{"OK"}, 0, nil, nil, "invalid status"},
		{"status too small", []string{"099 Low"}, 0, nil, nil, "invalid status"},
		{"status without space", []string{"2000 OK"}, 0, nil, nil, "invalid status"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, n := sFrame(tc.strs...)
			rh, bad, err := decodeResponseHead(p, n)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := http.Header{}
			for i := 0; i < len(rh.fields); i += 2 {
				got[rh.fields[i]] = append(got[rh.fields[i]], rh.fields[i+1])
			}
			if rh.code != tc.code || !reflect.DeepEqual(got, tc.header) || !reflect.DeepEqual(bad, tc.bad) {
				t.Errorf("got %d %v bad %q, want %d %v bad %q", rh.code, got, bad, tc.code, tc.header, tc.bad)
			}
		})
	}
}

// TestResponseHeadApply: the application's fields replace the server's,
// repeats add up, Vary follows the server's, and no Content-Type means
// none is sent.
func TestResponseHeadApply(t *testing.T) {
	p, n := sFrame("200 OK", "Set-Cookie", "a=1", "X-Server", "app", "set-cookie", "b=2", "Vary", "Cookie")
	rh, _, err := decodeResponseHead(p, n)
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{"X-Server": {"front"}, "Vary": {"Host"}, "X-Kept": {"k"}}
	rh.apply(h)
	want := http.Header{"X-Server": {"app"}, "Vary": {"Host", "Cookie"}, "X-Kept": {"k"},
		"Set-Cookie": {"a=1", "b=2"}, "Content-Type": nil}
	if !reflect.DeepEqual(h, want) {
		t.Errorf("got %v, want %v", h, want)
	}
	p, n = sFrame("200 OK", "Content-Type", "text/plain")
	rh, _, _ = decodeResponseHead(p, n)
	h = http.Header{}
	rh.apply(h)
	if !reflect.DeepEqual(h, http.Header{"Content-Type": {"text/plain"}}) {
		t.Errorf("got %v", h)
	}
}

func TestDecodeStringsRejectsBadTables(t *testing.T) {
	tests := []struct {
		name    string
		payload []byte
		count   uint32
	}{
		{"count beyond payload", []byte{1, 0, 0, 0}, 2},
		{"length beyond block", []byte{9, 0, 0, 0, 'a'}, 1},
		{"trailing bytes", []byte{1, 0, 0, 0, 'a', 'b'}, 1},
		{"huge count", []byte{}, 1 << 31},
	}
	for _, tc := range tests {
		if _, err := decodeStrings(tc.payload, tc.count); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
}

func FuzzDecodeStrings(f *testing.F) {
	p, n := sFrame("200 OK", "A", "b")
	f.Add(p, n)
	f.Add([]byte{}, uint32(0))
	f.Fuzz(func(t *testing.T, payload []byte, count uint32) {
		ss, err := decodeStrings(payload, count)
		if err != nil {
			return
		}
		// A table that decodes re-encodes to the same bytes.
		q, m := sFrame(ss...)
		if m != count || !bytes.Equal(q, payload) {
			t.Errorf("re-encoding %q gives %x, want %x", ss, q, payload)
		}
		_, _, _ = decodeResponseHead(payload, count)
	})
}

func TestWaitQueue(t *testing.T) {
	var q waitQueue
	ws := make([]*waiter, 200)
	for i := range ws {
		ws[i] = &waiter{}
		q.push(ws[i])
	}
	if !q.cancel(ws[1]) || q.cancel(ws[1]) {
		t.Fatal("cancel must succeed once")
	}
	if q.n != 199 {
		t.Fatalf("n = %d, want 199", q.n)
	}
	if w := q.pop(); w != ws[0] {
		t.Fatal("not FIFO")
	}
	if w := q.pop(); w != ws[2] {
		t.Fatal("cancelled waiter was not skipped")
	}
	for i := 3; i < 150; i++ {
		if q.pop() != ws[i] {
			t.Fatalf("pop %d out of order", i)
		}
	}
	// Pushing after many pops compacts the slice without losing order.
	extra := &waiter{}
	q.push(extra)
	for i := 150; i < 200; i++ {
		if q.pop() != ws[i] {
			t.Fatalf("pop %d out of order after compaction", i)
		}
	}
	if q.pop() != extra || q.pop() != nil || q.n != 0 {
		t.Fatal("queue not empty at the end")
	}
	if q.cancel(extra) {
		t.Fatal("cancel after delivery must fail")
	}
}
