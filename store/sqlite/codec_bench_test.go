package sqlite

import (
	"bytes"
	"compress/flate"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/donorsync/donorsync/internal/sqlstore"
)

// flateCodec is the alternative to zstdCodec that BenchmarkBodyCodecs
// measures: the standard library's DEFLATE at a level, with the same
// dictionary. It reuses its writer and reader (one goroutine).
type flateCodec struct {
	dict []byte
	w    *flate.Writer
	r    io.ReadCloser
	out  bytes.Buffer
}

func newFlateCodec(level int) *flateCodec {
	dict, err := sqlstore.Dictionary(1)
	if err != nil {
		panic(err)
	}
	w, err := flate.NewWriterDict(nil, level, dict)
	if err != nil {
		panic(err)
	}
	return &flateCodec{dict: dict, w: w, r: flate.NewReaderDict(nil, dict)}
}

func (c *flateCodec) Encode(dst, body []byte) []byte {
	c.out.Reset()
	c.w.Reset(&c.out)
	c.w.Write(body)
	c.w.Close()
	return append(dst, c.out.Bytes()...)
}

func (c *flateCodec) Decode(dst, stored []byte) ([]byte, error) {
	if err := c.r.(flate.Resetter).Reset(bytes.NewReader(stored), c.dict); err != nil {
		return nil, err
	}
	out := bytes.NewBuffer(dst)
	_, err := out.ReadFrom(c.r)
	return out.Bytes(), err
}

// platformBodies returns the bodies in the platforms' testdata, by
// platform, leaving out those made to fail.
func platformBodies(tb testing.TB) map[string][][]byte {
	out := map[string][][]byte{}
	for _, p := range []string{"actblue", "anedot", "actionnetwork"} {
		paths, err := filepath.Glob("../../" + p + "/testdata/*.json")
		if err != nil || len(paths) == 0 {
			tb.Fatalf("no bodies of %s: %v", p, err)
		}
		for _, path := range paths {
			if name := filepath.Base(path); strings.HasPrefix(name, "bad_") || strings.HasPrefix(name, "future_") {
				continue
			}
			b, err := os.ReadFile(path)
			if err != nil {
				tb.Fatal(err)
			}
			out[p] = append(out[p], b)
		}
	}
	return out
}

// BenchmarkBodyCodecs measures the codecs considered for the journal's
// bodies, with the dictionary of encoding 1, on the bodies of each
// platform's testdata: the time to encode and to decode a body, and the
// stored bytes per byte received (stored/byte). zstd at its fastest was
// chosen: DEFLATE stores 15-25% less, but at levels 2-6 (level 1
// ignores a dictionary) each body costs it a reset of its tables and a
// pass over the dictionary, three to four times zstd's time.
func BenchmarkBodyCodecs(b *testing.B) {
	type codec struct {
		name   string
		encode func(dst, body []byte) []byte
		decode func(dst, stored []byte) ([]byte, error)
	}
	z := &zstdCodec{encoding: 1, writers: 1}
	codecs := []codec{{"zstd-fastest", z.Encode, func(dst, s []byte) ([]byte, error) { return z.Decode(dst, s, 1) }}}
	for _, level := range []int{2, 6} {
		f := newFlateCodec(level)
		codecs = append(codecs, codec{"flate-" + string(rune('0'+level)), f.Encode, f.Decode})
	}
	for platform, bodies := range platformBodies(b) {
		for _, c := range codecs {
			stored := make([][]byte, len(bodies))
			in, out := 0, 0
			for i, body := range bodies {
				stored[i] = c.encode(nil, body)
				if got, err := c.decode(nil, stored[i]); err != nil || !bytes.Equal(got, body) {
					b.Fatalf("%s: %s body %d does not read back: %v", c.name, platform, i, err)
				}
				in, out = in+len(body), out+len(stored[i])
			}
			b.Run(platform+"/"+c.name+"/encode", func(b *testing.B) {
				var dst []byte
				for i := 0; b.Loop(); i++ {
					dst = c.encode(dst[:0], bodies[i%len(bodies)])
				}
				b.ReportMetric(float64(out)/float64(in), "stored/byte")
				b.ReportMetric(float64(in)/float64(len(bodies)), "bytes/body")
			})
			b.Run(platform+"/"+c.name+"/decode", func(b *testing.B) {
				var dst []byte
				var err error
				for i := 0; b.Loop(); i++ {
					if dst, err = c.decode(dst[:0], stored[i%len(stored)]); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
