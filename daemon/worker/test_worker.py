"""Unit tests of the worker's pieces over a socketpair standing in for Go.
Run by go test (daemon/worker_unittest_test.go) or by hand:
python3 -m unittest daemon/worker/test_worker.py"""

import importlib.util
import io
import os
import socket
import sys
import tempfile
import threading
import unittest

_spec = importlib.util.spec_from_file_location(
    "appserver_worker", os.path.join(os.path.dirname(os.path.abspath(__file__)), "worker.py"))
w = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(w)


class Peer:
    """The Go side of one worker connection."""

    def __init__(self, test):
        self.go, mine = socket.socketpair()
        self.conn = w.Conn(mine)
        test.addCleanup(self.go.close)
        test.addCleanup(mine.close)

    def send(self, t, flags=0, count=0, payload=b""):
        self.go.sendall(w.HDR.pack(t, flags, 0, count, len(payload)) + payload)

    def recv_frame(self):
        h = self._recv_exact(w.HDR_LEN)
        t, flags, _, count, length = w.HDR.unpack(h)
        return t, flags, count, self._recv_exact(length)

    def _recv_exact(self, n):
        b = b""
        while len(b) < n:
            d = self.go.recv(n - len(b))
            if not d:
                raise EOFError
            b += d
        return b


class InputTest(unittest.TestCase):
    def test_read_returns_before_the_window_is_complete(self):
        p = Peer(self)
        inp = w.Input(p.conn, True, 1000)
        got = {}
        t = threading.Thread(target=lambda: got.setdefault("first", inp.read(100)))
        t.start()
        typ, flags, count, _ = p.recv_frame()
        self.assertEqual((typ, flags, count), (w.T_READ, w.F_WINDOW, 1000))
        p.send(w.T_BODY, w.F_MORE, payload=b"a" * 100)
        t.join(5)
        self.assertFalse(t.is_alive(), "read(100) waited for the whole window")
        self.assertEqual(got["first"], b"a" * 100)
        p.send(w.T_BODY, 0, payload=b"b" * 900)
        self.assertEqual(inp.read(), b"b" * 900)
        self.assertEqual(inp.read(), b"")

    def test_readline_returns_at_the_first_line(self):
        p = Peer(self)
        inp = w.Input(p.conn, True, 1000)
        p.send(w.T_BODY, w.F_MORE, payload=b"one\ntw")
        # The R frame is only read after: socket buffers hold both ways.
        self.assertEqual(inp.readline(), b"one\n")
        self.assertEqual(p.recv_frame()[0], w.T_READ)

    def test_unread_window_is_taken_in_before_the_next_head(self):
        p = Peer(self)
        inp = w.Input(p.conn, True, 300)
        p.send(w.T_BODY, w.F_MORE, payload=b"x" * 100)
        self.assertEqual(inp.read(10), b"x" * 10)
        p.send(w.T_BODY, 0, payload=b"y" * 200)
        p.send(w.T_HEAD, 0, count=1, payload=w._lens_struct(1).pack(3) + b"abc")
        flags, parts = p.conn.read_head()
        self.assertEqual(list(parts), ["abc"])

    def test_cancel_mid_window_raises_client_gone(self):
        p = Peer(self)
        inp = w.Input(p.conn, True, 1000)
        p.send(w.T_BODY, w.F_MORE, payload=b"x" * 10)
        p.send(w.T_CANCEL)
        with self.assertRaises(w.ClientGone):
            inp.read()


class HeadTest(unittest.TestCase):
    def test_split_and_table_heads_decode_alike(self):
        p = Peer(self)
        strs = ["/a.wsgi", "", "app", "HTTP_X", "caf\xe9", "", ""]
        block = "\0".join(strs).encode("latin-1")
        p.send(w.T_HEAD, w.F_SPLIT, count=len(strs), payload=block)
        self.assertEqual(p.conn.read_head(), (w.F_SPLIT, strs))
        strs[4] = "a\0b"
        table = w._lens_struct(len(strs)).pack(*map(len, strs)) + "".join(strs).encode("latin-1")
        p.send(w.T_HEAD, 0, count=len(strs), payload=table)
        self.assertEqual(p.conn.read_head(), (0, strs))

    def test_split_head_with_the_wrong_count_is_refused(self):
        p = Peer(self)
        p.send(w.T_HEAD, w.F_SPLIT, count=3, payload=b"a\0b")
        with self.assertRaises(w.ProtocolError):
            p.conn.read_head()


