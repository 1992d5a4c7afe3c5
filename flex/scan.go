package flex

import (
	"encoding/binary"
	"math/bits"
)

// The scanners below read one token each, in loops that keep the input
// and the offset in locals and write the offset back once, and check the
// budgets of a token once, from its length, rather than byte by byte.

// isSpace holds the white space of JSON.
var isSpace = [256]bool{' ': true, '\t': true, '\n': true, '\r': true}

// Classes of a byte inside a string token.
const (
	plainByte   = iota // printable ASCII other than '"' and '\\'
	quoteByte          // the closing quote
	escapeByte         // a backslash
	controlByte        // below 0x20: refused
	otherByte          // 0x7f and above: DEL or a byte of a multi-byte character
)

var byteClass = func() (t [256]uint8) {
	for c := range t {
		switch {
		case c == '"':
			t[c] = quoteByte
		case c == '\\':
			t[c] = escapeByte
		case c < 0x20:
			t[c] = controlByte
		case c >= 0x7f:
			t[c] = otherByte
		}
	}
	return t
}()

// strFlags say what a string token holds besides printable ASCII.
type strFlags uint8

const (
	strEscaped strFlags = 1 << iota // a backslash escape
	strOther                        // a byte of 0x7f or above
)

func (d *Decoder) skipSpace() {
	data, i := d.data, d.pos
	for i < len(data) && isSpace[data[i]] {
		i++
	}
	d.pos = i
}

// peek returns the next byte that is not white space, or 0 at the end.
func (d *Decoder) peek() byte {
	if d.pos < len(d.data) && d.data[d.pos] > ' ' {
		return d.data[d.pos]
	}
	d.skipSpace()
	if d.pos >= len(d.data) {
		return 0
	}
	return d.data[d.pos]
}

// scanString consumes a string token at d.pos and returns the length of
// its contents (between the quotes), within the String budget, and what
// they hold besides printable ASCII.
func (d *Decoder) scanString() (int, strFlags, error) {
	start := d.pos
	data := d.data
	end := len(data)
	if l := limit(d.Limits.String, defaultLimits.String); end-start-1 > l+1 {
		end = start + l + 2 // room for the contents and the closing quote
	}
	s := data[:end]
	var flags strFlags
	i := start + 1
	for i < len(s) {
		if i+8 <= len(s) {
			m := special8(binary.LittleEndian.Uint64(s[i:]))
			if m == 0 {
				i += 8
				continue
			}
			i += bits.TrailingZeros64(m) / 8 // to the first byte not plain
		}
		switch byteClass[s[i]] {
		case plainByte:
			i++
		case quoteByte:
			d.pos = i + 1
			return i - start - 1, flags, nil
		case escapeByte:
			flags |= strEscaped
			n, msg := escape(data, i)
			if msg != "" {
				d.pos = i
				return 0, 0, d.syntax(msg)
			}
			i += n
		case controlByte:
			d.pos = i
			return 0, 0, d.syntax("control character in a string")
		default:
			flags |= strOther
			i++
		}
	}
	d.pos = i
	return 0, 0, d.unclosed()
}

// unclosed returns the error for a string not closed at d.pos: over the
// String budget, or at the end of the input.
func (d *Decoder) unclosed() error {
	if d.pos < len(d.data) {
		return d.overLimit(limit(d.Limits.String, defaultLimits.String), "bytes in a string")
	}
	return d.syntax("unexpected end of input in a string")
}

// Words of eight bytes, each the byte given.
const (
	ones   = 0x0101010101010101
	highs  = 0x8080808080808080
	quotes = '"' * ones
	slashs = '\\' * ones
)

// special8 returns x, eight bytes of a string in the order read, with
// the high bit of its first byte that is not plainByte set, and no bit of
// the bytes before it set: 0 when all eight are plain. Bytes after the
// first may be marked or not.
func special8(x uint64) uint64 {
	control := x - 0x20*ones // borrows into the high bit of bytes below 0x20
	other := x + ones        // carries into the high bit of 0x7f
	return (control | other | x | zeroByte(x^quotes) | zeroByte(x^slashs)) & highs
}

// zeroByte sets the high bit of the first zero byte of x (and maybe of
// bytes after it).
func zeroByte(x uint64) uint64 { return (x - ones) &^ x }

// escape checks the escape at data[i], a backslash, and returns its
// length, or why it is invalid.
func escape(data []byte, i int) (int, string) {
	if i+1 >= len(data) {
		return 0, "unexpected end of input in a string"
	}
	switch data[i+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return 2, ""
	case 'u':
		if i+6 > len(data) || !isHex4(data[i+2:i+6]) {
			return 0, "invalid \\u escape in a string"
		}
		return 6, ""
	}
	return 0, "invalid escape in a string"
}

func isHex4(b []byte) bool {
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// maxNonDigits is the most bytes of a number token that are not digits:
// a sign, a point, an 'e' and the exponent's sign.
const maxNonDigits = 4

// scanNumber consumes a number token with the JSON grammar, within the
// Digits budget (which counts the digits of its fraction and exponent
// too). The token is scanned no further than the budget allows: past
// maxNonDigits more bytes it has too many digits.
func (d *Decoder) scanNumber() error {
	budget := limit(d.Limits.Digits, defaultLimits.Digits)
	start := d.pos
	end := min(len(d.data), start+budget+maxNonDigits+1)
	i, msg := number(d.data[:end], start)
	if i == end && end-start > budget+maxNonDigits {
		return d.overLimit(budget, "digits")
	}
	if msg != "" {
		d.pos = i
		return d.syntax(msg)
	}
	if i-start > budget && countDigits(d.data[start:i]) > budget {
		return d.overLimit(budget, "digits")
	}
	d.pos = i
	return nil
}

// number scans the number token at data[i] and returns where it ends, or
// where and why it is invalid.
func number(data []byte, i int) (int, string) {
	if i < len(data) && data[i] == '-' {
		i++
	}
	switch {
	case i < len(data) && data[i] == '0':
		i++
	case i < len(data) && isDigit(data[i]):
		i = digits(data, i)
	default:
		return i, "invalid number"
	}
	if i < len(data) && data[i] == '.' {
		if i++; i >= len(data) || !isDigit(data[i]) {
			return i, "invalid number: digits expected after '.'"
		}
		i = digits(data, i)
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		if i >= len(data) || !isDigit(data[i]) {
			return i, "invalid number: digits expected in the exponent"
		}
		i = digits(data, i)
	}
	return i, ""
}

// digits returns the end of the run of digits at data[i].
func digits(data []byte, i int) int {
	for i < len(data) && isDigit(data[i]) {
		i++
	}
	return i
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
