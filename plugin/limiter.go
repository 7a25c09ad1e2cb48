package plugin

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// windowMargin is added to the service's one-second window: requests
// recorded a second apart on the client may arrive a little closer.
const windowMargin = 25 * time.Millisecond

// limiter keeps one API action under limit requests in any sliding second,
// as the service counts them. A token bucket paces the requests evenly
// (limit per second and a margin, with a small burst), and a log of the
// last limit send times holds back any request that would still make one
// window too full — which pacing alone cannot promise once goroutines wake
// late and then send together.
type limiter struct {
	pace *rate.Limiter

	mu   sync.Mutex
	sent []time.Time // ring of the last limit send times
	next int
	span time.Duration
}

func newLimiter(limit, burst int) *limiter {
	span := time.Second + windowMargin
	return &limiter{
		pace: rate.NewLimiter(rate.Limit(float64(limit-burst+1)/span.Seconds()), burst),
		sent: make([]time.Time, limit),
		span: span,
	}
}

// wait blocks until a request may be sent now, and records it as sent.
func (l *limiter) wait(ctx context.Context) error {
	if err := l.pace.Wait(ctx); err != nil {
		return err
	}
	for {
		l.mu.Lock()
		now := time.Now()
		oldest := l.sent[l.next]
		if oldest.IsZero() || now.Sub(oldest) >= l.span {
			l.sent[l.next] = now
			l.next = (l.next + 1) % len(l.sent)
			l.mu.Unlock()
			return nil
		}
		wait := l.span - now.Sub(oldest)
		l.mu.Unlock()
		if !sleep(ctx, wait) {
			return ctx.Err()
		}
	}
}
