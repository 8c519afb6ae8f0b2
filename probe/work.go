package probe

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/ratelab/ratelab/probe/client"
)

// Item is one unit of work: a user and the changes to make.
type Item struct {
	User    string         `json:"id"`
	Changes client.Changes `json:"changes"`
	// Version is the user's version when known (patch-user); 0 means read it.
	Version int64 `json:"version,omitempty"`
}

var departments = []string{"Sales", "Support", "Billing", "Engineering", "Operations", "Marketing", "Escalations"}

// Work is the items a run takes, one per operation. The runner asks for
// each item once, in increasing order of index, one call at a time.
type Work interface {
	// Len returns how many items there are.
	Len() int
	// Item returns item i, 0 ≤ i < Len().
	Item(i int) Item
}

// Items is work held in memory, such as LoadWork's.
type Items []Item

// Len returns len(w).
func (w Items) Len() int { return len(w) }

// Item returns w[i].
func (w Items) Item(i int) Item { return w[i] }

// Generate makes n items over users (cycling; users must not be empty),
// each setting a department and an email, deterministically from seed.
func Generate(users []string, n int, seed uint64) []Item {
	g := Generated(users, n, seed)
	items := make([]Item, n)
	for i := range items {
		items[i] = g.Item(i)
	}
	return items
}

// Generated returns Generate's items as Work that makes each one when the
// run takes it, so a run of any length holds one item at a time instead
// of all of them (an hour of work is hundreds of thousands of items). Its
// items must be taken in order, each once, as the runner does; taking
// one out of order panics.
func Generated(users []string, n int, seed uint64) Work {
	return &generated{users: users, n: n, rng: rand.New(rand.NewPCG(seed, 0x776f726b))}
}

// generated makes items one at a time from one random stream.
type generated struct {
	users []string
	n     int
	rng   *rand.Rand
	next  int    // the index of the item the stream makes next
	b     []byte // reused to build emails
}

func (g *generated) Len() int { return g.n }

func (g *generated) Item(i int) Item {
	if i != g.next || i >= g.n {
		panic(fmt.Sprintf("probe: generated work: item %d taken, want item %d of %d", i, g.next, g.n))
	}
	g.next++
	u := g.users[i%len(g.users)]
	dept := departments[g.rng.IntN(len(departments))]
	// "sync-%d-%d@example.com", without fmt: an hour of work is
	// hundreds of thousands of items.
	b := append(g.b[:0], "sync-"...)
	b = strconv.AppendInt(b, int64(i+1), 10)
	b = append(b, '-')
	b = strconv.AppendInt(b, int64(g.rng.IntN(1000)), 10)
	b = append(b, "@example.com"...)
	g.b = b
	return Item{User: u, Changes: client.Changes{Department: dept, Email: string(b)}}
}

// LoadWork reads work from a CSV file (a header row naming id and any of
// email, department, title, name, version) or a JSON Lines file (objects
// with id and those fields), chosen by the .csv or .jsonl/.json extension.
// Errors name the file and line.
func LoadWork(path string) ([]Item, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("probe: %w", err)
	}
	defer f.Close()
	name := filepath.Base(path)
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		return readCSV(name, f)
	case ".jsonl", ".json", ".ndjson":
		return readJSONL(name, f)
	}
	return nil, fmt.Errorf("probe: %s: unknown work file type (want .csv or .jsonl)", name)
}

func readCSV(name string, r io.Reader) ([]Item, error) {
	cr := csv.NewReader(r)
	cr.TrimLeadingSpace = true
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("probe: %s:1: reading header: %w", name, err)
	}
	col := map[string]int{}
	for i, h := range head {
		h = strings.ToLower(strings.TrimSpace(h))
		switch h {
		case "id", "email", "department", "title", "name", "version":
			col[h] = i
		default:
			return nil, fmt.Errorf("probe: %s:1: unknown column %q (valid: id, email, department, title, name, version)", name, h)
		}
	}
	if _, ok := col["id"]; !ok {
		return nil, fmt.Errorf("probe: %s:1: no id column", name)
	}
	var items []Item
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			return nil, fmt.Errorf("probe: %s: %w", name, err)
		}
		get := func(k string) string {
			if i, ok := col[k]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		it := Item{User: get("id"), Changes: client.Changes{Email: get("email"), Department: get("department"), Title: get("title"), Name: get("name")}}
		if it.User == "" {
			return nil, fmt.Errorf("probe: %s:%d: empty id", name, line)
		}
		if v := get("version"); v != "" {
			if it.Version, err = strconv.ParseInt(v, 10, 64); err != nil || it.Version < 1 {
				return nil, fmt.Errorf("probe: %s:%d: version %q is not a positive whole number", name, line, v)
			}
		}
		items = append(items, it)
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("probe: %s: no work rows", name)
	}
	return items, nil
}

func readJSONL(name string, r io.Reader) ([]Item, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var items []Item
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		var raw struct {
			ID         string `json:"id"`
			Email      string `json:"email"`
			Department string `json:"department"`
			Title      string `json:"title"`
			Name       string `json:"name"`
			Version    int64  `json:"version"`
		}
		dec := json.NewDecoder(strings.NewReader(text))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("probe: %s:%d: %v", name, line, err)
		}
		if raw.ID == "" {
			return nil, fmt.Errorf("probe: %s:%d: no id", name, line)
		}
		items = append(items, Item{User: raw.ID, Version: raw.Version,
			Changes: client.Changes{Email: raw.Email, Department: raw.Department, Title: raw.Title, Name: raw.Name}})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("probe: %s: %w", name, err)
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("probe: %s: no work lines", name)
	}
	return items, nil
}
