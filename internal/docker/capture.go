package docker

import "io"

// streamCapture is the writer behind one output stream of one container. It passes every
// byte on to the file that holds the complete stream and keeps only the first and the last
// part in memory: whatever the program writes, a stream holds at most keepBytes (its head
// and tail buffers, each allocated once at its full size by the first write that reaches
// it), and Write allocates nothing else. BenchmarkCapture1GiB measures it.
//
// Write never fails and never blocks on anything but the file: a program must never be
// stopped or killed because of how much it writes, so a failing file only ends the
// complete copy (fileErr records why) while the kept parts go on.
type streamCapture struct {
	file    io.Writer
	fileErr error

	headSize int
	head     []byte
	tail     tailRing
	total    int64
}

// newStreamCapture keeps the first keepBytes/2 and the last keepBytes-keepBytes/2 bytes
// that pass through it. file may be nil when no complete copy is wanted.
func newStreamCapture(file io.Writer, keepBytes int) *streamCapture {
	keepBytes = max(keepBytes, 0)
	headSize := keepBytes / 2
	return &streamCapture{
		file:     file,
		headSize: headSize,
		tail:     tailRing{size: keepBytes - headSize},
	}
}

func (s *streamCapture) Write(p []byte) (int, error) {
	n := len(p)
	s.total += int64(n)

	if s.file != nil && s.fileErr == nil {
		if _, err := s.file.Write(p); err != nil {
			s.fileErr = err
		}
	}

	// The head fills first; only what follows it goes through the tail ring, so head and
	// tail never hold the same byte and together are the whole stream until it outgrows
	// them.
	if room := s.headSize - len(s.head); room > 0 {
		if s.head == nil {
			s.head = make([]byte, 0, s.headSize)
		}
		k := min(room, len(p))
		s.head = append(s.head, p[:k]...)
		p = p[k:]
	}
	s.tail.write(p)
	return n, nil
}

// stream renders what the capture kept as a Stream. See keptText for the rules.
func (s *streamCapture) stream(keepBytes int, secrets []string, path string) Stream {
	kept, truncated := keptText(s.head, s.tail.bytes(), s.total, keepBytes, secrets)
	return Stream{Kept: kept, Bytes: s.total, Truncated: truncated, Path: path}
}

// tailRing holds the last size bytes written to it.
type tailRing struct {
	size   int
	buf    []byte
	next   int // where the next byte goes
	filled int // how many bytes of buf hold data
}

func (r *tailRing) write(p []byte) {
	if r.size == 0 || len(p) == 0 {
		return
	}
	if r.buf == nil {
		r.buf = make([]byte, r.size)
	}
	if len(p) >= r.size {
		copy(r.buf, p[len(p)-r.size:])
		r.next, r.filled = 0, r.size
		return
	}
	n := copy(r.buf[r.next:], p)
	copy(r.buf, p[n:])
	r.next = (r.next + len(p)) % r.size
	r.filled = min(r.filled+len(p), r.size)
}

// bytes returns a copy of the held bytes, oldest first.
func (r *tailRing) bytes() []byte {
	out := make([]byte, r.filled)
	start := (r.next - r.filled + r.size) % max(r.size, 1)
	n := copy(out, r.buf[start:min(start+r.filled, len(r.buf))])
	copy(out[n:], r.buf[:r.filled-n])
	return out
}
