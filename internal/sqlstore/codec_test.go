package sqlstore

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

// The dictionary of encoding 1 never changes: bodies stored with it must
// read. A better one is a new encoding.
func TestDictionaryUnchanged(t *testing.T) {
	d, err := Dictionary(1)
	if err != nil {
		t.Fatal(err)
	}
	const want = "1dee44a99c8d462a128bbd797a53a1c3ddd4306a235aa2f5125264b1c08f490d"
	if sum := sha256.Sum256(d); hex.EncodeToString(sum[:]) != want {
		t.Errorf("dictionary 1 changed: SHA-256 %x, want %s", sum, want)
	}
	if _, err := Dictionary(2); err == nil {
		t.Error("a dictionary of encoding 2, which has none")
	}
}

// A body is stored in a codec's encoding only when that is shorter, and
// read back as stored; one of an encoding without a codec does not read.
func TestEncodeBody(t *testing.T) {
	c := halves{}
	if b, enc := encodeBody(c, []byte("abcdef")); string(b) != "abc!" || enc != 7 {
		t.Errorf("encoded %q in %d, want abc! in 7", b, enc)
	}
	if b, enc := encodeBody(c, []byte("ab")); string(b) != "ab" || enc != 0 {
		t.Errorf("encoded %q in %d, want ab as received (0)", b, enc)
	}
	if b, enc := encodeBody(nil, []byte("abcdef")); string(b) != "abcdef" || enc != 0 {
		t.Errorf("without a codec: %q in %d", b, enc)
	}
	if b, err := decodeBody(c, []byte("abc!"), 7); err != nil || string(b) != "abcabc" {
		t.Errorf("decoded %q, %v", b, err)
	}
	if b, err := decodeBody(nil, []byte("abc"), 0); err != nil || string(b) != "abc" {
		t.Errorf("encoding 0 read %q, %v", b, err)
	}
	if _, err := decodeBody(nil, []byte("abc"), 7); err == nil {
		t.Error("encoding 7 read without a codec")
	}
}

// halves is a Codec of encoding 7 that keeps the first half of a body,
// then "!", and reads it back twice.
type halves struct{}

func (halves) Encoding() int                  { return 7 }
func (halves) Encode(dst, body []byte) []byte { return append(append(dst, body[:len(body)/2]...), '!') }
func (halves) Decode(dst, stored []byte, _ int) ([]byte, error) {
	half := stored[:len(stored)-1]
	return append(append(dst, half...), half...), nil
}
