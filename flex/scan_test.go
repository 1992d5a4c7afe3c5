package flex

import (
	"encoding/binary"
	"math/bits"
	"testing"
)

// special8 finds the first byte that byteClass does not call plain, for
// every byte at every place of a word, among plain bytes and after bytes
// that borrow or carry.
func TestSpecial8(t *testing.T) {
	t.Parallel()
	for _, fill := range []byte{'a', ' ', '~', 0x00, 0xff} {
		for c := range 256 {
			for at := range 8 {
				var b [8]byte
				for i := range b {
					b[i] = fill
				}
				b[at] = byte(c)
				want := 8
				for i, x := range b {
					if byteClass[x] != plainByte {
						want = i
						break
					}
				}
				if got := bits.TrailingZeros64(special8(binary.LittleEndian.Uint64(b[:]))) / 8; got != want {
					t.Fatalf("special8(%q): first byte not plain at %d, want %d", b, got, want)
				}
			}
		}
	}
}
