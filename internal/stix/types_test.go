package stix

import (
	"strings"
	"testing"
)

// One object of every type the package knows, as a producer might send it;
// each must be accepted, and (when the schemas are there) its serialization
// must validate against its type's OASIS schema.
var everyType = []string{
	`{"type":"attack-pattern","spec_version":"2.1","id":"attack-pattern--7e33a43e-e34b-40ec-89da-36c9bb2cacd5","created":"2016-05-12T08:17:27.000Z","modified":"2016-05-12T08:17:27.000Z","name":"Spear Phishing","kill_chain_phases":[{"kill_chain_name":"mitre-attack","phase_name":"initial-access"}],"external_references":[{"source_name":"capec","external_id":"CAPEC-163"}]}`,
	`{"type":"campaign","spec_version":"2.1","id":"campaign--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2016-04-06T20:03:00.000Z","modified":"2016-04-06T20:03:00.000Z","name":"Green Group Attacks Against Finance","first_seen":"2016-04-06T20:03:00Z","last_seen":"2016-05-06T20:03:00Z"}`,
	`{"type":"course-of-action","spec_version":"2.1","id":"course-of-action--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z","name":"Add TCP port 80 Filter Rule"}`,
	`{"type":"incident","spec_version":"2.1","id":"incident--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z","name":"breach","kill_chain_phases":[{"kill_chain_name":"k","phase_name":"p"}]}`,
	`{"type":"infrastructure","spec_version":"2.1","id":"infrastructure--38c47d93-d984-4fd9-b87b-d69d0841628d","created":"2016-05-07T11:22:30.000Z","modified":"2016-05-07T11:22:30.000Z","name":"C2","infrastructure_types":["command-and-control"]}`,
	`{"type":"malware","spec_version":"2.1","id":"malware--16f4f3f9-1b68-4abb-bb66-7639d49f1e30","created":"2016-05-08T14:31:09.000Z","modified":"2016-05-08T14:31:09.000Z","name":"Poison Ivy","is_family":true,"malware_types":["remote-access-trojan"],"sample_refs":["file--364fe3e5-b1f4-5ba3-b951-ee5983b3538d"]}`,
	`{"type":"malware-analysis","spec_version":"2.1","id":"malware-analysis--d25167b7-fed0-4068-9ccd-a73dd2c5b07c","created":"2016-05-08T14:31:09.000Z","modified":"2016-05-08T14:31:09.000Z","product":"sandbox","result":"malicious","sample_ref":"file--364fe3e5-b1f4-5ba3-b951-ee5983b3538d"}`,
	`{"type":"tool","spec_version":"2.1","id":"tool--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z","name":"VNC","tool_types":["remote-access"]}`,
	`{"type":"vulnerability","spec_version":"2.1","id":"vulnerability--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061","created":"2016-05-12T08:17:27.000Z","modified":"2016-05-12T08:17:27.000Z","name":"CVE-2016-1234","external_references":[{"source_name":"cve","external_id":"CVE-2016-1234"}]}`,
	`{"type":"language-content","spec_version":"2.1","id":"language-content--b86bd89f-98bb-4fa9-8cb2-9ad421da981d","created":"2017-02-08T21:31:22.007Z","modified":"2017-02-08T21:31:22.007Z","object_ref":"` + idIndicator + `","object_modified":"2017-02-08T21:31:22.007Z","contents":{"ar":{"name":"مؤشر"},"he":{"name":"מחוון"}}}`,
	`{"type":"extension-definition","spec_version":"2.1","id":"extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e","created_by_ref":"` + idIdentity + `","created":"2014-02-20T09:16:08.989Z","modified":"2014-02-20T09:16:08.989Z","name":"New SDO 1","schema":"https://www.example.com/schema-newsdo-1/v1/","version":"1.2.1","extension_types":["new-sdo"]}`,
	`{"type":"my-favorite-sdo","spec_version":"2.1","id":"my-favorite-sdo--ac97aae4-83f1-46ca-a351-7aeb76678189","created":"2014-02-20T09:16:08.989Z","modified":"2014-02-20T09:16:08.989Z","name":"This is the name of my favorite","some_property_name1":"value1","extensions":{"extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e":{"extension_type":"new-sdo"}}}`,
	`{"type":"artifact","spec_version":"2.1","id":"artifact--6f437177-6e48-5cf8-9d9e-872a2bddd641","mime_type":"application/zip","payload_bin":"ZX7HIBWPkYE=","encryption_algorithm":"mime-type-indicated","decryption_key":"My voice is my passport"}`,
	`{"type":"autonomous-system","spec_version":"2.1","id":"autonomous-system--f720c34b-98ae-597f-ade5-27dc241e8c74","number":15139,"name":"Slime Industries","rir":"ARIN"}`,
	`{"type":"directory","spec_version":"2.1","id":"directory--93c0a9b0-520d-545d-9094-1a08ddf46b05","path":"C:\\Windows\\System32"}`,
	`{"type":"domain-name","spec_version":"2.1","id":"domain-name--3c10e93f-798e-5a26-a0c1-08156efab7f5","value":"example.com","resolves_to_refs":["ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd"]}`,
	`{"type":"email-addr","spec_version":"2.1","id":"email-addr--2d77a846-6264-5d51-b586-e43822ea1ea3","value":"john@example.com","display_name":"John Doe"}`,
	`{"type":"email-message","spec_version":"2.1","id":"email-message--0c57a381-2a17-5e61-8754-5ef96efb286c","from_ref":"email-addr--9b7e29b3-fd8d-562e-b3f0-8fc8134f5dda","to_refs":["email-addr--d1b3bf0c-f02a-51a1-8102-11aba7959868"],"is_multipart":false,"date":"2004-04-19T12:22:23.000Z","subject":"Did you see this?","additional_header_fields":{"Reply-To":["steve@example.com","jane@example.com"]}}`,
	`{"type":"file","spec_version":"2.1","id":"file--e277603e-1060-5ad4-9937-c26c97f1ca68","name":"foo.dll","hashes":{"SHA-256":"bf07a7fbb825fc0aae7bf4a1177b2b31fcf8a3feeaf7092761e18c859ee52a9c"},"extensions":{"ntfs-ext":{"alternate_data_streams":[{"name":"second.stream","size":25536}]}}}`,
	`{"type":"ipv6-addr","spec_version":"2.1","id":"ipv6-addr--1e61d36c-a16c-53b7-a80f-2a00161c96b1","value":"2001:0db8:85a3:0000:0000:8a2e:0370:7334"}`,
	`{"type":"mac-addr","spec_version":"2.1","id":"mac-addr--65cfcf98-8a6e-5a1b-8f61-379ac4f92d00","value":"d2:fb:49:24:37:18"}`,
	`{"type":"mutex","spec_version":"2.1","id":"mutex--eba44954-d4e4-5d3b-814c-2b17dd8de300","name":"__CLEANSWEEP__"}`,
	`{"type":"network-traffic","spec_version":"2.1","id":"network-traffic--2568d22a-8998-58eb-99ec-3c8ca74f527d","src_ref":"ipv4-addr--4d22aae0-2bf9-5427-8819-e4f6abf20a53","dst_ref":"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd","src_port":24678,"dst_port":80,"protocols":["ipv4","tcp","http"],"is_active":true}`,
	`{"type":"process","spec_version":"2.1","id":"process--f52a906a-0dfc-40bd-92f1-e7778ead38a9","pid":1221,"command_line":"./gedit-bin --new-window","image_ref":"file--e277603e-1060-5ad4-9937-c26c97f1ca68"}`,
	`{"type":"software","spec_version":"2.1","id":"software--a1827f6d-ca53-5605-9e93-4316cd22a00a","name":"Word","cpe":"cpe:2.3:a:microsoft:word:2000:*:*:*:*:*:*:*","version":"2002","vendor":"Microsoft"}`,
	`{"type":"url","spec_version":"2.1","id":"url--c1477287-23ac-5971-a010-5c287877fa60","value":"https://example.com/research/index.html"}`,
	`{"type":"user-account","spec_version":"2.1","id":"user-account--0d5b424b-93b8-5cd8-ac36-306e1789d63c","user_id":"1001","account_login":"jdoe","account_type":"unix","is_privileged":false}`,
	`{"type":"windows-registry-key","spec_version":"2.1","id":"windows-registry-key--2ba37ae7-2745-5082-9dfd-9486dad41016","key":"hkey_local_machine\\system\\bar\\foo","values":[{"name":"Foo","data":"qwerty","data_type":"REG_SZ"}]}`,
	`{"type":"x509-certificate","spec_version":"2.1","id":"x509-certificate--463d7b2a-8516-5a50-a3d7-6f801465d5de","issuer":"C=ZA, ST=Western Cape, L=Cape Town, O=Thawte Consulting cc","validity_not_before":"2016-03-12T12:00:00Z","validity_not_after":"2016-08-21T12:00:00Z","subject":"C=US, ST=Maryland, L=Pasadena, O=Brent Baccala, OU=FreeSoft, CN=www.freesoft.org/emailAddress=baccala@freesoft.org"}`,
	`{"type":"email-message","spec_version":"2.1","id":"email-message--cf9b4b7f-14c8-5955-8065-020e0316b559","is_multipart":true,"content_type":"mime-type","body_multipart":[{"content_type":"text/plain; charset=utf-8","content_disposition":"inline","body":"Cats are funny!"},{"content_type":"image/png","content_disposition":"attachment; filename=\"tabby.png\"","body_raw_ref":"artifact--4cce66f8-6eaa-53cb-85d5-3a85fca3a6c5"}]}`,
}

