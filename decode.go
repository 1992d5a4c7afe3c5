package donorsync

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"unicode/utf8"

	"github.com/donorsync/donorsync/dedup"
)

// maxKeyBytes bounds an idempotency key as journaled. A Source's key that
// is longer, or is not valid UTF-8 without NUL bytes, is journaled as its
// digest (keyDigest), so that every key fits the journal's unique index
// on every Store (PostgreSQL refuses index entries over about 2,700 bytes,
// and text with NUL bytes or invalid UTF-8).
const maxKeyBytes = 256

// key returns the idempotency key to journal d under, given what its
// Source decoded: the Source's key, as it is when it fits maxKeyBytes and
// is valid UTF-8 without NUL bytes, and as its digest otherwise; the
// SHA-256 of the body when the Source gave none or could not decode d.
func key(d *Delivery, dec Decoded, err error) string {
	switch {
	case dec.Key == "" || err != nil:
		return dedup.BodyKey(d.Body)
	case len(dec.Key) > maxKeyBytes || !utf8.ValidString(dec.Key) || strings.IndexByte(dec.Key, 0) >= 0:
		return keyDigest(dec.Key)
	}
	return dec.Key
}

// keyDigest returns the digest a key too long or too odd to journal is
// journaled as: "sha256:" and the hex SHA-256 of the key, 71 bytes. The
// same key always gives the same digest, so idempotency holds.
func keyDigest(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// decode decodes d with src. A panic in the decoder is recovered, logged
// once with its stack at Error level, and returned as a *DecodeError
// (matching ErrInvalid): decoding quarantines a delivery or succeeds, and
// never fails it in a way a retry could change.
func decode(logger *slog.Logger, src Source, d *Delivery) (dec Decoded, err error) {
	defer func() {
		p := recover()
		if p == nil {
			return
		}
		perr := &decoderPanic{value: shorten(fmt.Sprint(p), maxPanicBytes)}
		logger.LogAttrs(context.Background(), slog.LevelError, "donorsync: decoder panicked",
			slog.Any("delivery", d), slog.String("provider", src.Provider()), slog.String("stack", string(debug.Stack())))
		dec, err = Decoded{}, &DecodeError{Provider: src.Provider(), Err: perr}
	}()
	return src.Decode(d)
}

// maxPanicBytes bounds the panic value kept in a delivery's error.
const maxPanicBytes = 200

// A decoderPanic is a panic recovered from a Source's decoder.
type decoderPanic struct {
	value string // the panic value, shortened
}

func (e *decoderPanic) Error() string { return "decoder panicked: " + e.value }

// LogValue implements slog.LogValuer: the panic value may quote the
// payload, so logs carry only that the decoder panicked.
func (e *decoderPanic) LogValue() slog.Value { return slog.StringValue("decoder panicked") }

// shorten returns s cut to at most n bytes, on a rune boundary, marked
// with "..." when cut.
func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}
