// Package auth holds Liaison's local credentials: argon2id password hashes,
// bearer tokens and browser sessions (stored only as SHA-256 hashes), and the
// login rate limiter. None of it is in the log.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id parameters.
type Params struct {
	Time    uint32
	Memory  uint32 // KiB
	Threads uint8
}

// DefaultParams follow RFC 9106's second recommended option (64 MiB, 3
// passes), fitting a server that signs in a few officers per minute.
var DefaultParams = Params{Time: 3, Memory: 64 * 1024, Threads: 2}

// TestParams are cheap, for tests and benchmarks only.
var TestParams = Params{Time: 1, Memory: 1024, Threads: 1}

// ErrBadPassword reports a password that does not match.
var ErrBadPassword = errors.New("wrong username or password")

// HashPassword returns a PHC-format argon2id hash of password.
func HashPassword(password string, p Params) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, 32)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// CheckPassword compares password with a hash made by HashPassword, in
// constant time.
func CheckPassword(hash, password string) error {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return errors.New("password hash: not argon2id")
	}
	var v int
	var p Params
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return errors.New("password hash: unsupported version")
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return errors.New("password hash: bad parameters")
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return errors.New("password hash: bad salt")
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil {
		return errors.New("password hash: bad key")
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return ErrBadPassword
	}
	return nil
}

// NewSecret returns a random token secret, prefixed so that it is
// recognisable when it leaks into a log or a paste.
func NewSecret(prefix string) string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

// HashSecret is how tokens are stored and looked up.
func HashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// NewPassword returns a random password that is easy to type and read
// aloud: five groups of four lower-case letters and digits without the
// look-alikes 0/o and 1/l.
func NewPassword() string {
	const alphabet = "abcdefghijkmnpqrstuvwxyz23456789"
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	var s strings.Builder
	for i, c := range b {
		if i > 0 && i%4 == 0 {
			s.WriteByte('-')
		}
		s.WriteByte(alphabet[int(c)%len(alphabet)])
	}
	return s.String()
}

// Limiter is a token bucket per key (a username at an address, or an
// address): burst attempts at once, then one per interval.
type Limiter struct {
	mu       sync.Mutex
	burst    float64
	interval time.Duration
	buckets  map[string]*bucket
	now      func() time.Time
	maxKeys  int
}

// MaxLimiterKeys bounds the keys a Limiter remembers.
const MaxLimiterKeys = 100_000

type bucket struct {
	tokens float64
	last   time.Time
}

// NewLimiter returns a limiter.
func NewLimiter(burst int, interval time.Duration) *Limiter {
	return &Limiter{burst: float64(burst), interval: interval, buckets: map[string]*bucket{}, now: time.Now, maxKeys: MaxLimiterKeys}
}

// Allow takes a token for key; when none is left it returns false and how
// long until one is.
func (l *Limiter) Allow(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.buckets) > l.maxKeys {
		l.forget(now)
	}
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	b.tokens = min(l.burst, b.tokens+float64(now.Sub(b.last))/float64(l.interval))
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) * float64(l.interval))
}

// Refund gives back the token an attempt took, as when it turns out not
// to count (a right password, where only failures are limited).
func (l *Limiter) Refund(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if b, ok := l.buckets[key]; ok {
		b.tokens = min(l.burst, b.tokens+1)
	}
}

// Forget drops what key has spent, as when a username signs in from an
// address: its earlier failures there were its own typing.
func (l *Limiter) Forget(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.buckets, key)
}

// forget bounds the memory under a spray of keys. A bucket that has
// refilled is as good as none; if too many are still filling, arbitrary
// ones go too: what they held back, the other limits still do.
func (l *Limiter) forget(now time.Time) {
	for k, b := range l.buckets {
		if now.Sub(b.last) > time.Duration(l.burst)*l.interval {
			delete(l.buckets, k)
		}
	}
	if len(l.buckets) <= l.maxKeys {
		return
	}
	for k := range l.buckets {
		if len(l.buckets) <= l.maxKeys*9/10 {
			break
		}
		delete(l.buckets, k)
	}
}

// SigninThresholds are the numbers of failed sign-ins as one member,
// within a FailureWatch's window, at which the server reports them: a
// handful of reports for a flood of guesses, not a flood of reports.
var SigninThresholds = []int{5, 20, 100, 500, 2500, 10000}

// maxWatchedAddrs bounds the distinct addresses counted for one member.
const maxWatchedAddrs = 1024

// FailureWatch counts failed sign-ins per member, and the distinct client
// addresses they came from, over a window that starts with the first
// failure. Only members that exist are counted, so its memory is bounded
// by the roster: an unknown username leaves nothing here.
type FailureWatch struct {
	mu     sync.Mutex
	window time.Duration
	runs   map[string]*failureRun
	now    func() time.Time
}

type failureRun struct {
	since time.Time
	count int
	addrs map[string]struct{}
	next  int // index in SigninThresholds of the next report
}

// Report is a threshold crossed: Failures from Addresses addresses since
// Since.
type Report struct {
	Failures, Addresses, Threshold int
	Since                          time.Time
}

// NewFailureWatch returns a watch whose runs last window.
func NewFailureWatch(window time.Duration) *FailureWatch {
	return &FailureWatch{window: window, runs: map[string]*failureRun{}, now: time.Now}
}

// Fail counts a failure for member (a key naming an existing member) from
// addr. It returns a report, once, when the count reaches a threshold.
func (w *FailureWatch) Fail(member, addr string) (Report, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.now()
	r := w.runs[member]
	if r == nil || now.Sub(r.since) > w.window || now.Before(r.since) {
		if len(w.runs) >= MaxLimiterKeys {
			for k, old := range w.runs {
				if now.Sub(old.since) > w.window {
					delete(w.runs, k)
				}
			}
		}
		r = &failureRun{since: now, addrs: map[string]struct{}{}}
		w.runs[member] = r
	}
	r.count++
	if len(r.addrs) < maxWatchedAddrs {
		r.addrs[addr] = struct{}{}
	}
	if r.next < len(SigninThresholds) && r.count >= SigninThresholds[r.next] {
		rep := Report{Failures: r.count, Addresses: len(r.addrs), Threshold: SigninThresholds[r.next], Since: r.since}
		r.next++
		return rep, true
	}
	return Report{}, false
}
