package fakecompute

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// A filter is GCE's list filter as clients send it: comparisons
// `field eq "RE2"` / `field ne "RE2"` (full match), `field = value`,
// `field != value` (literal, * matches any run of characters), `field:value`,
// `<`, `<=`, `>` and `>=` (numeric when both sides are numbers),
// combined by juxtaposition or AND, and by OR, with parentheses. gcloud
// sends `(a eq "x")(b eq "y")`; the Go clients send the same forms.
type filter interface {
	match(obj map[string]any) bool
}

// onlyNames says whether a filter reads no field but name: such a filter is
// matched against the name alone, without rendering the object as JSON
// (a name filter over 500 pools of 5,000 members rendered 240 MB per list
// under the store's lock, and a target pool list took minutes in make
// bench at 5,000 nodes).
func onlyNames(f filter) bool {
	switch f := f.(type) {
	case andFilter:
		for _, g := range f {
			if !onlyNames(g) {
				return false
			}
		}
		return true
	case orFilter:
		for _, g := range f {
			if !onlyNames(g) {
				return false
			}
		}
		return true
	case *cmpFilter:
		return len(f.path) == 1 && f.path[0] == "name"
	}
	return false
}

type andFilter []filter
type orFilter []filter

type cmpFilter struct {
	path []string
	op   string
	raw  string
	re   *regexp.Regexp
}

func (a andFilter) match(o map[string]any) bool {
	for _, f := range a {
		if !f.match(o) {
			return false
		}
	}
	return true
}

func (a orFilter) match(o map[string]any) bool {
	for _, f := range a {
		if f.match(o) {
			return true
		}
	}
	return false
}

func (c *cmpFilter) match(o map[string]any) bool {
	vals := lookupField(o, c.path)
	if len(vals) == 0 {
		if c.op == ":" {
			// "has": a missing field has nothing.
			return false
		}
		vals = []string{""}
	}
	want := c.op != "ne" && c.op != "!="
	for _, v := range vals {
		var hit bool
		switch c.op {
		case "eq", "ne", "=", "!=", ":":
			hit = c.re.MatchString(v)
		default:
			hit = compareValues(v, c.raw, c.op)
		}
		if hit {
			return want
		}
	}
	return !want
}

func compareValues(v, lit, op string) bool {
	cmp := strings.Compare(v, lit)
	a, errA := strconv.ParseFloat(v, 64)
	b, errB := strconv.ParseFloat(lit, 64)
	if errA == nil && errB == nil {
		switch {
		case a < b:
			cmp = -1
		case a > b:
			cmp = 1
		default:
			cmp = 0
		}
	}
	switch op {
	case "<":
		return cmp < 0
	case "<=":
		return cmp <= 0
	case ">":
		return cmp > 0
	case ">=":
		return cmp >= 0
	}
	return false
}

// lookupField follows a dotted path; arrays fan out so any element may match.
func lookupField(o any, path []string) []string {
	if len(path) == 0 {
		switch v := o.(type) {
		case nil:
			return nil
		case string:
			return []string{v}
		case float64:
			return []string{strconv.FormatFloat(v, 'f', -1, 64)}
		case bool:
			return []string{strconv.FormatBool(v)}
		case []any:
			var out []string
			for _, e := range v {
				out = append(out, lookupField(e, nil)...)
			}
			return out
		default:
			return []string{fmt.Sprint(v)}
		}
	}
	switch v := o.(type) {
	case map[string]any:
		return lookupField(v[path[0]], path[1:])
	case []any:
		var out []string
		for _, e := range v {
			out = append(out, lookupField(e, path)...)
		}
		return out
	}
	return nil
}

// parseFilter compiles a filter expression; an empty expression matches all.
func parseFilter(expr string) (filter, error) {
	if !utf8.ValidString(expr) {
		return nil, fmt.Errorf("the filter is not valid UTF-8")
	}
	p := &filterParser{toks: nil}
	toks, err := tokenizeFilter(expr)
	if err != nil {
		return nil, err
	}
	p.toks = toks
	if len(toks) == 0 {
		return andFilter{}, nil
	}
	f, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if p.pos != len(p.toks) {
		return nil, fmt.Errorf("unexpected %q at token %d", p.toks[p.pos].text, p.pos)
	}
	return f, nil
}

