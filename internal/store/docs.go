package store

import (
	"context"
	"encoding/json"
	"fmt"
)

// Put is the change that puts v, as JSON, as the object kind/id under
// parent: what every domain writes. v must encode (a domain's own types
// do); a value that does not is a programming error.
func Put(kind, id, parent string, v any) Change {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("store: %s/%s does not encode: %v", kind, id, err))
	}
	return Change{Kind: kind, ID: id, Parent: parent, Doc: b}
}

// Decode reads an object's document into a T.
func Decode[T any](o Object) (T, error) {
	var v T
	if err := json.Unmarshal(o.Doc, &v); err != nil {
		return v, fmt.Errorf("projection %s/%s: %w", o.Kind, o.ID, err)
	}
	return v, nil
}

// GetDoc reads kind/id through v and decodes it; the Object too, for its
// audience and positions.
func GetDoc[T any](ctx context.Context, v View, kind, id string) (T, Object, error) {
	o, err := v.Get(ctx, kind, id)
	if err != nil {
		var zero T
		return zero, o, err
	}
	x, err := Decode[T](o)
	return x, o, err
}

// ListDocs lists up to limit objects of kind under parent through v, from
// the first, decoded.
func ListDocs[T any](ctx context.Context, v View, kind, parent string, limit int) ([]T, error) {
	os, err := v.List(ctx, kind, parent, -1, limit)
	if err != nil {
		return nil, err
	}
	out := make([]T, 0, len(os))
	for _, o := range os {
		x, err := Decode[T](o)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, nil
}
