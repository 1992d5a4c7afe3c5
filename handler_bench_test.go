package donorsync_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/donorsync/donorsync"
	"github.com/donorsync/donorsync/memstore"
)

// BenchmarkHandler measures the ack path of deliveries of 2 KB with a
// declared length, sent in parallel, through the Handler into memstore:
// authentication, reading the body, journaling (and applying, inline).
func BenchmarkHandler(b *testing.B) {
	pad := bytes.Repeat([]byte("x"), 2048)
	for _, queued := range []bool{true, false} {
		b.Run(map[bool]string{true: "queued", false: "inline"}[queued], func(b *testing.B) {
			h := &donorsync.Handler{Source: giftSource(), Queued: queued, Logger: quiet,
				Ingester: &donorsync.Ingester{Store: memstore.New(), Logger: quiet}}
			var n atomic.Int64
			b.SetBytes(int64(len(pad)))
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					body := append(strconv.AppendInt(nil, n.Add(1), 10), pad...)
					r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
					r.Header.Set("X-Token", "secret")
					w := httptest.NewRecorder()
					h.ServeHTTP(w, r)
					if w.Code != http.StatusOK {
						panic(fmt.Sprintf("answer %d %s", w.Code, w.Body))
					}
				}
			})
		})
	}
}
