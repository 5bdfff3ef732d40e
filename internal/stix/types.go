package stix

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// The property tables of STIX 2.1 (OASIS Standard, sections 4 to 7), one line
// a property: its name and its kind in a small notation, read once at start.
//
//	s          string                  ts         timestamp
//	b          boolean                 i:lo:hi    integer in [lo, hi] (either bound may be empty)
//	n:lo:hi    number in [lo, hi]      ls         non-empty list of strings
//	ref:T|U    identifier of type T or U (empty: any type; !T: any type but T)
//	refs:T|U   non-empty list of such identifiers
//	enum:a|b   one of the strings      enums:a|b  non-empty list of them
//	kc         list of kill-chain phases
//	hashes     hashes dictionary       dict       dictionary
//	obj        non-empty object        list       non-empty list of objects
//	bin, hex   base64 or hexadecimal string       uri  absolute URI
//	!          after the kind: required

// class says which common properties a type has.
type class uint8

const (
	sdo class = iota // SDOs and SROs
	sco
	markingDef
	languageContent
	extensionDef
)

type propKind uint8

const (
	pString propKind = iota
	pTimestamp
	pBool
	pInt
	pNumber
	pStrings
	pRef
	pRefs
	pEnum
	pEnums
	pKillChain
	pHashes
	pDict
	pObject
	pObjects
	pBinary
	pHex
	pURI
	pExtRefs
	pGranular
	pExtensions
	pAny
)

type propSpec struct {
	kind     propKind
	required bool
	lo, hi   *float64
	values   []string // enum values, or the types a reference may name
	not      bool     // values are the types a reference may not name
}

type typeSpec struct {
	name  string
	class class
	props map[string]*propSpec
	order []string // property names in table order, for required checks
	// extra checks what one property's kind cannot: properties that
	// depend on each other.
	extra func(c *checker, o *node)
}

var common = map[class]string{
	sdo: `created_by_ref ref:identity
revoked b
labels ls
confidence i:0:100
lang s
external_references extrefs
object_marking_refs refs:marking-definition
granular_markings granular
extensions extensions`,
	sco: `object_marking_refs refs:marking-definition
granular_markings granular
defanged b
extensions extensions`,
	markingDef: `created_by_ref ref:identity
external_references extrefs
object_marking_refs refs:marking-definition
granular_markings granular
extensions extensions
name s
definition_type s
definition obj`,
	languageContent: `created_by_ref ref:identity
revoked b
labels ls
confidence i:0:100
external_references extrefs
object_marking_refs refs:marking-definition
granular_markings granular
extensions extensions`,
	extensionDef: `created_by_ref ref:identity!
revoked b
labels ls
external_references extrefs
object_marking_refs refs:marking-definition
granular_markings granular`,
}

// notTargets are the types an embedded relationship to "an SDO or SCO" may
// not name.
const notTargets = "!bundle|marking-definition|language-content|extension-definition"

