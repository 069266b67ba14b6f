package docker

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// omittedMarker joins the head and the tail of a cut stream.
const omittedMarker = "\n... [%d bytes omitted] ...\n"

var (
	replacementChar = []byte(string(utf8.RuneError))
	redactedText    = []byte("***")
)

// keptText turns the raw head and tail of a stream of total bytes into the text that is
// recorded: valid UTF-8 with invalid bytes replaced by U+FFFD, every secret replaced by
// "***", and never longer than keepBytes bytes.
//
// When the stream does not fit, the result is a prefix of the head, the omitted marker and
// a suffix of the tail. The marker counts against keepBytes, so a caller can size a
// status field on keepBytes alone; when keepBytes cannot even hold the marker, only a
// prefix of the head is kept. Cuts fall between characters and never inside a secret,
// and the marker's count is exact: the raw bytes of the stream that the kept text does
// not show.
//
// Redaction works on the kept bytes, so a secret is replaced wherever it appears whole in
// the head or in the tail. A secret that straddles a cut cannot be matched: the part of
// it on the kept side of the cut is dropped with the omitted bytes when it is a prefix
// (at the end of the head) or a suffix (at the start of the tail) of a secret, which
// may also drop a few innocent bytes that happen to look like one.
func keptText(head, tail []byte, total int64, keepBytes int, secrets []string) (string, bool) {
	r := newRedactor(secrets)
	keepBytes = max(keepBytes, 0)

	// A gap of zero means head and tail are the whole stream, so they are rendered as one
	// piece: nothing was cut, and no character or secret can straddle the seam.
	gap := total - int64(len(head)+len(tail))
	var whole []byte
	if gap <= 0 {
		whole = append(append(make([]byte, 0, len(head)+len(tail)), head...), tail...)
		if text, used := r.prefix(whole, keepBytes, false); used == len(whole) {
			return string(text), false
		}
	}

	// A budget too small for the marker keeps only the head: joined without the marker,
	// the end of the head and the start of the tail could form a secret together.
	marker := fmt.Sprintf(omittedMarker, total)
	headBudget, tailBudget := keepBytes, 0
	if len(marker) <= keepBytes {
		budget := keepBytes - len(marker)
		headBudget, tailBudget = budget/2, budget-budget/2
	} else {
		marker = ""
	}

	var (
		headText, tailText []byte
		headRaw, tailRaw   int
	)
	if whole != nil {
		headText, headRaw = r.prefix(whole, headBudget, false)
		tailText, tailRaw = r.suffix(whole, tailBudget, false)
	} else {
		headText, headRaw = r.prefix(head, headBudget, true)
		tailText, tailRaw = r.suffix(tail, tailBudget, true)
	}

	var out strings.Builder
	out.Grow(keepBytes)
	out.Write(headText)
	if marker != "" {
		fmt.Fprintf(&out, omittedMarker, total-int64(headRaw+tailRaw))
	}
	out.Write(tailText)
	return out.String(), true
}

// redactor walks raw output as a sequence of tokens: a secret (shown as "***"), a valid
// character (shown as itself) or an invalid byte (shown as U+FFFD). Cuts only ever fall
// between tokens.
type redactor struct {
	secrets [][]byte // longest first, so the longest secret wins at a position
	longest int
}

func newRedactor(secrets []string) redactor {
	var r redactor
	seen := map[string]bool{}
	for _, s := range secrets {
		if s == "" || seen[s] {
			continue
		}
		seen[s] = true
		r.secrets = append(r.secrets, []byte(s))
		r.longest = max(r.longest, len(s))
	}
	sort.Slice(r.secrets, func(i, j int) bool { return len(r.secrets[i]) > len(r.secrets[j]) })
	return r
}

// emitFunc receives one token: the raw bytes it stands for and the text that shows it. It
// returns false to stop the walk.
type emitFunc func(rawLen int, text []byte) bool

// walk calls emit for each token of raw with the raw bytes it stands for and the text that
// shows it, until emit returns false.
//
// cutBefore says raw starts right after a cut: leading UTF-8 continuation bytes (the end of
// a character whose start was cut off) and a leading suffix of a secret are skipped.
// cutAfter says raw ends right before a cut: a trailing incomplete character and a
// trailing prefix of a secret are left out. Skipped bytes are not emitted and so count as
// omitted.
func (r redactor) walk(raw []byte, cutBefore, cutAfter bool, emit emitFunc) {
	i := 0
	if cutBefore {
		i = r.skipCutStart(raw)
	}
	for i < len(raw) {
		rest := raw[i:]
		if secret := r.secretAt(rest); secret > 0 {
			if !emit(secret, redactedText) {
				return
			}
			i += secret
			continue
		}
		if cutAfter && (r.isSecretPrefix(rest) || !utf8.FullRune(rest)) {
			return
		}
		c, size := utf8.DecodeRune(rest)
		text := rest[:size]
		if c == utf8.RuneError && size <= 1 {
			text = replacementChar
		}
		if !emit(size, text) {
			return
		}
		i += size
	}
}

// skipCutStart returns how many leading bytes of raw belong to a character or a secret
// that began before the cut.
func (r redactor) skipCutStart(raw []byte) int {
	i := 0
	for i < len(raw) && i < utf8.UTFMax-1 && !utf8.RuneStart(raw[i]) {
		i++
	}
	if r.secretAt(raw[i:]) > 0 {
		return i
	}
	skip := 0
	for _, s := range r.secrets {
		for k := len(s) - 1; k > skip; k-- {
			if bytes.HasPrefix(raw[i:], s[len(s)-k:]) {
				skip = k
				break
			}
		}
	}
	return i + skip
}

// secretAt returns the length of the secret that rest starts with, or 0.
func (r redactor) secretAt(rest []byte) int {
	for _, s := range r.secrets {
		if bytes.HasPrefix(rest, s) {
			return len(s)
		}
	}
	return 0
}

// isSecretPrefix reports whether rest is the start of a secret cut off by the end of the
// buffer.
func (r redactor) isSecretPrefix(rest []byte) bool {
	if len(rest) >= r.longest {
		return false
	}
	for _, s := range r.secrets {
		if len(rest) < len(s) && bytes.HasPrefix(s, rest) {
			return true
		}
	}
	return false
}

// prefix renders the longest run of leading tokens whose text fits in budget bytes and
// returns it with the number of raw bytes it stands for.
func (r redactor) prefix(raw []byte, budget int, cutAfter bool) ([]byte, int) {
	out := make([]byte, 0, min(budget, len(raw)*len(replacementChar)))
	used := 0
	r.walk(raw, false, cutAfter, func(rawLen int, text []byte) bool {
		if len(out)+len(text) > budget {
			return false
		}
		out = append(out, text...)
		used += rawLen
		return true
	})
	return out, used
}

// suffix renders the longest run of trailing tokens whose text fits in budget bytes and
// returns it with the number of raw bytes it stands for. Tokens are found walking
// forwards (secrets are matched left to right), so it walks twice: once to measure, once
// to render, which keeps its memory to the result.
func (r redactor) suffix(raw []byte, budget int, cutBefore bool) ([]byte, int) {
	size := 0
	r.walk(raw, cutBefore, false, func(_ int, text []byte) bool {
		size += len(text)
		return true
	})

	out := make([]byte, 0, min(budget, size))
	used := 0
	r.walk(raw, cutBefore, false, func(rawLen int, text []byte) bool {
		if size > budget {
			size -= len(text)
			return true
		}
		out = append(out, text...)
		used += rawLen
		return true
	})
	return out, used
}
