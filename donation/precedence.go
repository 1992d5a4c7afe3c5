package donation

import (
	"time"

	"github.com/shopspring/decimal"
)

// precedence is how an observation being merged stands against what is
// known: positive when it is newer, negative when it is older, zero when
// both were true at the same time. A known value is replaced by another
// known value from a newer observation, or from one of the same time when
// it is the greater: the result of merges never depends on their order.
type precedence int

func precede(in, cur time.Time) precedence { return precedence(in.Compare(cur)) }

// wins reports whether a known value beats the current known one, greater
// telling whether it is the greater of the two.
func (p precedence) wins(greater bool) bool { return p > 0 || p == 0 && greater }

func (p precedence) text(dst *string, v string) {
	if v != "" && (*dst == "" || p.wins(v > *dst)) {
		*dst = v
	}
}

// amount merges an amount that zero leaves unknown.
func (p precedence) amount(dst *decimal.Decimal, v decimal.Decimal) {
	if !v.IsZero() && (dst.IsZero() || p.wins(v.GreaterThan(*dst))) {
		*dst = v
	}
}

func (p precedence) nullAmount(dst *decimal.NullDecimal, v decimal.NullDecimal) {
	if v.Valid && (!dst.Valid || p.wins(v.Decimal.GreaterThan(dst.Decimal))) {
		*dst = v
	}
}

func (p precedence) time(dst *time.Time, v time.Time) {
	if !v.IsZero() && (dst.IsZero() || p.wins(v.After(*dst))) {
		*dst = v
	}
}

func (p precedence) texts(dst, src map[string]string) map[string]string {
	for k, v := range src {
		if v == "" {
			continue
		}
		if dst == nil {
			dst = make(map[string]string, len(src))
		}
		cur := dst[k]
		p.text(&cur, v)
		dst[k] = cur
	}
	return dst
}
