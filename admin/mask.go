package admin

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// masked replaces a value that holds personal data.
const masked = "•••"

// personalKeys are parts of the names of the fields that hold personal
// data, lower case without punctuation: a JSON key or CSV column whose
// name contains one is masked, with everything under it.
var personalKeys = []string{
	"email", "phone", "mobile", "firstname", "lastname", "middlename", "givenname", "familyname",
	"fullname", "displayname", "nickname", "donorname", "addr", "street", "city", "locality", "zip",
	"postal", "employer", "occupation", "birth", "ssn", "card", "comment", "note", "latitude", "longitude",
}

// personal reports whether a field named name holds personal data. The
// donor columns of ActBlue's reports ("Donor First Name", "Donor City")
// are personal, all but the donor's id at ActBlue.
func personal(name string) bool {
	k := strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return unicode.ToLower(r)
		}
		return -1
	}, name)
	if k == "donorid" {
		return false
	}
	if strings.HasPrefix(k, "donor") {
		return true
	}
	for _, p := range personalKeys {
		if strings.Contains(k, p) {
			return true
		}
	}
	return false
}

// A maskedBody is a delivery's body as the pages show it.
type maskedBody struct {
	Text     string // the body, masked unless asked otherwise
	Masked   bool   // values were masked
	Withheld string // why the body is not shown masked; Text is then ""
}

// showBody returns body as it may be shown: with the values of personal
// fields masked, unless unmask. A report's row (kind "report:...") is
// CSV; any other body JSON. One that is neither cannot be masked, and is
// withheld unless unmask.
func showBody(kind string, body []byte, unmask bool) maskedBody {
	if unmask {
		if !utf8.Valid(body) {
			return maskedBody{Text: strings.ToValidUTF8(string(body), "\uFFFD")}
		}
		return maskedBody{Text: string(body)}
	}
	var text string
	var err error
	switch {
	case strings.HasPrefix(kind, "report:"):
		text, err = maskCSV(body)
	case looksJSON(body):
		text, err = maskJSON(body)
	default:
		err = errors.New("neither JSON nor a report's CSV")
	}
	if err != nil {
		return maskedBody{Withheld: "the body cannot be masked (" + err.Error() + "): it is shown only unmasked"}
	}
	return maskedBody{Text: text, Masked: true}
}

func looksJSON(b []byte) bool {
	b = bytes.TrimLeft(b, " \t\r\n")
	return len(b) > 0 && (b[0] == '{' || b[0] == '[')
}

// maskJSON rewrites a JSON body indented, in its order, duplicate keys
// kept, with every string and number under a personal key masked (true,
// false, null and empty strings are kept: they tell nothing).
func maskJSON(body []byte) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var w jsonWriter
	if err := w.value(dec, false, 0); err != nil {
		return "", errors.New("not valid JSON")
	}
	if _, err := dec.Token(); err != io.EOF {
		return "", errors.New("not valid JSON: more after the value")
	}
	return w.buf.String(), nil
}

// maxMaskDepth bounds the nesting maskJSON follows.
const maxMaskDepth = 100

// jsonWriter writes JSON tokens indented.
type jsonWriter struct{ buf bytes.Buffer }

// value copies one value from dec, masked when mask.
func (w *jsonWriter) value(dec *json.Decoder, mask bool, depth int) error {
	if depth > maxMaskDepth {
		return errors.New("too deep")
	}
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch t := tok.(type) {
	case json.Delim:
		if t == '{' {
			return w.object(dec, mask, depth)
		}
		return w.array(dec, mask, depth)
	case string:
		if mask && t != "" {
			t = masked
		}
		return w.scalar(t)
	case json.Number:
		if mask {
			return w.scalar(masked)
		}
		w.buf.WriteString(t.String())
		return nil
	}
	return w.scalar(tok) // bool or nil
}

func (w *jsonWriter) object(dec *json.Decoder, mask bool, depth int) error {
	w.buf.WriteByte('{')
	n := 0
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		w.comma(n, depth+1)
		n++
		if err := w.scalar(key); err != nil {
			return err
		}
		w.buf.WriteString(": ")
		if err := w.value(dec, mask || personal(key), depth+1); err != nil {
			return err
		}
	}
	return w.close(dec, '}', n, depth)
}

func (w *jsonWriter) array(dec *json.Decoder, mask bool, depth int) error {
	w.buf.WriteByte('[')
	n := 0
	for dec.More() {
		w.comma(n, depth+1)
		n++
		if err := w.value(dec, mask, depth+1); err != nil {
			return err
		}
	}
	return w.close(dec, ']', n, depth)
}

// comma starts the n-th member of a container at depth.
func (w *jsonWriter) comma(n, depth int) {
	if n > 0 {
		w.buf.WriteByte(',')
	}
	w.newline(depth)
}

func (w *jsonWriter) close(dec *json.Decoder, delim byte, n, depth int) error {
	if _, err := dec.Token(); err != nil {
		return err
	}
	if n > 0 {
		w.newline(depth)
	}
	w.buf.WriteByte(delim)
	return nil
}

func (w *jsonWriter) newline(depth int) {
	w.buf.WriteByte('\n')
	for range depth {
		w.buf.WriteString("  ")
	}
}

// scalar writes a string, a bool or null as JSON, without escaping
// HTML's characters: the pages escape what they show.
func (w *jsonWriter) scalar(v any) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	w.buf.Write(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
	return nil
}

// maskCSV rewrites a report's CSV with the non-empty values of its
// personal columns masked (see personal).
func maskCSV(body []byte) (string, error) {
	r := csv.NewReader(bytes.NewReader(body))
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil || len(rows) == 0 {
		return "", errors.New("not valid CSV")
	}
	var mask []bool
	for _, col := range rows[0] {
		mask = append(mask, personal(strings.TrimPrefix(col, "\uFEFF")))
	}
	for _, row := range rows[1:] {
		for i := range row {
			if (i >= len(mask) || mask[i]) && row[i] != "" {
				row[i] = masked
			}
		}
	}
	var out bytes.Buffer
	cw := csv.NewWriter(&out)
	if err := cw.WriteAll(rows); err != nil {
		return "", err
	}
	return out.String(), nil
}
