package docker

import (
	"context"
	"io"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const gib = 1 << 30

// heapPeak samples the live heap while a benchmark runs, since the total that
// b.ReportAllocs shows says nothing about how much is held at once.
type heapPeak struct {
	base uint64
	peak atomic.Uint64
	stop chan struct{}
	done chan struct{}
}

func startHeapPeak() *heapPeak {
	runtime.GC()
	h := &heapPeak{base: liveHeap(), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(h.done)
		ticker := time.NewTicker(2 * time.Millisecond)
		defer ticker.Stop()
		for {
			if now := liveHeap(); now > h.peak.Load() {
				h.peak.Store(now)
			}
			select {
			case <-h.stop:
				return
			case <-ticker.C:
			}
		}
	}()
	return h
}

// report stops sampling and reports the peak growth of the heap over the start.
func (h *heapPeak) report(b *testing.B) {
	close(h.stop)
	<-h.done
	b.ReportMetric(float64(h.peak.Load()-min(h.base, h.peak.Load())), "peak-heap-B")
}

func liveHeap() uint64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(sample)
	return sample[0].Value.Uint64()
}

// BenchmarkCapture1GiB pushes 1 GiB of mixed UTF-8 through the capture writer in the
// 32 KiB frames the daemon sends. The writer holds O(KeepBytes) and allocates nothing
// per write; rendering the kept text costs O(KeepBytes) once. So B/op stays a few times
// KeepBytes whatever the size of the output, and peak-heap-B (which also counts garbage
// not yet collected, so it is an upper bound) stays of the same order.
func BenchmarkCapture1GiB(b *testing.B) {
	frame := []byte(strings.Repeat("line of output with é and € and 𝄞\n", 32<<10/40))
	b.SetBytes(gib)
	b.ReportAllocs()
	peak := startHeapPeak()

	for b.Loop() {
		sc := newStreamCapture(io.Discard, DefaultKeepBytes)
		for written := 0; written < gib; written += len(frame) {
			_, _ = sc.Write(frame)
		}
		s := sc.stream(DefaultKeepBytes, []string{"secret"}, "")
		if !s.Truncated || len(s.Kept) > DefaultKeepBytes {
			b.Fatalf("kept %d bytes, truncated %v", len(s.Kept), s.Truncated)
		}
	}
	peak.report(b)
}

// BenchmarkContainerOutput1GiB runs a container that writes 1 GiB to stdout and captures
// it through the daemon into a file. The manager's memory is the capture writer's
// O(KeepBytes) plus the demultiplexer's frame buffer (32 KiB frames); the complete output
// only ever lives in the file.
func BenchmarkContainerOutput1GiB(b *testing.B) {
	c := newTestClient(b)
	b.SetBytes(gib)
	b.ReportAllocs()
	peak := startHeapPeak()

	for b.Loop() {
		// Large writes keep the daemon's per-write cost, not the program, the limit.
		plan := newPlan(b, c, busyboxImage, "head", "-c", "1073741824", "/dev/zero")
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		_, err := c.Start(ctx, plan)
		require.NoError(b, err)
		out := waitOutputWithin(b, c, plan.Name, plan.Output, 10*time.Minute)
		cancel()

		require.EqualValues(b, gib, out.Stdout.Bytes)
		require.True(b, out.Stdout.Truncated)
	}
	peak.report(b)
}
