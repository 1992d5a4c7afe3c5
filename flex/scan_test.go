package flex

import (
	"encoding/binary"
	"testing"
)

// plain8 agrees with byteClass for every byte at every place of a word,
// among plain bytes and after a byte that borrows or carries.
func TestPlain8(t *testing.T) {
	t.Parallel()
	for _, fill := range []byte{'a', ' ', '~', 0x00, 0xff} {
		for c := range 256 {
			for at := range 8 {
				var b [8]byte
				for i := range b {
					b[i] = fill
				}
				b[at] = byte(c)
				want := true
				for _, x := range b {
					want = want && byteClass[x] == plainByte
				}
				if got := plain8(binary.LittleEndian.Uint64(b[:])); got != want {
					t.Fatalf("plain8(%q) = %v, want %v", b, got, want)
				}
			}
		}
	}
}
