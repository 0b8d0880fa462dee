package daemon

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
)

// Wire format between Go and one worker thread. Each request thread of a
// worker owns one persistent unix stream connection; requests on it are
// strictly sequential. Every frame is a 12-byte header followed by `length`
// payload bytes; integers are little-endian:
//
//	offset 0   u8   type
//	offset 1   u8   flags
//	offset 2   u16  reserved (0)
//	offset 4   u32  count   (number of strings in H/S; bytes wanted in R)
//	offset 8   u32  length  (payload bytes that follow)
//
// S payloads, and H payloads without headSplit, are a table of `count` u32
// string lengths followed by one string block (latin-1 on the Python side,
// raw bytes here), so Python decodes a head with one struct.unpack_from and
// one decode. With headSplit (the usual H) the payload is the `count`
// strings joined by NUL bytes, and Python splits it with one call.
//
// Go → worker:
//
//	H  request head: script, application group, callable object, with
//	   flag headMtime the script's mtime (decimal ns), then environ
//	   key/value pairs. Flags: headReloading, headNoBody, headMtime,
//	   headHook (the callable is a mod_wsgi auth hook: check_password,
//	   groups_for_user or allow_access, called with environ and the
//	   environ's appserver.hook.arg1, arg2; answered by S "200 OK" with
//	   a Result header (True, False, None, User:NAME) or Group headers,
//	   then F; X when it raised).
//	B  request body chunk, only as the answer to an R (≤ maxChunk bytes).
//	E  end of request body (a failed client body gets C instead).
//	C  cancel: the client is gone. Nothing else is sent for that request,
//	   not even an answer to an R that crossed it.
//
// Worker → Go:
//
//	R  send me up to `count` body bytes; answered by exactly one B or E.
//	   With flags readWindow (a body of known length): answered by B frames
//	   of up to `count` bytes in all, each but the last flagged bodyMore,
//	   or ended early by E.
//	S  response head: status line ("200 OK"), then header name/value pairs.
//	D  response body chunk.
//	F  response complete; count is how many KiB the process's peak RSS
//	   grew while the request ran (0 = not at all).
//	X  error; payload is a message. Before S: Go answers 500. After S: Go
//	   aborts the client connection (the body is incomplete).
//	Z  the script changed on disk; the request was not run. Go restarts the
//	   process and retries the request on another one.
//
// A request ends with exactly one of F, X or Z from the worker. Body bytes
// flow only when Python asks for them, so an application that never reads
// its input costs nothing and needs no draining, and both directions are
// bounded by the chunk size (back-pressure without buffering whole bodies).
const (
	frameHeaderLen  = 12
	protocolVersion = 2
	// maxChunk bounds one B frame; D frames are streamed through and may be
	// any size.
	maxChunk = 64 << 10
	// maxHeadLen bounds a response head from the worker (the whole S frame).
	maxHeadLen = 1 << 20
)

const (
	frameHead   byte = 'H'
	frameBody   byte = 'B'
	frameEnd    byte = 'E'
	frameCancel byte = 'C'

	frameRead   byte = 'R'
	frameStart  byte = 'S'
	frameData   byte = 'D'
	frameFinish byte = 'F'
	frameError  byte = 'X'
	frameReload byte = 'Z'
)

// Flags.
const (
	headReloading = 1  // H: WSGIScriptReloading is on for this request
	headNoBody    = 2  // H: the request has no body
	headMtime     = 4  // H: a fourth fixed string, the script's mtime in ns
	headHook      = 8  // H: call the mod_wsgi auth hook named by the callable (Request.Hook)
	headSplit     = 16 // H: the strings are NUL-separated, with no length table
	readWindow    = 1  // R: answer with B frames up to count bytes in all (not one)
	bodyMore      = 1  // B: another B or an E follows for the same R
)

type frameHeader struct {
	typ    byte
	flags  byte
	count  uint32
	length uint32
}

func putHeader(b []byte, typ, flags byte, count, length uint32) {
	b[0] = typ
	b[1] = flags
	b[2], b[3] = 0, 0
	binary.LittleEndian.PutUint32(b[4:], count)
	binary.LittleEndian.PutUint32(b[8:], length)
}

func parseHeader(b []byte) frameHeader {
	return frameHeader{
		typ:    b[0],
		flags:  b[1],
		count:  binary.LittleEndian.Uint32(b[4:]),
		length: binary.LittleEndian.Uint32(b[8:]),
	}
}

// errOddEnv reports a Request.Env that is not key, value pairs.
var errOddEnv = errors.New("daemon: Request.Env must hold key, value pairs")

