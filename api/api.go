// Package api is the one table of the Genesys Cloud API surface ratelab
// knows: the routes the mock gateway serves and the operations the probe
// sends over them. Scenario validation, the gateway, the probe and
// discovery all read it, so a route or an operation is added here once.
//
// To add a route: a RouteID constant and its entry in routes, then its
// handler in mockgateway's handlers map (a test fails until both exist).
package api

import (
	"fmt"
	"strings"
)

// RouteID names one route of the table. The zero value is UsersList.
type RouteID uint8

// The routes, in the order scenario errors list them.
const (
	UsersList  RouteID = iota // GET /api/v2/users
	UserGet                   // GET /api/v2/users/{id}
	UserPatch                 // PATCH /api/v2/users/{id}
	UserPut                   // PUT /api/v2/users/{id}, which the real API lacks
	ScimList                  // GET /api/v2/scim/v2/users
	ScimCreate                // POST /api/v2/scim/v2/users
	ScimGet                   // GET /api/v2/scim/v2/users/{id}
	ScimPut                   // PUT /api/v2/scim/v2/users/{id}
	ScimPatch                 // PATCH /api/v2/scim/v2/users/{id}
	ScimDelete                // DELETE /api/v2/scim/v2/users/{id}
	Token                     // POST /oauth/token
	UserMe                    // GET /api/v2/users/me
	// LimitNamespaces lists the org's limit namespaces
	// (docs/genesys-rate-limits.md#the-limits-api).
	LimitNamespaces // GET /api/v2/organizations/limits/namespaces
	// LimitNamespace gives the org's effective limits in one namespace.
	LimitNamespace // GET /api/v2/organizations/limits/namespaces/{namespaceName}
	numRoutes
)

// Route is one endpoint: a method and a path pattern with at most one
// variable, written in braces: a user id {id}, or a namespace's name.
type Route struct {
	ID      RouteID
	Method  string
	Pattern string // e.g. "/api/v2/users/{id}"
	// Alias is a second path pattern answering the same route (SCIM's
	// pre-v2 paths), or "".
	Alias string
	// Writes reports whether the route changes users.
	Writes bool
	// Login marks the OAuth token endpoint: no bearer token, no limit
	// buckets, and a scenario's routes cannot name it.
	Login bool
	// Optional marks a route the gateway serves only when a scenario
	// names it among its routes.
	Optional bool
	name     string
}

// Name returns "METHOD /pattern", the route's name in scenario files and
// logs.
func (r *Route) Name() string { return r.name }

var routes = [numRoutes]Route{
	UsersList:  {Method: "GET", Pattern: "/api/v2/users"},
	UserGet:    {Method: "GET", Pattern: "/api/v2/users/{id}"},
	UserPatch:  {Method: "PATCH", Pattern: "/api/v2/users/{id}", Writes: true},
	UserPut:    {Method: "PUT", Pattern: "/api/v2/users/{id}", Writes: true, Optional: true},
	ScimList:   {Method: "GET", Pattern: "/api/v2/scim/v2/users", Alias: "/api/v2/scim/users"},
	ScimCreate: {Method: "POST", Pattern: "/api/v2/scim/v2/users", Alias: "/api/v2/scim/users", Writes: true},
	ScimGet:    {Method: "GET", Pattern: "/api/v2/scim/v2/users/{id}", Alias: "/api/v2/scim/users/{id}"},
	ScimPut:    {Method: "PUT", Pattern: "/api/v2/scim/v2/users/{id}", Alias: "/api/v2/scim/users/{id}", Writes: true},
	ScimPatch:  {Method: "PATCH", Pattern: "/api/v2/scim/v2/users/{id}", Alias: "/api/v2/scim/users/{id}", Writes: true},
	ScimDelete: {Method: "DELETE", Pattern: "/api/v2/scim/v2/users/{id}", Alias: "/api/v2/scim/users/{id}", Writes: true},
	Token:      {Method: "POST", Pattern: "/oauth/token", Login: true},
	UserMe:     {Method: "GET", Pattern: "/api/v2/users/me"},
	// The limits API reads the scenario's buckets; discovery never probes
	// it (it is not in probeable): it reports limits, it is not one.
	LimitNamespaces: {Method: "GET", Pattern: "/api/v2/organizations/limits/namespaces"},
	LimitNamespace:  {Method: "GET", Pattern: "/api/v2/organizations/limits/namespaces/{namespaceName}"},
}

// probeable lists the routes discovery knows how to probe, in its order:
// reads, then the no-op write.
var probeable = []RouteID{UserGet, UsersList, UserPatch}

// Route returns id's entry. It panics for an id outside the table.
func (id RouteID) Route() *Route { return &routes[id] }

// String returns the route's name.
func (id RouteID) String() string {
	if id >= numRoutes {
		return fmt.Sprintf("RouteID(%d)", id)
	}
	return routes[id].name
}

// Routes returns every route, in table order.
func Routes() []RouteID {
	ids := make([]RouteID, numRoutes)
	for i := range ids {
		ids[i] = RouteID(i)
	}
	return ids
}

// ScenarioRoutes returns the names a scenario's routes and faults may
// name: every route but the login, in table order.
func ScenarioRoutes() []string {
	var names []string
	for i := range routes {
		if !routes[i].Login {
			names = append(names, routes[i].name)
		}
	}
	return names
}

// Probeable returns the routes discovery can probe, reads first.
func Probeable() []RouteID { return append([]RouteID(nil), probeable...) }

