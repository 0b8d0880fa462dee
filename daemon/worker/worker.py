"""appserver daemon worker: one process of a mod_wsgi-style daemon process group.

The Go front end (daemon/process.go) starts this file as ``python3 -`` with the
source on stdin, argv[0] set to the display name, and these descriptors:

  fd 0   the source (read by the interpreter; replaced by /dev/null here)
  fd 1,2 a pipe whose lines Go writes to its error log with group and pid
  fd 3   the control socket: Go sends one JSON settings line, later commands
         ("ping", answered "pong" by the main thread, which needs the GIL to:
         deadlock-timeout; "stacks", which logs the request threads' stacks;
         "query ID WHAT ...", answered "reply ID JSON": see _query); the
         worker sends "ready {...}" once it
         can serve, "loading"/"loaded" around the first script loads when
         startup-timeout is on, and "recycle REASON" on SIGUSR1 and SIGXCPU.
         EOF means the front end is gone or wants us to stop: the worker exits
         at once.  cpu-priority and the rlimits are set by Go before it sends
         the settings.
  fd 4+  one persistent unix stream connection per request thread.

Wire format of the request connections (integers little-endian):
every frame starts with a 12-byte header "<BBHII": type, flags, reserved,
count, length; `length` payload bytes follow.  Go -> worker: H (request head:
`count` latin-1 strings, with flag 16 joined by NUL bytes, else as a table of
`count` u32 lengths followed by the strings: script, application group,
callable object, with flag 4 the script's mtime in ns as Go found it (saves a
stat per request), then environ key, value pairs; flags 1 = script
reloading, 2 = no request body, 8 = an auth hook), B (body chunk, only as the answer
to an R), E (end of body, flags 1 = the client's body was cut short),
C (cancel: the client is gone; nothing else follows for that request).
Worker -> Go: R (please send up to `count` body bytes; answered by exactly
one B or E; with flags 1, for a body of known length, by B frames of up to
`count` bytes in all, each but the last with flags 1, or ended by E), S (response head: status then header name/value pairs, same
layout as H), D (response body chunk), F (response complete), X (error,
payload = message; before S Go answers 500, after S it aborts the client
connection), Z (script changed: the request was not run; Go restarts this
process and retries the request elsewhere).
"""

import json
import os
import socket
import struct
import resource
import sys
import threading
import time
import types
from itertools import accumulate as _accumulate, count as _count

PROTOCOL = 2

HDR = struct.Struct("<BBHII")
HDR_LEN = HDR.size

T_HEAD, T_BODY, T_END, T_CANCEL = ord("H"), ord("B"), ord("E"), ord("C")
T_READ, T_START, T_DATA, T_FINISH, T_ERROR, T_RELOAD = (
    ord("R"), ord("S"), ord("D"), ord("F"), ord("X"), ord("Z"))

F_RELOADING = 1  # on H
F_NOBODY = 2  # on H
F_MTIME = 4  # on H: a fourth fixed string, the script's mtime in ns
F_HOOK = 8  # on H: call the mod_wsgi auth hook named as the callable (see handle_hook)
F_SPLIT = 16  # on H: the strings are NUL-separated, with no length table
F_WINDOW = 1  # on R: answer with B frames up to count bytes in all
F_MORE = 1  # on B: another B (or an E) answers the same R

READ_CHUNK = 65536  # least bytes asked for per R
READ_WINDOW = 256 * 1024  # least bytes asked for per R when the body's length is known
MAX_WINDOW = 16 << 20  # most bytes asked for per R
MAX_FRAME_DATA = 1 << 30  # split response chunks larger than this
SMALL_BODY = 1 << 20  # list results up to this size go out in one sendmsg

_pack = HDR.pack
_unpack_from = HDR.unpack_from
_FINISH = _pack(T_FINISH, 0, 0, 0, 0)
# F's count is how many KiB the process's peak RSS (ru_maxrss, VmHWM) grew
# while the request ran, and Go ranks routes by the memory they added.
# RUSAGE_THREAD: Linux reports the process's peak for it too, without
# RUSAGE_SELF's walk over every thread under the process's signal lock,
# which request threads would contend for.
_getrusage = resource.getrusage
_RUSAGE_SELF = getattr(resource, "RUSAGE_THREAD", resource.RUSAGE_SELF)
# The peak as last read (KiB). A request's growth is counted from the value
# here when it starts, so that it calls getrusage once, at its end. What
# grows between two readings is charged to the requests running meanwhile.
_peak = [0]
# A request that ran for less than this does not read the peak: a reading
# costs about 4 us (an eighth of a hello-world request's worker CPU), and
# growing RSS takes page faults, so such a request can have raised the peak
# by a few MB at most; that goes to the next request that reads it.
PEAK_MIN_SECONDS = 0.001
_monotonic = time.monotonic


def _read_peak():
    peak = _getrusage(_RUSAGE_SELF).ru_maxrss
    if peak > _peak[0]:
        _peak[0] = peak
    return peak
_lens_structs = {}


def _lens_struct(n):
    s = _lens_structs.get(n)
    if s is None:
        s = _lens_structs[n] = struct.Struct("<%dI" % n)
    return s


class ClientGone(OSError):
    """Raised in the application when the client went away (like mod_wsgi's
    "failed to write data" IOError)."""


class ProtocolError(Exception):
    pass


def log(msg):
    """One log record: a message of several lines goes out as one line that
    starts with RS, its line breaks written as US, and Go's log reader makes
    it one record again (a traceback is one record, not thirty)."""
    msg = msg.rstrip("\n")
    if "\n" in msg:
        msg = "\x1e" + msg.replace("\n", "\x1f")
    sys.stderr.write(msg + "\n")


def _without_own_frames(te):
    te.stack = traceback_mod().StackSummary.from_list(
        [f for f in te.stack if f.filename != __file__])
    for chained in (te.__cause__, te.__context__):
        if chained is not None:
            _without_own_frames(chained)


def traceback_mod():
    import traceback  # only when something failed: keeps the worker small
    return traceback


