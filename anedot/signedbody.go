package anedot

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"hash"
	"io"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/internal/credset"
)

// The failures to authenticate a delivery, by cause: the answer is the
// same for each; only an Observer tells them apart.
var (
	errNoSignature    = fmt.Errorf("anedot: signature: %w", donorsync.ErrMalformedCredential)
	errUnknownTenant  = fmt.Errorf("anedot: signature: %w", donorsync.ErrUnknownTenant)
	errWrongSignature = fmt.Errorf("anedot: signature: %w", donorsync.ErrWrongCredential)
)

// A signedBody reads a delivery's body and checks its signature as the
// bytes go by: each chunk read is written to the HMAC of each secret, and
// at the end the signature is compared with each, in constant time.
type signedBody struct {
	r       io.Reader
	sig     [sha256.Size]byte // the signature sent
	okSig   int               // 1 when the header held a well-formed signature
	known   bool              // the tenant has secrets
	secrets []credset.Live[*secret]
	macs    []hash.Hash       // one per secret
	err     error             // what the end of the body returned
	want    [sha256.Size]byte // each secret's HMAC in turn: here, not on the stack, which a hash would make escape

	// Room for the usual one or two secrets without another allocation.
	secretBuf [2]credset.Live[*secret]
	macBuf    [2]hash.Hash
}

// Read implements io.Reader. At the end of the body it returns io.EOF
// when a live secret signed it, and an error wrapping
// donorsync.ErrUnauthorized otherwise.
func (b *signedBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	n, err := b.r.Read(p)
	for _, h := range b.macs {
		h.Write(p[:n])
	}
	if err == io.EOF {
		err = b.verify()
		b.err = err
	}
	return n, err
}

// verify compares the signature with the HMAC of every secret, and
// returns the hashes to their pools.
func (b *signedBody) verify() error {
	match := 0
	for i, h := range b.macs {
		h.Sum(b.want[:0])
		match |= subtle.ConstantTimeCompare(b.sig[:], b.want[:]) & b.secrets[i].Live
		b.secrets[i].Cred.pool.Put(h)
		b.macs[i] = nil
	}
	b.macs = nil
	switch {
	case b.okSig != 1:
		return errNoSignature
	case !b.known:
		return errUnknownTenant
	case match != 1:
		return errWrongSignature
	}
	return io.EOF
}
