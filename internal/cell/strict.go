package cell

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
)

// exactKeys checks what encoding/json lets through even with
// DisallowUnknownFields: an object key that matches a field of t only
// case-insensitively ("Member" for "member"), and a key given twice, of
// which the decoder keeps the last. Another reader of the signed payload
// (a party's verifier, the web UI) may read either differently, so the
// record would say one thing to it and another to the projections. data
// must be valid JSON; map keys are taken as they are.
func exactKeys(data []byte, t reflect.Type) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return walkKeys(dec, t, "")
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// walkKeys reads one value of type t (nil: of any shape) from dec.
func walkKeys(dec *json.Decoder, t reflect.Type, at string) error {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t != nil && (t.Kind() == reflect.Interface || reflect.PointerTo(t).Implements(unmarshalerType)) {
		t = nil // decoded by its own rules (time.Time, json.RawMessage)
	}
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]bool{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return err
			}
			key := kt.(string)
			if seen[key] {
				return fmt.Errorf("field %q appears twice%s", key, where(at))
			}
			seen[key] = true
			var sub reflect.Type
			if t != nil {
				switch t.Kind() {
				case reflect.Struct:
					ft, ok := jsonFields(t)[key]
					if !ok {
						return fmt.Errorf("unknown field %q%s (field names are case-sensitive)", key, where(at))
					}
					sub = ft
				case reflect.Map:
					sub = t.Elem()
				}
			}
			if err := walkKeys(dec, sub, at+"."+key); err != nil {
				return err
			}
		}
	case json.Delim('['):
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for i := 0; dec.More(); i++ {
			if err := walkKeys(dec, elem, fmt.Sprintf("%s[%d]", at, i)); err != nil {
				return err
			}
		}
	default:
		return nil
	}
	_, err = dec.Token() // the closing '}' or ']'
	return err
}

func where(at string) string {
	if at == "" {
		return ""
	}
	return " in " + strings.TrimPrefix(at, ".")
}

var fieldCache sync.Map // reflect.Type → map[string]reflect.Type

// jsonFields maps the JSON names of a struct's fields, as encoding/json
// names them (tags, promoted fields of embedded structs), to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string]reflect.Type)
	}
	m := map[string]reflect.Type{}
	addFields(t, m)
	fieldCache.Store(t, m)
	return m
}

func addFields(t reflect.Type, m map[string]reflect.Type) {
	// This level's own fields first, then those promoted from embedded
	// structs where no shallower field has the name, as encoding/json does.
	var embedded []reflect.Type
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				embedded = append(embedded, ft)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		m[name] = f.Type
	}
	for _, et := range embedded {
		inner := map[string]reflect.Type{}
		addFields(et, inner)
		for name, ft := range inner {
			if _, ok := m[name]; !ok {
				m[name] = ft
			}
		}
	}
}
