package docker

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var markerPattern = regexp.MustCompile(`\n\.\.\. \[(\d+) bytes omitted\] \.\.\.\n`)

// capture pushes chunks through a streamCapture that keeps keep bytes and renders it.
func captureChunks(t *testing.T, keep int, secrets []string, chunks ...[]byte) (Stream, []byte) {
	t.Helper()
	var file bytes.Buffer
	sc := newStreamCapture(&file, keep)
	for _, chunk := range chunks {
		n, err := sc.Write(chunk)
		require.NoError(t, err)
		require.Equal(t, len(chunk), n)
	}
	return sc.stream(keep, secrets, "out.log"), file.Bytes()
}

// splitKept returns the head, the omitted count and the tail of a truncated kept text.
func splitKept(t *testing.T, kept string) (head string, omitted int64, tail string) {
	t.Helper()
	loc := markerPattern.FindStringSubmatchIndex(kept)
	require.NotNil(t, loc, "kept text has no omitted marker: %q", kept)
	omitted, err := strconv.ParseInt(kept[loc[2]:loc[3]], 10, 64)
	require.NoError(t, err)
	return kept[:loc[0]], omitted, kept[loc[1]:]
}

func TestCaptureKeepsShortOutputWholeAndWritesTheFile(t *testing.T) {
	s, file := captureChunks(t, 64, nil, []byte("hello\n"), []byte("world\n"))

	assert.Equal(t, "hello\nworld\n", s.Kept)
	assert.False(t, s.Truncated)
	assert.EqualValues(t, 12, s.Bytes)
	assert.Equal(t, "out.log", s.Path)
	assert.Equal(t, "hello\nworld\n", string(file))
}

func TestCaptureKeepsOutputThatExactlyFillsTheBudget(t *testing.T) {
	text := strings.Repeat("ab", 50)
	s, _ := captureChunks(t, 100, nil, []byte(text))

	assert.Equal(t, text, s.Kept)
	assert.False(t, s.Truncated)
}

func TestCaptureJoinsMultibyteCharactersSplitAcrossWrites(t *testing.T) {
	text := "héllo wörld €uro 𝄞 clef"
	raw := []byte(text)
	chunks := make([][]byte, 0, len(raw))
	for i := range raw {
		chunks = append(chunks, raw[i:i+1])
	}

	s, file := captureChunks(t, 1024, nil, chunks...)

	assert.Equal(t, text, s.Kept)
	assert.Equal(t, raw, file)
}

func TestCaptureCutsHeadAndTailBetweenCharacters(t *testing.T) {
	// Every cut position is tried against three- and four-byte characters, written in
	// chunks that split them.
	for _, char := range []string{"€", "𝄞", "é"} {
		text := strings.Repeat(char+"a", 200)
		for keep := 60; keep < 140; keep++ {
			for _, chunk := range []int{1, 2, 5, 7, 64} {
				s, _ := captureChunks(t, keep, nil, chunked([]byte(text), chunk)...)

				require.True(t, s.Truncated)
				require.True(t, utf8.ValidString(s.Kept), "keep %d chunk %d: %q", keep, chunk, s.Kept)
				require.LessOrEqual(t, len(s.Kept), keep)
				require.NotContains(t, s.Kept, string(utf8.RuneError))

				head, omitted, tail := splitKept(t, s.Kept)
				require.True(t, strings.HasPrefix(text, head))
				require.True(t, strings.HasSuffix(text, tail))
				require.EqualValues(t, len(text)-len(head)-len(tail), omitted,
					"the marker counts exactly the bytes not shown")
			}
		}
	}
}

func TestCaptureKeepsFirstAndLastPartsOfLongOutput(t *testing.T) {
	var text strings.Builder
	for i := 1; i <= 100000; i++ {
		fmt.Fprintf(&text, "%d\n", i)
	}
	s, file := captureChunks(t, 4096, nil, chunked([]byte(text.String()), 4096)...)

	assert.True(t, s.Truncated)
	assert.EqualValues(t, text.Len(), s.Bytes)
	assert.Equal(t, text.String(), string(file))
	assert.LessOrEqual(t, len(s.Kept), 4096)
	assert.True(t, strings.HasPrefix(s.Kept, "1\n2\n3\n"))
	assert.True(t, strings.HasSuffix(s.Kept, "99999\n100000\n"))
	head, omitted, tail := splitKept(t, s.Kept)
	assert.EqualValues(t, text.Len()-len(head)-len(tail), omitted)
	assert.Greater(t, len(head)+len(tail), 4000, "the budget is used, not wasted")
}