class ResponseTest(unittest.TestCase):
    def test_second_start_response_before_output_replaces(self):
        r = w.Response(Peer(self).conn)
        r.start_response("500 Oops", [("X-A", "1")])
        r.start_response("201 Created", [("X-B", "2")])
        self.assertEqual((r.status, r.headers), ("201 Created", [("X-B", "2")]))

    def test_peak_is_read_only_after_a_millisecond(self):
        reads = []
        orig = w._read_peak
        w._read_peak = lambda: reads.append(1) or w._peak[0] + 100
        self.addCleanup(setattr, w, "_read_peak", orig)
        r = w.Response(Peer(self).conn)
        self.assertEqual(r._finish(), w._FINISH)  # just started: not read
        self.assertEqual(reads, [])
        r.t0 -= 2 * w.PEAK_MIN_SECONDS
        self.assertEqual(w.HDR.unpack(r._finish())[3], 100)
        self.assertEqual(reads, [1])

    def test_header_name_must_be_a_token(self):
        r = w.Response(Peer(self).conn)
        for name in ("X Bad", "X:Y", "", "Caf\u00e9", "A\tB"):
            with self.assertRaises(ValueError, msg=name):
                r.start_response("200 OK", [(name, "v")])
        r.start_response("200 OK", [("X-Ok_1.2!", "v")])


class FileWrapperTest(unittest.TestCase):
    def test_from_position_to_limit(self):
        with tempfile.TemporaryFile() as f:
            f.write(b"0123456789abcdefghij")
            f.seek(10)
            fw = w.FileWrapper(f, 4)
            self.assertEqual(fw.remaining(), 10)
            fw.limit = 6
            self.assertEqual(b"".join(fw), b"abcdef")

    def test_remaining_of_a_non_file_is_unknown(self):
        self.assertIsNone(w.FileWrapper(io.BytesIO(b"abc")).remaining())


class LogTest(unittest.TestCase):
    def test_multi_line_message_is_one_line(self):
        old, sys.stderr = sys.stderr, io.StringIO()
        try:
            w.log("one\ntwo\n")
            w.log("single")
            out = sys.stderr.getvalue()
        finally:
            sys.stderr = old
        self.assertEqual(out, "\x1eone\x1ftwo\nsingle\n")


def appserver_test_busy_loop(stop):
    n = 0
    while not stop.is_set():
        n += 1
    return n


def appserver_test_idle_wait(stop):
    stop.wait()


class SamplerTest(unittest.TestCase):
    def worker(self):
        return w.Worker({"group": "g", "threads": 2, "processes": 1, "processes_set": False,
                         "maximum_requests": 0})

    def start(self, target, stop):
        t = threading.Thread(target=target, args=(stop,), daemon=True)
        t.start()
        self.addCleanup(t.join, 5)
        self.addCleanup(stop.set)
        return t

    def test_profile_folds_busy_request_threads_only(self):
        wk = self.worker()
        stop = threading.Event()
        busy = self.start(appserver_test_busy_loop, stop)
        idle = self.start(appserver_test_idle_wait, stop)
        wk.request_threads.update({busy.ident, idle.ident})
        wk.active[busy.ident] = ({"mod_wsgi.thread_id": 1}, 0)
        self.assertFalse([t for t in threading.enumerate() if t.name == "appserver-sampler"],
                         "a sampler runs before any profile was asked for")
        done = threading.Event()
        got = {}

        def reply(result):
            got.update(result)
            done.set()
        self.assertTrue(wk.profile(0.3, reply))
        self.assertFalse(wk.profile(0.3, reply), "a second profile started while one runs")
        self.assertTrue(done.wait(10), "no reply")
        self.assertGreaterEqual(got["samples"], 10)
        lines = got["folded"].splitlines()
        self.assertTrue(lines)
        total = 0
        for line in lines:
            stack, _, count = line.rpartition(" ")
            total += int(count)
            self.assertNotIn("Sampler", stack)
            self.assertNotIn("appserver_test_idle_wait", stack)
        self.assertTrue(any(";appserver_test_busy_loop (" in line and __file__ in line for line in lines),
                        got["folded"])
        self.assertGreaterEqual(total, got["samples"] // 2)
        self.assertTrue(wk.profile(0.01, lambda r: None), "the finished profile still counts as running")

    def test_folded_reply_is_bounded(self):
        counts = {"a;b": 5, "a;c": 50, "a;d": 1}
        self.assertEqual(w.fold_counts(counts), {"folded": "a;b 5\na;c 50\na;d 1\n", "dropped": 0})
        # Room for one line: the most sampled stack stays.
        self.assertEqual(w.fold_counts(counts, limit=8), {"folded": "a;c 50\n", "dropped": 6})

    def test_stacks_name_the_request(self):
        wk = self.worker()
        stop = threading.Event()
        busy = self.start(appserver_test_busy_loop, stop)
        wk.active[busy.ident] = ({"mod_wsgi.thread_id": 3, "REQUEST_METHOD": "GET",
                                  "REQUEST_URI": "/slow?x=1"}, 0)
        (t,) = wk.stacks()
        self.assertEqual((t["thread"], t["method"], t["uri"]), (3, "GET", "/slow?x=1"))
        self.assertIn("appserver_test_busy_loop", t["stack"])


if __name__ == "__main__":
    unittest.main()
