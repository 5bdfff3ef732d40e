package web

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"net/http"
	"strings"
)

// The cell's icon, so that a tab of the watch is found among many: two
// parties and the mediator, joined. One list of shapes draws both the SVG
// that browsers use and the ICO that clients ask for at /favicon.ico
// without reading the page, so the two cannot drift apart.

type iconShape struct {
	kind      string // "square" (rounded), "bar", "disc"
	x, y, r   float64
	x2, y2, w float64
	fill      color.RGBA
}

var (
	iconNavy  = color.RGBA{0x1d, 0x24, 0x30, 0xff} // the header's colour
	iconWhite = color.RGBA{0xff, 0xff, 0xff, 0xff}
	iconGold  = color.RGBA{0xff, 0xd5, 0x4f, 0xff} // the header's focus ring
)

// iconShapes are in a 32×32 box, painted in order.
var iconShapes = []iconShape{
	{kind: "square", r: 6, fill: iconNavy},
	{kind: "bar", x: 8, y: 22, x2: 24, y2: 22, w: 2.5, fill: iconWhite},
	{kind: "bar", x: 8, y: 22, x2: 16, y2: 10, w: 2.5, fill: iconWhite},
	{kind: "bar", x: 24, y: 22, x2: 16, y2: 10, w: 2.5, fill: iconWhite},
	{kind: "disc", x: 8, y: 22, r: 5, fill: iconWhite},
	{kind: "disc", x: 24, y: 22, r: 5, fill: iconWhite},
	{kind: "disc", x: 16, y: 10, r: 5.5, fill: iconGold},
}

func hexColor(c color.RGBA) string { return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B) }

func iconSVG() []byte {
	var b strings.Builder
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32" width="32" height="32">`)
	for _, s := range iconShapes {
		switch s.kind {
		case "square":
			fmt.Fprintf(&b, `<rect width="32" height="32" rx="%g" fill="%s"/>`, s.r, hexColor(s.fill))
		case "bar":
			fmt.Fprintf(&b, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="%s" stroke-width="%g"/>`, s.x, s.y, s.x2, s.y2, hexColor(s.fill), s.w)
		case "disc":
			fmt.Fprintf(&b, `<circle cx="%g" cy="%g" r="%g" fill="%s"/>`, s.x, s.y, s.r, hexColor(s.fill))
		}
	}
	b.WriteString(`</svg>`)
	return []byte(b.String())
}

// inside reports whether the point (x, y) of the 32×32 box is in s.
func (s iconShape) inside(x, y float64) bool {
	switch s.kind {
	case "square":
		// The distance from the square shrunk by the corner radius.
		dx := math.Max(math.Abs(x-16)-(16-s.r), 0)
		dy := math.Max(math.Abs(y-16)-(16-s.r), 0)
		return x >= 0 && x <= 32 && y >= 0 && y <= 32 && dx*dx+dy*dy <= s.r*s.r
	case "bar":
		vx, vy := s.x2-s.x, s.y2-s.y
		t := math.Max(0, math.Min(1, ((x-s.x)*vx+(y-s.y)*vy)/(vx*vx+vy*vy)))
		// Butt ends, as SVG's default line cap: no point beyond the ends.
		if t == 0 || t == 1 {
			return false
		}
		px, py := s.x+t*vx-x, s.y+t*vy-y
		return px*px+py*py <= s.w*s.w/4
	case "disc":
		return (x-s.x)*(x-s.x)+(y-s.y)*(y-s.y) <= s.r*s.r
	}
	return false
}

// iconImage paints the shapes at size×size, 4×4 samples a pixel.
func iconImage(size int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	const n = 4
	scale := 32 / float64(size)
	for py := 0; py < size; py++ {
		for px := 0; px < size; px++ {
			var r, g, b, a float64
			for sy := 0; sy < n; sy++ {
				for sx := 0; sx < n; sx++ {
					x := (float64(px) + (float64(sx)+.5)/n) * scale
					y := (float64(py) + (float64(sy)+.5)/n) * scale
					var c color.RGBA
					for _, s := range iconShapes {
						if s.inside(x, y) {
							c = s.fill
						}
					}
					if c.A != 0 {
						r, g, b, a = r+float64(c.R), g+float64(c.G), b+float64(c.B), a+1
					}
				}
			}
			if a > 0 {
				img.SetNRGBA(px, py, color.NRGBA{uint8(r / a), uint8(g / a), uint8(b / a), uint8(a / (n * n) * 255)})
			}
		}
	}
	return img
}

// iconICO is an ICO file holding PNG images (allowed since Windows Vista,
// read by every browser) at the sizes a tab and a bookmark use.
func iconICO() []byte {
	sizes := []int{16, 32}
	var pngs [][]byte
	for _, s := range sizes {
		var buf bytes.Buffer
		if err := png.Encode(&buf, iconImage(s)); err != nil {
			panic(err) // an in-memory encode of a valid image does not fail
		}
		pngs = append(pngs, buf.Bytes())
	}
	var out bytes.Buffer
	le := binary.LittleEndian
	out.Write(le.AppendUint16(le.AppendUint16(le.AppendUint16(nil, 0), 1), uint16(len(sizes))))
	offset := 6 + 16*len(sizes)
	for i, s := range sizes {
		e := []byte{byte(s), byte(s), 0, 0}
		e = le.AppendUint16(e, 1)  // colour planes
		e = le.AppendUint16(e, 32) // bits per pixel
		e = le.AppendUint32(e, uint32(len(pngs[i])))
		e = le.AppendUint32(e, uint32(offset))
		out.Write(e)
		offset += len(pngs[i])
	}
	for _, p := range pngs {
		out.Write(p)
	}
	return out.Bytes()
}

// serveIcon answers an icon made once at start.
func serveIcon(contentType string, body []byte) http.HandlerFunc {
	return func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Type", contentType)
		rw.Header().Set("Cache-Control", "public, max-age=86400")
		if r.Method != http.MethodHead {
			rw.Write(body) //nolint:errcheck
		}
	}
}
