package loadgen

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"
)

// A Doer sends a request and returns its response; *http.Client is one.
type Doer interface {
	Do(r *http.Request) (*http.Response, error)
}

// Conns is a Doer for plain HTTP/1.1 load on up to n persistent
// connections, each carrying one request at a time. A request is written
// with Request.Write and its response read with http.ReadResponse on the
// sender's goroutine: an http.Transport hands each request to two
// goroutines of its connection and back, and with the load generator on
// the same cores as the receiver, that work is taken from the receiver.
// A response's body must be closed, as with http.Client, for its
// connection to carry the next request.
type Conns struct {
	idle  chan *wire
	slots chan struct{} // one for each open connection
	dial  net.Dialer
}

type wire struct {
	c  net.Conn
	br *bufio.Reader
	bw *bufio.Writer
}

// NewConns returns a Conns of at most n connections.
func NewConns(n int) *Conns {
	n = max(n, 1)
	return &Conns{idle: make(chan *wire, n), slots: make(chan struct{}, n), dial: net.Dialer{Timeout: 10 * time.Second}}
}

// Do sends r, an "http" request, on an idle connection or a new one.
// Cancelling r's context closes the connection it is on.
func (p *Conns) Do(r *http.Request) (*http.Response, error) {
	if r.URL.Scheme != "http" {
		return nil, fmt.Errorf("loadgen: %s: Conns sends plain http only; send https with an http.Client", r.URL)
	}
	w, err := p.get(r.Context(), address(r.URL))
	if err != nil {
		return nil, ctxErr(r.Context(), err)
	}
	stop := context.AfterFunc(r.Context(), func() { w.c.SetDeadline(time.Unix(1, 0)) })
	err = r.Write(w.bw)
	if err == nil {
		err = w.bw.Flush()
	}
	var resp *http.Response
	if err == nil {
		resp, err = http.ReadResponse(w.br, r)
	}
	if err != nil {
		stop()
		p.drop(w)
		return nil, ctxErr(r.Context(), err)
	}
	resp.Body = &body{ReadCloser: resp.Body, p: p, w: w, stop: stop, last: resp.Close}
	return resp, nil
}

// address is the host and port to dial for u, port 80 when u names none.
func address(u *url.URL) string {
	if u.Port() == "" {
		return net.JoinHostPort(u.Hostname(), "80")
	}
	return u.Host
}

// ctxErr returns the error of ctx when it is done or past its deadline
// (a dial or read cut short by the deadline can fail a moment before
// ctx's own timer fires), and err otherwise.
func ctxErr(ctx context.Context, err error) error {
	if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) {
		return context.DeadlineExceeded
	}
	if e := ctx.Err(); e != nil {
		return e
	}
	return err
}

// get returns an idle connection if there is one, else a new one while
// fewer than n are open, else the first given back.
func (p *Conns) get(ctx context.Context, host string) (*wire, error) {
	select {
	case w := <-p.idle:
		return w, nil
	default:
	}
	select {
	case w := <-p.idle:
		return w, nil
	case p.slots <- struct{}{}:
		c, err := p.dial.DialContext(ctx, "tcp", host)
		if err != nil {
			<-p.slots
			return nil, err
		}
		return &wire{c: c, br: bufio.NewReader(c), bw: bufio.NewWriterSize(c, 8<<10)}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// drop closes w and frees its slot.
func (p *Conns) drop(w *wire) {
	w.c.Close()
	<-p.slots
}

// CloseIdle closes the connections not carrying a request.
func (p *Conns) CloseIdle() {
	for {
		select {
		case w := <-p.idle:
			p.drop(w)
		default:
			return
		}
	}
}

// body gives its connection back once read and closed.
type body struct {
	io.ReadCloser
	p    *Conns
	w    *wire
	stop func() bool
	last bool // the server closes the connection after this response
	done bool
}

func (b *body) Close() error {
	if b.done {
		return nil
	}
	b.done = true
	_, err := io.Copy(io.Discard, b.ReadCloser)
	b.ReadCloser.Close()
	if !b.stop() || b.last || err != nil {
		// Cancelled meanwhile, closed by the server, or cut short.
		b.p.drop(b.w)
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		return nil
	}
	b.p.idle <- b.w
	return nil
}
