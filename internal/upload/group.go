package upload

import (
	"context"
	"sync"
)

// group runs the part uploads of one object concurrently: the first failure,
// whether from a part or from the loop that starts them, is kept and cancels
// the context the others run under.
type group struct {
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	err    error
}

func newGroup(ctx context.Context) *group {
	g := &group{}
	g.ctx, g.cancel = context.WithCancel(ctx)
	return g
}

// fail records err if it is the first failure and cancels g.ctx.
func (g *group) fail(err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.err == nil {
		g.err = err
	}
	g.cancel()
}

// start runs f in a goroutine; its error, if any, goes to fail.
func (g *group) start(f func() error) {
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		if err := f(); err != nil {
			g.fail(err)
		}
	}()
}

// wait waits for every started f and returns the first failure.
func (g *group) wait() error {
	g.wg.Wait()
	g.cancel()
	return g.err
}
