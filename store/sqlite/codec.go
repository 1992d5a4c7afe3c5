package sqlite

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/donorsync/donorsync/internal/sqlstore"
	"github.com/klauspost/compress/zstd"
)

// zstdCodec is a sqlstore.Codec of zstd at its fastest, with the
// dictionary of an encoding: a 2.3 KB ActBlue body is stored in about
// 600 bytes (see BenchmarkBodyCodecs for the choice). It makes its
// encoder and decoder when first used; they are safe for concurrent use.
type zstdCodec struct {
	encoding int
	writers  int // the encoders kept: the transactions that write at once

	once sync.Once
	enc  *zstd.Encoder
	dec  *zstd.Decoder
	err  error
}

var _ sqlstore.Codec = (*zstdCodec)(nil)

// maxBody bounds what one stored body decodes to: far over any body a
// Handler accepts (1 MiB by default), well under what would exhaust
// memory.
const maxBody = 64 << 20

func (c *zstdCodec) init() {
	dict, err := sqlstore.Dictionary(c.encoding)
	if err == nil {
		c.enc, err = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(c.writers),
			zstd.WithEncoderCRC(false), zstd.WithEncoderDictRaw(uint32(c.encoding), dict))
	}
	if err == nil {
		c.dec, err = zstd.NewReader(nil, zstd.WithDecoderConcurrency(runtime.GOMAXPROCS(0)),
			zstd.WithDecoderDictRaw(uint32(c.encoding), dict), zstd.WithDecoderMaxMemory(maxBody))
	}
	c.err = err
}

// Encoding implements sqlstore.Codec.
func (c *zstdCodec) Encoding() int { return c.encoding }

// Encode implements sqlstore.Codec. Were the codec unusable (its tests
// rule it out), it would return body as it is: no shorter, so stored as
// received.
func (c *zstdCodec) Encode(dst, body []byte) []byte {
	if c.once.Do(c.init); c.err != nil {
		return append(dst, body...)
	}
	return c.enc.EncodeAll(body, dst)
}

// Decode implements sqlstore.Codec.
func (c *zstdCodec) Decode(dst, stored []byte, encoding int) ([]byte, error) {
	if encoding != c.encoding {
		return nil, fmt.Errorf("sqlite: no codec of body encoding %d", encoding)
	}
	if c.once.Do(c.init); c.err != nil {
		return nil, fmt.Errorf("sqlite: body codec: %w", c.err)
	}
	return c.dec.DecodeAll(stored, dst)
}