type filterTok struct {
	text   string
	quoted bool
}

func tokenizeFilter(s string) ([]filterTok, error) {
	var toks []filterTok
	i := 0
	for i < len(s) {
		ch := s[i]
		switch {
		case ch == ' ' || ch == '\t' || ch == '\n':
			i++
		case expectsRawValue(toks) && ch != '"' && ch != '\'':
			// An unquoted value of eq/ne is an RE2 expression up to the next
			// blank outside parentheses, as k8s-cloud-provider sends it:
			// (network eq https://host/compute/v1/...), (name eq (a|b)).
			j, depth := i, 0
		scan:
			for ; j < len(s); j++ {
				switch s[j] {
				case '\\':
					j++
				case '(':
					depth++
				case ')':
					if depth == 0 {
						break scan
					}
					depth--
				case ' ', '\t', '\n':
					if depth == 0 {
						break scan
					}
				}
			}
			if j > len(s) {
				j = len(s)
			}
			if j == i {
				return nil, fmt.Errorf("expected a value at offset %d", i)
			}
			toks = append(toks, filterTok{text: s[i:j], quoted: true})
			i = j
		case (ch == '<' || ch == '>') && i+1 < len(s) && s[i+1] == '=':
			toks = append(toks, filterTok{text: s[i : i+2]})
			i += 2
		case ch == '(' || ch == ')' || ch == ':' || ch == '<' || ch == '>':
			toks = append(toks, filterTok{text: string(ch)})
			i++
		case ch == '=':
			toks = append(toks, filterTok{text: "="})
			i++
		case ch == '!' && i+1 < len(s) && s[i+1] == '=':
			toks = append(toks, filterTok{text: "!="})
			i += 2
		case ch == '"' || ch == '\'':
			var b strings.Builder
			j := i + 1
			closed := false
			for j < len(s) {
				if s[j] == '\\' && j+1 < len(s) {
					// Keep the escape: the value is a regular expression.
					b.WriteByte(s[j])
					b.WriteByte(s[j+1])
					j += 2
					continue
				}
				if s[j] == ch {
					closed = true
					break
				}
				b.WriteByte(s[j])
				j++
			}
			if !closed {
				return nil, fmt.Errorf("unterminated string starting at offset %d", i)
			}
			toks = append(toks, filterTok{text: b.String(), quoted: true})
			i = j + 1
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\n()=!:<>\"'", rune(s[j])) {
				j++
			}
			if j == i {
				return nil, fmt.Errorf("unexpected character %q at offset %d", ch, i)
			}
			toks = append(toks, filterTok{text: s[i:j]})
			i = j
		}
	}
	return toks, nil
}

// expectsRawValue says whether the next token is the value of an eq/ne
// comparison: the last two tokens are a field name and eq or ne.
func expectsRawValue(toks []filterTok) bool {
	n := len(toks)
	if n < 2 {
		return false
	}
	op, field := toks[n-1], toks[n-2]
	if op.quoted || (op.text != "eq" && op.text != "ne") || field.quoted {
		return false
	}
	switch field.text {
	case "(", ")", "AND", "OR":
		return false
	}
	return !isOperator(field.text)
}

type filterParser struct {
	toks  []filterTok
	pos   int
	depth int
}

// maxFilterDepth bounds parenthesis nesting: the parser recurses per level
// and a query string of a million '(' must not exhaust the stack.
const maxFilterDepth = 64

// isOperator says whether an unquoted token is a comparison operator.
func isOperator(s string) bool {
	switch s {
	case "eq", "ne", "=", "!=", ":", "<", ">", "<=", ">=":
		return true
	}
	return false
}

func (p *filterParser) peek() (filterTok, bool) {
	if p.pos >= len(p.toks) {
		return filterTok{}, false
	}
	return p.toks[p.pos], true
}

