package scenarios

import (
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Error is one problem in a scenario file, located by file, line and the
// field path from the document root (e.g. gateway.buckets[1].window).
type Error struct {
	File string
	Line int
	Path string
	Msg  string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("scenarios: ")
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			b.WriteString(":" + strconv.Itoa(e.Line))
		}
		b.WriteString(": ")
	}
	if e.Path != "" {
		b.WriteString(e.Path + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// scalar is implemented by field types that parse themselves from one YAML
// scalar (durations, rates, limits).
type scalar interface {
	parseScalar(s string) error
}

// decoder walks a YAML node tree into Go values, strictly: unknown and
// duplicate keys, wrong kinds and bad scalars are problems with a line and
// a field path. It records the line of every path it sees for later
// semantic checks.
type decoder struct {
	lines map[string]int
	p     *problems
}

func (d *decoder) fail(line int, path, format string, args ...any) {
	d.p.fail(line, path, format, args...)
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "something else"
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

var scalarType = reflect.TypeOf((*scalar)(nil)).Elem()

func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if _, seen := d.lines[path]; !seen {
		d.lines[path] = n.Line
	}
	if v.Kind() == reflect.Pointer {
		if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
			return
		}
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.decode(n, v.Elem(), path)
		return
	}
	if v.CanAddr() && v.Addr().Type().Implements(scalarType) {
		if n.Kind != yaml.ScalarNode {
			d.fail(n.Line, path, "expected a single value, got %s", kindName(n))
			return
		}
		if err := v.Addr().Interface().(scalar).parseScalar(n.Value); err != nil {
			d.fail(n.Line, path, "%v", err)
		}
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.decodeStruct(n, v, path)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.fail(n.Line, path, "expected a list, got %s", kindName(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, c := range n.Content {
			d.decode(c, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
		v.Set(s)
	case reflect.Map:
		d.decodeMap(n, v, path)
	default:
		d.decodeScalar(n, v, path)
	}
}

func (d *decoder) decodeMap(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.fail(n.Line, path, "expected a mapping, got %s", kindName(n))
		return
	}
	m := reflect.MakeMap(v.Type())
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		kp := join(path, k.Value)
		if m.MapIndex(reflect.ValueOf(k.Value)).IsValid() {
			d.fail(k.Line, kp, "defined twice")
			continue
		}
		d.lines[kp] = k.Line
		e := reflect.New(v.Type().Elem()).Elem()
		d.decode(val, e, kp)
		m.SetMapIndex(reflect.ValueOf(k.Value), e)
	}
	v.Set(m)
}

// decodeScalar decodes text, numbers and booleans.
func (d *decoder) decodeScalar(n *yaml.Node, v reflect.Value, path string) {
	switch v.Kind() {
	case reflect.String:
		if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
			d.fail(n.Line, path, "expected text, got %s", kindName(n))
			return
		}
		v.SetString(n.Value)
	case reflect.Int, reflect.Int64:
		if n.Kind != yaml.ScalarNode {
			d.fail(n.Line, path, "expected a whole number, got %s", kindName(n))
			return
		}
		x, err := strconv.ParseInt(n.Value, 10, 64)
		if err != nil {
			d.fail(n.Line, path, "%q is not a whole number", n.Value)
			return
		}
		v.SetInt(x)
	case reflect.Uint64:
		x, err := strconv.ParseUint(n.Value, 10, 64)
		if n.Kind != yaml.ScalarNode || err != nil {
			d.fail(n.Line, path, "%q is not a non-negative whole number", n.Value)
			return
		}
		v.SetUint(x)
	case reflect.Float64:
		x, err := strconv.ParseFloat(n.Value, 64)
		if n.Kind != yaml.ScalarNode || err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			d.fail(n.Line, path, "%q is not a number", n.Value)
			return
		}
		v.SetFloat(x)
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
			d.fail(n.Line, path, "expected true or false, got %s", kindName(n))
			return
		}
		v.SetBool(n.Value == "true" || n.Value == "True" || n.Value == "TRUE")
	default:
		panic(fmt.Sprintf("scenarios: no decoder for %v", v.Type()))
	}
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.fail(n.Line, path, "expected a mapping, got %s", kindName(n))
		return
	}
	t := v.Type()
	fields := map[string]int{}
	var names []string
	for i := 0; i < t.NumField(); i++ {
		tag := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
		if tag == "" || tag == "-" {
			continue
		}
		fields[tag] = i
		names = append(names, tag)
	}
	sort.Strings(names)
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		kp := join(path, k.Value)
		idx, ok := fields[k.Value]
		if !ok {
			d.fail(k.Line, kp, "unknown field %q (valid: %s)", k.Value, strings.Join(names, ", "))
			continue
		}
		if seen[k.Value] {
			d.fail(k.Line, kp, "defined twice")
			continue
		}
		seen[k.Value] = true
		d.lines[kp] = k.Line
		d.decode(val, v.Field(idx), kp)
	}
}

