package sqlstore

import (
	"fmt"
	"strings"
	"sync"
)

// A names puts a prefix before the names of a store's tables and indexes
// in SQL text, so that several stores, and the application's own tables,
// share one database. It rewrites every bare word of the text that is
// one of the names, in any case; string literals, quoted identifiers,
// comments and parameters are left alone. The names must therefore not
// be used for anything else, a column or an alias, in the store's SQL.
type names struct {
	prefix string
	set    map[string]bool // lower case

	mu   sync.RWMutex
	done map[string]string // texts rewritten, up to maxNamed
}

// maxNamed bounds the texts a names keeps rewritten: the store's
// statements are a few hundred texts (each kind in a few sizes of
// chunks); past the bound, texts are rewritten each time.
const maxNamed = 4096

// newNames returns a names that puts prefix before each of list.
func newNames(prefix string, list []string) *names {
	n := &names{prefix: prefix, set: make(map[string]bool, len(list)), done: map[string]string{}}
	for _, name := range list {
		n.set[strings.ToLower(name)] = true
	}
	return n
}

// validPrefix reports why prefix cannot start the names of tables, if it
// cannot: it must be a bare identifier of ASCII letters, digits and
// underscores, not starting with a digit, and not SQLite's own prefix.
func validPrefix(prefix string) error {
	for i := 0; i < len(prefix); i++ {
		c := prefix[i]
		if !isLetter(c) && (i == 0 || !isDigit(c)) {
			return fmt.Errorf("table prefix %q: want ASCII letters, digits and underscores, not starting with a digit", prefix)
		}
	}
	if strings.HasPrefix(strings.ToLower(prefix), "sqlite_") {
		return fmt.Errorf("table prefix %q: names starting with sqlite_ are SQLite's", prefix)
	}
	return nil
}

// apply returns query with the prefix before each of the names.
func (n *names) apply(query string) string {
	n.mu.RLock()
	done, ok := n.done[query]
	n.mu.RUnlock()
	if ok {
		return done
	}
	done = n.rewrite(query)
	n.mu.Lock()
	if len(n.done) < maxNamed {
		n.done[query] = done
	}
	n.mu.Unlock()
	return done
}

// rewrite returns query with the prefix before each of the names.
func (n *names) rewrite(query string) string {
	var b strings.Builder
	last := 0 // query[:last] is written to b
	words(query, func(i, j int) {
		if !n.has(query[i:j]) {
			return
		}
		if b.Cap() == 0 {
			b.Grow(len(query) + 8*len(n.prefix))
		}
		b.WriteString(query[last:i])
		b.WriteString(n.prefix)
		last = i
	})
	if b.Cap() == 0 {
		return query
	}
	b.WriteString(query[last:])
	return b.String()
}

// has reports whether word is one of the names, in any case.
func (n *names) has(word string) bool {
	if n.set[word] {
		return true
	}
	var buf [64]byte
	if len(word) > len(buf) {
		return n.set[strings.ToLower(word)]
	}
	lower := buf[:len(word)]
	changed := false
	for i := 0; i < len(word); i++ {
		c := word[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
			changed = true
		}
		lower[i] = c
	}
	return changed && n.set[string(lower)]
}

// words calls fn with the bounds of each bare word of query, an
// identifier or a keyword, in order. It skips string literals,
// identifiers in double quotes, backquotes or brackets, comments,
// parameters (?1, :name, @name, $name) and numbers.
func words(query string, fn func(i, j int)) {
	for i := 0; i < len(query); {
		c := query[i]
		switch {
		case c == '\'' || c == '"' || c == '`':
			i = closing(query, i+1, c)
		case c == '[':
			i = closing(query, i+1, ']')
		case c == '-' && strings.HasPrefix(query[i:], "--"):
			i = endOf(query, i, "\n")
		case c == '/' && strings.HasPrefix(query[i:], "/*"):
			i = endOf(query, i+2, "*/")
		case c == '?' || c == ':' || c == '@' || c == '$' || isDigit(c):
			i = wordEnd(query, i+1)
		case isLetter(c) || c >= 0x80:
			j := wordEnd(query, i+1)
			fn(i, j)
			i = j
		default:
			i++
		}
	}
}

// closing returns the index after the quote q that closes the quoted
// text starting at i, a doubled quote standing for itself.
func closing(query string, i int, q byte) int {
	for i < len(query) {
		if query[i] != q {
			i++
			continue
		}
		if i+1 < len(query) && query[i+1] == q && q != ']' {
			i += 2
			continue
		}
		return i + 1
	}
	return len(query)
}

// endOf returns the index after the first end at or after i, or the end
// of query.
func endOf(query string, i int, end string) int {
	k := strings.Index(query[i:], end)
	if k < 0 {
		return len(query)
	}
	return i + k + len(end)
}

// wordEnd returns the index after the word characters starting at i.
func wordEnd(query string, i int) int {
	for i < len(query) && (isLetter(query[i]) || isDigit(query[i]) || query[i] == '$' || query[i] >= 0x80) {
		i++
	}
	return i
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' }

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// created returns the names ddl gives to what it creates: each table,
// index, view and trigger of a CREATE, and each new name of an ALTER
// TABLE ... RENAME TO.
func created(ddl string) []string {
	var ws []string
	words(ddl, func(i, j int) { ws = append(ws, strings.ToLower(ddl[i:j])) })
	at := func(k int) string {
		if k < len(ws) {
			return ws[k]
		}
		return ""
	}
	var out []string
	for i, w := range ws {
		switch {
		case w == "create":
			k := i + 1
			for at(k) == "temp" || at(k) == "temporary" || at(k) == "unique" || at(k) == "virtual" {
				k++
			}
			switch at(k) {
			case "table", "index", "view", "trigger":
			default:
				continue
			}
			k++
			if at(k) == "if" && at(k+1) == "not" && at(k+2) == "exists" {
				k += 3
			}
			if at(k) != "" {
				out = append(out, at(k))
			}
		case w == "rename" && at(i+1) == "to" && at(i+2) != "":
			out = append(out, at(i+2))
		}
	}
	return out
}
