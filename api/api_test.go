package api

import (
	"strings"
	"testing"
)

func TestMatch(t *testing.T) {
	cases := []struct {
		name, method, path string
		served             Set
		want               RouteID
		userID             string
		ok                 bool
	}{
		{"list", "GET", "/api/v2/users", All, UsersList, "", true},
		{"get", "GET", "/api/v2/users/u-1", All, UserGet, "u-1", true},
		{"patch", "PATCH", "/api/v2/users/u-1", All, UserPatch, "u-1", true},
		{"put not served", "PUT", "/api/v2/users/u-1", All.Without(UserPut), 0, "", false},
		{"scim alias", "DELETE", "/api/v2/scim/users/x", All, ScimDelete, "x", true},
		{"scim", "GET", "/api/v2/scim/v2/users/x", All, ScimGet, "x", true},
		{"token", "POST", "/oauth/token", All, Token, "", true},
		{"empty id", "GET", "/api/v2/users/", All, 0, "", false},
		{"two segments", "GET", "/api/v2/users/a/b", All, 0, "", false},
		{"method", "POST", "/api/v2/users/a", All, 0, "", false},
		{"lowercase method", "get", "/api/v2/users", All, 0, "", false},
		{"prefix only", "GET", "/api/v2/usersx", All, 0, "", false},
		{"namespaces", "GET", "/api/v2/organizations/limits/namespaces", All, LimitNamespaces, "", true},
		{"namespace", "GET", "/api/v2/organizations/limits/namespaces/directory", All, LimitNamespace, "directory", true},
		{"namespace defaults", "GET", "/api/v2/organizations/limits/namespaces/directory/defaults", All, 0, "", false},
		{"namespace off", "GET", "/api/v2/organizations/limits/namespaces/directory", All.Without(LimitNamespace), 0, "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id, user, ok := Match(c.method, c.path, c.served)
			if ok != c.ok || ok && (id != c.want || user != c.userID) {
				t.Errorf("Match(%s %s) = %v %q %v, want %v %q %v", c.method, c.path, id, user, ok, c.want, c.userID, c.ok)
			}
		})
	}
}

func TestTable(t *testing.T) {
	seen := map[string]bool{}
	for _, id := range Routes() {
		r := id.Route()
		if r.ID != id || r.Name() != r.Method+" "+r.Pattern || seen[r.Name()] {
			t.Errorf("route %d: %+v", id, r)
		}
		seen[r.Name()] = true
		if got, ok := RouteNamed(r.Name()); !ok || got != id {
			t.Errorf("RouteNamed(%q) = %v, %v", r.Name(), got, ok)
		}
		if !strings.HasPrefix(r.Pattern, "/") || r.Alias != "" && strings.Count(r.Alias, "{id}") != strings.Count(r.Pattern, "{id}") {
			t.Errorf("%s: pattern %q, alias %q", r.Name(), r.Pattern, r.Alias)
		}
	}
	for _, o := range Operations() {
		if got, ok := OperationNamed(o.Name); !ok || got != o {
			t.Errorf("OperationNamed(%q) = %+v, %v", o.Name, got, ok)
		}
		if o.Reads() && o.Read.Route().Writes || o.Do.Route().Login || len(o.Steps()) != o.HappyPath() {
			t.Errorf("%s: %+v", o.Name, o)
		}
	}
	for _, id := range Probeable() {
		if id.Route().Optional || id.Route().Login || strings.Contains(id.Route().Pattern, "scim") {
			t.Errorf("discovery cannot probe %s", id)
		}
	}
}

func BenchmarkMatch(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Match("PATCH", "/api/v2/scim/v2/users/0b3c9a52-7d1e-4a39-9f0e-2c8d5b7a6e41", All)
	}
}