var tables = []struct {
	name  string
	class class
	props string
	extra func(c *checker, o *node)
}{
	{"attack-pattern", sdo, `name s!
description s
aliases ls
kill_chain_phases kc`, nil},
	{"campaign", sdo, `name s!
description s
aliases ls
first_seen ts
last_seen ts
objective s`, orderedTimes("first_seen", "last_seen", false)},
	{"course-of-action", sdo, `name s!
description s`, nil},
	{"grouping", sdo, `name s
description s
context s!
object_refs refs:` + notTargets + `!`, nil},
	{"identity", sdo, `name s!
description s
roles ls
identity_class s
sectors ls
contact_information s`, nil},
	{"incident", sdo, `name s!
description s
kill_chain_phases kc`, nil},
	{"indicator", sdo, `name s
description s
indicator_types ls
pattern s!
pattern_type s!
pattern_version s
valid_from ts!
valid_until ts
kill_chain_phases kc`, orderedTimes("valid_from", "valid_until", true)},
	{"infrastructure", sdo, `name s!
description s
infrastructure_types ls
aliases ls
kill_chain_phases kc
first_seen ts
last_seen ts`, orderedTimes("first_seen", "last_seen", false)},
	{"intrusion-set", sdo, `name s!
description s
aliases ls
first_seen ts
last_seen ts
goals ls
resource_level s
primary_motivation s
secondary_motivations ls`, orderedTimes("first_seen", "last_seen", false)},
	{"location", sdo, `name s
description s
latitude n:-90:90
longitude n:-180:180
precision n:0:
region s
country s
administrative_area s
city s
street_address s
postal_code s`, checkLocation},
	{"malware", sdo, `name s
description s
malware_types ls
is_family b!
aliases ls
kill_chain_phases kc
first_seen ts
last_seen ts
operating_system_refs refs:software
architecture_execution_envs ls
implementation_languages ls
capabilities ls
sample_refs refs:file|artifact`, func(c *checker, o *node) {
		if v, ok := o.get("is_family"); ok && v.s == "true" && !o.has("name") {
			c.fail(ErrMissing, "name", "a malware family (is_family true) must have a name")
		}
		orderedTimes("first_seen", "last_seen", false)(c, o)
	}},
	{"malware-analysis", sdo, `product s!
version s
host_vm_ref ref:software
operating_system_ref ref:software
installed_software_refs refs:software
configuration_version s
modules ls
analysis_engine_version s
analysis_definition_version s
submitted ts
analysis_started ts
analysis_ended ts
result_name s
result s
analysis_sco_refs refs
sample_ref ref`, func(c *checker, o *node) {
		if !o.has("result") && !o.has("analysis_sco_refs") {
			c.fail(ErrMissing, "result", "a malware analysis needs a result or analysis_sco_refs")
		}
	}},
	{"note", sdo, `abstract s
content s!
authors ls
object_refs refs:` + notTargets + `!`, nil},
	{"observed-data", sdo, `first_observed ts!
last_observed ts!
number_observed i:1:999999999!
object_refs refs:` + notTargets + `|attack-pattern|campaign|course-of-action|grouping|identity|incident|indicator|infrastructure|intrusion-set|location|malware|malware-analysis|note|observed-data|opinion|report|threat-actor|tool|vulnerability!`, orderedTimes("first_observed", "last_observed", false)},
	{"opinion", sdo, `explanation s
authors ls
opinion enum:strongly-disagree|disagree|neutral|agree|strongly-agree!
object_refs refs:` + notTargets + `!`, nil},
	{"report", sdo, `name s!
description s
report_types ls
published ts!
object_refs refs:` + notTargets + `!`, nil},
	{"threat-actor", sdo, `name s!
description s
threat_actor_types ls
aliases ls
first_seen ts
last_seen ts
roles ls
goals ls
sophistication s
resource_level s
primary_motivation s
secondary_motivations ls
personal_motivations ls`, orderedTimes("first_seen", "last_seen", false)},
	{"tool", sdo, `name s!
description s
tool_types ls
aliases ls
kill_chain_phases kc
tool_version s`, nil},
	{"vulnerability", sdo, `name s!
description s`, nil},
	{"relationship", sdo, `relationship_type s!
description s
source_ref ref:` + notTargets + `!
target_ref ref:` + notTargets + `!
start_time ts
stop_time ts`, func(c *checker, o *node) {
		if v, ok := o.get("relationship_type"); ok && !validVocab(v.s) {
			c.fail(ErrInvalid, "relationship_type", "must be lowercase letters, digits and hyphens")
		}
		orderedTimes("start_time", "stop_time", true)(c, o)
	}},
	{"sighting", sdo, `description s
first_seen ts
last_seen ts
count i:0:999999999
sighting_of_ref ref:` + notTargets + `|sighting|relationship!
observed_data_refs refs:observed-data
where_sighted_refs refs:identity|location
summary b`, orderedTimes("first_seen", "last_seen", false)},

	{"marking-definition", markingDef, ``, checkMarkingDefinition},
	{"language-content", languageContent, `object_ref ref:!bundle|language-content!
object_modified ts
contents dict!`, nil},
	{"extension-definition", extensionDef, `name s!
description s
schema s!
version s!
extension_types enums:new-sdo|new-sco|new-sro|property-extension|toplevel-property-extension!
extension_properties ls`, func(c *checker, o *node) {
		if !o.has("extension_properties") {
			return
		}
		types, _ := o.get("extension_types")
		for _, t := range types.a {
			if t.s == "toplevel-property-extension" {
				return
			}
		}
		c.fail(ErrInvalid, "extension_properties", "only a toplevel-property-extension lists extension_properties")
	}},

	{"artifact", sco, `mime_type s
payload_bin bin
url uri
hashes hashes
encryption_algorithm enum:AES-256-GCM|ChaCha20-Poly1305|mime-type-indicated
decryption_key s`, func(c *checker, o *node) {
		if o.has("payload_bin") == o.has("url") {
			c.fail(ErrInvalid, "url", "an artifact has payload_bin or url, and not both")
		}
		if o.has("url") && !o.has("hashes") {
			c.fail(ErrMissing, "hashes", "an artifact given by url must have hashes")
		}
		c.matches(o, "mime_type", mimeRE, "not a MIME type of an IANA top-level type")
	}},
	{"autonomous-system", sco, `number i:0:!
name s
rir s`, nil},
	{"directory", sco, `path s!
path_enc s
ctime ts
mtime ts
atime ts
contains_refs refs:file|directory`, func(c *checker, o *node) { c.matches(o, "path_enc", encodingRE, "not a character set name") }},
	{"domain-name", sco, `value s!
resolves_to_refs refs:ipv4-addr|ipv6-addr|domain-name`, nil},
	{"email-addr", sco, `value s!
display_name s
belongs_to_ref ref:user-account`, nil},
	{"email-message", sco, `is_multipart b!
date ts
content_type s
from_ref ref:email-addr
sender_ref ref:email-addr
to_refs refs:email-addr
cc_refs refs:email-addr
bcc_refs refs:email-addr
message_id s
subject s
received_lines ls
additional_header_fields dict
body s
body_multipart list
raw_email_ref ref:artifact`, func(c *checker, o *node) {
		if v, ok := o.get("is_multipart"); ok {
			if v.s == "true" && o.has("body") {
				c.fail(ErrInvalid, "body", "a multipart message has body_multipart, not body")
			}
			if v.s == "false" && o.has("body_multipart") {
				c.fail(ErrInvalid, "body_multipart", "a message that is not multipart has no body_multipart")
			}
		}
		parts, _ := o.get("body_multipart")
		for i := range partsOf(parts) {
			at := "body_multipart[" + strconv.Itoa(i) + "]"
			p := &parts.a[i]
			c.fields(at, p, map[string]propKind{"body": pString, "body_raw_ref": pRef, "content_type": pString, "content_disposition": pString})
			if ref, ok := p.get("body_raw_ref"); ok {
				c.ref(at+".body_raw_ref", ref, &propSpec{values: []string{"artifact", "file"}})
			}
			if p.has("body") == p.has("body_raw_ref") {
				c.fail(ErrInvalid, at, "a MIME part has a body or a body_raw_ref, and not both")
			}
		}
	}},
	{"file", sco, `hashes hashes
size i:0:
name s
name_enc s
magic_number_hex hex
mime_type s
ctime ts
mtime ts
atime ts
parent_directory_ref ref:directory
contains_refs refs
content_ref ref:artifact`, func(c *checker, o *node) {
		if !o.has("hashes") && !o.has("name") {
			c.fail(ErrMissing, "name", "a file needs hashes or a name")
		}
		c.matches(o, "name_enc", encodingRE, "not a character set name")
	}},
	{"ipv4-addr", sco, `value s!
resolves_to_refs refs:mac-addr
belongs_to_refs refs:autonomous-system`, checkAddr(false)},
	{"ipv6-addr", sco, `value s!
resolves_to_refs refs:mac-addr
belongs_to_refs refs:autonomous-system`, checkAddr(true)},
	{"mac-addr", sco, `value s!`, func(c *checker, o *node) {
		if v, ok := o.get("value"); ok && !validMAC(v.s) {
			c.fail(ErrInvalid, "value", "a MAC address is six lowercase hexadecimal pairs separated by colons")
		}
	}},
	{"mutex", sco, `name s!`, nil},
	{"network-traffic", sco, `start ts
end ts
is_active b
src_ref ref:ipv4-addr|ipv6-addr|mac-addr|domain-name
dst_ref ref:ipv4-addr|ipv6-addr|mac-addr|domain-name
src_port i:0:65535
dst_port i:0:65535
protocols ls!
src_byte_count i:0:
dst_byte_count i:0:
src_packets i:0:
dst_packets i:0:
ipfix dict
src_payload_ref ref:artifact
dst_payload_ref ref:artifact
encapsulates_refs refs:network-traffic
encapsulated_by_ref ref:network-traffic`, func(c *checker, o *node) {
		if !o.has("src_ref") && !o.has("dst_ref") {
			c.fail(ErrMissing, "src_ref", "network traffic needs a src_ref or a dst_ref")
		}
		if v, ok := o.get("is_active"); ok && v.s == "true" && o.has("end") {
			c.fail(ErrInvalid, "end", "active network traffic has no end")
		}
		orderedTimes("start", "end", false)(c, o)
	}},
	{"process", sco, `is_hidden b
pid i
created_time ts
cwd s
command_line s
environment_variables dict
opened_connection_refs refs:network-traffic
creator_user_ref ref:user-account
image_ref ref:file
parent_ref ref:process
child_refs refs:process`, atLeastOne},
	{"software", sco, `name s!
cpe s
swid s
languages ls
vendor s
version s`, func(c *checker, o *node) {
		c.matches(o, "cpe", cpeRE, "not a CPE 2.3 name")
		if v, ok := o.get("languages"); ok {
			for i, l := range v.a {
				if !languageRE.MatchString(l.s) {
					c.fail(ErrInvalid, "languages["+strconv.Itoa(i)+"]", "not a language code (RFC 5646): "+quote(l.s))
				}
			}
		}
	}},
	{"url", sco, `value uri!`, nil},
	{"user-account", sco, `user_id s
credential s
account_login s
account_type s
display_name s
is_service_account b
is_privileged b
can_escalate_privs b
is_disabled b
account_created ts
account_expires ts
credential_last_changed ts
account_first_login ts
account_last_login ts`, atLeastOne},
	{"windows-registry-key", sco, `key s
values list
modified_time ts
creator_user_ref ref:user-account
number_of_subkeys i:0:`, func(c *checker, o *node) {
		atLeastOne(c, o)
		values, _ := o.get("values")
		for i := range partsOf(values) {
			at := "values[" + strconv.Itoa(i) + "]"
			v := &values.a[i]
			c.fields(at, v, map[string]propKind{"name": pString, "data": pString, "data_type": pString})
			if t, ok := v.get("data_type"); ok && !slices.Contains(registryTypes, t.s) {
				c.fail(ErrInvalid, at+".data_type", quote(t.s)+" is not a registry value type")
			}
			if !v.has("name") && !v.has("data") && !v.has("data_type") {
				c.fail(ErrMissing, at, "a registry value needs a name, data or a data_type")
			}
		}
	}},
	{"x509-certificate", sco, `is_self_signed b
hashes hashes
version s
serial_number s
signature_algorithm s
issuer s
validity_not_before ts
validity_not_after ts
subject s
subject_public_key_algorithm s
subject_public_key_modulus s
subject_public_key_exponent i
x509_v3_extensions obj`, atLeastOne},
}