def log_exception(prefix=None):
    """Log the exception being handled as one record, without the worker's
    own frames: the application's are what its developers need."""
    tb = traceback_mod()
    te = tb.TracebackException(*sys.exc_info())
    _without_own_frames(te)
    text = "".join(te.format())
    if prefix:
        text = prefix + "\n" + text
    log(text)


# ---------------------------------------------------------------------------
# Connection framing


class Conn:
    """One persistent connection to Go, owned by one request thread."""

    __slots__ = ("sock", "buf", "mv", "r", "w", "cancelled", "window")

    def __init__(self, sock):
        self.sock = sock
        self.window = None  # the Input whose body window is still arriving
        self.buf = bytearray(80 * 1024)
        self.mv = memoryview(self.buf)
        self.r = 0
        self.w = 0
        self.cancelled = False

    def _fill(self, n):
        """Make at least n bytes available at self.r; False on EOF."""
        if self.w - self.r >= n:
            return True
        if self.r + n > len(self.buf):
            avail = self.w - self.r
            if n > len(self.buf):
                nb = bytearray(max(n, 2 * len(self.buf)))
                nb[:avail] = self.mv[self.r:self.w]
                self.mv.release()
                self.buf = nb
                self.mv = memoryview(nb)
            else:
                self.buf[:avail] = bytes(self.mv[self.r:self.w])
            self.r = 0
            self.w = avail
        recv_into = self.sock.recv_into
        while self.w - self.r < n:
            k = recv_into(self.mv[self.w:])
            if not k:
                return False
            self.w += k
        return True

    def _shrink(self):
        # A huge head grew the buffer; do not keep it for the process's life.
        if len(self.buf) > 1 << 20 and self.r == self.w:
            self.mv.release()
            self.buf = bytearray(80 * 1024)
            self.mv = memoryview(self.buf)
            self.r = self.w = 0

    def read_header(self):
        if not self._fill(HDR_LEN):
            return None
        h = _unpack_from(self.buf, self.r)
        self.r += HDR_LEN
        return h

    def read_payload(self, n):
        if not self._fill(n):
            raise ProtocolError("connection closed inside a frame")
        data = bytes(self.mv[self.r:self.r + n])
        self.r += n
        return data

    def read_into(self, mv, n):
        """Read n payload bytes into the writable memoryview mv: what is
        buffered is copied, the rest goes straight from the socket into mv
        (a request body is not copied through self.buf)."""
        have = self.w - self.r
        if have >= n:
            mv[:n] = self.mv[self.r:self.r + n]
            self.r += n
        else:
            if have:
                mv[:have] = self.mv[self.r:self.w]
            got = have
            recv_into = self.sock.recv_into
            while got < n:
                k = recv_into(mv[got:n])
                if not k:
                    raise ProtocolError("connection closed inside a frame")
                got += k
            self.r = self.w = 0
        if self.r == self.w:
            self.r = self.w = 0

    def read_strings(self, count, length):
        """Decode a head payload: one unpack_from, one decode, C slicing."""
        if not self._fill(length):
            raise ProtocolError("connection closed inside a head frame")
        r = self.r
        lens = _lens_struct(count).unpack_from(self.buf, r)
        start = r + 4 * count
        block = str(self.mv[start:r + length], "latin-1")
        self.r = r + length
        ends = list(_accumulate(lens))
        parts = list(map(block.__getitem__, map(slice, [0] + ends[:-1], ends)))
        if self.r == self.w:
            self.r = self.w = 0
            self._shrink()
        return parts

    def read_split(self, count, length):
        """Decode a NUL-separated head payload with one decode and one
        split (slicing by a length table costs several times more)."""
        if not self._fill(length):
            raise ProtocolError("connection closed inside a head frame")
        r = self.r
        parts = str(self.mv[r:r + length], "latin-1").split("\0")
        if len(parts) != count:
            raise ProtocolError("head of %d strings, expected %d" % (len(parts), count))
        self.r = r + length
        if self.r == self.w:
            self.r = self.w = 0
            self._shrink()
        return parts

    def read_head(self):
        """Next request head as (flags, parts), or None on EOF.  Stray C
        frames (a cancel that crossed our F) are skipped."""
        if self.window is not None:
            self.window.settle()  # the body the app left unread
        while True:
            h = self.read_header()
            if h is None:
                return None
            t, flags, _, count, length = h
            if t == T_HEAD:
                self.cancelled = False
                if flags & F_SPLIT:
                    return flags, self.read_split(count, length)
                return flags, self.read_strings(count, length)
            if t == T_CANCEL and length == 0:
                continue
            raise ProtocolError("unexpected frame %r waiting for a request" % chr(t))

    def poll_cancel(self):
        """Raise ClientGone if Go has sent C; never blocks."""
        if self.cancelled:
            raise ClientGone("client connection closed")
        if self.window is not None:
            return  # Go is still sending the body window: no C before its end
        if self.w == self.r:
            self.r = self.w = 0
            try:
                k = self.sock.recv_into(self.mv, 0, socket.MSG_DONTWAIT)
            except (BlockingIOError, InterruptedError):
                return
            if not k:
                raise ProtocolError("connection closed by the front end")
            self.w += k
        h = self.read_header()
        if h is None or h[0] != T_CANCEL:
            raise ProtocolError("unexpected frame while sending the response")
        self.cancelled = True
        raise ClientGone("client connection closed")

    def sendv(self, bufs):
        total = 0
        for b in bufs:
            total += len(b)
        if self.window is not None:
            # Go sends the body window without reading: if our send would
            # block, take in the window first, or both sides wait forever.
            try:
                n = self.sock.sendmsg(bufs, [], socket.MSG_DONTWAIT)
            except BlockingIOError:
                n = 0
            if n == total:
                return
            self.window.settle()
        else:
            n = self.sock.sendmsg(bufs)
            if n == total:
                return
        # Short write (large bodies): finish with sendall on the remainder.
        for b in bufs:
            lb = len(b)
            if n >= lb:
                n -= lb
                continue
            self.sock.sendall(memoryview(b)[n:] if n else b)
            n = 0


# ---------------------------------------------------------------------------
# wsgi.input


