// apk's version grammar and order, for the tests: a port of apk-tools 2's version.c
// (apk_version_validate) and a comparison by Gentoo's rules, which apk follows.

package packaging

import (
	"cmp"
	"regexp"
	"strconv"
	"strings"
)

// apkStrict is the version grammar with one suffix of each kind.
var apkStrict = regexp.MustCompile(`^([0-9]+)((\.[0-9]+)*)([a-z]?)((_alpha|_beta|_pre|_rc)([0-9]*))?((_cvs|_svn|_git|_hg|_p)([0-9]*))?(-r([0-9]+))?$`)

// apkCompare orders two versions of that grammar by Gentoo's rules: the numbers, the
// letter, the pre-release suffix (none sorts last), the post-release suffix (none sorts
// first), the revision.
func apkCompare(a, b string) int {
	pa, pb := apkParse(a), apkParse(b)
	for i := 0; i < len(pa.nums) && i < len(pb.nums); i++ {
		if c := cmp.Compare(pa.nums[i], pb.nums[i]); c != 0 {
			return c
		}
	}
	if c := cmp.Compare(len(pa.nums), len(pb.nums)); c != 0 {
		return c
	}
	for _, c := range []int{
		cmp.Compare(pa.letter, pb.letter), cmp.Compare(pa.pre, pb.pre), cmp.Compare(pa.preNum, pb.preNum),
		cmp.Compare(pa.post, pb.post), cmp.Compare(pa.postNum, pb.postNum), cmp.Compare(pa.rev, pb.rev),
	} {
		if c != 0 {
			return c
		}
	}
	return 0
}

// apkVersion is an apk version of the strict grammar, its suffixes as numbers that sort.
type apkVersion struct {
	nums                                    []int
	letter, pre, preNum, post, postNum, rev int
}

// apkParse reads a version of the strict grammar; it panics on any other.
func apkParse(v string) apkVersion {
	m := apkStrict.FindStringSubmatch(v)
	if m == nil {
		panic("not an apk version: " + v)
	}
	var p apkVersion
	for _, n := range strings.Split(m[1]+m[2], ".") {
		p.nums = append(p.nums, atoi(n))
	}
	if m[4] != "" {
		p.letter = int(m[4][0])
	}
	p.pre = 100 // none: after every pre-release
	if m[6] != "" {
		p.pre = map[string]int{"_alpha": 1, "_beta": 2, "_pre": 3, "_rc": 4}[m[6]]
	}
	p.preNum = atoi(m[7])
	if m[9] != "" {
		p.post = map[string]int{"_cvs": 1, "_svn": 2, "_git": 3, "_hg": 4, "_p": 5}[m[9]]
	}
	p.postNum, p.rev = atoi(m[10]), atoi(m[12])
	return p
}

// atoi reads a number the grammar matched: empty is 0.
func atoi(s string) int {
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		panic(err)
	}
	return n
}

// The token types of apk-tools 2's version.c grammar (apk_version_validate), ported for the
// tests: each allows the next in this order, but for the exceptions apkNextToken names.
const (
	apkInvalid = iota - 1
	apkDigitOrZero
	apkDigit
	apkLetter
	apkSuffix
	apkSuffixNo
	apkRevisionNo
	apkEnd
)

// apkNextToken is version.c's next_token: the type of the token s starts with, after one
// of type *typ, or apkInvalid where the grammar allows none; it consumes the separator.
func apkNextToken(typ *int, s *string) {
	n := apkInvalid
	switch {
	case len(*s) == 0:
		n = apkEnd
	case (*typ == apkDigit || *typ == apkDigitOrZero) && (*s)[0] >= 'a' && (*s)[0] <= 'z':
		n = apkLetter
	case *typ == apkLetter && isDigit((*s)[0]):
		n = apkDigit
	case *typ == apkSuffix && isDigit((*s)[0]):
		n = apkSuffixNo
	default:
		switch (*s)[0] {
		case '.':
			n = apkDigitOrZero
		case '_':
			n = apkSuffix
		case '-':
			if len(*s) > 1 && (*s)[1] == 'r' {
				n = apkRevisionNo
				*s = (*s)[1:]
			}
		}
		*s = (*s)[1:]
	}
	if n < *typ {
		allowed := n == apkDigitOrZero && *typ == apkDigit || n == apkSuffix && *typ == apkSuffixNo || n == apkDigit && *typ == apkLetter
		if !allowed {
			n = apkInvalid
		}
	}
	*typ = n
}

// isDigit tells whether b is an ASCII digit.
func isDigit(b byte) bool { return b >= '0' && b <= '9' }

// apkGetToken is version.c's get_token: it reads the token of type *typ at the start of s
// and returns its value, and sets *typ to the next token's type.
func apkGetToken(typ *int, s *string) int {
	if len(*s) == 0 {
		*typ = apkEnd
		return 0
	}
	v, i, nt := 0, 0, apkInvalid
	switch *typ {
	case apkDigitOrZero, apkDigit, apkSuffixNo, apkRevisionNo:
		if *typ == apkDigitOrZero && (*s)[0] == '0' {
			for i < len(*s) && (*s)[i] == '0' {
				i++
			}
			nt, v = apkDigit, -i
			break
		}
		for i < len(*s) && isDigit((*s)[i]) {
			v = v*10 + int((*s)[i]-'0')
			i++
		}
	case apkLetter:
		v = int((*s)[0])
		i = 1
	case apkSuffix:
		pre := []string{"alpha", "beta", "pre", "rc"}
		post := []string{"cvs", "svn", "git", "hg", "p"}
		found := false
		for k, p := range pre {
			if strings.HasPrefix(*s, p) {
				v, i, found = k-len(pre), len(p), true
				break
			}
		}
		if !found {
			for k, p := range post {
				if strings.HasPrefix(*s, p) {
					v, i, found = k, len(p), true
					break
				}
			}
		}
		if !found {
			*typ = apkInvalid
			return -1
		}
	default:
		*typ = apkInvalid
		return -1
	}
	*s = (*s)[i:]
	switch {
	case len(*s) == 0:
		*typ = apkEnd
	case nt != apkInvalid:
		*typ = nt
	default:
		apkNextToken(typ, s)
	}
	return v
}

// apkValid tells whether apk-tools 2 accepts v as a version.
func apkValid(v string) bool {
	t := apkDigit
	for t != apkEnd && t != apkInvalid {
		apkGetToken(&t, &v)
	}
	return t == apkEnd
}
