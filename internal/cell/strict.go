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
	// Every command is checked inside the single writer, where the token
	// walk below cost a tenth of the writer's time: a byte scan settles
	// the common case, and anything it is not sure of (an escaped key, an
	// error to explain) takes the walk.
	if keysCertainlyExact(data, t) {
		return nil
	}
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

// keysCertainlyExact reports true only where walkKeys would find nothing
// wrong; false means "not certain". FuzzExactKeys holds it to that.
func keysCertainlyExact(data []byte, t reflect.Type) bool {
	s := keyScanner{b: data}
	s.space()
	if !s.value(t, 0) {
		return false
	}
	s.space()
	return s.i == len(s.b)
}

type keyScanner struct {
	b []byte
	i int
}

// maxScanDepth bounds the scan's recursion; deeper input takes the walk.
const maxScanDepth = 64

func (s *keyScanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *keyScanner) next(c byte) bool {
	s.space()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// str reads a string at s.i; escaped reports a backslash in it.
func (s *keyScanner) str() (raw []byte, escaped, ok bool) {
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return nil, false, false
	}
	start := s.i + 1
	for j := start; j < len(s.b); j++ {
		switch s.b[j] {
		case '\\':
			escaped = true
			j++
		case '"':
			s.i = j + 1
			return s.b[start:j], escaped, true
		}
	}
	return nil, false, false
}

func (s *keyScanner) value(t reflect.Type, depth int) bool {
	if depth > maxScanDepth {
		return false
	}
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t != nil && (t.Kind() == reflect.Interface || reflect.PointerTo(t).Implements(unmarshalerType)) {
		t = nil
	}
	s.space()
	if s.i >= len(s.b) {
		return false
	}
	switch s.b[s.i] {
	case '{':
		s.i++
		var fields map[string]reflect.Type
		if t != nil && t.Kind() == reflect.Struct {
			fields = jsonFields(t)
		}
		var keys [][]byte
		if s.next('}') {
			return true
		}
		for {
			s.space()
			key, escaped, ok := s.str()
			if !ok || escaped || len(keys) >= 64 {
				return false
			}
			for _, k := range keys {
				if bytes.Equal(k, key) {
					return false
				}
			}
			keys = append(keys, key)
			var sub reflect.Type
			if t != nil {
				switch t.Kind() {
				case reflect.Struct:
					ft, ok := fields[string(key)]
					if !ok {
						return false
					}
					sub = ft
				case reflect.Map:
					sub = t.Elem()
				}
			}
			if !s.next(':') || !s.value(sub, depth+1) {
				return false
			}
			if s.next(',') {
				continue
			}
			return s.next('}')
		}
	case '[':
		s.i++
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		if s.next(']') {
			return true
		}
		for {
			if !s.value(elem, depth+1) {
				return false
			}
			if s.next(',') {
				continue
			}
			return s.next(']')
		}
	case '"':
		_, _, ok := s.str()
		return ok
	default: // a number, true, false or null: the decoder has checked it
		start := s.i
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return s.i > start
			}
			s.i++
		}
		return s.i > start
	}
}