class Input:
    """wsgi.input: pulls the body from Go as the application reads it, so
    neither side ever holds more than a window beyond what the application
    asked for."""

    def __init__(self, conn, has_body, length):
        self._conn = conn
        self._done = not has_body or length == 0
        self._left = length  # None = read until E (chunked origin)
        self._buf = b""
        self._pos = 0  # self._buf[:self._pos] has been read
        # The window asked for and not all received yet (known length):
        # Go sends its B frames as the client sends the bytes, and a read
        # returns as soon as it has what it needs, so the app sees the body
        # while the client is still sending it, as under mod_wsgi.
        self._win = None  # bytearray of the current window
        self._wgot = 0  # bytes of it received
        self._wpos = 0  # bytes of it handed out
        self._open = False  # more frames of it are coming

    def _more(self, need):
        """At least need bytes (fewer at the end of the body), as soon as
        they are here."""
        if self._win is None:
            if self._done:
                return b""
            conn = self._conn
            if conn.cancelled:
                raise ClientGone("client connection closed")
            left = self._left
            if left is None:
                return self._more_chunk(conn, max(need, READ_CHUNK))
            # Ask for a whole window, which Go streams as several B frames
            # straight into one buffer here, rather than one round trip per
            # chunk.  A client that sent a length sends it all.
            want = min(max(need, READ_WINDOW), MAX_WINDOW, left)  # allocated up front: bounded
            conn.sendv([_pack(T_READ, F_WINDOW, 0, want, 0)])
            self._win = bytearray(want)
            self._wgot = self._wpos = 0
            self._open = True
            conn.window = self
        win, start = self._win, self._wpos
        if self._open and self._wgot - start < need:
            self._receive(start + need)
        end = self._wgot
        self._wpos = end
        if not self._open:
            self._win = None  # all of it handed out: the next read asks again
        if start == 0 and end == len(win):
            return win  # a bytearray: read() hands out bytes copied from it
        # A view, not a copy: read() copies what it hands out anyway, and
        # the window's later bytes land past end.
        return memoryview(win)[start:end]

    def _receive(self, until):
        """Receive frames of the open window until it holds until bytes or
        ends.  The common path of an upload, frame after frame: locals."""
        conn = self._conn
        read_header, read_into = conn.read_header, conn.read_into
        win = self._win
        wmv = memoryview(win)
        got = self._wgot
        size = len(win)
        try:
            while got < until:
                h = read_header()
                if h is None:
                    raise ProtocolError("connection closed while reading the request body")
                t, flags, _, _, n = h
                if t != T_BODY:
                    self._close_window()
                    self._done = True
                    if t == T_END:
                        return
                    if t == T_CANCEL:
                        conn.cancelled = True
                        raise ClientGone("client connection closed")
                    raise ProtocolError("unexpected frame %r while reading the body" % chr(t))
                if got + n > size:
                    raise ProtocolError("more body than asked for")
                read_into(wmv[got:], n)
                got += n
                if not flags & F_MORE:
                    self._close_window()
                    return
        finally:
            self._left -= got - self._wgot
            self._wgot = got
            if self._left <= 0:
                self._done = True

    def _close_window(self):
        self._open = False
        self._conn.window = None

    def settle(self):
        """Receive the rest of the open window into the buffer, so that the
        connection is in step for the response and the next request."""
        try:
            if self._open:
                self._receive(len(self._win))
        except ClientGone:
            pass  # Go drops what we send after its C; poll_cancel says so

    def _more_chunk(self, conn, want):
        # A body of unknown length (chunked): one B per R, as much as the
        # client has sent, so that streaming clients are never waited for.
        conn.sendv([_pack(T_READ, 0, 0, want, 0)])
        h = conn.read_header()
        if h is None:
            raise ProtocolError("connection closed while reading the request body")
        t, flags, _, _, length = h
        if t == T_BODY:
            return conn.read_payload(length)
        if t == T_END:
            self._done = True
            return b""
        if t == T_CANCEL:
            conn.cancelled = True
            self._done = True
            raise ClientGone("client connection closed")
        raise ProtocolError("unexpected frame %r while reading the body" % chr(t))

    def read(self, size=-1):
        buf, pos = self._buf, self._pos
        self._buf, self._pos = b"", 0
        parts = [memoryview(buf)[pos:]] if pos < len(buf) else []
        if size is None or size < 0:
            while True:
                d = self._more(READ_WINDOW)
                if not d:
                    break
                parts.append(d)
            return b"".join(parts)
        avail = len(buf) - pos
        if avail >= size:
            if avail > size:
                self._buf, self._pos = buf, pos + size
            return bytes(memoryview(buf)[pos:pos + size])
        need = size - avail
        while need > 0:
            d = self._more(need)
            if not d:
                break
            if len(d) > need:
                # Keep the rest of the window for the next read.
                parts.append(memoryview(d)[:need])
                self._buf, self._pos = d, need
                break
            parts.append(d)
            need -= len(d)
        if len(parts) == 1 and type(parts[0]) is bytes:
            return parts[0]
        return b"".join(parts)

    def readline(self, size=-1):
        if size is None:
            size = -1
        buf = self._buf
        if self._pos or type(buf) is not bytes:
            buf = bytes(memoryview(buf)[self._pos:])
            self._pos = 0
        start = 0
        while True:
            i = buf.find(b"\n", start)
            if i >= 0:
                end = i + 1
                if 0 <= size < end:
                    end = size
                break
            if 0 <= size <= len(buf):
                end = size
                break
            start = len(buf)
            d = self._more(1)  # a line may end in what is already here
            if not d:
                end = len(buf)
                break
            buf += d
        self._buf = buf[end:]
        return buf[:end]

    def readlines(self, hint=-1):
        lines = []
        total = 0
        while True:
            line = self.readline()
            if not line:
                break
            lines.append(line)
            total += len(line)
            if hint is not None and 0 < hint <= total:
                break
        return lines

    def __iter__(self):
        return self

    def __next__(self):
        line = self.readline()
        if not line:
            raise StopIteration
        return line


# ---------------------------------------------------------------------------
# wsgi.errors and wsgi.file_wrapper


