package catalog

import (
	"encoding/gob"
	"reflect"
)

// Gob carries objects field by field, and an ItemList has no exported field for it to carry.
// An object that holds one (a change request's proposed entry, an entry of a checkpoint
// written before the binary format) goes to gob in a mirror type where each ItemList is an
// []Item: the form gob chunks held before items were packed, so chunks written before and
// after read alike.

// gobShape is how groups of *T go through gob: as they are, or through T's mirror.
type gobShape[T any] struct {
	mirror reflect.Type // []*M for T's mirror M; nil when T holds no ItemList
}

func gobShapeOf[T any]() gobShape[T] {
	if m, ok := gobMirror(reflect.TypeFor[T](), map[reflect.Type]bool{}); ok {
		return gobShape[T]{mirror: reflect.SliceOf(reflect.PointerTo(m))}
	}
	return gobShape[T]{}
}

func (s gobShape[T]) encode(enc *gob.Encoder, objs []*T) error {
	if s.mirror == nil {
		return enc.Encode(objs)
	}
	v := reflect.New(s.mirror).Elem()
	convertGob(v, reflect.ValueOf(objs))
	return enc.EncodeValue(v)
}

// decode returns the next group; io.EOF at the end of the stream.
func (s gobShape[T]) decode(dec *gob.Decoder) ([]*T, error) {
	var objs []*T
	if s.mirror == nil {
		err := dec.Decode(&objs)
		return objs, err
	}
	v := reflect.New(s.mirror)
	if err := dec.DecodeValue(v); err != nil {
		return nil, err
	}
	convertGob(reflect.ValueOf(&objs).Elem(), v.Elem())
	return objs, nil
}

var (
	itemListType   = reflect.TypeFor[ItemList]()
	itemSliceType  = reflect.TypeFor[[]Item]()
	gobEncoderType = reflect.TypeFor[gob.GobEncoder]()
)

// gobMirror returns the mirror of t, with []Item for every ItemList in it (through pointers,
// slices, maps and the exported fields of structs), and whether t holds any. A mirrored struct
// has t's exported fields only: gob carries no others.
func gobMirror(t reflect.Type, seen map[reflect.Type]bool) (reflect.Type, bool) {
	if t == itemListType {
		return itemSliceType, true
	}
	if seen[t] || t.Implements(gobEncoderType) || reflect.PointerTo(t).Implements(gobEncoderType) {
		return t, false // encoded its own way (time.Time), or recursive
	}
	seen[t] = true
	defer delete(seen, t)
	switch t.Kind() {
	case reflect.Pointer:
		if e, ok := gobMirror(t.Elem(), seen); ok {
			return reflect.PointerTo(e), true
		}
	case reflect.Slice:
		if e, ok := gobMirror(t.Elem(), seen); ok {
			return reflect.SliceOf(e), true
		}
	case reflect.Map:
		if e, ok := gobMirror(t.Elem(), seen); ok {
			return reflect.MapOf(t.Key(), e), true
		}
	case reflect.Struct:
		var (
			fields   []reflect.StructField
			mirrored bool
		)
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			ft, ok := gobMirror(f.Type, seen)
			mirrored = mirrored || ok
			// gob names an embedded field by its type, as this plain field is named.
			fields = append(fields, reflect.StructField{Name: f.Name, Type: ft, Tag: f.Tag})
		}
		if mirrored {
			return reflect.StructOf(fields), true
		}
	}
	return t, false
}

// convertGob sets dst to src, where one of the two types is the other's mirror (or both are
// the same): ItemLists are unpacked into []Item or packed from it.
func convertGob(dst, src reflect.Value) {
	switch st, dt := src.Type(), dst.Type(); {
	case st == dt:
		dst.Set(src)
		return
	case st == itemListType:
		dst.Set(reflect.ValueOf(src.Interface().(ItemList).Slice()))
		return
	case dt == itemListType:
		dst.Set(reflect.ValueOf(ItemsOf(src.Interface().([]Item)...)))
		return
	}
	switch src.Kind() {
	case reflect.Pointer:
		if !src.IsNil() {
			dst.Set(reflect.New(dst.Type().Elem()))
			convertGob(dst.Elem(), src.Elem())
		}
	case reflect.Slice:
		if !src.IsNil() {
			dst.Set(reflect.MakeSlice(dst.Type(), src.Len(), src.Len()))
			for i := range src.Len() {
				convertGob(dst.Index(i), src.Index(i))
			}
		}
	case reflect.Map:
		if !src.IsNil() {
			dst.Set(reflect.MakeMapWithSize(dst.Type(), src.Len()))
			for it := src.MapRange(); it.Next(); {
				v := reflect.New(dst.Type().Elem()).Elem()
				convertGob(v, it.Value())
				dst.SetMapIndex(it.Key(), v)
			}
		}
	case reflect.Struct:
		for i := range src.NumField() {
			if f := src.Type().Field(i); f.IsExported() {
				convertGob(dst.FieldByName(f.Name), src.Field(i))
			}
		}
	}
}
