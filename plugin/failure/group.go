package failure

import "sync"

// Group runs functions in goroutines, guarded: a panic in one is caught,
// and Wait raises it again in the goroutine that waits — where the step's
// recover reports it — unless Dropped is set, for background work whose
// result is memoized (sync.OnceValues raises the panic again for every
// later caller). A panic in a bare goroutine would end the process before
// the step could say what failed.
type Group struct {
	Dropped bool

	wg     sync.WaitGroup
	mu     sync.Mutex
	caught any
}

// Go runs f in a goroutine of the group.
func (g *Group) Go(f func()) {
	g.wg.Go(func() {
		defer func() {
			if v := recover(); v != nil {
				g.mu.Lock()
				defer g.mu.Unlock()
				if g.caught == nil {
					g.caught = v
				}
			}
		}()
		f()
	})
}

// Wait waits for every function, then raises the first panic, if any.
func (g *Group) Wait() {
	g.wg.Wait()
	if g.caught != nil && !g.Dropped {
		panic(g.caught)
	}
}
