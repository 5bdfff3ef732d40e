package store

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Appender batches concurrent appends to a cell into group commits: while
// one transaction commits, the next requests queue, and the next transaction
// takes them all. One fsync then serves many writes, which is how durable
// throughput is reached; no request waits for a timer.
type Appender struct {
	s        Store
	maxBatch int
	maxQueue int
	// OnCommit runs after each committed batch that appended entries, with
	// the cell's new log size, before the callers are answered.
	onCommit func(cell string, size int64)

	mu     sync.Mutex
	queues map[string]chan *job
	closed bool
	wg     sync.WaitGroup
}

type job struct {
	ctx  context.Context
	p    *Pending
	done chan Result
}

// AppenderConfig tunes an Appender.
type AppenderConfig struct {
	MaxBatch int                           // entries per transaction (default 512)
	MaxQueue int                           // waiting entries per cell before ErrPushback (default 8192)
	OnCommit func(cell string, size int64) // optional
}

// NewAppender returns an Appender over s.
func NewAppender(s Store, c AppenderConfig) *Appender {
	if c.MaxBatch <= 0 {
		c.MaxBatch = 512
	}
	if c.MaxQueue <= 0 {
		c.MaxQueue = 8192
	}
	return &Appender{s: s, maxBatch: c.MaxBatch, maxQueue: c.MaxQueue, onCommit: c.OnCommit, queues: map[string]chan *job{}}
}

// Append queues p for cell and waits until it is committed (or rejected).
func (a *Appender) Append(ctx context.Context, cell string, p *Pending) (Result, error) {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return Result{}, ErrClosed
	}
	q, ok := a.queues[cell]
	if !ok {
		q = make(chan *job, a.maxQueue)
		a.queues[cell] = q
		a.wg.Add(1)
		go a.run(cell, q)
	}
	j := &job{ctx: ctx, p: p, done: make(chan Result, 1)}
	select { // under the lock, so that Close cannot close q meanwhile
	case q <- j:
		a.mu.Unlock()
	default:
		a.mu.Unlock()
		return Result{}, ErrPushback
	}
	// Once queued the job runs even if ctx ends: the caller may have gone,
	// but a retry with the same idempotency key then finds the entry.
	r := <-j.done
	return r, nil
}

func (a *Appender) run(cell string, q chan *job) {
	defer a.wg.Done()
	batch := make([]*job, 0, a.maxBatch)
	for first := range q {
		batch = append(batch[:0], first)
	drain:
		for len(batch) < a.maxBatch {
			select {
			case j, ok := <-q:
				if !ok {
					break drain
				}
				batch = append(batch, j)
			default:
				break drain
			}
		}
		a.commit(cell, batch)
	}
}

// commitTimeout bounds a batch's transaction: 30 s, and 10 s more per MiB
// of commands, since a STIX bundle of ten thousand objects projects twenty
// thousand rows and a loaded PostgreSQL takes its time over them.
func commitTimeout(ps []*Pending) time.Duration {
	var n int
	for _, p := range ps {
		if p.Entry != nil && p.Entry.Envelope != nil {
			n += len(p.Entry.Envelope.Payload)
		}
	}
	return 30*time.Second + time.Duration(n>>20)*10*time.Second
}

func (a *Appender) commit(cell string, jobs []*job) {
	ps := make([]*Pending, 0, len(jobs))
	live := jobs[:0:0]
	for _, j := range jobs {
		if j.ctx.Err() != nil { // gave up before we started: nothing written
			j.done <- Result{Err: j.ctx.Err()}
			continue
		}
		ps = append(ps, j.p)
		live = append(live, j)
	}
	if len(ps) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), commitTimeout(ps))
	defer cancel()
	rs, err := a.s.Append(ctx, cell, ps)
	if err != nil {
		for _, j := range live {
			j.done <- Result{Err: fmt.Errorf("append: %w", err)}
		}
		return
	}
	var size int64 = -1
	for _, r := range rs {
		if r.Err == nil && !r.Duplicate && r.Entry != nil && r.Entry.Index+1 > size {
			size = r.Entry.Index + 1
		}
	}
	if size > 0 && a.onCommit != nil {
		a.onCommit(cell, size)
	}
	for i, j := range live {
		j.done <- rs[i]
	}
}

// Close stops accepting appends and waits for the queued ones to finish.
func (a *Appender) Close() {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return
	}
	a.closed = true
	for _, q := range a.queues {
		close(q)
	}
	a.mu.Unlock()
	a.wg.Wait()
}
