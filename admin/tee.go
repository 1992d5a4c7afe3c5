package admin

import (
	"context"
	"reflect"

	"github.com/donorsync/donorsync/observe"
)

// Tee returns an Observer that tells each of observers, in order: a
// Recent beside a metrics adapter, for example. Nil observers (a nil
// interface, or a nil pointer in one) are left out; Tee returns nil when
// none is left, and the observer itself when one is.
//
//	ingester.Observer = admin.Tee(ingester.Observer, recent)
func Tee(observers ...observe.Observer) observe.Observer {
	var kept tee
	for _, o := range observers {
		if o == nil {
			continue
		}
		if v := reflect.ValueOf(o); v.Kind() == reflect.Pointer && v.IsNil() {
			continue
		}
		kept = append(kept, o)
	}
	switch len(kept) {
	case 0:
		return nil
	case 1:
		return kept[0]
	}
	return kept
}

// tee tells each of its observers.
type tee []observe.Observer

func (t tee) Request(ctx context.Context, e observe.Request) {
	for _, o := range t {
		o.Request(ctx, e)
	}
}

func (t tee) Applied(ctx context.Context, e observe.Apply) {
	for _, o := range t {
		o.Applied(ctx, e)
	}
}
