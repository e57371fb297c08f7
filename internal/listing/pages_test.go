package listing

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
)

// counting is a Source of n pages of size entries each; fetched counts the
// calls so tests can see how far ahead Pages reads.
func counting(n, size int, fetched *atomic.Int64) Source {
	page := 0
	return func(ctx context.Context) ([]Entry, bool, error) {
		if err := ctx.Err(); err != nil {
			return nil, false, err
		}
		fetched.Add(1)
		entries := make([]Entry, size)
		for i := range entries {
			entries[i] = Entry{Kind: Object, Bucket: "b", Key: fmt.Sprintf("k%09d", page*size+i), Size: 1}
		}
		page++
		return entries, page == n, nil
	}
}

func TestPagesAll(t *testing.T) {
	var fetched atomic.Int64
	got := 0
	for page, err := range Pages(t.Context(), counting(5, 3, &fetched)) {
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page {
			if want := fmt.Sprintf("k%09d", got); e.Key != want {
				t.Fatalf("entry %d is %q, want %q", got, e.Key, want)
			}
			got++
		}
	}
	if got != 15 || fetched.Load() != 5 {
		t.Fatalf("got %d entries in %d fetches, want 15 in 5", got, fetched.Load())
	}
}

func TestPagesPrefetchesWhileCallerWorks(t *testing.T) {
	var fetched atomic.Int64
	release := make(chan struct{})
	src := counting(10, 1, &fetched)
	gated := func(ctx context.Context) ([]Entry, bool, error) {
		e, last, err := src(ctx)
		if fetched.Load() >= 3 {
			<-release // hold the third fetch "in flight"
		}
		return e, last, err
	}
	pages := 0
	for _, err := range Pages(t.Context(), gated) {
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if pages == 1 {
			// While page 1 is in our hands, page 2 was fetched and page 3
			// is in flight: the fetcher did not wait for us.
			for fetched.Load() < 3 {
				runtime.Gosched()
			}
			close(release)
		}
	}
	if pages != 10 {
		t.Fatalf("got %d pages, want 10", pages)
	}
}

func TestPagesBreakCancelsFetch(t *testing.T) {
	started := make(chan struct{}, 1)
	var cancelled atomic.Bool
	src := func(ctx context.Context) ([]Entry, bool, error) {
		started <- struct{}{}
		<-ctx.Done()
		cancelled.Store(true)
		return nil, false, ctx.Err()
	}
	first := true
	blocking := func(ctx context.Context) ([]Entry, bool, error) {
		if first {
			first = false
			return []Entry{{Key: "a"}}, false, nil
		}
		return src(ctx)
	}
	for range Pages(t.Context(), blocking) {
		<-started // the second fetch is in flight
		break
	}
	// Pages returned only after the in-flight fetch saw the cancellation.
	if !cancelled.Load() {
		t.Fatal("the fetch in flight outlived the loop")
	}
}

func TestPagesErrorEndsIteration(t *testing.T) {
	boom := errors.New("boom")
	calls := 0
	src := func(ctx context.Context) ([]Entry, bool, error) {
		calls++
		if calls == 2 {
			return nil, false, boom
		}
		return []Entry{{Key: "x"}}, false, nil
	}
	var errs []error
	pages := 0
	for p, err := range Pages(t.Context(), src) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		pages += len(p)
	}
	if pages != 1 || len(errs) != 1 || !errors.Is(errs[0], boom) {
		t.Fatalf("pages=%d errs=%v, want 1 page then boom", pages, errs)
	}
	if calls != 2 {
		t.Fatalf("source called %d times after its error, want 2 calls in all", calls)
	}
}

func TestPagesParentCancelIsAnError(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	src := func(ctx context.Context) ([]Entry, bool, error) {
		return []Entry{{Key: "x"}}, false, nil // endless
	}
	var last error
	n := 0
	for _, err := range Pages(ctx, src) {
		if err != nil {
			last = err
			break
		}
		if n++; n == 3 {
			cancel()
		}
	}
	if !errors.Is(last, context.Canceled) {
		t.Fatalf("cancelled listing ended with %v, want context.Canceled", last)
	}
}

// TestPagesConstantMemory streams a million entries and checks the live
// heap stays at a few pages' worth, not a listing's worth.
func TestPagesConstantMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("streams a million entries")
	}
	var fetched atomic.Int64
	p := NewPrinter(discard{}, Long, false)
	var peak uint64
	var ms runtime.MemStats
	n := 0
	for page, err := range Pages(t.Context(), counting(1000, MaxPage, &fetched)) {
		if err != nil {
			t.Fatal(err)
		}
		for i := range page {
			p.Print(&page[i])
			n++
		}
		if err := p.Flush(); err != nil {
			t.Fatal(err)
		}
		if n%(100*MaxPage) == 0 {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
	}
	if n != 1_000_000 {
		t.Fatalf("streamed %d entries, want 1e6", n)
	}
	// A page of 1000 entries is ~200 KB; a million retained would be ~200 MB.
	if peak > 16<<20 {
		t.Fatalf("live heap reached %d bytes while streaming", peak)
	}
	t.Logf("peak live heap while streaming 1e6 entries: %d KiB", peak>>10)
}

type discard struct{}

func (discard) Write(b []byte) (int, error) { return len(b), nil }
