package main

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
)

// Garbage collection while rendering. Evaluation and validation make a great deal of
// short-lived garbage around a live heap (the compiled objects) that grows with the
// fleet; with the default GOGC=100 the collector marks that heap again every time it
// has doubled, about a third of the CPU at a thousand tenants. tuneGC lets the heap grow
// to five times the live heap (GOGC=400) but no further than a memory limit of
// gcMemoryFloor, or twice the live heap when the objects alone outgrow that, so that a
// large fleet is collected as with GOGC=100 rather than continuously. GOGC or
// GOMEMLIMIT in the environment turn this off.
const (
	gcPercent     = 400
	gcMemoryFloor = 384 << 20
)

var liveHeap = []metrics.Sample{{Name: "/gc/heap/live:bytes"}}

// tuneGC sets the collector for a render; restore puts the previous settings back.
func tuneGC() (restore func()) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	percent := debug.SetGCPercent(gcPercent)
	limit := debug.SetMemoryLimit(gcMemoryFloor)
	var stopped atomic.Bool
	var follow func()
	follow = func() {
		if stopped.Load() {
			return
		}
		metrics.Read(liveHeap)
		if liveHeap[0].Value.Kind() == metrics.KindUint64 {
			debug.SetMemoryLimit(max(gcMemoryFloor, 2*int64(liveHeap[0].Value.Uint64())))
		}
		// Again after the next collection: the sentinel is garbage as soon as it is made.
		runtime.AddCleanup(new([64]byte), func(struct{}) { follow() }, struct{}{})
	}
	follow()
	return func() {
		stopped.Store(true)
		debug.SetGCPercent(percent)
		debug.SetMemoryLimit(limit)
	}
}
