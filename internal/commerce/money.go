package commerce

import "strconv"

// Grouped writes an amount of whole units grouped by thousands, as a
// treasury writes it ("18,500,000"), so that no digit is misread; the
// same in every language, laid out left to right.
func Grouped(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := s[0] == '-'
	if neg {
		s = s[1:]
	}
	b := make([]byte, 0, len(s)+len(s)/3+1)
	if neg {
		b = append(b, '-')
	}
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, s[i])
	}
	return string(b)
}