class Log:
    """wsgi.errors: whole lines go to stderr, which Go logs with group and pid."""

    def __init__(self):
        self._partial = ""

    def write(self, s):
        if not isinstance(s, str):
            raise TypeError("expected a str, got %s" % type(s).__name__)
        data = self._partial + s
        i = data.rfind("\n")
        if i < 0:
            self._partial = data
            return
        self._partial = data[i + 1:]
        sys.stderr.write(data[:i + 1])

    def writelines(self, lines):
        for s in lines:
            self.write(s)

    def flush(self):
        if self._partial:
            s, self._partial = self._partial, ""
            sys.stderr.write(s + "\n")
        sys.stderr.flush()

    def close(self):
        self.flush()


# The characters of an HTTP token (RFC 9110 field names): str.strip with
# them leaves nothing of a valid name.
_TOKEN_CHARS = ("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                "0123456789!#$%&'*+-.^_`|~")
# Header names already found to be tokens (str only): most responses repeat
# a handful, and checking a name costs more than looking it up.
_GOOD_NAMES = set()


class FileWrapper:
    def __init__(self, filelike, blksize=8192):
        self.filelike = filelike
        self.blksize = blksize
        self.limit = -1  # bytes left to send; -1 = to the end
        if hasattr(filelike, "close"):
            self.close = filelike.close

    def __iter__(self):
        return self

    def __next__(self):
        n = self.blksize
        if self.limit >= 0:
            if self.limit == 0:
                raise StopIteration
            n = min(n, self.limit)
        data = self.filelike.read(n)
        if data:
            if self.limit >= 0:
                self.limit -= len(data)
            return data
        raise StopIteration

    def remaining(self):
        """Bytes from the current position to the end of a regular file,
        or None when the object is not one (mod_wsgi's sendfile case)."""
        try:
            st = os.fstat(self.filelike.fileno())
            if (st.st_mode & 0o170000) != 0o100000:
                return None
            return max(st.st_size - self.filelike.tell(), 0)
        except (AttributeError, OSError, ValueError):
            return None


# Applications see these types under the names mod_wsgi gives them.
for _cls in (Input, Log, FileWrapper):
    _cls.__module__ = "mod_wsgi"


# ---------------------------------------------------------------------------
# Application loading (one module per application group and script)


def _md5(data):
    # The interpreter's built-in MD5: hashlib would load OpenSSL's libcrypto
    # (about 4 MB of RSS) just to name modules.
    try:
        from _md5 import md5
    except ImportError:
        from hashlib import md5
    return md5(data)


class MissingApplication(LookupError):
    pass


class RELOAD:
    """Sentinel: the script changed on disk since it was loaded."""


class Loader:
    def __init__(self, shim, report=None):
        self._modules = {}
        self._mtimes = {}  # (group, script) -> st_mtime_ns at load, as str
        self._lock = threading.RLock()
        self._shim = shim
        # report(b"loading"/b"loaded") until the first load succeeds, for
        # startup-timeout (timed by Go); None once it no longer matters.
        self._report = report

    @staticmethod
    def module_name(script, group):
        h = _md5(os.fsencode(script)).hexdigest()
        if group == "":
            return "_mod_wsgi_" + h
        # Application groups share one interpreter here, so the group is
        # part of the name to keep their modules apart.
        g = _md5(group.encode("utf-8", "surrogateescape")).hexdigest()[:12]
        return "_mod_wsgi_%s_%s" % (h, g)

    def load(self, script, group):
        key = (group, script)
        mod = self._modules.get(key)
        if mod is not None:
            return mod
        with self._lock:
            mod = self._modules.get(key)
            if mod is not None:
                return mod
            path = os.fsdecode(script.encode("latin-1"))
            name = self.module_name(path, group)
            with open(path, "rb") as f:
                st = os.fstat(f.fileno())
                source = f.read()
            code = compile(source, path, "exec", dont_inherit=True)
            mod = types.ModuleType(name)
            mod.__file__ = path
            mod.__mtime__ = st.st_mtime
            mtime_ns = str(st.st_mtime_ns)
            sys.modules[name] = mod
            # The shim's application_group is that of the script being
            # loaded (what module-level code sees at import time).
            self._shim.application_group = group
            report = self._report
            if report is not None:
                report(b"loading")
            try:
                exec(code, mod.__dict__)
            except BaseException:
                sys.modules.pop(name, None)
                raise
            if report is not None:
                self._report = None
                report(b"loaded")
            if Response.track_peak:
                _read_peak()  # a script's import is no request's growth
            self._mtimes[key] = mtime_ns
            self._modules[key] = mod
            return mod

    def get(self, script, group, callable_name, reloading, mtime_ns=None):
        """mtime_ns: the script's mtime as Go found it while routing (a
        decimal string), or None to stat the script here."""
        key = (group, script)
        mod = self._modules.get(key)
        if mod is not None and reloading:
            if mtime_ns is not None:
                if mtime_ns != self._mtimes.get(key):
                    return RELOAD
            else:
                try:
                    mtime = os.stat(mod.__file__).st_mtime
                except OSError:
                    mtime = None
                if mtime != mod.__mtime__:
                    return RELOAD
        if mod is None:
            mod = self.load(script, group)
        app = getattr(mod, callable_name or "application", None)
        if app is None:
            raise MissingApplication("Target WSGI script '%s' does not contain WSGI application '%s'."
                              % (mod.__file__, callable_name or "application"))
        return app


# ---------------------------------------------------------------------------
# One request


class Response:
    __slots__ = ("conn", "status", "headers", "head_sent", "finished", "_head_pending", "peak0", "t0")
    # False with AppserverMonitor Off: no getrusage per request.
    track_peak = True

    def __init__(self, conn):
        if Response.track_peak:
            self.peak0, self.t0 = _peak[0], _monotonic()
        else:
            self.peak0 = -1
        self.conn = conn
        self.status = None
        self.headers = None
        self.head_sent = False
        self.finished = False
        self._head_pending = None

    def _finish(self):
        if self.peak0 < 0 or _monotonic() - self.t0 < PEAK_MIN_SECONDS:
            return _FINISH
        grown = _read_peak() - self.peak0
        return _pack(T_FINISH, 0, 0, grown, 0) if grown > 0 else _FINISH

    def start_response(self, status, headers, exc_info=None):
        if exc_info is not None:
            try:
                if self.head_sent:
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        elif self.head_sent:
            raise RuntimeError("headers have already been sent: start_response() "
                               "called again without exc_info")
        # Before any output a second call replaces the first, as mod_wsgi
        # does.
        if type(status) is not str:
            raise TypeError("expected str object for status, value of type %s found"
                            % type(status).__name__)
        if len(status) < 4 or not status[:3].isdigit() or status[3] != " ":
            raise ValueError("invalid HTTP status line %r" % status)
        if type(headers) is not list:
            raise TypeError("response headers must be a list, not %s" % type(headers).__name__)
        good = _GOOD_NAMES
        for h in headers:
            if type(h) is not tuple or len(h) != 2:
                raise TypeError("response header must be a (name, value) tuple, not %r" % (h,))
            name, value = h
            if type(name) is not str or type(value) is not str:
                raise TypeError("response header name and value must be str: %r" % (h,))
            if name in good:
                continue
            if not name or name.strip(_TOKEN_CHARS):
                raise ValueError("invalid response header name %r: an HTTP field name is a token "
                                 "(letters, digits and !#$%%&'*+-.^_`|~)" % name)
            if len(good) < 1024:
                good.add(name)
        self.status = status
        self.headers = headers
        return self.write

    def _head(self):
        if self.status is None:
            raise RuntimeError("response has not been started: start_response() was not called")
        parts = [self.status]
        for name, value in self.headers:
            parts.append(name)
            parts.append(value)
        joined = "".join(parts)
        if "\n" in joined or "\r" in joined:
            raise ValueError("carriage return or line feed in response status or headers")
        block = joined.encode("latin-1")
        n = len(parts)
        self.head_sent = True
        return _pack(T_START, 0, 0, n, 4 * n + len(block)) + \
            _lens_struct(n).pack(*map(len, parts)) + block

    def _send(self, data, finish=False):
        """Send one non-empty bytes chunk (with the head the first time)."""
        n = len(data)
        if n > MAX_FRAME_DATA:
            mv = memoryview(data)
            for i in range(0, n, MAX_FRAME_DATA):
                self._send(mv[i:i + MAX_FRAME_DATA])
            if finish:
                self.conn.sendv([self._finish()])
                self.finished = True
            return
        bufs = []
        if not self.head_sent:
            bufs.append(self._head())
        else:
            self.conn.poll_cancel()
        bufs.append(_pack(T_DATA, 0, 0, 0, n))
        bufs.append(data)
        if finish:
            bufs.append(self._finish())
        self.conn.sendv(bufs)
        if finish:
            self.finished = True

    def write(self, data):
        if self.status is None:
            raise RuntimeError("write() called before start_response()")
        if not isinstance(data, bytes):
            raise TypeError("write() argument must be bytes, not %s" % type(data).__name__)
        if data:
            self._send(data)

    def run(self, app, environ):
        """Call the application and answer with F (or X on failure).  F goes
        out only after close() returned, so Go neither reuses the thread nor
        stops the process while an application still cleans up."""
        result = None
        ok = False
        try:
            result = app(environ, self.start_response)
            if type(result) is FileWrapper and not self.head_sent and self.headers is not None:
                # mod_wsgi sends a file from its current position up to
                # the app's Content-Length, and without one declares what
                # is left of a regular file.
                cl = [v for n, v in self.headers if n.lower() == "content-length"]
                if cl:
                    if cl[0].strip().isdigit():
                        result.limit = int(cl[0])
                else:
                    left = result.remaining()
                    if left is not None:
                        self.headers = self.headers + [("Content-Length", str(left))]
            if type(result) in (list, tuple) and not self.head_sent:
                # Exact list/tuple: no close(), so head, body and F can go
                # out together in one sendmsg (the common case).
                for d in result:
                    if not isinstance(d, bytes):
                        raise TypeError("sequence of byte string values expected, "
                                        "value of type %s found" % type(d).__name__)
                body = result[0] if len(result) == 1 else b"".join(result)
                if not body:
                    self.conn.sendv([self._head(), self._finish()])
                    self.finished = True
                    return True
                if len(body) <= SMALL_BODY:
                    self._send(body, finish=True)
                    return True
                self._send(body)
            else:
                for d in result:
                    if not isinstance(d, bytes):
                        raise TypeError("sequence of byte string values expected, "
                                        "value of type %s found" % type(d).__name__)
                    if d:
                        self._send(d)
            if not self.head_sent:
                self._head_pending = self._head()
            ok = True
        except ClientGone:
            pass
        except ProtocolError:
            raise
        except BaseException:
            log_exception("Exception occurred processing WSGI script '%s'."
                          % environ.get("SCRIPT_FILENAME", ""))
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                try:
                    close()
                except ClientGone:
                    pass
                except BaseException:
                    # Logged only: the response itself was complete.
                    log_exception("Exception occurred closing the WSGI response.")
        if ok:
            if self._head_pending is not None:
                self.conn.sendv([self._head_pending, self._finish()])
            else:
                self.conn.sendv([self._finish()])
        else:
            self.conn.sendv([_pack(T_ERROR, 0, 0, 0, 0)])
        self.finished = True
        return ok


# ---------------------------------------------------------------------------
# The worker process


class Worker:
    def __init__(self, settings, send=None):
        self.s = settings
        self.group = settings["group"]
        self.threads = settings["threads"]
        self.shim = self._make_shim()
        self.loader = Loader(self.shim, send if settings.get("report_loading") else None)
        Response.track_peak = not settings.get("no_peak_rss")
        if Response.track_peak:
            _read_peak()
        self.base_environ = {
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.multithread": self.threads != 1,
            "wsgi.multiprocess": bool(settings["processes_set"]),
            "wsgi.run_once": self.threads == 1 and settings["maximum_requests"] == 1,
            "wsgi.file_wrapper": FileWrapper,
            "wsgi.input_terminated": True,
            # What mod_wsgi 4.9.4 reports; apache.version is the httpd it was
            # built against (Debian 12's), not a running server.
            "mod_wsgi.version": (4, 9, 4),
            "apache.version": (2, 4, 55),
        }
        # next() on itertools.count is atomic under the GIL: no lock (and
        # no lock hand-off between request threads) per request.
        self._thread_ids = _count(1)
        self._requests = _count(0)
        self.active = {}  # thread ident -> (environ, start time)
        self.request_threads = set()  # idents of the threads that serve()
        self._profile_lock = threading.Lock()
        self._profiling = False

    def _make_shim(self):
        m = types.ModuleType("mod_wsgi")
        m.version = (4, 9, 4)
        m.process_group = self.group
        m.application_group = ""
        m.maximum_processes = self.s["processes"]
        m.threads_per_process = self.threads
        m.FileWrapper = FileWrapper
        sys.modules["mod_wsgi"] = m
        return m

    def preload(self, fatal=None):
        """Import the preload scripts.  A required one that fails calls
        fatal(message) (the process then exits); others are only logged,
        as mod_wsgi does."""
        for script, group, callable_name, required in self.s.get("preload") or []:
            try:
                mod = self.loader.load(script, group)
                if callable_name and not hasattr(mod, callable_name):
                    msg = ("Target WSGI script '%s' does not contain WSGI application '%s'."
                           % (script, callable_name))
                    if required and fatal:
                        fatal(msg + " (define it, or name the callable with WSGICallableObject)")
                    log(msg)
            except BaseException as e:
                msg = ("Failed to preload WSGI script '%s' into application group '%s'."
                       % (script, group))
                log_exception(msg)
                if required and fatal:
                    fatal("%s %s: %s (the traceback is in the log)" % (msg, type(e).__name__, e))

    def serve(self, sock):
        conn = Conn(sock)
        thread_id = None
        thread_requests = 0
        me = threading.get_ident()
        self.request_threads.add(me)
        # Locals for the loop: one attribute lookup per process, not per
        # request.
        base = self.base_environ
        active = self.active
        handle = self.handle
        requests = self._requests
        read_head = conn.read_head
        now = time.time
        daemon_mode = bool(self.group)
        try:
            while True:
                head = read_head()
                if head is None:
                    return
                daemon_start = now()
                if thread_id is None:
                    thread_id = next(self._thread_ids)
                flags, parts = head
                environ = base.copy()
                it = iter(parts)
                script = next(it)
                app_group = next(it)
                callable_name = next(it)
                mtime = next(it) if flags & F_MTIME else None
                environ.update(zip(it, it))
                https = environ.pop("HTTPS", None)
                if https is not None and https.lower() in ("on", "1"):
                    environ["wsgi.url_scheme"] = "https"
                environ.pop("PATH", None)
                length = None
                cl = environ.get("CONTENT_LENGTH")
                if cl:
                    try:
                        length = int(cl)
                    except ValueError:
                        length = None
                environ["wsgi.input"] = Input(conn, not flags & F_NOBODY, length)
                errors = environ["wsgi.errors"] = Log()
                environ["mod_wsgi.thread_id"] = thread_id
                environ["mod_wsgi.thread_requests"] = thread_requests
                # Requests this process started before this one.
                environ["mod_wsgi.total_requests"] = next(requests)
                if daemon_mode:
                    # Daemon mode only: the "" group stands in for embedded mode.
                    environ["mod_wsgi.daemon_start"] = str(int(daemon_start * 1000000))
                active[me] = (environ, daemon_start)
                try:
                    if flags & F_HOOK:
                        self.handle_hook(conn, environ, script, app_group, callable_name)
                    else:
                        handle(conn, environ, script, app_group, callable_name,
                               flags & F_RELOADING, mtime)
                finally:
                    del active[me]
                    if errors._partial:
                        errors.flush()
                thread_requests += 1
        except ProtocolError as e:
            log("appserver worker: protocol error, closing connection: %s" % e)
        except OSError:
            pass  # the front end closed this connection
        finally:
            try:
                sock.close()
            except OSError:
                pass

    def handle(self, conn, environ, script, app_group, callable_name, reloading, mtime=None):
        try:
            app = self.loader.get(script, app_group, callable_name, reloading, mtime)
        except MissingApplication as e:
            data = str(e).encode("utf-8", "replace")
            conn.sendv([_pack(T_ERROR, 0, 0, 0, len(data)), data])
            return
        except BaseException:
            log_exception("Failed to exec Python script file '%s'." % script)
            msg = ("Target WSGI script '%s' cannot be loaded as Python module." % script)
            data = msg.encode("utf-8", "replace")
            conn.sendv([_pack(T_ERROR, 0, 0, 0, len(data)), data])
            return
        if app is RELOAD:
            conn.sendv([_pack(T_RELOAD, 0, 0, 0, 0)])
            return
        environ["mod_wsgi.script_start"] = str(int(time.time() * 1000000))
        Response(conn).run(app, environ)

    # mod_wsgi's auth hooks and what they may return (mod_wsgi 4.9.4).
    HOOKS = {"check_password": 2, "groups_for_user": 1, "allow_access": 1}

    def handle_hook(self, conn, environ, script, app_group, name):
        """Call a WSGIAuthUserScript/WSGIAuthGroupScript/WSGIAccessScript
        function with the arguments Go put in the environ as
        appserver.hook.arg1, arg2, and answer S "200 OK" with a Result
        header (True, False, None, or User:NAME when check_password names
        the user) or one Group header per group, then F. An exception or a
        result mod_wsgi refuses is logged and answered with X."""
        args = [environ.pop("appserver.hook.arg%d" % i, "") for i in range(1, self.HOOKS.get(name, 0) + 1)]
        environ.pop("wsgi.input", None)
        try:
            if name not in self.HOOKS:
                raise ValueError("unknown auth hook %r" % name)
            fn = self.loader.get(script, app_group, name, False)
            result = fn(environ, *args)
            if name == "groups_for_user":
                if result is None:
                    raise TypeError("Groups for user returned from '%s' must be an iterable "
                                    "sequence of byte strings." % script)
                headers = []
                for g in result:
                    if isinstance(g, bytes):
                        g = g.decode("latin-1")
                    elif not isinstance(g, str):
                        raise TypeError("Groups for user returned from '%s' must be an iterable "
                                        "sequence of byte strings." % script)
                    headers.append(("Group", g))
            elif result is True or result is False or result is None:
                headers = [("Result", repr(result))]
            elif name == "check_password" and isinstance(result, str):
                headers = [("Result", "User:" + result)]
            elif name == "check_password":
                raise TypeError("Basic auth provider must return True, False None or user name as string")
            else:
                raise TypeError("Indicator of host accessibility returned from '%s' must a boolean or None." % script)
            resp = Response(conn)
            resp.status, resp.headers = "200 OK", headers
            conn.sendv([resp._head(), resp._finish()])
        except BaseException:
            log_exception("Exception occurred processing WSGI script '%s'." % script)
            data = ("auth hook %s of %s failed" % (name, script)).encode("utf-8", "replace")
            conn.sendv([_pack(T_ERROR, 0, 0, 0, len(data)), data])

    def stacks(self):
        """The Python stacks of the threads handling a request now: a list
        of dicts (thread, method, uri, age_seconds, stack)."""
        import traceback
        frames = sys._current_frames()
        now = time.time()
        out = []
        for ident, (environ, start) in list(self.active.items()):
            frame = frames.get(ident)
            if frame is None:
                continue
            out.append({
                "thread": environ.get("mod_wsgi.thread_id") or 0,
                "method": environ.get("REQUEST_METHOD", ""),
                "uri": environ.get("REQUEST_URI", environ.get("PATH_INFO", "")),
                "age_seconds": round(now - start, 3),
                "stack": "".join(traceback.format_stack(frame)),
            })
        out.sort(key=lambda t: t["thread"])
        return out

    def dump_stacks(self):
        out = ["Thread %s (request %s %s, running %.1fs):\n%s" % (
            t["thread"], t["method"], t["uri"], t["age_seconds"], t["stack"])
            for t in self.stacks()]
        if not out:
            out.append("no request threads are active\n")
        log("Dumping stack traces of active request threads (process group '%s', pid %d):\n%s"
            % (self.group, os.getpid(), "".join(out)))

    def profile(self, seconds, reply, interval=0.01):
        """Start a sampler thread that folds the stacks of this process's
        threads every interval for seconds, then calls reply(result) with
        {"samples": N, "folded": "frame;frame count\\n..."}.  Returns False
        if a profile is already running.  Nothing samples otherwise."""
        with self._profile_lock:
            if self._profiling:
                return False
            self._profiling = True

        def run():
            try:
                result = Sampler(self, interval).run(seconds)
            except BaseException as e:  # never lose the reply
                result = {"samples": 0, "folded": "", "error": "%s: %s" % (type(e).__name__, e)}
            finally:
                with self._profile_lock:
                    self._profiling = False
            reply(result)
        threading.Thread(target=run, name="appserver-sampler", daemon=True).start()
        return True


class Sampler:
    """Samples the Python stacks of a worker's threads (sys._current_frames)
    and counts them folded, root first: "f (file:line);g (file:line)", the
    line being where the function starts, so that its samples add up.  It
    skips its own thread, the main thread (it only reads the control
    socket) and request threads waiting for a request: what remains is the
    requests being handled and the application's own threads."""

    def __init__(self, worker, interval=0.01):
        self.w = worker
        self.interval = interval
        self.names = {}  # code object -> frame name

    def frame_name(self, code):
        name = self.names.get(code)
        if name is None:
            if code.co_filename == __file__:
                name = "%s (appserver worker)" % code.co_name  # "<stdin>" says nothing
            else:
                name = "%s (%s:%d)" % (code.co_name, code.co_filename, code.co_firstlineno)
            name = name.replace(";", ":").replace("\n", " ")
            self.names[code] = name
        return name

    def fold(self, frame):
        parts = []
        name = self.frame_name
        while frame is not None:
            parts.append(name(frame.f_code))
            frame = frame.f_back
        parts.reverse()
        return ";".join(parts)

    def sample(self, counts, skip):
        w = self.w
        active = w.active
        idle = w.request_threads
        fold = self.fold
        for ident, frame in sys._current_frames().items():
            if ident in skip or (ident in idle and ident not in active):
                continue
            key = fold(frame)
            counts[key] = counts.get(key, 0) + 1

    def run(self, seconds):
        skip = {threading.get_ident(), threading.main_thread().ident}
        counts = {}
        n = 0
        clock = time.monotonic
        start = clock()
        end = start + seconds
        while True:
            self.sample(counts, skip)
            n += 1
            nxt = start + n * self.interval
            now = clock()
            if nxt >= end or now >= end:
                break
            if nxt > now:
                time.sleep(nxt - now)
        return dict(fold_counts(counts), samples=n)


MAX_FOLDED = 8 << 20  # characters of folded stacks one process sends at most


def fold_counts(counts, limit=MAX_FOLDED):
    """Folded lines for counts (stack -> samples), most sampled first kept
    when they would exceed limit characters: the reply is one control line.
    Returns {"folded": text, "dropped": samples left out}."""
    lines, size, dropped = [], 0, 0
    for stack, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        line = "%s %d\n" % (stack, n)
        if size + len(line) > limit:
            dropped += n
            continue
        size += len(line)
        lines.append(line)
    lines.sort()
    return {"folded": "".join(lines), "dropped": dropped}


# ---------------------------------------------------------------------------
# Start-up


def _apply_process_settings(s):
    # The interpreter was started from stdin with argv[0] set to the title.
    sys.argv[:] = ["mod_wsgi"]
    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]
    os.environ.pop("PYTHONEXECUTABLE", None)
    exe = s.get("executable")
    if exe:
        sys.executable = exe
        _fix_venv(exe)

    title = s.get("title")
    if title:
        _set_comm(title)
    if s.get("umask", -1) >= 0:
        os.umask(s["umask"])
    if s.get("locale"):
        import locale
        try:
            locale.setlocale(locale.LC_ALL, s["locale"])
        except locale.Error:
            log("appserver worker: unsupported locale setting '%s'; consider 'C.UTF-8'"
                % s["locale"])
    if s.get("stack_size"):
        try:
            threading.stack_size(s["stack_size"])
        except (ValueError, RuntimeError) as e:
            log("appserver worker: cannot set stack-size: %s" % e)
    if s.get("python_path"):
        import site
        for p in s["python_path"]:
            site.addsitedir(p)


