package mockgateway

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ratelab/ratelab/clock"
)

// User is a Genesys Cloud User as GET /api/v2/users/{id} returns it.
type User struct {
	ID                 string        `json:"id"`
	Name               string        `json:"name"`
	Division           Division      `json:"division"`
	Chat               Chat          `json:"chat"`
	Department         string        `json:"department"`
	Email              string        `json:"email"`
	PrimaryContactInfo []ContactInfo `json:"primaryContactInfo"`
	Addresses          []ContactInfo `json:"addresses"`
	State              string        `json:"state"`
	Title              string        `json:"title"`
	Username           string        `json:"username"`
	Version            int64         `json:"version"`
	AcdAutoAnswer      bool          `json:"acdAutoAnswer"`
	SelfURI            string        `json:"selfUri"`

	modified time.Time
	encoded  []byte // the JSON GET answers with, newline included; nil when stale
}

// Division is a user's division reference.
type Division struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	SelfURI string `json:"selfUri"`
}

// Chat holds a user's chat identity.
type Chat struct {
	JabberID string `json:"jabberId"`
}

// ContactInfo is one address of a user.
type ContactInfo struct {
	Address   string `json:"address"`
	MediaType string `json:"mediaType"`
	Type      string `json:"type"`
}

// store holds the gateway's users. Safe for concurrent use. The generated
// population is shared with other stores and never written: a user is
// copied into own the first time this store touches it.
type store struct {
	mu    sync.Mutex
	set   *userSet
	own   []*User          // this store's copies of set.users, nil until touched
	added map[string]*User // users created in this store
	ids   []string         // in creation order, for paging
	rng   *rand.Rand
}

var (
	firstNames  = []string{"Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Margaret", "Ken", "Radia", "Tim", "Frances", "John", "Katherine", "Dennis", "Hedy", "Linus"}
	lastNames   = []string{"Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Hamilton", "Thompson", "Perlman", "Berners-Lee", "Allen", "McCarthy", "Johnson", "Ritchie", "Lamarr", "Torvalds"}
	departments = []string{"Sales", "Support", "Billing", "Engineering", "Operations", "Marketing"}
	lowerFirst  = lowerAll(firstNames)
	lowerLast   = lowerAll(lastNames)
)

func lowerAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strings.ToLower(s)
	}
	return out
}

// uuid draws a version-4 UUID from rng.
func uuid(rng *rand.Rand) string {
	var b [16]byte
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	hex.Encode(out[9:13], b[4:6])
	hex.Encode(out[14:18], b[6:8])
	hex.Encode(out[19:23], b[8:10])
	hex.Encode(out[24:], b[10:16])
	out[8], out[13], out[18], out[23] = '-', '-', '-', '-'
	return string(out[:])
}

// newStore seeds count users deterministically from seed. The population
// for a seed is generated once per process and copied for each store: a
// comparison builds a gateway, and so its users, for every run, with the
// same few seeds.
func newStore(count int, sequential bool, domain string, seed uint64, now time.Time) *store {
	set := userSetFor(usersKey{count, sequential, domain, seed, now})
	pcg := set.rng // the generator as it was after the last user
	return &store{set: set, own: make([]*User, len(set.users)), ids: set.ids[:len(set.ids):len(set.ids)], rng: rand.New(&pcg)}
}

// peekLocked returns a copy of the user with id without taking a copy
// into the store: for reads that keep nothing.
func (s *store) peekLocked(id string) (User, bool) {
	if i, ok := s.set.index[id]; ok {
		if u := s.own[i]; u != nil {
			return *u, true
		}
		return s.set.users[i], true
	}
	if u := s.added[id]; u != nil {
		return *u, true
	}
	return User{}, false
}

// lookupLocked returns this store's user with id, copying it from the
// shared population on first use; nil when there is none.
func (s *store) lookupLocked(id string) *User {
	i, ok := s.set.index[id]
	if !ok {
		return s.added[id]
	}
	if s.own[i] == nil {
		u := s.set.users[i]
		s.own[i] = &u
	}
	return s.own[i]
}

// usersKey names a generated population.
type usersKey struct {
	count      int
	sequential bool
	domain     string
	seed       uint64
	now        time.Time
}

// userSet is a generated population: read-only once built, shared by the
// stores that copy it. Its slices' contents are never modified: a store
// replaces a user's fields, never writes into a shared slice, and appends
// to ids only past their capacity.
type userSet struct {
	users []User
	ids   []string
	index map[string]int // position in users by id
	rng   rand.PCG       // the generator's state after the last user
}

// maxCachedUsers bounds the users kept in userSets across populations.
const maxCachedUsers = 200_000

// userSets caches recent populations, oldest first.
var userSets struct {
	mu    sync.Mutex
	keys  []usersKey
	sets  map[usersKey]*userSet
	total int
}

// userSetFor returns the population for k, generating it when it is not
// cached, and evicting the oldest populations past maxCachedUsers.
func userSetFor(k usersKey) *userSet {
	if !k.now.Equal(clock.Epoch) {
		// Only virtual runs, which all start at the epoch, meet the same
		// population again; a real-time gateway's start is its own.
		return generateUsers(k)
	}
	c := &userSets
	c.mu.Lock()
	defer c.mu.Unlock()
	if set, ok := c.sets[k]; ok {
		return set
	}
	set := generateUsers(k)
	if c.sets == nil {
		c.sets = map[usersKey]*userSet{}
	}
	for c.total+k.count > maxCachedUsers && len(c.keys) > 0 {
		c.total -= c.keys[0].count
		delete(c.sets, c.keys[0])
		c.keys = c.keys[1:]
	}
	if k.count <= maxCachedUsers {
		c.sets[k], c.keys, c.total = set, append(c.keys, k), c.total+k.count
	}
	return set
}

