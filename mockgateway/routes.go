package mockgateway

import (
	"context"
	"net/http"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/gorilla/mux"

	"github.com/ratelab/ratelab/api"
)

// handlers holds the handler of every route of the api table; a test
// holds them to the table both ways. Routes other than the login run
// behind authed: bearer token, limits, faults, latency.
var handlers = map[api.RouteID]func(*Server, *reqCtx){
	api.UsersList:  (*Server).listUsers,
	api.UserGet:    (*Server).getUser,
	api.UserPatch:  (*Server).patchUser,
	api.UserPut:    (*Server).putUser,
	api.ScimList:   (*Server).scimList,
	api.ScimCreate: (*Server).scimCreate,
	api.ScimGet:    (*Server).scimGet,
	api.ScimPut:    (*Server).scimPut,
	api.ScimPatch:  (*Server).scimPatch,
	api.ScimDelete: (*Server).scimDelete,
	api.Token:      (*Server).token,
	api.UserMe:     (*Server).getMe,

	api.LimitNamespaces: (*Server).limitNamespaces,
	api.LimitNamespace:  (*Server).limitNamespace,
}

// pathVariable is a route pattern's variable ({id}, {namespaceName}),
// which the router names userId whatever the table calls it.
var pathVariable = regexp.MustCompile(`\{[^}]*\}`)

// routeHandlers builds s's handler of every route it serves, indexed by
// route, and the set of those routes. An optional route is served only
// when the scenario names it among its routes.
func (s *Server) routeHandlers() ([]*apiHandler, api.Set) {
	named := map[api.RouteID]bool{}
	for _, r := range s.sc.Gateway.Routes {
		if !r.Any {
			named[r.API] = true
		}
	}
	ids := api.Routes()
	hs := make([]*apiHandler, len(ids))
	var served api.Set
	for _, id := range ids {
		rt := id.Route()
		if rt.Optional && !named[id] || limitsAPI(id) && !s.sc.Gateway.ServesLimitsAPI() {
			continue
		}
		h := func(rc *reqCtx) { handlers[id](s, rc) }
		var lr = s.routeFor(rt.Name())
		if rt.Login {
			lr = nil
		} else {
			h = s.authed(h)
		}
		hs[id] = &apiHandler{s: s, id: id, pattern: rt.Name(), label: rt.Pattern, route: lr, h: h}
		served = served.With(id)
	}
	return hs, served
}

// ServeHTTP serves the gateway. A request on a route of the api table
// goes straight to its handler; a path that is not clean (//, . or ..
// segments, or none at all, as CONNECT's and OPTIONS *'s) is a 404 like
// any unknown path, not a redirect; everything else (admin, 404, 405)
// goes through gorilla/mux.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !isClean(r.URL.Path) {
		s.noRoute.ServeHTTP(w, r)
		return
	}
	if id, user, ok := api.Match(r.Method, r.URL.Path, s.served); ok {
		s.handlers[id].serve(w, r, user)
		return
	}
	r = r.WithContext(context.WithValue(r.Context(), serverKey{}, s))
	routerFor(s.served).ServeHTTP(w, r)
}

// isClean reports whether p is an absolute path that gorilla/mux would
// serve without redirecting to a cleaned path (a 301 with no correlation
// id, no Genesys body and no record; for CONNECT, to a protocol-relative
// Location).
func isClean(p string) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	c := path.Clean(p)
	return c == p || strings.HasSuffix(p, "/") && c+"/" == p
}

// serverKey keys the Server in the context of a request that the shared
// router serves.
type serverKey struct{}

func serverOf(r *http.Request) *Server { return r.Context().Value(serverKey{}).(*Server) }

// routers holds one gorilla/mux router per set of served routes, built
// once per process: a router's compiled regular expressions cost more
// than a whole short run. Its handlers find their Server in the request's
// context, so every gateway serving the same routes shares it; a built
// router is only read.
var routers struct {
	sync.Mutex
	m map[api.Set]*mux.Router
}

func routerFor(served api.Set) *mux.Router {
	routers.Lock()
	defer routers.Unlock()
	if r, ok := routers.m[served]; ok {
		return r
	}
	if routers.m == nil {
		routers.m = map[api.Set]*mux.Router{}
	}
	r := newRouter(served)
	routers.m[served] = r
	return r
}

// newRouter builds the router of the routes in served, with the 404 and
// 405 answers and the admin endpoints.
func newRouter(served api.Set) *mux.Router {
	// ServeHTTP answers unclean paths itself: the router never redirects.
	r := mux.NewRouter().SkipClean(true)
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) { serverOf(req).noRoute.ServeHTTP(w, req) })
	r.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		serverOf(req).notAllowed.ServeHTTP(w, req)
	})
	// Subrouters by prefix keep the number of path regexps tried per
	// request small.
	subs := map[string]*mux.Router{}
	prefixes := []string{"/api/v2/users", "/api/v2/scim"}
	ids := api.Routes()
	// Literal paths first: mux takes the first route that matches, and
	// /users/me must not be read as /users/{id}.
	slices.SortStableFunc(ids, func(a, b api.RouteID) int {
		return strings.Count(a.Route().Pattern, "{") - strings.Count(b.Route().Pattern, "{")
	})
	for _, id := range ids {
		if !served.Has(id) {
			continue
		}
		h := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) { serverOf(req).handlers[id].ServeHTTP(w, req) })
		rt := id.Route()
		for _, p := range []string{rt.Pattern, rt.Alias} {
			if p == "" {
				continue
			}
			sub, rest := r, p
			for _, pre := range prefixes {
				if tail, ok := strings.CutPrefix(p, pre); ok {
					if subs[pre] == nil {
						subs[pre] = r.PathPrefix(pre).Subrouter()
						subs[pre].NotFoundHandler, subs[pre].MethodNotAllowedHandler = r.NotFoundHandler, r.MethodNotAllowedHandler
					}
					sub, rest = subs[pre], tail
				}
			}
			sub.Handle(pathVariable.ReplaceAllString(rest, "{userId}"), h).Methods(rt.Method)
		}
	}
	adminRoutes(r.PathPrefix(AdminPrefix).Subrouter())
	return r
}