// maxFileBytes is the largest scenario file Load and Parse read: 1 MiB,
// a thousand times the size of the largest embedded scenario.
const maxFileBytes = 1 << 20

// maxNodes bounds the YAML nodes a scenario may expand to, counting an
// alias as the nodes it stands for each time it is used: the decoder walks
// every one of them, and a few kilobytes of aliases can otherwise stand
// for millions. The embedded scenarios have a few hundred.
const maxNodes = 100_000

// parse decodes data strictly into out, recording decoding problems in p.
// It reports whether decoding could start: false when the file is not
// YAML, is empty or expands past maxNodes (p then holds that one problem).
func parse(data []byte, out any, lines map[string]int, p *problems) bool {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		// yaml.v3 syntax errors read "yaml: line N: ...".
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		line := 0
		if rest, ok := strings.CutPrefix(msg, "line "); ok {
			if num, tail, ok := strings.Cut(rest, ":"); ok {
				line, _ = strconv.Atoi(num)
				msg = strings.TrimSpace(tail)
			}
		}
		p.add(line, "", "invalid YAML: %s", msg)
		return false
	}
	if len(doc.Content) == 0 {
		p.add(0, "", "the file is empty")
		return false
	}
	c := &nodeCounter{sizes: map[*yaml.Node]int{}}
	if n := c.over(doc.Content[0]); n != nil {
		if n.Kind == yaml.AliasNode {
			p.add(n.Line, "", "alias *%s expands the scenario past %d YAML nodes (an alias counts the nodes it stands for each time it is used)", n.Value, maxNodes)
		} else {
			p.add(n.Line, "", "the scenario has more than %d YAML nodes", maxNodes)
		}
		return false
	}
	d := &decoder{lines: lines, p: p}
	d.decode(doc.Content[0], reflect.ValueOf(out).Elem(), "")
	return true
}

// nodeCounter counts a document's nodes the way the decoder walks them:
// an alias stands for every node under its anchor, each time it is used.
type nodeCounter struct {
	total int
	sizes map[*yaml.Node]int // anchored nodes' expanded sizes
}

// over walks n in document order and returns the node at which the
// running count passes maxNodes, or nil.
func (c *nodeCounter) over(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.AliasNode {
		c.total += c.size(n)
	} else {
		c.total++
	}
	if c.total > maxNodes {
		return n
	}
	if n.Kind == yaml.AliasNode {
		return nil
	}
	for _, ch := range n.Content {
		if bad := c.over(ch); bad != nil {
			return bad
		}
	}
	return nil
}

// size returns the number of nodes n stands for, at most maxNodes+1.
// Anchored nodes are counted once and remembered.
func (c *nodeCounter) size(n *yaml.Node) int {
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			return 1
		}
		return c.size(n.Alias)
	}
	if s, ok := c.sizes[n]; ok {
		return s
	}
	if n.Anchor != "" {
		c.sizes[n] = maxNodes + 1 // an anchor that contains itself is too big
	}
	s := 1
	for _, ch := range n.Content {
		if s += c.size(ch); s > maxNodes {
			s = maxNodes + 1
			break
		}
	}
	if n.Anchor != "" {
		c.sizes[n] = s
	}
	return s
}
