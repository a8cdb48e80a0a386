package audit

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Scenes in use: per day, how many successful requests each scene account made and when the
// last one was, kept in the day's summary beside the consumers, so that the "一件事" figure tells
// the scenes queried lately from the head of one file a day, never from the events.
//
// A scene's request counts in the day it began (as the consumers do), from the time it becomes
// durable; the day's file writes the scenes before the entries, and a reader of past days reads
// no further than them.

// MaxDayScenes is the most scene accounts counted per day; the requests of any more are counted
// in SceneUse.Overflow.
const MaxDayScenes = 10000

// SceneRequests is a scene account's successful requests over a period.
type SceneRequests struct {
	Scene    string    `json:"scene"`
	Requests int       `json:"requests"`
	Last     time.Time `json:"last"` // the latest one
}

// SceneUse is what scene accounts requested successfully over a period, with what the summaries
// leave out.
type SceneUse struct {
	Scenes []SceneRequests // every scene account with a request in the period, by account
	// Overflow counts the requests of scene accounts beyond MaxDayScenes in a day, not
	// attributed to any.
	Overflow int
	// Incomplete lists the days of the period whose events are not all counted: days kept
	// before summaries counted scenes, or whose summary could not be continued at start-up. A
	// scene missing from Scenes may have been used on those days.
	Incomplete []string
}

// Last returns when scene made its latest successful request in the period, zero if none was
// counted. It fits the catalogue's SceneUse.
func (u SceneUse) Last(scene string) time.Time {
	i, ok := slices.BinarySearchFunc(u.Scenes, scene, func(r SceneRequests, s string) int {
		return strings.Compare(r.Scene, s)
	})
	if !ok {
		return time.Time{}
	}
	return u.Scenes[i].Last
}

// sceneCount is a scene account's requests in a day, as kept in memory and in the day's file.
type sceneCount struct {
	Requests int       `json:"requests"`
	Last     time.Time `json:"last"`
}

// addScene counts a successful request of scene begun at at.
func (ds *daySum) addScene(scene string, at time.Time) {
	c, ok := ds.scenes[scene]
	if !ok {
		if len(ds.scenes) >= MaxDayScenes {
			ds.sceneOverflow++
			return
		}
		if ds.scenes == nil {
			ds.scenes = map[string]sceneCount{}
		}
	}
	if c.Requests == 0 || at.After(c.Last) {
		c.Last = at
	}
	c.Requests++
	ds.scenes[scene] = c
}

// ScenesUsed returns the successful requests of every scene account between from (inclusive)
// and to (exclusive) by days: every day the period touches counts whole, at most
// MaxConsumerDays. The days in memory are read there, the others from the heads of their
// summary files (the last few kept decoded), the events never.
func (l *Log) ScenesUsed(from, to time.Time) (SceneUse, error) {
	days, err := periodDays(from, to)
	if err != nil {
		return SceneUse{}, err
	}
	m := sceneMerger{by: map[string]sceneCount{}}
	past, err := l.summaries(days, true, func(ds *daySum) {
		m.add(ds.day, ds.scenes, ds.sceneOverflow, ds.incomplete || ds.scenesIncomplete)
	})
	if err != nil {
		return SceneUse{}, err
	}
	for _, p := range past {
		m.add(p.day, p.scenes, p.sceneOverflow, p.scenesIncomplete)
	}
	return m.result(), nil
}

// ReadScenesUsed is Log.ScenesUsed for a process that does not keep the audit: it reads the
// summary files in dir only, never writing, so today counts as far as the service last wrote
// its summary (about a minute behind).
func ReadScenesUsed(dir string, from, to time.Time) (SceneUse, error) {
	days, err := periodDays(from, to)
	if err != nil {
		return SceneUse{}, err
	}
	m := sceneMerger{by: map[string]sceneCount{}}
	for _, d := range days {
		p, err := readHead(dir, d)
		if err != nil {
			return SceneUse{}, err
		}
		m.add(p.day, p.scenes, p.sceneOverflow, p.scenesIncomplete)
	}
	return m.result(), nil
}

// readHead reads day's summary file in dir up to its entries, which it leaves unread when the
// head before them is whole (a file without scenes is read to its end).
func readHead(dir, day string) (*pastDay, error) {
	r, err := os.Open(filepath.Join(dir, summaryPrefix+day+summarySuffix))
	if errors.Is(err, os.ErrNotExist) {
		return unsummarised(dir, day), nil
	}
	if err != nil {
		return nil, fmt.Errorf("read consumers of %s: %w", day, err)
	}
	defer r.Close()
	var f dayFile
	if err := decodeHead(json.NewDecoder(r), &f); err != nil {
		return nil, fmt.Errorf("read consumers of %s: %w", day, err)
	}
	return headOf(day, &f)
}

// decodeHead decodes a summary file's members into f until its entries come after its version,
// day and scenes.
func decodeHead(dec *json.Decoder, f *dayFile) error {
	if t, err := dec.Token(); err != nil {
		return err
	} else if t != json.Delim('{') {
		return errors.New("not an object")
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		key, ok := t.(string)
		if !ok {
			return fmt.Errorf("member name %v", t)
		}
		var v any
		switch key {
		case "version":
			v = &f.Version
		case "day":
			v = &f.Day
		case "covered":
			v = &f.Covered
		case "incomplete":
			v = &f.Incomplete
		case "sceneOverflow":
			v = &f.SceneOverflow
		case "scenesIncomplete":
			v = &f.ScenesIncomplete
		case "scenes":
			v = &f.Scenes
		case "entries":
			if f.Version != 0 && f.Day != "" && f.Scenes != nil {
				return nil
			}
			fallthrough
		default:
			v = new(json.RawMessage)
		}
		if err := dec.Decode(v); err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
	}
	return nil
}

// sceneMerger adds up scene accounts' requests over days.
type sceneMerger struct {
	by         map[string]sceneCount
	overflow   int
	incomplete []string
}

func (m *sceneMerger) add(day string, scenes map[string]sceneCount, overflow int, incomplete bool) {
	if incomplete {
		m.incomplete = append(m.incomplete, day)
	}
	m.overflow += overflow
	for s, c := range scenes {
		cur, ok := m.by[s]
		if !ok || c.Last.After(cur.Last) {
			cur.Last = c.Last
		}
		cur.Requests += c.Requests
		m.by[s] = cur
	}
}

func (m *sceneMerger) result() SceneUse {
	out := SceneUse{Scenes: make([]SceneRequests, 0, len(m.by)), Overflow: m.overflow}
	for s, c := range m.by {
		out.Scenes = append(out.Scenes, SceneRequests{Scene: s, Requests: c.Requests, Last: c.Last})
	}
	slices.SortFunc(out.Scenes, func(a, b SceneRequests) int { return strings.Compare(a.Scene, b.Scene) })
	slices.Sort(m.incomplete)
	out.Incomplete = m.incomplete
	return out
}
