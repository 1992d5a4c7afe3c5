package main

import (
	"math"
	"unicode"
	"unicode/utf8"
)

// minStrength is the strength in bits a secret given in the environment
// must have, as much as 128 random bits: what a platform's forger or a
// reader of the API would have to guess.
const minStrength = 128

// strength estimates the bits of a secret as its length times log2 of the
// size of the alphabet made of the character classes it uses: 26 for
// lower-case letters, 26 for upper-case letters, 10 for digits and 33 for
// anything else (the ASCII symbols and space). It is an upper bound, true
// for a secret drawn at random from that alphabet: 22 random letters and
// digits of both cases (131 bits) pass, "password1" (47 bits) does not.
// A secret of one repeated character has no strength. Every secret the
// server generates passes minStrength.
func strength(s string) float64 {
	var lower, upper, digit, other bool
	first, _ := utf8.DecodeRuneInString(s)
	repeated := true
	for _, r := range s {
		repeated = repeated && r == first
		switch {
		case r >= 'a' && r <= 'z':
			lower = true
		case r >= 'A' && r <= 'Z':
			upper = true
		case r >= '0' && r <= '9':
			digit = true
		case unicode.IsPrint(r):
			other = true
		}
	}
	alphabet := 0
	for _, c := range []struct {
		used bool
		size int
	}{{lower, 26}, {upper, 26}, {digit, 10}, {other, 33}} {
		if c.used {
			alphabet += c.size
		}
	}
	if alphabet < 2 || repeated {
		return 0
	}
	return float64(utf8.RuneCountInString(s)) * math.Log2(float64(alphabet))
}
