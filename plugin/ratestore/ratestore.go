// Package ratestore keeps the turns of an account's API actions in Redis
// (rate_store), so that every pipeline of the account takes its turn from
// one bucket and together they use TCR's limit without being refused: a
// GCRA reservation, made atomically in the server by one Lua script, on
// the server's clock — each caller is handed its own future turn and
// sleeps until it, instead of polling "allowed yet?".
package ratestore

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/tcr-promote/tcr-promote/plugin/pace"
)

// Store is one account's buckets in one Redis.
type Store struct {
	client redis.UniversalClient
	where  string // the URL without its password

	mu      sync.Mutex
	account string
	broken  atomic.Bool // set by the first misbehaviour, for the run
}

// reserve books the turn after the bucket's last one, or now if that is
// past: KEYS[1] the bucket, ARGV[1] the interval between turns and ARGV[2]
// the latest acceptable turn from now, both in microseconds. It answers
// {booked (1 or 0), wait until the turn, turns booked ahead}. The bucket
// holds the time after its last turn (GCRA's TAT) and expires once idle.
var reserve = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local wait = tat - now
local ahead = math.ceil(wait / interval)
if wait > tonumber(ARGV[2]) then
  return {0, wait, ahead}
end
local next = tat + interval
redis.call('SET', KEYS[1], string.format('%.0f', next), 'PX', math.floor((next - now) / 1000) + 60000)
return {1, wait, ahead}
`)

// Open prepares the store at rawURL — redis:// or rediss:// (TLS); with
// addr= parameters a Redis Cluster, with master_name= a Sentinel-watched
// master, as go-redis reads them. password, if set, replaces the URL's;
// roots, if set, are the CAs trusted for TLS. Nothing is sent until the
// first booking.
func Open(rawURL, password string, roots *x509.CertPool) (*Store, error) {
	quiet.Do(func() { redis.SetLogger(silent{}) })
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, errors.New("not a URL") // url.Error would repeat it, password and all
	}
	q := u.Query()
	// The three kinds of options share the fields that matter here.
	tune := func(pw *string, tc **tls.Config, dial, read, write *time.Duration, retries *int) {
		*pw = cmp.Or(password, *pw)
		if *tc != nil && roots != nil {
			(*tc).RootCAs = roots
		}
		defaults(q, dial, read, write, retries)
	}
	var client redis.UniversalClient
	switch {
	case q.Has("master_name"):
		o, err := redis.ParseFailoverURL(rawURL)
		if err != nil {
			return nil, scrubbed(err, rawURL)
		}
		tune(&o.Password, &o.TLSConfig, &o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout, &o.MaxRetries)
		client = redis.NewFailoverClient(o)
	case q.Has("addr"):
		o, err := redis.ParseClusterURL(rawURL)
		if err != nil {
			return nil, scrubbed(err, rawURL)
		}
		tune(&o.Password, &o.TLSConfig, &o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout, &o.MaxRetries)
		client = redis.NewClusterClient(o)
	default:
		o, err := redis.ParseURL(rawURL)
		if err != nil {
			return nil, scrubbed(err, rawURL)
		}
		tune(&o.Password, &o.TLSConfig, &o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout, &o.MaxRetries)
		o.DisableIdentity = true // no CLIENT SETINFO: managed Redis may refuse it
		client = redis.NewClient(o)
	}
	return &Store{client: client, where: u.Redacted()}, nil
}

// scrubbed is go-redis's parse error without any piece of the URL it
// may quote: a password with an unencoded '/' or '@' is not where a URL
// parser looks for one, so masking the password as parsed would miss it.
// The option names stay, so "unexpected option: bogus" still helps.
func scrubbed(err error, rawURL string) error {
	keep := map[string]bool{"redis": true, "rediss": true}
	if u, perr := url.Parse(rawURL); perr == nil {
		for k := range u.Query() {
			keep[k] = true
		}
	}
	pieces := strings.FieldsFunc(rawURL, func(r rune) bool { return strings.ContainsRune(":/@?&=#", r) })
	slices.SortFunc(pieces, func(a, b string) int { return len(b) - len(a) })
	msg := err.Error()
	for _, p := range pieces {
		if len(p) >= 3 && !keep[p] {
			msg = strings.ReplaceAll(msg, p, "***")
		}
	}
	return errors.New(msg)
}

// go-redis logs to stderr on its own; the limiter says what matters once,
// through the step's log.
var quiet sync.Once

type silent struct{}

func (silent) Printf(context.Context, string, ...any) {}

// defaults bounds each Redis call unless the URL says otherwise: a store
// that does not answer within a second is worse than none.
func defaults(q url.Values, dial, read, write *time.Duration, retries *int) {
	for _, d := range []struct {
		param string
		v     *time.Duration
	}{{"dial_timeout", dial}, {"read_timeout", read}, {"write_timeout", write}} {
		if !q.Has(d.param) {
			*d.v = time.Second
		}
	}
	if !q.Has("max_retries") {
		*retries = 1
	}
}

// Use sets the account whose buckets the store books from: every
// pipeline of the account must give the same one, as TCR counts the
// limit per account.
func (s *Store) Use(account string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.account = account
}

// Key is the bucket of action, for the account in use; the braces keep
// an account's buckets in one Redis Cluster slot.
func (s *Store) Key(action string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fmt.Sprintf("tcr-promote:{%s}:%s", s.account, action)
}

// Reserve books the next turn of action at perSecond for the account,
// unless it would come later than within.
//
// The store is advice: any misbehaviour — an error, a timeout, a panic in
// the client, an answer the script cannot give — breaks it for the run,
// and every later call answers pace.ErrStoreDown at once, so the limiters
// pace on their own from then on and the run warns once.
func (s *Store) Reserve(ctx context.Context, action string, perSecond float64, within time.Duration) (res pace.Reservation, err error) {
	if s.broken.Load() {
		return pace.Reservation{}, pace.ErrStoreDown
	}
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("the Redis client failed on the store's answer: %v", v)
		}
		if err != nil {
			s.broken.Store(true)
		}
	}()
	interval := int64(float64(time.Second/time.Microsecond) / perSecond)
	v, err := reserve.Run(ctx, s.client, []string{s.Key(action)}, interval, within.Microseconds()).Int64Slice()
	if err != nil {
		return pace.Reservation{}, err
	}
	if !scriptCanAnswer(v, interval, within.Microseconds()) {
		return pace.Reservation{}, fmt.Errorf("the reservation script cannot have answered %v", v)
	}
	return pace.Reservation{Booked: v[0] == 1, Wait: time.Duration(v[1]) * time.Microsecond, Ahead: int(v[2])}, nil
}

// maxAhead is the furthest a turn can plausibly lie ahead: no pipeline
// books past its own deadline, and none waits hours for its turn.
const maxAhead = 6 * time.Hour

// scriptCanAnswer holds an answer to what reserve can return: booked or
// not, a wait within the turns ahead, booked exactly when the wait is
// within the deadline, and no turn further than maxAhead.
func scriptCanAnswer(v []int64, interval, within int64) bool {
	if len(v) != 3 || v[0] != 0 && v[0] != 1 || v[1] < 0 || v[2] < 0 || v[1] > maxAhead.Microseconds() {
		return false
	}
	booked, wait, ahead := v[0] == 1, v[1], v[2]
	want := (wait + interval - 1) / interval // math.ceil(wait / interval)
	return ahead >= want-1 && ahead <= want+1 && booked == (wait <= within)
}

// Where names the store without its password.
func (s *Store) Where() string { return s.where }

// Close lets the connections go.
func (s *Store) Close() error { return s.client.Close() }
