package taxii

import (
	"mime"
	"strconv"
	"strings"
)

// acceptable reports whether a response of MediaType satisfies the request's
// Accept header (RFC 9110 section 12.5.1, as TAXII 1.6.8 asks). The media
// ranges TAXII defines must not be refused (3.1): application/taxii+json
// with version=2.1 or without a version ("the latest version the server
// supports"), and, for the manifest, application/stix+json;version=2.1,
// which section 5.3 lists among its Accept values. Wildcards are satisfied
// too, since 3.1 lets a server answer other ranges with the content it has,
// and so is a request with no Accept header, which in HTTP accepts anything;
// TAXII requires clients to send one, and every client we know does. A range
// is matched by its most specific entry, so "application/taxii+json;q=0, */*"
// is refused. Anything else, a TAXII 2.0 range included, is 406.
func acceptable(header []string, manifest bool) bool {
	if len(header) == 0 {
		return true
	}
	taxii, stix := -1.0, -1.0 // q of the most specific match, -1 for none
	taxiiSpec, stixSpec := -1, -1
	for _, h := range header {
		for _, elem := range splitOutsideQuotes(h) {
			elem = strings.TrimSpace(elem)
			if elem == "" {
				continue
			}
			mt, params, err := mime.ParseMediaType(elem)
			if err != nil {
				continue // RFC 9110 lets a recipient ignore a range it cannot read
			}
			q := 1.0
			if qs, ok := params["q"]; ok {
				if q, err = strconv.ParseFloat(qs, 64); err != nil || q < 0 || q > 1 {
					continue
				}
			}
			version, versioned := params["version"]
			match := func(exact string, best *float64, bestSpec *int) {
				spec := -1
				switch {
				case mt == exact && versioned && version == "2.1":
					spec = 3
				case mt == exact && !versioned:
					spec = 2
				case mt == "application/*":
					spec = 1
				case mt == "*/*":
					spec = 0
				}
				if spec > *bestSpec {
					*best, *bestSpec = q, spec
				}
			}
			match("application/taxii+json", &taxii, &taxiiSpec)
			if manifest {
				match("application/stix+json", &stix, &stixSpec)
			}
		}
	}
	return taxii > 0 || stix > 0
}

// splitOutsideQuotes splits a header value at the commas that separate its
// elements, not those inside a quoted parameter value.
func splitOutsideQuotes(s string) []string {
	var out []string
	start, inQuote := 0, false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if inQuote {
				i++
			}
		case '"':
			inQuote = !inQuote
		case ',':
			if !inQuote {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// contentTypeOK reports whether a POST body's Content-Type is one TAXII
// defines for Add Objects (5.5): application/taxii+json, with version=2.1 or
// without a version. STIX bundles (application/stix+json), which TAXII 2.0
// took, are refused with the rest: 2.1 replaced them with the envelope (1.7.1).
func contentTypeOK(header string) bool {
	if header == "" {
		return false
	}
	mt, params, err := mime.ParseMediaType(header)
	if err != nil || mt != "application/taxii+json" {
		return false
	}
	v, ok := params["version"]
	return !ok || v == "2.1"
}