def _fix_venv(exe):
    # Python < 3.11 ignores PYTHONEXECUTABLE on Linux: with argv[0] replaced
    # by the title it cannot find a venv's pyvenv.cfg by itself.
    home = os.path.dirname(os.path.dirname(exe))
    if not os.path.exists(os.path.join(home, "pyvenv.cfg")) or sys.prefix == home:
        return
    import site
    sys.prefix = sys.exec_prefix = home
    site.addsitedir(os.path.join(home, "lib", "python%d.%d" % sys.version_info[:2],
                                 "site-packages"))


def _set_comm(title):
    # /proc/self/comm (what top and ps -o comm show) is 15 bytes at most.
    # Writing it is prctl(PR_SET_NAME) without loading ctypes (+0.8 MB).
    try:
        with open("/proc/self/comm", "wb", buffering=0) as f:
            f.write(title.encode("utf-8", "replace")[:15])
    except OSError as e:
        log("appserver worker: cannot set the process name: %s" % e)


def _query(w, send, args):
    """A command whose answer goes back on the control socket as one line,
    "reply ID JSON": "query ID stacks" (the request threads' stacks),
    "query ID profile SECONDS" (a thread profile; the reply comes when it
    is done)."""
    if len(args) < 2:
        return
    qid, what = args[0], args[1]

    def reply(v):
        send(b"reply " + qid + b" " + json.dumps(v).encode())
    try:
        if what == b"stacks":
            reply({"threads": w.stacks()})
        elif what == b"profile" and len(args) == 3:
            if not w.profile(float(args[2]), reply):
                reply({"error": "a profile is already running in this process"})
        else:
            reply({"error": "unknown query %r" % what.decode("latin-1")})
    except Exception as e:
        reply({"error": "%s: %s" % (type(e).__name__, e)})


