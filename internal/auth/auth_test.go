package auth

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"
)

func TestPasswordRoundTrip(t *testing.T) {
	for _, pw := range []string{"correct horse battery staple", "x", "", "كلمة السر", strings.Repeat("p", 256)} {
		h, err := HashPassword(pw, TestParams)
		if err != nil {
			t.Fatal(err)
		}
		if err := CheckPassword(h, pw); err != nil {
			t.Errorf("CheckPassword(%q) = %v", pw, err)
		}
		for _, wrong := range []string{pw + "x", strings.ToUpper(pw) + "!", pw[:len(pw)/2] + "?"} {
			if err := CheckPassword(h, wrong); !errors.Is(err, ErrBadPassword) {
				t.Errorf("CheckPassword(hash of %q, %q) = %v, want ErrBadPassword", pw, wrong, err)
			}
		}
	}
}

func TestHashesAreSalted(t *testing.T) {
	a, _ := HashPassword("same password", TestParams)
	b, _ := HashPassword("same password", TestParams)
	if a == b {
		t.Fatal("two hashes of one password are equal: no salt")
	}
}

// phc is the PHC string format of an argon2id hash (salt and key in
// unpadded standard base64).
var phc = regexp.MustCompile(`^\$argon2id\$v=(\d+)\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$`)

