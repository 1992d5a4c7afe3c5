package donorsync

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

func TestReadBody(t *testing.T) {
	t.Parallel()
	body := bytes.Repeat([]byte("0123456789"), 230)
	errBroken := errors.New("broken")
	for _, tc := range []struct {
		name    string
		r       io.Reader
		size    int64
		want    []byte
		wantErr error
	}{
		{"declared", bytes.NewReader(body), int64(len(body)), body, nil},
		{"undeclared", bytes.NewReader(body), -1, body, nil},
		{"declared short", bytes.NewReader(body), 100, body, nil},
		{"declared long", bytes.NewReader(body), 10000, body, nil},
		{"empty", bytes.NewReader(nil), 0, []byte{}, nil},
		{"one byte a read", iotest.OneByteReader(bytes.NewReader(body)), int64(len(body)), body, nil},
		{"data with the end", iotest.DataErrReader(bytes.NewReader(body)), -1, body, nil},
		{"broken", io.MultiReader(bytes.NewReader(body[:100]), iotest.ErrReader(errBroken)), int64(len(body)), body[:100], errBroken},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readBody(tc.r, tc.size)
			if !bytes.Equal(got, tc.want) || !errors.Is(err, tc.wantErr) {
				t.Errorf("readBody = %d bytes, %v; want %d bytes, %v", len(got), err, len(tc.want), tc.wantErr)
			}
		})
	}
}

func TestReadBodyOfDeclaredLengthAllocatesOnce(t *testing.T) {
	body := bytes.Repeat([]byte("0123456789"), 230)
	r := bytes.NewReader(body)
	allocs := testing.AllocsPerRun(100, func() {
		r.Reset(body)
		if b, err := readBody(r, int64(len(body))); err != nil || len(b) != len(body) {
			t.Fatalf("readBody = %d bytes, %v", len(b), err)
		}
	})
	if allocs != 1 {
		t.Errorf("reading a body of declared length: %v allocations, want 1", allocs)
	}
}