var specs = buildSpecs()

func buildSpecs() map[string]*typeSpec {
	out := make(map[string]*typeSpec, len(tables))
	for _, t := range tables {
		ts := &typeSpec{name: t.name, class: t.class, props: map[string]*propSpec{}, extra: t.extra}
		for _, text := range []string{common[t.class], t.props} {
			for _, line := range strings.Split(text, "\n") {
				if line == "" {
					continue
				}
				name, kind, _ := strings.Cut(line, " ")
				ts.props[name] = parseKind(kind)
				ts.order = append(ts.order, name)
			}
		}
		out[t.name] = ts
	}
	return out
}

// customSpec is the table of an object type STIX does not define (x-...,
// or declared by a new-sdo or new-sro extension): the SDO common properties,
// and any well-formed name for the rest.
var customSpec = &typeSpec{name: "custom", class: sdo}

// customSCOSpec: the same for a new-sco extension.
var customSCOSpec = &typeSpec{name: "custom", class: sco}

func init() {
	// A custom type defines its own properties; only the common ones are
	// known here.
	for _, cs := range []*typeSpec{customSpec, customSCOSpec} {
		props := map[string]*propSpec{}
		for _, line := range strings.Split(common[cs.class], "\n") {
			name, kind, _ := strings.Cut(line, " ")
			props[name] = parseKind(kind)
			cs.order = append(cs.order, name)
		}
		cs.props = props
	}
}