// generateUsers draws k's population from its seed.
func generateUsers(k usersKey) *userSet {
	pcg := rand.NewPCG(k.seed, 0x75736572)
	rng := rand.New(pcg)
	div := Division{ID: uuid(rng), Name: "Home Division"}
	div.SelfURI = "/api/v2/authorization/divisions/" + div.ID
	set := &userSet{users: make([]User, k.count), ids: make([]string, k.count), index: make(map[string]int, k.count)}
	contacts := make([]ContactInfo, k.count)
	var buf []byte
	for i := range set.users {
		id := uuid(rng)
		if k.sequential {
			id = fmt.Sprintf("user-%05d", i+1)
		}
		fi, li := rng.IntN(len(firstNames)), rng.IntN(len(lastNames))
		// first.last<i+1>@domain, lower case
		buf = append(append(append(append(buf[:0], lowerFirst[fi]...), '.'), lowerLast[li]...), strconv.Itoa(i+1)...)
		email := string(append(append(buf, '@'), k.domain...))
		jabber := strconv.FormatUint(rng.Uint64(), 16) + "@genesys.im"
		contacts[i] = ContactInfo{Address: email, MediaType: "EMAIL", Type: "PRIMARY"}
		set.users[i] = User{
			ID: id, Name: firstNames[fi] + " " + lastNames[li], Division: div,
			Chat:       Chat{JabberID: jabber},
			Department: departments[rng.IntN(len(departments))], Email: email,
			PrimaryContactInfo: contacts[i : i+1 : i+1],
			Addresses:          []ContactInfo{}, State: "active", Title: "Agent", Username: email,
			Version: 1, SelfURI: "/api/v2/users/" + id, modified: k.now,
		}
		set.ids[i] = id
		set.index[id] = i
	}
	set.rng = *pcg
	return set
}

// get returns a copy of the user with id.
func (s *store) get(id string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peekLocked(id)
}

// getJSON returns the JSON body of the user with id as GET answers it,
// encoded once per version. The slice is shared: callers must not modify it.
func (s *store) getJSON(id string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.lookupLocked(id)
	if u == nil {
		return nil, false
	}
	b, err := encodedLocked(u)
	return b, err == nil
}

// encodedLocked returns u's cached JSON body, encoding it if need be.
func encodedLocked(u *User) ([]byte, error) {
	if u.encoded == nil {
		var b bytes.Buffer
		if err := newJSONEncoder(&b).Encode(u); err != nil {
			return nil, err
		}
		u.encoded = b.Bytes()
	}
	return u.encoded, nil
}

// page returns users sorted by creation, 1-based page of size n.
func (s *store) page(number, size int) ([]User, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []User
	start := (number - 1) * size
	for i := start; i < start+size && i < len(s.ids); i++ {
		if u, ok := s.peekLocked(s.ids[i]); ok {
			out = append(out, u)
		}
	}
	return out, len(s.ids)
}

// errVersion is a version conflict: the caller's version is not current.
type errVersion struct{ have, want int64 }

func (e errVersion) Error() string {
	return fmt.Sprintf("Unexpected version was provided: got %d, current is %d", e.have, e.want)
}

// update applies fn to the user with id when version matches (version < 0
// skips the check), bumps the version and returns the new user.
func (s *store) update(id string, version int64, now time.Time, fn func(*User)) (User, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok, err := s.updateLocked(id, version, now, fn)
	if u == nil {
		return User{}, ok, err
	}
	return *u, true, nil
}

// updateJSON is update returning the new user's JSON body, as getJSON
// does (and caching it for the GETs that follow).
func (s *store) updateJSON(id string, version int64, now time.Time, fn func(*User)) ([]byte, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok, err := s.updateLocked(id, version, now, fn)
	if u == nil {
		return nil, ok, err
	}
	b, err := encodedLocked(u)
	return b, true, err
}

func (s *store) updateLocked(id string, version int64, now time.Time, fn func(*User)) (*User, bool, error) {
	u := s.lookupLocked(id)
	if u == nil {
		return nil, false, nil
	}
	if version >= 0 && version != u.Version {
		return nil, true, errVersion{version, u.Version}
	}
	fn(u)
	u.Version++
	u.modified = now
	u.encoded = nil
	return u, true, nil
}

// create adds a new user and returns it.
func (s *store) create(name, email, dept, title string, now time.Time) User {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := uuid(s.rng)
	u := &User{ID: id, Name: name, Email: email, Username: email, Department: dept, Title: title, State: "active",
		PrimaryContactInfo: []ContactInfo{{Address: email, MediaType: "EMAIL", Type: "PRIMARY"}},
		Addresses:          []ContactInfo{}, Version: 1, SelfURI: "/api/v2/users/" + id, modified: now}
	if len(s.ids) > 0 {
		u.Division = s.lookupLocked(s.ids[0]).Division
	}
	if s.added == nil {
		s.added = map[string]*User{}
	}
	s.added[id], s.ids = u, append(s.ids, id)
	return *u
}

// deactivate marks a user inactive, as SCIM DELETE does.
func (s *store) deactivate(id string, now time.Time) bool {
	_, ok, _ := s.update(id, -1, now, func(u *User) { u.State = "inactive" })
	return ok
}

// sampleIDs returns the first n user ids.
func (s *store) sampleIDs(n int) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.ids[:min(n, len(s.ids))]...)
}