func TestEveryType(t *testing.T) {
	s := loadSchemasOrNil(t)
	seen := map[string]bool{}
	for _, in := range append(everyType, mapValues(validObjects)...) {
		o, err := ParseObject([]byte(in))
		if err != nil {
			t.Errorf("%v\n%s", err, in)
			continue
		}
		seen[o.Type()] = true
		if s != nil {
			out, _ := o.MarshalJSON()
			s.validate(t, out)
		}
	}
	for typ := range specs {
		if !seen[typ] {
			t.Errorf("no object of type %s tested", typ)
		}
	}
}

func mapValues(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// TestSchemaStricter lists what the OASIS schemas refuse of values the
// property tables alone would take, and checks that Parse refuses them too.
func TestSchemaStricter(t *testing.T) {
	for _, in := range []string{
		strings.Replace(everyType[12], `"payload_bin":"ZX7HIBWPkYE=",`, ``, 1),                      // an artifact of nothing
		strings.Replace(everyType[12], `ZX7HIBWPkYE=`, `ZX7HIBWPkYE`, 1),                            // base64 without padding
		strings.Replace(everyType[18], `"hashes":{"SHA-256":"bf07`, `"hashes":{"SHA-256":"zz07`, 1), // not a SHA-256
		strings.Replace(everyType[20], `d2:fb`, `D2:FB`, 1),                                         // uppercase MAC
		strings.Replace(everyType[22], `"is_active":true`, `"is_active":true,"end":"2016-01-01T00:00:00Z"`, 1),
		strings.Replace(everyType[17], `"is_multipart":false`, `"is_multipart":false,"body_multipart":[{"body":"x"}]`, 1),
		strings.Replace(everyType[5], `"name":"Poison Ivy",`, ``, 1), // a family without a name
		strings.Replace(everyType[10], `"extension_types":["new-sdo"]`, `"extension_types":["new-sdo"],"extension_properties":["a_b"]`, 1),
		strings.Replace(everyType[24], `cpe:2.3:a:microsoft:word:2000:*:*:*:*:*:*:*`, `notacpe`, 1),
		strings.Replace(everyType[24], `"version"`, `"languages":["English"],"version"`, 1),
		strings.Replace(everyType[12], `application/zip`, `zip`, 1),
		strings.Replace(everyType[18], `"name":"foo.dll"`, `"name":"foo.dll","name_enc":"?"`, 1),
		strings.Replace(everyType[17], `"is_multipart":false`, `"is_multipart":true,"body_multipart":[{"x":"y"}]`, 1),
		strings.Replace(everyType[17], `"is_multipart":false`, `"is_multipart":true,"body_multipart":[{"body":"y","body_raw_ref":"file--e277603e-1060-5ad4-9937-c26c97f1ca68"}]`, 1),
		strings.Replace(everyType[27], `"data_type":"REG_SZ"`, `"data_type":"REG_FOO"`, 1),
		strings.Replace(everyType[27], `{"name":"Foo","data":"qwerty","data_type":"REG_SZ"}`, `{"x_a":"b"}`, 1),
	} {
		if _, err := ParseObject([]byte(in)); err == nil {
			t.Errorf("accepted %s", in)
		}
	}
}