// RouteNamed returns the route called name ("METHOD /pattern").
func RouteNamed(name string) (RouteID, bool) {
	for i := range routes {
		if routes[i].name == name {
			return RouteID(i), true
		}
	}
	return 0, false
}

// ReadFirst says when an operation reads before it writes.
type ReadFirst uint8

// The ReadFirst policies. The zero value is Never.
const (
	Never          ReadFirst = iota // no read
	Always                          // read, then write
	WithoutVersion                  // read only when the work item has no version
)

// Operation is one unit of the probe's work: an optional read, then the
// request that completes it.
type Operation struct {
	Name string
	// Do is the request that completes the operation.
	Do RouteID
	// Read fetches what Do needs (a version, an ETag), when ReadFirst
	// says so or a 409 asks for it.
	Read      RouteID
	ReadFirst ReadFirst
	// RereadOn409 reports whether a 409 conflict means: read again, then
	// retry.
	RereadOn409 bool
}

var operations = []Operation{
	{Name: "update-user", Read: UserGet, Do: UserPatch, ReadFirst: Always, RereadOn409: true},
	{Name: "patch-user", Read: UserGet, Do: UserPatch, ReadFirst: WithoutVersion, RereadOn409: true},
	{Name: "put-user", Do: UserPut},
	{Name: "scim-update", Read: ScimGet, Do: ScimPatch, ReadFirst: Always, RereadOn409: true},
	{Name: "get-user", Do: UserGet},
}

// Reads reports whether the operation ever sends its Read route.
func (o *Operation) Reads() bool { return o.ReadFirst != Never || o.RereadOn409 }

// Writes reports whether the operation changes state.
func (o *Operation) Writes() bool { return o.Do.Route().Writes }

// HappyPath returns how many requests the operation needs when nothing
// fails and work items carry their version.
func (o *Operation) HappyPath() int {
	if o.ReadFirst == Always {
		return 2
	}
	return 1
}

// Steps returns the routes the operation sends on its happy path, in
// order.
func (o *Operation) Steps() []RouteID {
	if o.ReadFirst == Always {
		return []RouteID{o.Read, o.Do}
	}
	return []RouteID{o.Do}
}

// Operations returns every operation, in table order.
func Operations() []Operation { return append([]Operation(nil), operations...) }

// OperationNames returns the operations' names, in table order.
func OperationNames() []string {
	names := make([]string, len(operations))
	for i, o := range operations {
		names[i] = o.Name
	}
	return names
}

// OperationNamed returns the operation called name.
func OperationNamed(name string) (Operation, bool) {
	for _, o := range operations {
		if o.Name == name {
			return o, true
		}
	}
	return Operation{}, false
}

// Set is a set of routes, one bit per RouteID.
type Set uint64

// All is the set of every route.
const All = Set(1)<<numRoutes - 1

// Has reports whether id is in the set.
func (s Set) Has(id RouteID) bool { return s&(1<<id) != 0 }

// With returns the set plus id.
func (s Set) With(id RouteID) Set { return s | 1<<id }

// Without returns the set less id.
func (s Set) Without(id RouteID) Set { return s &^ (1 << id) }

// pattern is one path pattern split around its variable ({id} or
// another {name}): a path matches when it is prefix, a non-empty value
// without '/', then suffix; or, without a variable, exactly prefix.
type pattern struct {
	id             RouteID
	prefix, suffix string
	hasID          bool
}

// patterns holds every route's patterns, those without a variable first,
// so a literal segment wins over {id} (/users/me over /users/{id}).
var patterns []pattern

func init() {
	if numRoutes > 64 {
		panic("api: Set holds at most 64 routes")
	}
	var literal, withID []pattern
	for i := range routes {
		r := &routes[i]
		r.ID = RouteID(i)
		r.name = r.Method + " " + r.Pattern
		for _, p := range []string{r.Pattern, r.Alias} {
			if p == "" {
				continue
			}
			pre, suf, ok := cutVariable(p)
			if strings.ContainsAny(suf, "{}") || strings.ContainsAny(pre, "{}") {
				panic("api: " + r.name + ": a pattern has at most one variable, such as {id}")
			}
			if ok {
				withID = append(withID, pattern{id: r.ID, prefix: pre, suffix: suf, hasID: true})
			} else {
				literal = append(literal, pattern{id: r.ID, prefix: pre})
			}
		}
	}
	patterns = append(literal, withID...)
}

// cutVariable splits p around its first {name}: ok is false when it has
// none.
func cutVariable(p string) (pre, suf string, ok bool) {
	i := strings.IndexByte(p, '{')
	j := strings.IndexByte(p, '}')
	if i < 0 || j < i {
		return p, "", false
	}
	return p[:i], p[j+1:], true
}

// Match returns the route in served that method and path (a URL's
// decoded path) name, and the value of the path's variable (a user id,
// a namespace's name). A route without a variable wins over one with it;
// ok is false when no route of served matches.
func Match(method, path string, served Set) (id RouteID, userID string, ok bool) {
	for i := range patterns {
		p := &patterns[i]
		r := &routes[p.id]
		if r.Method != method || !served.Has(p.id) {
			continue
		}
		if !p.hasID {
			if path == p.prefix {
				return p.id, "", true
			}
			continue
		}
		if len(path) <= len(p.prefix)+len(p.suffix) || path[:len(p.prefix)] != p.prefix || path[len(path)-len(p.suffix):] != p.suffix {
			continue
		}
		v := path[len(p.prefix) : len(path)-len(p.suffix)]
		if strings.IndexByte(v, '/') < 0 {
			return p.id, v, true
		}
	}
	return 0, "", false
}