func TestCaptureReplacesInvalidBytesInKeptTextButNotInTheFile(t *testing.T) {
	raw := []byte("ok \xff\xfe bad \xe2\x82 cut \xc3\x28 end")
	s, file := captureChunks(t, 1024, nil, raw)

	assert.True(t, utf8.ValidString(s.Kept))
	assert.Equal(t, "ok \uFFFD\uFFFD bad \uFFFD\uFFFD cut \uFFFD( end", s.Kept)
	assert.Equal(t, raw, file)
	assert.EqualValues(t, len(raw), s.Bytes)
}

func TestCaptureStaysWithinBudgetWhenReplacementsGrowTheText(t *testing.T) {
	// Each invalid byte becomes three bytes of U+FFFD, so 100 of them do not fit in 100.
	raw := bytes.Repeat([]byte{0xff}, 100)
	s, _ := captureChunks(t, 100, nil, raw)

	assert.True(t, s.Truncated)
	assert.LessOrEqual(t, len(s.Kept), 100)
	assert.True(t, utf8.ValidString(s.Kept))
	head, omitted, tail := splitKept(t, s.Kept)
	assert.EqualValues(t, 100-utf8.RuneCountInString(head)-utf8.RuneCountInString(tail), omitted)
}

func TestCaptureRedactsSecretsInKeptTextButNotInTheFile(t *testing.T) {
	raw := "token=hunter2 and again hunter2; other=pa55word\n"
	s, file := captureChunks(t, 1024, []string{"hunter2", "pa55word", ""}, []byte(raw))

	assert.Equal(t, "token=*** and again ***; other=***\n", s.Kept)
	assert.Equal(t, raw, string(file))
}

func TestCaptureRedactsSecretsInBothKeptParts(t *testing.T) {
	raw := "key=SECRETVALUE\n" + strings.Repeat("filler line\n", 500) + "key=SECRETVALUE\n"
	s, _ := captureChunks(t, 200, []string{"SECRETVALUE"}, []byte(raw))

	assert.True(t, s.Truncated)
	assert.True(t, strings.HasPrefix(s.Kept, "key=***\n"))
	assert.True(t, strings.HasSuffix(s.Kept, "key=***\n"))
	assert.NotContains(t, s.Kept, "SECRET")
}

func TestCaptureRedactsTheLongestOfOverlappingSecrets(t *testing.T) {
	s, _ := captureChunks(t, 1024, []string{"abc", "abcdef"}, []byte("x abcdef y abc z"))

	assert.Equal(t, "x *** y *** z", s.Kept)
}

func TestCaptureDropsThePartOfASecretCutByTheHeadOrTail(t *testing.T) {
	const secret = "TOPSECRETVALUE"
	const keep = 200
	// The secret is placed across every position of the head cut and of the tail cut.
	for offset := 0; offset < 120; offset++ {
		raw := strings.Repeat("h", offset) + secret + strings.Repeat("m", 1000) + secret +
			strings.Repeat("t", offset)
		s, _ := captureChunks(t, keep, []string{secret}, chunked([]byte(raw), 33)...)

		head, _, tail := splitKept(t, s.Kept)
		for k := 3; k <= len(secret); k++ {
			require.False(t, strings.HasSuffix(head, secret[:k]), "offset %d head %q", offset, head)
			require.False(t, strings.HasPrefix(tail, secret[len(secret)-k:]),
				"offset %d tail %q", offset, tail)
		}
		require.NotContains(t, s.Kept, secret)
	}
}

func TestCaptureWithoutRoomForTheMarkerKeepsOnlyTheHead(t *testing.T) {
	s, _ := captureChunks(t, 10, nil, []byte(strings.Repeat("0123456789", 10)))

	assert.True(t, s.Truncated)
	assert.Equal(t, "01234", s.Kept, "the head holds the first half of the budget")
}