func TestPHCFormat(t *testing.T) {
	p := Params{Time: 2, Memory: 2048, Threads: 3}
	h, err := HashPassword("pw", p)
	if err != nil {
		t.Fatal(err)
	}
	m := phc.FindStringSubmatch(h)
	if m == nil {
		t.Fatalf("%q is not a PHC argon2id string", h)
	}
	if want := []string{fmt.Sprint(argon2.Version), "2048", "2", "3"}; m[1] != want[0] || m[2] != want[1] || m[3] != want[2] || m[4] != want[3] {
		t.Errorf("%q: version and parameters %v, want %v", h, m[1:5], want)
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(m[5])
	key, err2 := base64.RawStdEncoding.DecodeString(m[6])
	if err1 != nil || err2 != nil || len(salt) != 16 || len(key) != 32 {
		t.Errorf("%q: salt %d bytes, key %d bytes (%v, %v); want 16 and 32", h, len(salt), len(key), err1, err2)
	}
	// The hash carries its parameters: a hash made with other parameters
	// still verifies.
	if err := CheckPassword(h, "pw"); err != nil {
		t.Errorf("CheckPassword with the hash's own parameters: %v", err)
	}
	// And it is exactly what argon2id computes.
	if want := argon2.IDKey([]byte("pw"), salt, 2, 2048, 3, 32); string(want) != string(key) {
		t.Error("the key is not argon2id(password, salt) with the stated parameters")
	}
}

func TestCheckPasswordRejectsOtherHashes(t *testing.T) {
	good, _ := HashPassword("pw", TestParams)
	parts := strings.Split(good, "$")
	for name, h := range map[string]string{
		"empty":        "",
		"bcrypt":       "$2a$10$abcdefghijklmnopqrstuuD1c5DGhfgCkz2Q0.fUl5AqG1F3ZVYfK",
		"argon2i":      strings.Replace(good, "argon2id", "argon2i", 1),
		"old version":  strings.Replace(good, "v=19", "v=16", 1),
		"bad params":   strings.Join([]string{"", parts[1], parts[2], "m=x,t=1,p=1", parts[4], parts[5]}, "$"),
		"bad salt":     strings.Join([]string{"", parts[1], parts[2], parts[3], "!!", parts[5]}, "$"),
		"bad key":      strings.Join([]string{"", parts[1], parts[2], parts[3], parts[4], "!!"}, "$"),
		"extra field":  good + "$x",
		"plain text":   "pw",
		"missing salt": strings.Join([]string{"", parts[1], parts[2], parts[3], parts[5]}, "$"),
	} {
		err := CheckPassword(h, "pw")
		if err == nil {
			t.Errorf("%s: %q accepted", name, h)
		}
	}
}

func TestSecrets(t *testing.T) {
	a, b := NewSecret("lsn_"), NewSecret("lsn_")
	if a == b || !strings.HasPrefix(a, "lsn_") || len(a) != len("lsn_")+43 {
		t.Errorf("secrets %q, %q", a, b)
	}
	want := sha256.Sum256([]byte(a))
	if string(HashSecret(a)) == string(HashSecret(b)) || string(HashSecret(a)) != string(want[:]) {
		t.Error("HashSecret is not a SHA-256 of the secret")
	}
}

func TestNewPassword(t *testing.T) {
	const alphabet = "abcdefghijkmnpqrstuvwxyz23456789"
	shape := regexp.MustCompile(`^[` + alphabet + `]{4}(-[` + alphabet + `]{4}){4}$`)
	seen := map[rune]bool{}
	prev := ""
	for range 2000 {
		pw := NewPassword()
		if !shape.MatchString(pw) {
			t.Fatalf("%q: want five groups of four from %q", pw, alphabet)
		}
		if strings.ContainsAny(pw, "01lo") {
			t.Fatalf("%q holds a look-alike character", pw)
		}
		if pw == prev {
			t.Fatalf("the same password twice: %q", pw)
		}
		prev = pw
		for _, c := range strings.ReplaceAll(pw, "-", "") {
			seen[c] = true
		}
	}
	// 2000 passwords of 20 characters use the whole alphabet: it is not
	// silently narrowed.
	if len(seen) != len(alphabet) {
		t.Errorf("%d distinct characters in 40000, want all %d", len(seen), len(alphabet))
	}
}

// fakeClock is a clock the test moves by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time      { return c.t }
func (c *fakeClock) add(d time.Duration) { c.t = c.t.Add(d) }
func newLimiterAt(c *fakeClock, burst int, interval time.Duration) *Limiter {
	l := NewLimiter(burst, interval)
	l.now = c.now
	return l
}

func TestLimiterBurst(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := newLimiterAt(clk, 3, time.Minute)
	for i := range 3 {
		if ok, wait := l.Allow("il.duty"); !ok || wait != 0 {
			t.Fatalf("attempt %d of the burst: %v, %v", i+1, ok, wait)
		}
	}
	ok, wait := l.Allow("il.duty")
	if ok || wait != time.Minute {
		t.Fatalf("after the burst: %v, wait %v; want refused, wait 1m", ok, wait)
	}
	// Refused attempts do not dig the hole deeper.
	for range 5 {
		l.Allow("il.duty")
	}
	if _, wait := l.Allow("il.duty"); wait != time.Minute {
		t.Errorf("after more refused attempts, wait %v; want still 1m", wait)
	}
	// Keys are independent.
	if ok, _ := l.Allow("sy.duty"); !ok {
		t.Error("another key was limited")
	}
}

func TestLimiterRefill(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := newLimiterAt(clk, 2, 10*time.Second)
	l.Allow("k")
	l.Allow("k")
	clk.add(4 * time.Second)
	if ok, wait := l.Allow("k"); ok || wait != 6*time.Second {
		t.Fatalf("4s into a 10s refill: %v, wait %v; want refused, wait 6s", ok, wait)
	}
	clk.add(6 * time.Second)
	if ok, _ := l.Allow("k"); !ok {
		t.Fatal("one token refilled after the interval, but refused")
	}
	if ok, _ := l.Allow("k"); ok {
		t.Fatal("only one token refilled, but a second attempt passed")
	}
	// A long rest refills up to the burst, never beyond.
	clk.add(time.Hour)
	for i := range 2 {
		if ok, _ := l.Allow("k"); !ok {
			t.Fatalf("after a rest, attempt %d refused", i+1)
		}
	}
	if ok, _ := l.Allow("k"); ok {
		t.Fatal("a rest filled the bucket beyond its burst")
	}
	// A clock that steps back refills nothing.
	clk.add(-time.Hour)
	if ok, _ := l.Allow("k"); ok {
		t.Fatal("a clock stepping back refilled the bucket")
	}
}

func TestLimiterForgetsIdleKeys(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := newLimiterAt(clk, 1, time.Second)
	for i := range 100_001 {
		l.Allow(fmt.Sprint(i))
	}
	clk.add(time.Minute)
	l.Allow("new")
	if n := len(l.buckets); n > 10 {
		t.Errorf("%d buckets kept after every key went idle, want the memory back", n)
	}
}

// A right password gives back its token: only failures are limited.
func TestLimiterRefund(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := newLimiterAt(clk, 2, time.Hour)
	for range 10 {
		if ok, _ := l.Allow("k"); !ok {
			t.Fatal("refunded attempts ran the bucket dry")
		}
		l.Refund("k")
	}
	l.Allow("k")
	l.Allow("k")
	if ok, _ := l.Allow("k"); ok {
		t.Fatal("a third failure passed a burst of two")
	}
	// A refund never fills beyond the burst, nor makes up a bucket.
	for range 5 {
		l.Refund("k")
		l.Refund("other")
	}
	l.Allow("k")
	l.Allow("k")
	if ok, _ := l.Allow("k"); ok {
		t.Fatal("refunds filled the bucket beyond its burst")
	}
	if len(l.buckets) != 1 {
		t.Errorf("%d buckets: a refund of an unknown key made one", len(l.buckets))
	}
}

// However many keys are sprayed, and none idle, memory stays bounded.
func TestLimiterIsBounded(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := newLimiterAt(clk, 1, time.Hour)
	for i := range 3 * MaxLimiterKeys {
		l.Allow(fmt.Sprint(i))
	}
	if n := len(l.buckets); n > MaxLimiterKeys+1 {
		t.Errorf("%d buckets kept, want at most %d", n, MaxLimiterKeys+1)
	}
}

// Failed sign-ins as a member are reported once per threshold within the
// window, with how many, from how many addresses, since when; then the
// count starts again.
func TestFailureWatch(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 1, 1, 6, 0, 0, 0, time.UTC)}
	w := NewFailureWatch(24 * time.Hour)
	w.now = clk.now
	start := clk.t
	var got []Report
	for i := range 120 {
		clk.add(time.Second)
		if r, ok := w.Fail("il-sy\x00il.intelligence", fmt.Sprintf("198.51.100.%d", i%7)); ok {
			got = append(got, r)
		}
	}
	want := []Report{
		{Failures: 5, Addresses: 5, Threshold: 5, Since: start.Add(time.Second)},
		{Failures: 20, Addresses: 7, Threshold: 20, Since: start.Add(time.Second)},
		{Failures: 100, Addresses: 7, Threshold: 100, Since: start.Add(time.Second)},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("reports %+v\nwant %+v", got, want)
	}
	// Another member is counted apart.
	for range 4 {
		if _, ok := w.Fail("il-sy\x00il.duty", "203.0.113.9"); ok {
			t.Fatal("il.duty reported after 4 failures")
		}
	}
	// A day later the count starts again.
	clk.add(25 * time.Hour)
	for i := range 5 {
		r, ok := w.Fail("il-sy\x00il.intelligence", "192.0.2.1")
		if ok != (i == 4) || (ok && (r.Failures != 5 || r.Addresses != 1 || !r.Since.Equal(clk.t))) {
			t.Fatalf("failure %d of a new window: %+v %v", i+1, r, ok)
		}
	}
	// The addresses of one member are counted up to a bound.
	for i := range 3 * maxWatchedAddrs {
		w.Fail("il-sy\x00il.duty", fmt.Sprint("addr ", i))
	}
	if n := len(w.runs["il-sy\x00il.duty"].addrs); n > maxWatchedAddrs {
		t.Errorf("%d addresses kept, want at most %d", n, maxWatchedAddrs)
	}
}

func TestLimiterForget(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := newLimiterAt(clk, 1, time.Hour)
	l.Allow("k")
	l.Allow("other")
	l.Forget("k")
	if ok, _ := l.Allow("k"); !ok {
		t.Error("a forgotten key is still limited")
	}
	if ok, _ := l.Allow("other"); ok {
		t.Error("forgetting one key freed another")
	}
}
