package ossx

import (
	"io"
	"os"
)

// A FileBody is a request body read from a file. A connection to an http://
// endpoint sends what is left of it with sendfile(2): the kernel copies the
// file's page-cache pages to the socket, where io.Copy would read every byte
// into memory and write it out again. Over TLS, or on systems without
// sendfile, it is read like any other body.
//
// The SDK must hand it to net/http as it is: it is an io.ReadCloser (the
// SDK wraps any other reader in io.NopCloser, which net/http does not
// unwrap once its transport has wrapped it again) and has a Len (the SDK's
// GetReaderLen: the Content-Length).
type FileBody interface {
	io.ReadCloser
	// Len is how many bytes of the body have not been read or sent yet.
	Len() int
	// SendFile sends the rest of the body by calling send with sections of
	// its file, and returns how many bytes were sent.
	SendFile(send func(f *os.File, off, n int64) (int64, error)) (int64, error)
}

// fileBodyOf returns the FileBody in r, net/http's *io.LimitedReader of the
// content length around the request body; nil when r is something else,
// or when the limit would end the body early (then it is copied, and the
// limit holds).
func fileBodyOf(r io.Reader) (*io.LimitedReader, FileBody) {
	lr, ok := r.(*io.LimitedReader)
	if !ok {
		return nil, nil
	}
	fb, ok := lr.R.(FileBody)
	if !ok || lr.N < int64(fb.Len()) {
		return nil, nil
	}
	return lr, fb
}

// copySection is sendFile through memory: for connections that are not
// sockets of this process (tests' net.Pipe), and where there is no
// sendfile(2).
func (c *deadlineConn) copySection(f *os.File, off, n int64) (int64, error) {
	bp := writeBufs.Get().(*[]byte)
	defer writeBufs.Put(bp)
	return io.CopyBuffer(struct{ io.Writer }{c}, io.NewSectionReader(f, off, n), *bp)
}
