package catalog

import "sync"

// A province's directory repeats the same few strings in every entry: codes, the provider, the
// department ("WATER_DIV", "11500000MB0000000X"). Decoding gives each entry its own copies;
// compactEntry makes the entries share one. (Items are packed, their shapes shared by the list
// itself: ItemList.)

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

// compactEntry shares e's repeated strings; e is about to be stored and is not yet shared with
// anyone.
func compactEntry(e *Entry) {
	if e.marks&entryCompacted != 0 {
		return // a revised version: its lists are another stored version's, compacted already
	}
	defer func() { e.marks |= entryCompacted }()
	if len(e.RelatedCodes) == 0 {
		e.RelatedCodes = nil
	}
	if len(e.Rules) == 0 {
		e.Rules = nil
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
	internLocked(&e.WriteMode)
	e.Partitions = internAllLocked(e.Partitions)
	e.Domains = internAllLocked(e.Domains)
	e.BusinessItems = internAllLocked(e.BusinessItems)
	e.Scenes = internAllLocked(e.Scenes)
}
