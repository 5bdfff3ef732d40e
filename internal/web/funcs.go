package web

import (
	"fmt"
	"html/template"
	"strings"
)

var funcs = template.FuncMap{
	"lower": strings.ToLower,
	// with2 passes the localizer with a value to a nested template.
	"with2": func(l *Localizer, v any) map[string]any { return map[string]any{"L": l, "V": v} },
	"bytes": humanBytes,
	"langs": func() []string { return Languages },
	// ltr marks an argument of TH as laid out left to right.
	"ltr": func(v any) ltrText { return ltrText(fmt.Sprint(deref(v))) },
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
