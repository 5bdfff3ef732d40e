package web_test

// The duty officer's screen as found in a real browser (issue 8): what
// an officer relies on at a glance, page by page.

import (
	"bytes"
	"encoding/binary"
	"image/png"
	"net/http"
	"strings"
	"testing"
)

// An officer who lands on an error page still sees which cell's screen it
// is; a visitor who is not signed in is not told the cell's name.
func TestErrorPagesNameTheCell(t *testing.T) {
	ts := newServer(t)
	sy := ts.signInEnglish(t, "sy.duty")
	flash := mediatorFlash(t, sy.page("/channels/line-sy"))
	il := ts.signInEnglish(t, "il.duty")
	const name = `<span class="cell" dir="auto">Israel–Syria liaison mechanism</span>`
	for path, status := range map[string]int{
		"/no/such/page":     http.StatusNotFound,
		"/channels/line-sy": http.StatusNotFound,  // another party's line
		"/record/" + flash:  http.StatusForbidden, // an entry of that line
		"/record?from=x":    http.StatusBadRequest,
	} {
		r := il.get(path)
		if r.Status != status {
			t.Errorf("il GET %s: %d, want %d", path, r.Status, status)
			continue
		}
		mustContain(t, "il's error page "+path, r.Body, name, `<link rel="icon" href="/favicon.svg"`)
	}
	mustContain(t, "an Arabic error page", il.get("/no/such/page?lang=ar").Body, `<span class="cell" dir="auto">آلية الارتباط بين إسرائيل وسوريا</span>`)
	r := ts.anonymous(t).get("/no/such/page")
	if r.Status != http.StatusNotFound {
		t.Fatalf("anonymous GET /no/such/page: %d", r.Status)
	}
	mustNotContain(t, "a signed-out error page", r.Body, "Israel–Syria liaison mechanism")
}

// Every browser asks a site for /favicon.ico, page or no page: it is an
// icon (the cell's, in the two sizes a tab and a bookmark use), and the
// SVG the layout links is served too.
func TestFaviconIsServed(t *testing.T) {
	ts := newServer(t)
	b := ts.anonymous(t)
	r := b.get("/favicon.ico")
	if r.Status != http.StatusOK || r.Header.Get("Content-Type") != "image/x-icon" {
		t.Fatalf("GET /favicon.ico: %d %q", r.Status, r.Header.Get("Content-Type"))
	}
	ico := []byte(r.Body)
	le := binary.LittleEndian
	if len(ico) < 6 || le.Uint16(ico[0:]) != 0 || le.Uint16(ico[2:]) != 1 {
		t.Fatalf("/favicon.ico is not an ICO file: % x", ico[:min(len(ico), 16)])
	}
	n := int(le.Uint16(ico[4:]))
	sizes := map[int]bool{}
	for i := range n {
		e := ico[6+16*i:]
		size, length, offset := int(e[0]), le.Uint32(e[8:]), le.Uint32(e[12:])
		img, err := png.Decode(bytes.NewReader(ico[offset : offset+length]))
		if err != nil {
			t.Fatalf("image %d of /favicon.ico: %v", i, err)
		}
		if b := img.Bounds(); b.Dx() != size || b.Dy() != size {
			t.Errorf("image %d says %d px, holds %v", i, size, b)
		}
		// Drawn, not blank: the corner is outside the rounded square, the
		// middle of the mediator's disc is gold.
		if _, _, _, a := img.At(0, 0).RGBA(); a != 0 {
			t.Errorf("%d px: the corner is painted", size)
		}
		if r, g, b, _ := img.At(size/2, size*10/32).RGBA(); r>>8 < 0xe0 || g>>8 < 0xc0 || b>>8 > 0x90 {
			t.Errorf("%d px: the mediator's disc is %x %x %x, not gold", size, r>>8, g>>8, b>>8)
		}
		sizes[size] = true
	}
	if !sizes[16] || !sizes[32] {
		t.Errorf("/favicon.ico holds sizes %v, want 16 and 32", sizes)
	}
	r = b.get("/favicon.svg")
	if r.Status != http.StatusOK || r.Header.Get("Content-Type") != "image/svg+xml" || !strings.HasPrefix(r.Body, "<svg ") {
		t.Errorf("GET /favicon.svg: %d %q %.40q", r.Status, r.Header.Get("Content-Type"), r.Body)
	}
}
