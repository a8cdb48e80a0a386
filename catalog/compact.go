package catalog

import "sync"

// A province's directory repeats the same few strings in every entry: codes, the provider, and
// item names, fields and types ("区县", "district_code", "STRING"). Decoding gives each entry its
// own copies; compactEntry makes the entries share one, and trims slices to their length, which
// takes about a third off the memory of the state.

// maxInterned bounds the shared strings: past it, strings are kept as they come.
const maxInterned = 1 << 16

var interned = struct {
	sync.RWMutex
	m map[string]string
}{m: map[string]string{}}

// internLocked replaces *s by the shared string of its value. Callers hold interned.
func internLocked[S ~string](s *S) {
	if *s == "" {
		return
	}
	if c, ok := interned.m[string(*s)]; ok {
		*s = S(c)
		return
	}
	if len(interned.m) < maxInterned {
		interned.m[string(*s)] = string(*s)
	}
}

// internAllLocked shares the strings of ss in place; an empty ss becomes nil. Callers hold
// interned.
func internAllLocked(ss []string) []string {
	if len(ss) == 0 {
		return nil
	}
	for i := range ss {
		internLocked(&ss[i])
	}
	return ss
}

// compactEntry shares e's repeated strings and trims slices that decoding left much larger than
// their length; e is about to be stored and is not yet shared with anyone.
func compactEntry(e *Entry) {
	if e.compacted {
		return // a revised version: its lists are another stored version's, compacted already
	}
	defer func() { e.compacted = true }()
	if len(e.Items) == 0 {
		e.Items = nil
	} else if cap(e.Items) > len(e.Items)+len(e.Items)/4 {
		e.Items = append(make([]Item, 0, len(e.Items)), e.Items...)
	}
	if len(e.RelatedCodes) == 0 {
		e.RelatedCodes = nil
	}
	interned.Lock()
	defer interned.Unlock()
	for _, s := range [...]*string{&e.CategoryCode, &e.ProviderName, &e.ProviderCode, &e.FormatType,
		&e.ShareType, &e.ShareCondition, &e.ShareMode, &e.OpenType, &e.OpenCondition, &e.Status,
		&e.Department, &e.District, &e.SourceKind} {
		internLocked(s)
	}
	internLocked(&e.UpdateCycle)
	internLocked(&e.GradeOverride)
	e.Domains = internAllLocked(e.Domains)
	e.BusinessItems = internAllLocked(e.BusinessItems)
	e.Scenes = internAllLocked(e.Scenes)
	for i := range e.Items {
		it := &e.Items[i]
		internLocked(&it.Name)
		internLocked(&it.Field)
		internLocked(&it.Type)
		internLocked(&it.Grade)
		internLocked(&it.PIType)
		internLocked(&it.CodeList)
	}
}
