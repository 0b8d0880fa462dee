package http1

import (
	"bufio"
	"errors"
	"io"
	"net/http"
	"time"
)

// body is a request body read from the connection. Each Read sets the
// connection's read deadline to Timeout, so a stalled client makes it
// fail with os.ErrDeadlineExceeded.
type body struct {
	c         *conn
	chunked   bool
	left      int64 // CL bytes left, or bytes left in the current chunk
	inChunk   bool
	done      bool
	err       error  // sticky error
	continue_ func() // sends 100 Continue at the first Read
	trailer   http.Header
	ctx       *requestContext // watches the connection once the body is read
}

func (b *body) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.done {
		return 0, io.EOF
	}
	if b.continue_ != nil {
		f := b.continue_
		b.continue_ = nil
		f()
	}
	b.c.armRead()
	var n int
	var err error
	if b.chunked {
		n, err = b.readChunked(p)
	} else {
		n, err = b.readFixed(p)
	}
	if err != nil && err != io.EOF {
		b.err = err
	}
	if err == io.EOF && b.ctx != nil && b.c.br.Buffered() == 0 {
		b.ctx.bodyRead()
	}
	return n, err
}

func (b *body) readFixed(p []byte) (int, error) {
	if b.left <= 0 {
		b.done = true
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.c.br.Read(p)
	b.left -= int64(n)
	if b.left == 0 {
		b.done = true
		return n, io.EOF
	}
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

func (b *body) readChunked(p []byte) (int, error) {
	br := b.c.br
	if !b.inChunk {
		size, err := readChunkSize(br, b.c.lineBuf[:0])
		if err != nil {
			return 0, err
		}
		if size == 0 {
			if err := b.readTrailer(); err != nil {
				return 0, err
			}
			b.done = true
			return 0, io.EOF
		}
		b.left, b.inChunk = size, true
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := br.Read(p)
	b.left -= int64(n)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		return n, err
	}
	if b.left == 0 {
		b.inChunk = false
		c1, e1 := br.ReadByte()
		if e1 != nil {
			return n, noEOF(e1)
		}
		c2, e2 := br.ReadByte()
		if e2 != nil {
			return n, noEOF(e2)
		}
		if c1 != '\r' || c2 != '\n' {
			return n, bad("missing CRLF after chunk data")
		}
	}
	return n, nil
}

func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// maxChunkLine bounds a chunk-size line with its extensions.
const maxChunkLine = 8192

// readChunkSize parses "HEX[ BWS][;ext]CRLF".
func readChunkSize(br *bufio.Reader, buf []byte) (int64, error) {
	line, err := readLine(br, buf, maxChunkLine)
	switch err {
	case nil:
	case errLineTooLong:
		return 0, &statusError{http.StatusRequestEntityTooLarge, "chunk extension too long"}
	case errBareLF, errBareCR:
		return 0, bad("chunk-size line: " + err.Error())
	default:
		return 0, noEOF(err)
	}
	var size int64
	i := 0
	for ; i < len(line); i++ {
		c := line[i]
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			goto end
		}
		if size > (1<<63-1)>>4 {
			return 0, &statusError{http.StatusRequestEntityTooLarge, "chunk size overflows"}
		}
		size = size<<4 | int64(d)
	}
end:
	if i == 0 {
		return 0, bad("bad chunk size")
	}
	rest := line[i:]
	for len(rest) > 0 && (rest[0] == ' ' || rest[0] == '\t') {
		rest = rest[1:]
	}
	if len(rest) > 0 {
		if rest[0] != ';' {
			return 0, bad("bad chunk size")
		}
		for _, c := range rest {
			if c < ' ' && c != '\t' || c == 0x7f {
				return 0, bad("control character in chunk extension")
			}
		}
	}
	return size, nil
}

// readTrailer reads the trailer section; Apache answers 500 when it is
// malformed or over the limits.
func (b *body) readTrailer() error {
	h := http.Header{}
	_, err := readFields(b.c.br, b.c.lineBuf[:0], b.c.s.fieldSize(), b.c.s.maxFields(), h)
	if err != nil {
		var se *statusError
		if errors.As(err, &se) {
			return &statusError{http.StatusInternalServerError, "bad trailer: " + se.msg}
		}
		return noEOF(err)
	}
	b.trailer = h
	return nil
}

// Close is called by net/http-style code; the server drains after the
// handler returns, so it does nothing.
func (b *body) Close() error { return nil }

// drain discards what is left of the body, up to max bytes within the
// Timeout of each read; it reports whether the body ended cleanly.
func (b *body) drain(max int64) bool {
	if b.continue_ != nil {
		return false // 100 Continue never sent: the client may hold the body back
	}
	if b.err != nil {
		return false
	}
	if b.done {
		return true
	}
	if !b.chunked && b.left > max {
		return false
	}
	var buf [4096]byte
	var total int64
	deadline := time.Now().Add(b.c.s.timeout())
	for total <= max {
		if time.Now().After(deadline) {
			return false
		}
		n, err := b.Read(buf[:])
		total += int64(n)
		if err == io.EOF {
			return true
		}
		if err != nil {
			return false
		}
	}
	return false
}
