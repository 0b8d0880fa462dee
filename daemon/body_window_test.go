package daemon

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http/httptest"
	"testing"
)

// TestSendBodyWindow checks how Go answers an R: one B frame without
// readWindow; with it, B frames up to the window in all, each but the last
// flagged bodyMore, and an E when the body ends inside a window.
func TestSendBodyWindow(t *testing.T) {
	type frame struct {
		typ   byte
		flags byte
		n     int
	}
	tests := []struct {
		name   string
		body   int
		reads  []uint32 // the R frames, in order
		window bool
		want   []frame
	}{
		{"one chunk per R", 200 << 10, []uint32{256 << 10}, false,
			[]frame{{frameBody, 0, maxChunk}}},
		{"window of four chunks", 300 << 10, []uint32{256 << 10}, true,
			[]frame{{frameBody, bodyMore, maxChunk}, {frameBody, bodyMore, maxChunk}, {frameBody, bodyMore, maxChunk}, {frameBody, 0, maxChunk}}},
		{"body ends inside the window", 100 << 10, []uint32{256 << 10, 256 << 10}, true,
			[]frame{{frameBody, bodyMore, maxChunk}, {frameBody, bodyMore, 36 << 10}, {frameEnd, 0, 0}, {frameEnd, 0, 0}}},
		{"window smaller than a chunk", 100 << 10, []uint32{1000}, true,
			[]frame{{frameBody, 0, 1000}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, b, err := unixPair(t)
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			defer b.Close()
			// iotest-style reader: at most one chunk per Read, nil error
			// with the last bytes, as a slow client's body gives them.
			body := io.NopCloser(&chunkReader{r: bytes.NewReader(make([]byte, tc.body))})
			r := httptest.NewRequest("POST", "/", body)
			x := call{g: &Group{spec: &Spec{}, log: discardLogger()}, c: &wconn{nc: a}, r: r}
			buf := make([]byte, frameHeaderLen+maxChunk)
			done := make(chan error, 1)
			go func() {
				for _, want := range tc.reads {
					if err := x.sendBody(buf, want, tc.window); err != nil {
						done <- err
						return
					}
				}
				done <- a.CloseWrite()
			}()
			var got []frame
			br := bufio.NewReader(b)
			var scratch [frameHeaderLen]byte
			for {
				h, err := readFrameHeader(br, &scratch)
				if err != nil {
					break
				}
				if _, err := br.Discard(int(h.length)); err != nil {
					t.Fatal(err)
				}
				got = append(got, frame{h.typ, h.flags, int(h.length)})
			}
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("frames %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("frame %d = %+v, want %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

type chunkReader struct{ r io.Reader }

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(p) > maxChunk {
		p = p[:maxChunk]
	}
	return c.r.Read(p)
}

func unixPair(t *testing.T) (*net.UnixConn, *net.UnixConn, error) {
	dir := t.TempDir()
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: dir + "/s", Net: "unix"})
	if err != nil {
		return nil, nil, err
	}
	defer ln.Close()
	ch := make(chan *net.UnixConn, 1)
	go func() {
		c, _ := ln.AcceptUnix()
		ch <- c
	}()
	a, err := net.DialUnix("unix", nil, ln.Addr().(*net.UnixAddr))
	if err != nil {
		return nil, nil, err
	}
	return a, <-ch, nil
}
