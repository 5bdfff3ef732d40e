package web

import (
	"io/fs"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/commerce"
	"github.com/liaison-cell/liaison/internal/deconflict"
	"github.com/liaison-cell/liaison/internal/diplomacy"
	"github.com/liaison-cell/liaison/internal/hotline"
)

// TestCatalogsComplete: every key is in every language, no value is empty,
// and a message names the same arguments in each.
func TestCatalogsComplete(t *testing.T) {
	cat, err := loadCatalogs()
	if err != nil {
		t.Fatal(err)
	}
	arg := regexp.MustCompile(`\{[a-z_]+\}`)
	for _, lang := range Languages {
		for key, en := range cat["en"] {
			v, ok := cat[lang][key]
			switch {
			case !ok:
				t.Errorf("%s.json lacks %q", lang, key)
				continue
			case strings.TrimSpace(v) == "":
				t.Errorf("%s.json: %q is empty", lang, key)
			}
			want, got := arg.FindAllString(en, -1), arg.FindAllString(v, -1)
			slices.Sort(want)
			slices.Sort(got)
			if !slices.Equal(want, got) {
				t.Errorf("%s.json %q has arguments %v, English has %v", lang, key, got, want)
			}
		}
		for key := range cat[lang] {
			if _, ok := cat["en"][key]; !ok {
				t.Errorf("%s.json has %q, which English lacks", lang, key)
			}
		}
	}
	// Arabic and Hebrew are translated, not copied: a value equal to the
	// English one is allowed only where it carries no words.
	for _, lang := range []string{"ar", "he"} {
		for key, en := range cat["en"] {
			if cat[lang][key] == en && regexp.MustCompile(`[A-Za-z]{3,}`).MatchString(arg.ReplaceAllString(en, "")) {
				t.Errorf("%s.json %q is the English text %q", lang, key, en)
			}
		}
	}
}

// TestEveryUsedKeyIsInTheCatalog: the keys the templates and the Go code
// name, and those built from data (desks, precedences, roles, statuses),
// all exist — a missing one would show its key to an officer.
func TestEveryUsedKeyIsInTheCatalog(t *testing.T) {
	cat, err := loadCatalogs()
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]string{}
	tkey := regexp.MustCompile(`\.TH? "([a-z0-9_.]+)"`)
	err = fs.WalkDir(templateFiles, "templates", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(templateFiles, path)
		for _, m := range tkey.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = path
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(used) < 50 {
		t.Fatalf("found only %d keys in the templates: is the pattern stale?", len(used))
	}
	gokey := regexp.MustCompile(`\.TH?\("([a-z0-9_.]+)"[,)]`)
	files, _ := fs.Glob(sourceFiles, "*.go")
	for _, f := range files {
		b, _ := fs.ReadFile(sourceFiles, f)
		for _, m := range gokey.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = f
		}
	}
	jskey := regexp.MustCompile(`\b(?:t|tIso)\('([a-z0-9_.]+)'`)
	scripts, _ := fs.Glob(static, "static/js/*.js")
	for _, f := range scripts {
		b, _ := fs.ReadFile(static, f)
		for _, m := range jskey.FindAllStringSubmatch(string(b), -1) {
			if m[1] == "device." { // device.js adds the key status
				continue
			}
			used["js."+m[1]] = f
		}
	}
	for _, s := range []string{"ok", "missing", "revoked", "unknown"} {
		used["js.device."+s] = "device.js"
	}
	for _, d := range hotline.Desks {
		used["desk."+d] = "data"
	}
	for _, p := range []string{hotline.Flash, hotline.Immediate, hotline.Priority, hotline.Routine} {
		used["prec."+p+".gloss"] = "data"
	}
	for _, r := range cell.Roles {
		used["role."+r] = "data"
	}
	for _, s := range []string{"ok", "pending", "dead", "untested"} {
		used["linktest.status."+s] = "data"
	}
	for _, s := range []string{"normal", "attention", "alert"} {
		used["posture.state."+s] = "data"
	}
	for _, k := range []string{hotline.Joint, hotline.Line} {
		used["channel.kind."+k] = "data"
	}
	for _, l := range Languages {
		used["lang."+l] = "data"
	}
	for _, m := range []string{"human", "machine"} {
		used["translation.method."+m] = "data"
	}
	// The diplomatic desk's words built from its data.
	for prefix, vals := range map[string][]string{
		"dip.status.":        {diplomacy.DisputeFiled, diplomacy.DisputeAcknowledged, diplomacy.DisputeResponded, diplomacy.DisputeFound, diplomacy.DisputeResolved, diplomacy.DisputeEscalated},
		"dip.step.":          {diplomacy.DisputeFiled, diplomacy.DisputeAcknowledged, diplomacy.DisputeResponded, diplomacy.DisputeFound},
		"dip.outcome.":       diplomacy.FindingOutcomes,
		"dip.cstatus.":       diplomacy.Statuses,
		"dip.ckind.":         {diplomacy.KindCommitment, diplomacy.KindWithdrawal},
		"dip.round.outcome.": {diplomacy.OutcomeAgreed, diplomacy.OutcomeCarried, diplomacy.OutcomeNoted},
		"dip.skind.":         {diplomacy.JointStatement, diplomacy.AgreedMinutes},
		"dip.sstatus.":       {"draft", "agreed", "published", "superseded"},
		"dip.change.":        {"added", "removed", "changed", "unchanged"},
		"dip.cite.":          {"message", "incident", "activity", "verification"},
		// The commercial desk's.
		"com.sector.":    slices.Collect(maps.Keys(commerce.Sectors)),
		"com.stage.":     append(slices.Clone(commerce.Stages), commerce.Suspended),
		"com.gate.kind.": {commerce.GateZoneQuiet, commerce.GateCommitment, commerce.GatePosture},
		"desk.posture.":  deconflict.Postures,
	} {
		for _, v := range vals {
			used[prefix+v] = "data"
		}
	}
	for key, where := range used {
		for _, lang := range Languages {
			if _, ok := cat[lang][key]; !ok {
				t.Errorf("%s uses %q, missing from %s.json", where, key, lang)
			}
		}
	}
}

// An optional number (a *int64, as a template's "with" passes a reply's
// reference) reads as the number, not as a memory address.
func TestTranslateDereferences(t *testing.T) {
	cat, err := loadCatalogs()
	if err != nil {
		t.Fatal(err)
	}
	l := &Localizer{Lang: "en", cat: cat["en"], en: cat["en"]}
	n := int64(82)
	if got := l.T("message.corrects", "index", &n); got != "corrects 82" {
		t.Errorf("T with a *int64 = %q, want %q", got, "corrects 82")
	}
	var none *int64
	if got := l.T("message.corrects", "index", none); got != "corrects " {
		t.Errorf("T with a nil pointer = %q", got)
	}
}
