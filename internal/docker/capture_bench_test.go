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
// b.ReportAllocs shows says nothing about how much is held at once. Each sample follows a
// full collection, so garbage not yet collected does not count; a sample allocates
// nothing, so the sampler adds next to nothing to B/op.
type heapPeak struct {
	base   uint64
	peak   atomic.Uint64
	sample []metrics.Sample // used by the sampling goroutine only
	stop   chan struct{}
	done   chan struct{}
}

func startHeapPeak() *heapPeak {
	h := &heapPeak{
		base:   liveAfterGC(),
		sample: []metrics.Sample{{Name: heapObjects}},
		stop:   make(chan struct{}),
		done:   make(chan struct{}),
	}
	go func() {
		defer close(h.done)
		ticker := time.NewTicker(10 * time.Millisecond)
		defer ticker.Stop()
		for {
			runtime.GC()
			metrics.Read(h.sample)
			if now := h.sample[0].Value.Uint64(); now > h.peak.Load() {
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

// report stops sampling and reports, as peak-live-B, the most the live heap grew over
// the start.
func (h *heapPeak) report(b *testing.B) {
	close(h.stop)
	<-h.done
	b.ReportMetric(float64(h.peak.Load()-min(h.base, h.peak.Load())), "peak-live-B")
}

const heapObjects = "/memory/classes/heap/objects:bytes"

// liveAfterGC returns the bytes of the objects that survive a full collection.
func liveAfterGC() uint64 {
	runtime.GC()
	sample := []metrics.Sample{{Name: heapObjects}}
	metrics.Read(sample)
	return sample[0].Value.Uint64()
}

// heldSince returns how much more the live heap holds than it held at before, or zero.
func heldSince(before uint64) uint64 {
	now := liveAfterGC()
	return now - min(before, now)
}

// BenchmarkCapture1GiB pushes 1 GiB of mixed UTF-8 through the capture writer of one
// stream, in the 32 KiB frames the daemon sends, then renders the kept text. held-B is
// what the writer holds after the 1 GiB: its head and tail, KeepBytes (here the 64 KiB
// default). peak-live-B is the most the live heap held while it ran. B/op is all that was
// allocated for the 1 GiB: the head and tail once, and the copies that rendering makes
// once; the writes themselves allocate nothing. None of them grows with the output.
func BenchmarkCapture1GiB(b *testing.B) {
	frame := []byte(strings.Repeat("line of output with é and € and 𝄞\n", 32<<10/40))
	b.SetBytes(gib)
	b.ReportAllocs()
	peak := startHeapPeak()
	var held uint64

	for b.Loop() {
		before := liveAfterGC()
		sc := newStreamCapture(io.Discard, DefaultKeepBytes)
		for written := 0; written < gib; written += len(frame) {
			_, _ = sc.Write(frame)
		}
		held = max(held, heldSince(before))

		s := sc.stream(DefaultKeepBytes, []string{"secret"}, "")
		if !s.Truncated || len(s.Kept) > DefaultKeepBytes {
			b.Fatalf("kept %d bytes, truncated %v", len(s.Kept), s.Truncated)
		}
	}
	peak.report(b)
	b.ReportMetric(float64(held), "held-B")
}

// BenchmarkContainerOutput1GiB runs a container that writes 1 GiB to stdout and captures
// it through the daemon into a file, keeping 64 KiB per stream. peak-live-B is the most
// the live heap of the whole process grew while the output streamed: the capture
// writers' KeepBytes per stream that has output, the demultiplexer's frame buffer (the
// daemon sends frames of at most 32 KiB) and the attach connection's read buffers, with
// the Docker client's own state. held-B is what is left once the output is complete: the
// finished capture, kept until Remove, and the rendered Output. The complete output only
// ever lives in the file.
func BenchmarkContainerOutput1GiB(b *testing.B) {
	c := newTestClient(b)
	b.SetBytes(gib)
	b.ReportAllocs()
	peak := startHeapPeak()
	var held uint64

	for b.Loop() {
		// Large writes keep the daemon's per-write cost, not the program, the limit.
		plan := newPlan(b, c, busyboxImage, "head", "-c", "1073741824", "/dev/zero")
		before := liveAfterGC()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		_, err := c.Start(ctx, plan)
		require.NoError(b, err)
		out := waitOutputWithin(b, c, plan.Name, plan.Output, 10*time.Minute)
		cancel()
		held = max(held, heldSince(before))

		require.EqualValues(b, gib, out.Stdout.Bytes)
		require.True(b, out.Stdout.Truncated)
	}
	peak.report(b)
	b.ReportMetric(float64(held), "held-B")
}