func TestCaptureWithZeroBudgetKeepsNothingButCountsEverything(t *testing.T) {
	s, file := captureChunks(t, 0, nil, []byte("something"))

	assert.Empty(t, s.Kept)
	assert.True(t, s.Truncated)
	assert.EqualValues(t, 9, s.Bytes)
	assert.Equal(t, "something", string(file))
}

func TestCaptureOfEmptyStreamIsEmpty(t *testing.T) {
	s, file := captureChunks(t, 64, nil)

	assert.Empty(t, s.Kept)
	assert.False(t, s.Truncated)
	assert.Zero(t, s.Bytes)
	assert.Empty(t, file)
}

type failingWriter struct{ after int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.after -= len(p); w.after < 0 {
		return 0, fmt.Errorf("disk full")
	}
	return len(p), nil
}

func TestCaptureGoesOnWhenTheFileFails(t *testing.T) {
	sc := newStreamCapture(&failingWriter{after: 10}, 64)
	for range 5 {
		n, err := sc.Write([]byte("0123456789"))
		require.NoError(t, err, "a failing file must never stop the program's output")
		require.Equal(t, 10, n)
	}

	require.EqualError(t, sc.fileErr, "disk full")
	s := sc.stream(64, nil, "")
	assert.EqualValues(t, 50, s.Bytes)
	assert.Equal(t, strings.Repeat("0123456789", 5), s.Kept)
}

func TestCaptureHoldsInvariantsOnRandomStreams(t *testing.T) {
	const secret = "PASSWORD"
	pieces := []string{"a", "bc", "\n", "é", "€", "𝄞", "\xff", "\xe2\x82", "\xc3", secret, "PASS",
		"WORD", "12345"}
	rng := rand.New(rand.NewPCG(1, 2))

	for round := range 2000 {
		var raw []byte
		for range rng.IntN(300) {
			raw = append(raw, pieces[rng.IntN(len(pieces))]...)
		}
		keep := rng.IntN(200)
		s, file := captureChunks(t, keep, []string{secret}, chunked(raw, 1+rng.IntN(40))...)
		whole, _ := captureChunks(t, 1<<20, []string{secret}, raw)

		require.Equal(t, raw, file, "round %d", round)
		require.EqualValues(t, len(raw), s.Bytes)
		require.True(t, utf8.ValidString(s.Kept), "round %d: %q", round, s.Kept)
		require.LessOrEqual(t, len(s.Kept), keep, "round %d", round)
		require.NotContains(t, s.Kept, secret, "round %d", round)
		if !s.Truncated {
			require.Equal(t, whole.Kept, s.Kept, "round %d", round)
			continue
		}
		if loc := markerPattern.FindStringIndex(s.Kept); loc != nil {
			require.True(t, strings.HasPrefix(whole.Kept, s.Kept[:loc[0]]), "round %d", round)
		}
	}
}

func chunked(raw []byte, size int) [][]byte {
	var chunks [][]byte
	for len(raw) > 0 {
		n := min(size, len(raw))
		chunks = append(chunks, raw[:n])
		raw = raw[n:]
	}
	return chunks
}

func FuzzKeptText(f *testing.F) {
	f.Add([]byte("hello €uro \xff world"), uint16(16), uint8(3), "WORLD")
	f.Add([]byte(strings.Repeat("𝄞x", 100)), uint16(80), uint8(7), "SECRET")
	f.Fuzz(func(t *testing.T, raw []byte, keep uint16, chunk uint8, secret string) {
		secret = strings.Map(func(r rune) rune {
			if r >= 'A' && r <= 'Z' {
				return r
			}
			return -1
		}, secret)
		var secrets []string
		if secret != "" {
			secrets = []string{secret}
		}

		s, file := captureChunks(t, int(keep), secrets, chunked(raw, int(chunk)+1)...)

		require.Equal(t, raw, file)
		require.EqualValues(t, len(raw), s.Bytes)
		require.True(t, utf8.ValidString(s.Kept))
		require.LessOrEqual(t, len(s.Kept), int(keep))
		if secret != "" {
			require.NotContains(t, s.Kept, secret)
		}
		hasSecret := secret != "" && bytes.Contains(raw, []byte(secret))
		if len(raw) <= int(keep) && utf8.Valid(raw) && !hasSecret {
			require.Equal(t, string(raw), s.Kept)
			require.False(t, s.Truncated)
		}
	})
}