func parseKind(k string) *propSpec {
	p := &propSpec{}
	if strings.HasSuffix(k, "!") {
		p.required = true
		k = k[:len(k)-1]
	}
	head, arg, _ := strings.Cut(k, ":")
	bounds := func() {
		lo, hi, _ := strings.Cut(arg, ":")
		if lo != "" {
			v, _ := strconv.ParseFloat(lo, 64)
			p.lo = &v
		}
		if hi != "" {
			v, _ := strconv.ParseFloat(hi, 64)
			p.hi = &v
		}
	}
	list := func() {
		if strings.HasPrefix(arg, "!") {
			p.not = true
			arg = arg[1:]
		}
		if arg != "" {
			p.values = strings.Split(arg, "|")
		}
	}
	switch head {
	case "s":
		p.kind = pString
	case "ts":
		p.kind = pTimestamp
	case "b":
		p.kind = pBool
	case "i":
		p.kind = pInt
		bounds()
	case "n":
		p.kind = pNumber
		bounds()
	case "ls":
		p.kind = pStrings
	case "ref":
		p.kind = pRef
		list()
	case "refs":
		p.kind = pRefs
		list()
	case "enum":
		p.kind = pEnum
		list()
	case "enums":
		p.kind = pEnums
		list()
	case "kc":
		p.kind = pKillChain
	case "hashes":
		p.kind = pHashes
	case "dict":
		p.kind = pDict
	case "obj":
		p.kind = pObject
	case "list":
		p.kind = pObjects
	case "bin":
		p.kind = pBinary
	case "hex":
		p.kind = pHex
	case "uri":
		p.kind = pURI
	case "extrefs":
		p.kind = pExtRefs
	case "granular":
		p.kind = pGranular
	case "extensions":
		p.kind = pExtensions
	default:
		panic("stix: bad property kind " + k)
	}
	return p
}