// appendHead appends a complete H frame for req to b. Its strings go out
// NUL-separated (headSplit), which Python turns into a list with one
// str.split, several times cheaper than slicing by a length table; a head
// with a NUL inside a string (a REMOTE_USER or certificate field can hold
// one) goes out with the table instead.
func appendHead(b []byte, req *Request, flags byte) ([]byte, error) {
	if len(req.Env)%2 != 0 {
		return b, errOddEnv
	}
	var mtimeBuf [24]byte
	fixed := [4]string{req.Script, req.ApplicationGroup, req.CallableObject}
	nfixed := 3
	if req.ScriptReloading && !req.ScriptMtime.IsZero() {
		flags |= headMtime
		fixed[3] = string(strconv.AppendInt(mtimeBuf[:0], req.ScriptMtime.UnixNano(), 10))
		nfixed = 4
	}
	count := nfixed + len(req.Env)
	size, nul := 0, false
	for _, s := range fixed[:nfixed] {
		size += len(s)
		nul = nul || strings.IndexByte(s, 0) >= 0
	}
	for _, s := range req.Env {
		size += len(s)
		nul = nul || strings.IndexByte(s, 0) >= 0
	}
	if nul {
		size += 4 * count
	} else {
		flags |= headSplit
		size += count - 1
	}
	if uint64(size) > 1<<32-1 {
		return b, fmt.Errorf("daemon: request head of %d bytes is too large", size)
	}
	start := len(b)
	if need := frameHeaderLen + size; cap(b)-start < need {
		nb := make([]byte, start, start+need)
		copy(nb, b)
		b = nb
	}
	b = b[:start+frameHeaderLen]
	putHeader(b[start:], frameHead, flags, uint32(count), uint32(size))
	if nul {
		for _, s := range fixed[:nfixed] {
			b = binary.LittleEndian.AppendUint32(b, uint32(len(s)))
		}
		for _, s := range req.Env {
			b = binary.LittleEndian.AppendUint32(b, uint32(len(s)))
		}
	}
	for i := range count {
		s := ""
		if i < nfixed {
			s = fixed[i]
		} else {
			s = req.Env[i-nfixed]
		}
		if i > 0 && !nul {
			b = append(b, 0)
		}
		b = append(b, s...)
	}
	return b, nil
}

// decodeStrings splits an H or S payload into its strings. One string
// conversion backs all of them.
func decodeStrings(payload []byte, count uint32) ([]string, error) {
	if uint64(count)*4 > uint64(len(payload)) {
		return nil, fmt.Errorf("daemon: head frame with %d strings has only %d bytes", count, len(payload))
	}
	block := string(payload[4*count:])
	out := make([]string, count)
	off := 0
	for i := range out {
		n := int(binary.LittleEndian.Uint32(payload[4*i:]))
		if n > len(block)-off {
			return nil, errors.New("daemon: head frame string lengths exceed the payload")
		}
		out[i] = block[off : off+n]
		off += n
	}
	if off != len(block) {
		return nil, errors.New("daemon: head frame has trailing bytes")
	}
	return out, nil
}

// responseHead is a decoded S frame.
type responseHead struct {
	code   int
	reason string // the application's reason phrase, when it is not the standard one
	// fields are the valid header fields, name then value, names in
	// canonical form.
	fields []string
	// longest is the length of the longest line mod_wsgi's daemon would
	// have written for this head ("Status: 200 OK" or "Name: value",
	// without CRLF), for header-buffer-size.
	longest int
}

// decodeResponseHead parses an S payload into a status code and header
// fields. Header names that are not HTTP tokens and values with control
// characters are dropped and reported in bad (Python already refuses CR
// and LF).
func decodeResponseHead(payload []byte, count uint32) (rh responseHead, bad []string, err error) {
	if count == 0 || count%2 != 1 {
		return rh, nil, fmt.Errorf("daemon: response head with %d strings", count)
	}
	ss, err := decodeStrings(payload, count)
	if err != nil {
		return rh, nil, err
	}
	status := ss[0]
	if len(status) < 3 {
		return rh, nil, fmt.Errorf("daemon: invalid status %q", status)
	}
	code, err := strconv.Atoi(status[:3])
	if err != nil || code < 100 || (len(status) > 3 && status[3] != ' ') {
		return rh, nil, fmt.Errorf("daemon: invalid status %q", status)
	}
	rh.code = code
	if len(status) > 4 && status[4:] != http.StatusText(code) {
		rh.reason = status[4:]
	}
	rh.longest = len("Status: ") + len(status)
	// The fields reuse the decoded strings' slice.
	rh.fields = ss[:0]
	for i := 1; i+1 < len(ss); i += 2 {
		name, value := ss[i], ss[i+1]
		rh.longest = max(rh.longest, len(name)+2+len(value))
		if !validHeaderName(name) || !validHeaderValue(value) {
			bad = append(bad, name)
			continue
		}
		rh.fields = append(rh.fields, textproto.CanonicalMIMEHeaderKey(name), value)
	}
	return rh, bad, nil
}

// apply puts the fields into h, the response's header. A name the
// application sent replaces what the server set before, except Vary, whose
// values follow the server's (httpd keeps mod_rewrite's); without a
// Content-Type none is sent (no sniffing, as Apache).
func (rh *responseHead) apply(h http.Header) {
	f := rh.fields
	vals := make([]string, len(f)/2) // one backing array for the values
	ctype := false
	for i := 0; i < len(f); i += 2 {
		key, v := f[i], f[i+1]
		ctype = ctype || key == "Content-Type"
		repeat := key == "Vary"
		for j := 0; j < i && !repeat; j += 2 {
			repeat = f[j] == key
		}
		if repeat {
			h[key] = append(h[key], v)
			continue
		}
		k := i / 2
		vals[k] = v
		h[key] = vals[k : k+1 : k+1]
	}
	if !ctype {
		h["Content-Type"] = nil
	}
}

func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isTokenChar(s[i]) {
			return false
		}
	}
	return true
}

func isTokenChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	switch c {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
		return true
	}
	return false
}

func validHeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// readFrameHeader reads one header into scratch.
func readFrameHeader(br *bufio.Reader, scratch *[frameHeaderLen]byte) (frameHeader, error) {
	if _, err := io.ReadFull(br, scratch[:]); err != nil {
		return frameHeader{}, err
	}
	return parseHeader(scratch[:]), nil
}