def main():
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    sys.stdout = sys.stderr  # print() in applications lands in the error log

    ctl = socket.socket(fileno=3)
    ctl.set_inheritable(False)
    rf = ctl.makefile("rb")
    line = rf.readline()
    if not line:
        os._exit(0)
    s = json.loads(line)
    if s.get("protocol") != PROTOCOL:
        log("appserver worker: protocol %r, expected %d" % (s.get("protocol"), PROTOCOL))
        os._exit(3)

    _apply_process_settings(s)
    import faulthandler
    faulthandler.enable(file=sys.stderr, all_threads=True)

    send_lock = threading.Lock()

    def send(msg):
        # One whole line per sendall, from any thread.
        with send_lock:
            try:
                ctl.sendall(msg + b"\n")
            except OSError:
                pass

    w = Worker(s, send)

    def ready():
        msg = json.dumps({"pid": os.getpid(), "protocol": PROTOCOL,
                          "python": "%d.%d.%d" % sys.version_info[:3]})
        send(b"ready " + msg.encode())

    if w.threads == 0:
        # Service mode (threads=0): run the import scripts, then exit; Go
        # starts a new process.  Stop at once if Go goes away meanwhile.
        def watch():
            while True:
                line = rf.readline()
                if not line:
                    break
                if line.startswith(b"query "):
                    _query(w, send, line.split()[1:])
            os._exit(0)
        threading.Thread(target=watch, name="control", daemon=True).start()
        ready()
        w.preload()
        sys.stderr.flush()
        os._exit(0)

    # mod_wsgi's graceful triggers: SIGUSR1 sent to the process, and the
    # soft RLIMIT_CPU (cpu-time-limit).  Go replaces us and drains us.
    import signal

    def recycle_on(reason):
        def handler(signum, frame):
            # The main thread may be inside send() already: send from
            # another thread rather than wait on our own lock.
            threading.Thread(target=send, args=(b"recycle " + reason,), daemon=True).start()
        return handler

    signal.signal(signal.SIGUSR1, recycle_on(b"graceful-signal"))
    signal.signal(signal.SIGXCPU, recycle_on(b"cpu-time-limit"))

    def fatal(msg):
        send(b"fatal " + json.dumps(msg).encode())
        sys.stderr.flush()
        os._exit(4)

    w.preload(fatal)
    socks = []
    for fd in s["fds"]:
        sk = socket.socket(fileno=fd)
        sk.set_inheritable(False)
        socks.append(sk)
    # Only the main thread runs Python signal handlers, and only once its
    # blocking read is interrupted: request threads (and the threads
    # applications start from them) inherit a mask that blocks these, so
    # the kernel hands them to the main thread.  SIGXCPU especially: it
    # goes to whichever thread was burning the CPU.
    graceful = {signal.SIGUSR1, signal.SIGXCPU}
    signal.pthread_sigmask(signal.SIG_BLOCK, graceful)
    for i, sk in enumerate(socks):
        threading.Thread(target=w.serve, args=(sk,), name="request-%d" % (i + 1),
                         daemon=True).start()
    signal.pthread_sigmask(signal.SIG_UNBLOCK, graceful)
    ready()

    while True:
        try:
            line = rf.readline()
        except OSError:
            line = b""
        if not line:
            break
        cmd = line.strip()
        if cmd == b"ping":
            send(b"pong")
        elif cmd == b"stacks":
            w.dump_stacks()
            sys.stderr.flush()
            send(b"stacks-done")
        elif cmd.startswith(b"query "):
            _query(w, send, cmd.split()[1:])
    # Go closed the control socket: it has drained us, or it is gone.  Run
    # atexit handlers (applications clean up there) but skip interpreter
    # finalisation, which can hang with threads still around.
    try:
        import atexit
        atexit._run_exitfuncs()
        sys.stderr.flush()
    finally:
        os._exit(0)


if __name__ == "__main__":
    main()
