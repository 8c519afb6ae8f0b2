package mockgateway

import (
	"reflect"
	"testing"
	"time"
)

// TestStoresShareNothing: stores of the same population start equal to a
// freshly generated one, and what one store does — an update, a create
// drawing from its generator — neither shows in the other nor changes
// what a later store starts from.
func TestStoresShareNothing(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a := newStore(50, false, "example.com", 42, now)
	id := a.ids[3]
	if _, ok, err := a.update(id, 1, now, func(u *User) { u.Department = "Changed"; u.Addresses = append(u.Addresses, ContactInfo{Address: "x"}) }); !ok || err != nil {
		t.Fatalf("update: %v %v", ok, err)
	}
	createdA := a.create("New One", "new@example.com", "Sales", "Agent", now)

	b := newStore(50, false, "example.com", 42, now)
	fresh := generateUsers(usersKey{50, false, "example.com", 42, now})
	for i, want := range fresh.users {
		got, ok := b.get(want.ID)
		if !ok || !reflect.DeepEqual(got, want) || b.ids[i] != want.ID {
			t.Fatalf("user %d of a second store differs from a fresh one:\n got %+v\nwant %+v", i, got, want)
		}
	}
	if u, _ := b.get(id); u.Department == "Changed" || u.Version != 1 || len(u.Addresses) != 0 {
		t.Fatalf("an update in one store shows in another: %+v", u)
	}
	if _, ok := b.get(createdA.ID); ok || len(b.ids) != 50 {
		t.Fatal("a user created in one store shows in another")
	}
	if createdB := b.create("New One", "new@example.com", "Sales", "Agent", now); createdB.ID != createdA.ID {
		t.Fatalf("the second store's generator does not continue where generation ended: %s vs %s", createdB.ID, createdA.ID)
	}
	if len(a.ids) != 51 || a.ids[50] != createdA.ID {
		t.Fatal("creates in two stores clobbered each other's id lists")
	}
}

// BenchmarkNewStore: a store of 200 users, as a comparison builds one per
// run, from the cache.
func BenchmarkNewStore(b *testing.B) {
	b.ReportAllocs()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < b.N; i++ {
		newStore(200, false, "example.com", 1, now)
	}
}
