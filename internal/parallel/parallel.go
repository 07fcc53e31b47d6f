// Package parallel runs a loop's iterations on a few goroutines at once.
package parallel

import (
	"sync"
	"sync/atomic"
)

// For calls f(0) … f(n-1) on at most workers goroutines (at least one) and returns when
// all calls have. Each goroutine takes the next index as it finishes one, so uneven
// iterations still keep every goroutine busy.
func For(n, workers int, f func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range max(1, min(workers, n)) {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				f(i)
			}
		})
	}
	wg.Wait()
}