func validVocab(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func validMAC(s string) bool {
	if len(s) != 17 {
		return false
	}
	for i := 0; i < 17; i++ {
		if i%3 == 2 {
			if s[i] != ':' {
				return false
			}
		} else if !(s[i] >= '0' && s[i] <= '9' || s[i] >= 'a' && s[i] <= 'f') {
			return false
		}
	}
	return true
}

// orderedTimes checks that a later timestamp is not before an earlier one
// (strictly after when strict), as the spec requires of each such pair.
func orderedTimes(first, last string, strict bool) func(c *checker, o *node) {
	return func(c *checker, o *node) {
		a, ok1 := o.get(first)
		b, ok2 := o.get(last)
		if !ok1 || !ok2 {
			return
		}
		ta, err1 := ParseTimestamp(a.s)
		tb, err2 := ParseTimestamp(b.s)
		if err1 != nil || err2 != nil {
			return // reported by the property's own check
		}
		if cmp := tb.Compare(ta); cmp < 0 || strict && cmp == 0 {
			want := "later than or equal to"
			if strict {
				want = "later than"
			}
			c.fail(ErrInvalid, last, "must be "+want+" "+first)
		}
	}
}

// atLeastOne: an SCO whose every property is optional must still say
// something (the schemas' anyOf).
func atLeastOne(c *checker, o *node) {
	for _, m := range o.m {
		switch m.key {
		case "type", "id", "spec_version", "object_marking_refs", "granular_markings", "defanged":
		default:
			return
		}
	}
	c.fail(ErrMissing, "", "has none of its type's properties")
}

func checkLocation(c *checker, o *node) {
	lat, hasLat := o.get("latitude")
	lng, hasLng := o.get("longitude")
	if hasLat != hasLng {
		c.fail(ErrMissing, "longitude", "latitude and longitude come together")
		return
	}
	if !hasLat && !o.has("region") && !o.has("country") {
		c.fail(ErrMissing, "region", "a location needs a region, a country, or latitude and longitude")
		return
	}
	if o.has("precision") && !hasLat {
		c.fail(ErrInvalid, "precision", "precision is of latitude and longitude, which are absent")
	}
	_, _ = lat, lng
}

// The patterns the OASIS schemas give these values (observables/software.json,
// artifact.json, file.json, directory.json), so that what the package
// accepts, it can write valid.
var (
	cpeRE      = regexp.MustCompile(`cpe:2\.3:[aho\*\-](:(((\?*|\*?)([a-zA-Z0-9\-\._]|(\\[\\\*\?!"#$$%&'\(\)\+,/:;<=>@\[\]\^` + "`" + `\{\|}~]))+(\?*|\*?))|[\*\-])){5}(:(([a-zA-Z]{2,3}(-([a-zA-Z]{2}|[0-9]{3}))?)|[\*\-]))(:(((\?*|\*?)([a-zA-Z0-9\-\._]|(\\[\\\*\?!"#$$%&'\(\)\+,/:;<=>@\[\]\^` + "`" + `\{\|}~]))+(\?*|\*?))|[\*\-])){4}`)
	languageRE = regexp.MustCompile(`^([a-z]{2}(-[A-Z]{2})?(-[a-z]{4})?(-[A-Z]{2}|[0-9]{3})?(-[a-z0-9]{5,8}|[0-9][a-z0-9]{3})*(-[a-z0-9]{1,8})*|[a-z]{3})$`)
	mimeRE     = regexp.MustCompile(`^(application|audio|font|image|message|model|multipart|text|video)/[a-zA-Z0-9.+_-]+`)
	encodingRE = regexp.MustCompile(`^[a-zA-Z0-9/\.+_:-]{2,250}$`)
)

var registryTypes = []string{"REG_NONE", "REG_SZ", "REG_EXPAND_SZ", "REG_BINARY", "REG_DWORD", "REG_DWORD_BIG_ENDIAN", "REG_DWORD_LITTLE_ENDIAN", "REG_LINK", "REG_MULTI_SZ", "REG_RESOURCE_LIST", "REG_FULL_RESOURCE_DESCRIPTION", "REG_RESOURCE_REQUIREMENTS_LIST", "REG_QWORD", "REG_INVALID_TYPE"}

// matches checks a string property against a pattern.
func (c *checker) matches(o *node, name string, re *regexp.Regexp, why string) {
	if v, ok := o.get(name); ok && v.k == kString && !re.MatchString(v.s) {
		c.fail(ErrInvalid, name, why+": "+quote(v.s))
	}
}

// partsOf ranges over a list property's elements, none when it is absent
// (its kind was checked by its table entry).
func partsOf(n *node) []node {
	if n == nil || n.k != kArray {
		return nil
	}
	return n.a
}
