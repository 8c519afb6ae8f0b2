package mockgateway

import (
	"math"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/ratelab/ratelab/api"
	"github.com/ratelab/ratelab/scenarios"
)

// The limits API (docs/genesys-rate-limits.md#the-limits-api): what an
// org reads as its limits, built from the scenario's buckets. A bucket
// appears when it has a namespace and a key; its value is its limit in
// the key's unit for the caller's tier, or the bucket's documented value
// when it declares one.

// limitsAPI reports whether id is a route of the limits API, which
// gateway.limits_api: false turns off.
func limitsAPI(id api.RouteID) bool { return id == api.LimitNamespaces || id == api.LimitNamespace }

// LimitEntityListing is the body of GET
// /api/v2/organizations/limits/namespaces/{namespaceName}: Genesys's
// LimitsEntityListing, its entities only.
type LimitEntityListing struct {
	Entities []LimitInfo `json:"entities"`
}

// NamespaceListing is the body of GET /api/v2/organizations/limits/namespaces.
// The SDKs type it as an untyped paged listing; this shape is ratelab's
// assumption (docs/genesys-rate-limits.md#assumptions-without-a-public-source).
type NamespaceListing struct {
	Entities   []Namespace `json:"entities"`
	PageSize   int         `json:"pageSize"`
	PageNumber int         `json:"pageNumber"`
	Total      int         `json:"total"`
	PageCount  int         `json:"pageCount"`
}

// Namespace is one entity of a NamespaceListing.
type Namespace struct {
	Name string `json:"name"`
}

// limitNamespaces lists, sorted, the namespaces of the buckets the limits
// API reports.
func (s *Server) limitNamespaces(rc *reqCtx) {
	seen := map[string]bool{}
	out := NamespaceListing{Entities: []Namespace{}, PageNumber: 1, PageCount: 1}
	for _, b := range s.sc.Gateway.Buckets {
		if b.Namespace != "" && b.Key != "" && !seen[b.Namespace] {
			seen[b.Namespace] = true
			out.Entities = append(out.Entities, Namespace{Name: b.Namespace})
		}
	}
	sort.Slice(out.Entities, func(i, j int) bool { return out.Entities[i].Name < out.Entities[j].Name })
	out.PageSize, out.Total = len(out.Entities), len(out.Entities)
	s.writeJSON(rc, http.StatusOK, &out)
}

// limitNamespace lists the limits of one namespace, in bucket order, for
// the caller's tier; an unknown namespace is the Genesys 404.
func (s *Server) limitNamespace(rc *reqCtx) {
	name := rc.userID
	out := LimitEntityListing{Entities: []LimitInfo{}}
	for _, b := range s.sc.Gateway.Buckets {
		if b.Namespace == name && b.Key != "" {
			out.Entities = append(out.Entities, LimitInfo{Key: b.Key, Namespace: b.Namespace, Value: s.reportedLimit(&b, rc.tok.tier)})
		}
	}
	if len(out.Entities) == 0 {
		s.writeError(rc, http.StatusNotFound, "not.found", "The limit namespace "+name+" was not found", func(b *ErrorBody) {
			b.EntityName = name
		})
		return
	}
	s.writeJSON(rc, http.StatusOK, &out)
}

// reportedLimit is what the limits API says of bucket b to a client of
// tier: its documented value when it has one, else its limit as written
// (time_scale aside: the API reports the limits the scenario models) in
// its key's unit.
func (s *Server) reportedLimit(b *scenarios.Bucket, tier int) float64 {
	if b.Documented > 0 {
		return b.Documented
	}
	if b.Limit == nil {
		return 0
	}
	r := b.Limit.Rate
	if b.Limit.FromTier {
		if names := s.sc.TierNames(); tier >= 0 && tier < len(names) {
			r = s.sc.Gateway.Tiers[names[tier]][b.Name].Rate
		}
	}
	return InKeyUnit(r.N, r.Per, b.Key)
}

// keyUnits are the periods a limit key can name by its suffix.
var keyUnits = []struct {
	suffix string
	per    time.Duration
}{
	{".per.second", time.Second},
	{".per.minute", time.Minute},
	{".per.hour", time.Hour},
	{".per.day", 24 * time.Hour},
}

// InKeyUnit returns n per per expressed in the unit key names
// ("user.rate.per.minute": per minute; "...per.day": per day), rounded
// to a millionth; n itself when the key names no unit or per is 0 (a
// count, such as a concurrency limit).
func InKeyUnit(n float64, per time.Duration, key string) float64 {
	for _, u := range keyUnits {
		if strings.HasSuffix(key, u.suffix) && per > 0 {
			return math.Round(n*float64(u.per)/float64(per)*1e6) / 1e6
		}
	}
	return n
}
