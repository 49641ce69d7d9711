package spec

import (
	"sort"
	"strings"
)

// suggest returns the candidate closest to name in Damerau-Levenshtein
// distance (restricted: adjacent transpositions count one edit), ignoring
// case, or "" when none is close enough to be a plausible typo. Ties go to
// the lexically first candidate so messages are stable.
func suggest(name string, candidates []string) string {
	const maxLen = 64 // longer names are not typos of a known word; keep the cost bounded
	rn := []rune(strings.ToLower(name))
	if len(rn) == 0 || len(rn) > maxLen {
		return ""
	}
	limit := min(3, (len(rn)+1)/3)
	sorted := append([]string(nil), candidates...)
	sort.Strings(sorted)
	best, bestD := "", limit+1
	for _, c := range sorted {
		if c == name {
			continue
		}
		rc := []rune(strings.ToLower(c))
		if len(rc) > maxLen || abs(len(rc)-len(rn)) > limit {
			continue
		}
		if d := osaDistance(rn, rc); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// Suggest returns the known name closest to a mistyped one, or "" when
// none is close enough to be a typo; other packages phrase it themselves.
func Suggest(name string, candidates []string) string { return suggest(name, candidates) }

// didYouMean is suggest phrased for the end of a message.
func didYouMean(name string, candidates []string) string {
	if s := suggest(name, candidates); s != "" {
		return "; did you mean " + q(s) + "?"
	}
	return ""
}

// osaDistance is the optimal string alignment distance: insertions,
// deletions, substitutions and transpositions of adjacent runes.
func osaDistance(a, b []rune) int {
	// Three rolling rows: the transposition case looks two rows back.
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
