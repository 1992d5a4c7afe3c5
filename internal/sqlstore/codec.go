package sqlstore

import (
	_ "embed" // the dictionaries
	"fmt"
)

// A Codec compresses the journal's bodies. Each row of deliveries holds
// the encoding of its body (the column body_encoding): 0 for a body kept
// as received, otherwise a Codec's. A Codec writes one encoding and reads
// every one it ever wrote, so that rows written before a new encoding
// (a new dictionary, say) still read.
type Codec interface {
	// Encoding is the encoding Encode writes, from 1 to 127.
	Encoding() int
	// Encode appends body, encoded, to dst.
	Encode(dst, body []byte) []byte
	// Decode appends to dst the body that stored holds in encoding, or
	// reports an error for an encoding it does not read or a value that
	// does not decode.
	Decode(dst, stored []byte, encoding int) ([]byte, error)
}

// Dictionary1 is the dictionary of the bodies of encoding 1: the JSON of
// the platforms' payloads, with their keys in order and the values that
// recur (enumerations, sites, booleans, null), the others left empty and
// numbers 0. It was made once, from the fixtures in the providers'
// testdata, each made compact, least common first: Action Network's,
// Anedot's, then ActBlue's, ending with its contribution indented, as
// the last bytes are the cheapest to refer to. It never changes: bodies
// stored with it must read. A better dictionary is a new encoding.
//
//go:embed dictionary1.txt
var dictionary1 string

// Dictionary returns the dictionary of an encoding, or an error for one
// that has none.
func Dictionary(encoding int) ([]byte, error) {
	if encoding != 1 {
		return nil, fmt.Errorf("no dictionary of body encoding %d", encoding)
	}
	return []byte(dictionary1), nil
}

// encodeBody returns the body and encoding to store for body: c's, when
// it is shorter; otherwise body as received (0).
func encodeBody(c Codec, body []byte) ([]byte, int) {
	if c == nil || len(body) == 0 {
		return body, 0
	}
	enc := c.Encode(make([]byte, 0, len(body)/2), body)
	if len(enc) >= len(body) {
		return body, 0
	}
	return enc, c.Encoding()
}

// decodeBody returns the body stored holds in encoding.
func decodeBody(c Codec, stored []byte, encoding int) ([]byte, error) {
	switch {
	case encoding == 0:
		return stored, nil
	case c == nil:
		return nil, fmt.Errorf("body of encoding %d, and no codec", encoding)
	}
	body, err := c.Decode(make([]byte, 0, 4*len(stored)), stored, encoding)
	if err != nil {
		return nil, fmt.Errorf("body of encoding %d: %w", encoding, err)
	}
	return body, nil
}
