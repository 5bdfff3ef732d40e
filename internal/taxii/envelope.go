package taxii

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
)

// parseEnvelope reads the body of an Add Objects request (5.5: "clients MUST
// deliver all objects in a TAXII envelope"): one JSON object whose objects
// member is a non-empty list (section 2 prohibits empty lists) of JSON
// objects, which are returned as sent for the backend to check as STIX.
// more and next, meaningless in a request, are checked for their type and
// dropped; custom properties (x_…) are ignored, as section 7.1.1 allows;
// any other member, a member given twice, and anything after the envelope
// are refused, since two readers could take them differently.
func parseEnvelope(body []byte) ([]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := expectDelim(dec, '{'); err != nil {
		return nil, reason("not a TAXII envelope: " + err.Error())
	}
	var objects []json.RawMessage
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, syntaxReason(err)
		}
		key, _ := tok.(string)
		if seen[key] {
			return nil, reason("the envelope has " + strconv.Quote(key) + " twice")
		}
		seen[key] = true
		switch {
		case key == "objects":
			if err := expectDelim(dec, '['); err != nil {
				return nil, reason("objects: not a list: " + err.Error())
			}
			objects = []json.RawMessage{}
			for dec.More() {
				var raw json.RawMessage
				if err := dec.Decode(&raw); err != nil {
					return nil, syntaxReason(err)
				}
				if raw[0] != '{' {
					return nil, reason("objects[" + strconv.Itoa(len(objects)) + "]: not a JSON object")
				}
				objects = append(objects, raw)
			}
			if err := expectDelim(dec, ']'); err != nil {
				return nil, syntaxReason(err)
			}
		case key == "more":
			var b bool
			if err := dec.Decode(&b); err != nil {
				return nil, reason("more: not a boolean")
			}
		case key == "next":
			var s string
			if err := dec.Decode(&s); err != nil {
				return nil, reason("next: not a string")
			}
		case strings.HasPrefix(key, "x_"):
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, syntaxReason(err)
			}
		default:
			return nil, reason("the envelope has no property " + quote(key))
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return nil, syntaxReason(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, reason("something follows the envelope")
	}
	if len(objects) == 0 {
		return nil, reason("the envelope has no objects to add")
	}
	return objects, nil
}

func expectDelim(dec *json.Decoder, d json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if got, ok := tok.(json.Delim); !ok || got != d {
		return reason("expected " + string(rune(d)))
	}
	return nil
}

func syntaxReason(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return reason("invalid JSON at byte " + strconv.FormatInt(se.Offset, 10) + ": " + se.Error())
	}
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		return reason("the envelope ends early")
	}
	return reason("invalid JSON: " + err.Error())
}
