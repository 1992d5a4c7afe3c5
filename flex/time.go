package flex

import (
	"reflect"
	"strings"
	"time"
	_ "time/tzdata" // America/New_York where the system has no zone database
)

// Time is an instant sent as a JSON string in one of the forms platforms
// use:
//
//	2019-06-07T15:49:32-04:00   RFC 3339, any offset, optional fraction
//	2018-11-12T17:07:31Z
//	2020-12-11 22:06:26 UTC     space-separated with a zone name or offset
//	2019-06-07T15:49:32         no zone: see Zoneless
//	2021-03-17                  a date alone: midnight, no zone
//
// Time is stored in UTC. When the text carries no zone the wall clock is
// read as UTC and Zoneless is set, so that a provider can read it in the
// zone its platform means with Wall.
type Time struct {
	Time     time.Time
	Valid    bool
	Zoneless bool
}

var zonedLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05 -0700",
	"2006-01-02 15:04:05 -07:00",
	"2006-01-02T15:04:05-0700",
	"2006-01-02T15:04:05.999999999-0700",
}

var zonelessLayouts = []string{
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04",
	"2006-01-02",
}

// UnmarshalJSON implements json.Unmarshaler.
func (t *Time) UnmarshalJSON(data []byte) error {
	*t = Time{}
	if isAbsent(data) {
		return nil
	}
	s, quoted, ok := text(data)
	if !ok || !quoted {
		return typeError(data, reflect.TypeFor[Time]())
	}
	v, ok := ParseTime(s)
	if !ok {
		return typeError(data, reflect.TypeFor[Time]())
	}
	*t = v
	return nil
}

// MarshalJSON implements json.Marshaler: RFC 3339 in UTC, or null.
func (t Time) MarshalJSON() ([]byte, error) {
	if !t.Valid {
		return []byte("null"), nil
	}
	return []byte(`"` + t.Time.UTC().Format(time.RFC3339Nano) + `"`), nil
}

// ParseTime parses s in any of the forms Time accepts.
func ParseTime(s string) (Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Time{}, false
	}
	// A trailing zone name: " UTC", " GMT" or " Z".
	for _, suffix := range []string{" UTC", " GMT", " Z"} {
		if strings.HasSuffix(s, suffix) {
			wall, ok := parseLayouts(strings.TrimSuffix(s, suffix), zonelessLayouts)
			if !ok {
				return Time{}, false
			}
			return Time{Time: wall, Valid: true}, true
		}
	}
	if v, ok := parseLayouts(s, zonedLayouts); ok {
		return Time{Time: v.UTC(), Valid: true}, true
	}
	if v, ok := parseLayouts(s, zonelessLayouts); ok {
		return Time{Time: v, Valid: true, Zoneless: true}, true
	}
	return Time{}, false
}

func parseLayouts(s string, layouts []string) (time.Time, bool) {
	for _, layout := range layouts {
		if v, err := time.Parse(layout, s); err == nil {
			return v.UTC(), true
		}
	}
	return time.Time{}, false
}

// Wall returns the instant in UTC. When the text had no zone, its wall
// clock is first read through zone, which maps a wall-clock time (given in
// UTC fields) to the instant it names; a nil zone means UTC. The zero time
// is returned when t is absent.
func (t Time) Wall(zone func(wall time.Time) time.Time) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	if t.Zoneless && zone != nil {
		return zone(t.Time).UTC()
	}
	return t.Time
}

// USEastern maps a wall-clock time in US Eastern time (its fields given in
// UTC) to the instant it names, by the rules of the America/New_York zone
// of the time zone database: the system's, or the copy this package
// embeds (time/tzdata) where the system has none. A wall time in the hour
// skipped in spring is read as standard time (02:30 as 03:30 daylight
// time); one in the hour repeated in autumn as daylight time, its first
// occurrence.
func USEastern(wall time.Time) time.Time {
	// Since 1883 the zone's offsets are -4 h (daylight, war and peace
	// time) and -5 h (standard).
	daylight, standard := wall.Add(4*time.Hour), wall.Add(5*time.Hour)
	if shows(daylight, wall) {
		return daylight // also the first occurrence of a repeated hour
	}
	return standard // or, in the hour skipped in spring, read as standard
}

// shows reports whether the instant t reads as the wall clock wall (its
// fields given in UTC) in US Eastern time.
func shows(t, wall time.Time) bool {
	l := t.In(eastern)
	y, mo, d := l.Date()
	wy, wmo, wd := wall.Date()
	return y == wy && mo == wmo && d == wd && l.Hour() == wall.Hour() && l.Minute() == wall.Minute()
}

// eastern is America/New_York.
var eastern = loadEastern()

func loadEastern() *time.Location {
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		// Unreachable: time/tzdata is embedded.
		panic("flex: America/New_York: " + err.Error())
	}
	return loc
}
