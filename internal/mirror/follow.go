package mirror

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/liaison-cell/liaison/internal/client"
)

// FollowOptions tunes Follow.
type FollowOptions struct {
	// Poll is the fallback: a round at least this often, whatever the
	// stream says (default 5 s), for a stream that is down or a cell too
	// old to announce its log's size (its stream carries only the entries
	// the mirror's member may read).
	Poll time.Duration
	// Retry is the first wait after a failed round or a dropped stream;
	// it doubles with each failure in a row, up to Poll (default 250 ms).
	Retry time.Duration
	// OnRound, if set, is told of every round Follow runs and its error.
	OnRound func(*RoundResult, error)
}

// settle is the first wait after a round that found the signed
// checkpoint behind the stream, doubling up to maxSettle: the cell signs
// one shortly after a commit and then at most once per checkpoint
// interval (200 ms by default), so the entry the stream announced is
// covered a moment later. The cap keeps the lag near that interval; a
// cell that signs nothing new for longer than the poll is asked at the
// poll.
const (
	settle    = 20 * time.Millisecond
	maxSettle = 100 * time.Millisecond
)

// Follow keeps the mirror following the cell until ctx ends (nil) or a
// round raises an alarm (an error wrapping ErrAlarm). It subscribes to
// the cell's live stream and runs a round whenever the stream says the
// log grew beyond the checkpoint held: one round covers every entry the
// cell signed meanwhile, so a burst costs a few rounds, not one per
// entry. A round that finds the signed checkpoint still behind the size
// announced is retried shortly, a failed one (the line is down) with
// backoff; the stream reconnects with backoff and resumes where it was,
// and a round runs on each reconnect, so the mirror catches up as soon
// as the line returns.
func (m *Mirror) Follow(ctx context.Context, opt FollowOptions) error {
	if opt.Poll <= 0 {
		opt.Poll = 5 * time.Second
	}
	if opt.Retry <= 0 {
		opt.Retry = 250 * time.Millisecond
	}
	opt.Retry = min(opt.Retry, opt.Poll)
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()

	// want is the log size the stream has announced; wake, with room for
	// one, merges every announcement made during a round into one more.
	var want atomic.Int64
	wake := make(chan struct{}, 1)
	// connected says the stream (re)opened: the cell is back, and a round
	// waiting out a failure's backoff goes at once.
	connected := make(chan struct{}, 1)
	signal := func(ch chan struct{}) func() {
		return func() {
			select {
			case ch <- struct{}{}:
			default:
			}
		}
	}
	wg.Go(func() { m.stream(ctx, opt, &want, signal(wake), signal(connected)) })

	failed := opt.Retry
	behind := settle
	var behindSince time.Time
	for {
		// A round started after this covers whatever was announced before.
		for _, ch := range []chan struct{}{wake, connected} {
			select {
			case <-ch:
			default:
			}
		}
		r, err := m.Round(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if opt.OnRound != nil {
			opt.OnRound(r, err)
		}
		var wait time.Duration
		retry := true
		switch {
		case errors.Is(err, ErrAlarm):
			return err
		case err != nil:
			wait, failed = failed, min(2*failed, opt.Poll)
		case m.size < want.Load() && r.To > r.From:
			// Under load a round takes long enough for the cell to sign
			// the next checkpoint meanwhile: the next round goes at once.
			failed, behind, behindSince = opt.Retry, settle, time.Now()
		case m.size < want.Load():
			failed = opt.Retry
			if behindSince.IsZero() {
				behindSince = time.Now()
			}
			wait, behind = behind, min(2*behind, maxSettle)
			if time.Since(behindSince) > opt.Poll {
				wait = opt.Poll
			}
		default:
			failed, behind, behindSince = opt.Retry, settle, time.Time{}
			wait, retry = opt.Poll, false
		}
		// An announcement does not cut a retry's wait short: the next
		// round is due anyway, and a struggling cell is not asked more
		// often for it.
		listen := wake
		if retry {
			listen = nil
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-listen:
		case <-connected:
		case <-t.C:
		}
		t.Stop()
	}
}

// stream follows the cell's live stream from the log's end, raising want
// to each log size the cell announces (and, from a cell that announces
// none, to each readable entry's index + 1) and kicking the loop, which
// it also tells of each (re)connection; it runs
// until ctx ends, starting the stream again (from the log's then end)
// whenever the client gives up on it.
func (m *Mirror) stream(ctx context.Context, opt FollowOptions, want *atomic.Int64, kick, connected func()) {
	raise := func(size int64) {
		for {
			w := want.Load()
			if size <= w || want.CompareAndSwap(w, size) {
				break
			}
		}
		kick()
	}
	wait := opt.Retry
	for ctx.Err() == nil {
		err := m.cfg.Client.Stream(ctx, client.StreamOptions{
			After:        -2,
			Reconnect:    opt.Retry,
			MaxReconnect: opt.Poll,
			OnConnect:    connected,
			OnReconnect: func(err error) {
				m.cfg.Logger.Info("mirror: the cell's stream dropped; reconnecting", "err", err)
				// A round now says whether the line is down, rather than
				// at the next poll.
				kick()
			},
			OnLog: raise,
			// Three of the cell's 15 s heartbeats missed: the line was
			// cut without a word.
			Idle: 45 * time.Second,
		}, func(e client.Event) error {
			raise(e.Index + 1)
			return nil
		})
		if ctx.Err() != nil {
			return
		}
		// The client does not reconnect on a refusal (the session ended,
		// or the cell no longer has the entry it would resume after: a
		// restored cell, which the next round judges). Rounds go on at the
		// poll; the stream is tried again, later and later.
		m.cfg.Logger.Warn("mirror: the cell refused its stream; polling meanwhile", "err", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		wait = min(2*wait, opt.Poll)
	}
}