func (p *filterParser) parseOr() (filter, error) {
	first, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	out := orFilter{first}
	for {
		t, ok := p.peek()
		if !ok || t.quoted || t.text != "OR" {
			break
		}
		p.pos++
		next, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		out = append(out, next)
	}
	if len(out) == 1 {
		return first, nil
	}
	return out, nil
}

func (p *filterParser) parseAnd() (filter, error) {
	var out andFilter
	for {
		t, ok := p.peek()
		if !ok || (!t.quoted && (t.text == ")" || t.text == "OR")) {
			break
		}
		if !t.quoted && t.text == "AND" {
			p.pos++
			continue
		}
		f, err := p.parseTerm()
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("empty expression at token %d", p.pos)
	}
	if len(out) == 1 {
		return out[0], nil
	}
	return out, nil
}

func (p *filterParser) parseTerm() (filter, error) {
	t, _ := p.peek()
	if !t.quoted && t.text == "(" {
		if p.depth >= maxFilterDepth {
			return nil, fmt.Errorf("parentheses nested deeper than %d", maxFilterDepth)
		}
		p.pos++
		p.depth++
		f, err := p.parseOr()
		p.depth--
		if err != nil {
			return nil, err
		}
		if t, ok := p.peek(); !ok || t.quoted || t.text != ")" {
			return nil, fmt.Errorf("missing closing parenthesis")
		}
		p.pos++
		return f, nil
	}
	if t.quoted {
		return nil, fmt.Errorf("expected a field name, got a string")
	}
	field := t.text
	p.pos++
	opTok, ok := p.peek()
	if !ok || opTok.quoted {
		return nil, fmt.Errorf("expected an operator after %q", field)
	}
	op := opTok.text
	if !isOperator(op) {
		return nil, fmt.Errorf("unknown operator %q after %q", op, field)
	}
	if isOperator(field) || field == "AND" || field == "OR" {
		return nil, fmt.Errorf("expected a field name, got %q", field)
	}
	p.pos++
	val, ok := p.peek()
	if !ok || (!val.quoted && (val.text == "(" || val.text == ")" || isOperator(val.text))) {
		return nil, fmt.Errorf("expected a value after %q %s", field, op)
	}
	p.pos++
	value := canonicalLinks(val.text)
	c := &cmpFilter{path: strings.Split(field, "."), op: op, raw: value}
	switch op {
	case "eq", "ne":
		// The value is an RE2 expression that must match the whole field.
		re, err := regexp.Compile("^(?:" + value + ")$")
		if err != nil {
			return nil, fmt.Errorf("invalid regular expression for %q: %v", field, err)
		}
		c.re = re
	case "=", "!=", ":":
		// The value is a literal where * matches any run of characters.
		c.raw = unescapeLiteral(value)
		re, err := regexp.Compile("^(?:" + globToRegexp(c.raw) + ")$")
		if err != nil {
			return nil, fmt.Errorf("invalid value for %q: %v", field, err)
		}
		c.re = re
	default:
		c.raw = unescapeLiteral(value)
	}
	return c, nil
}

// computeLinkPrefix is the scheme, host and API version of a Compute URL.
var computeLinkPrefix = regexp.MustCompile(`^https?://[^/\s]+/compute/(?:v1|beta|alpha)/`)

// canonicalLinks rewrites a value that is a Compute URL on another host or
// API version (the emulator's own, as the upstream provider builds its
// network URL from gce.conf's api-endpoint) to the canonical selfLink form
// stored fields hold, as references in request bodies are normalised.
func canonicalLinks(v string) string {
	return computeLinkPrefix.ReplaceAllLiteralString(v, SelfLinkBase)
}

// unescapeLiteral drops the backslashes the tokenizer kept in a quoted
// value: outside a regular expression "a\"b" means a"b.
func unescapeLiteral(s string) string {
	if !strings.Contains(s, "\\") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func globToRegexp(lit string) string {
	parts := strings.Split(lit, "*")
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	return strings.Join(parts, ".*")
}
