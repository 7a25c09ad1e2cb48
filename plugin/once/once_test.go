package once_test

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tcr-promote/tcr-promote/plugin/once"
)

// TestGet: each key's lookup runs once, however many ask at once; its
// error is kept like a value.
func TestGet(t *testing.T) {
	t.Parallel()
	var m once.Map[string, int]
	var runs atomic.Int64
	errOdd := errors.New("odd")
	var wg sync.WaitGroup
	for i := range 100 {
		wg.Go(func() {
			key := []string{"a", "b"}[i%2]
			v, err := m.Get(key, func() (int, error) {
				runs.Add(1)
				if key == "b" {
					return 0, errOdd
				}
				return 7, nil
			})
			if key == "a" && (v != 7 || err != nil) || key == "b" && !errors.Is(err, errOdd) {
				t.Errorf("Get(%q) = %d, %v", key, v, err)
			}
		})
	}
	wg.Wait()
	if n := runs.Load(); n != 2 {
		t.Errorf("%d lookups, want one a key", n)
	}
}
