package discover

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/ratelab/ratelab/api"
)

// The limits API: an org's effective limit values, by namespace.
const (
	limitsPath = "/api/v2/organizations/limits/namespaces"
	// maxNamespaces bounds how many namespaces are read up front; a real
	// org lists about a hundred, of which a users sync meets two or three.
	maxNamespaces = 10
)

// limitsRoute names the limits API's requests among the events (its
// namespace reads too): its listing's route.
var limitsRoute = api.LimitNamespaces.Route().Name()

// readDocumented reads what the target says its limits are, before any
// probing: the namespace listing, then each namespace's values (the first
// maxNamespaces). Every request counts in the budget, and an admitted one
// in the buckets' arithmetic. A target without the API (404, 403) is
// fine: discovery measures only.
func (p *prober) readDocumented() string {
	var listing struct {
		Entities []struct {
			Name string `json:"name"`
		} `json:"entities"`
	}
	status, err := p.getJSON(limitsPath, &listing)
	switch {
	case err != nil:
		return "not read: " + err.Error()
	case status == http.StatusNotFound || status == http.StatusForbidden:
		return fmt.Sprintf("not served by this target (%d): limits are measured only", status)
	case status != http.StatusOK:
		return fmt.Sprintf("not read: the listing answered %d", status)
	case len(listing.Entities) == 0:
		return "served, but it lists no namespace"
	}
	p.documented = map[string]float64{}
	n := 0
	for _, ns := range listing.Entities {
		if n == maxNamespaces {
			break
		}
		if p.readNamespace(ns.Name) {
			n++
		}
	}
	return fmt.Sprintf("read: %d of %d namespaces", n, len(listing.Entities))
}

// readNamespace reads one namespace's values into p.documented; a 429
// or any other answer leaves it unread.
func (p *prober) readNamespace(ns string) bool {
	if ns == "" || p.read[ns] {
		return false
	}
	if p.read == nil {
		p.read = map[string]bool{}
	}
	p.read[ns] = true
	var limits struct {
		Entities []struct {
			Key       string  `json:"key"`
			Namespace string  `json:"namespace"`
			Value     float64 `json:"value"`
		} `json:"entities"`
	}
	if status, err := p.getJSON(limitsPath+"/"+url.PathEscape(ns), &limits); err != nil || status != http.StatusOK {
		return false
	}
	for _, l := range limits.Entities {
		if l.Namespace == "" {
			l.Namespace = ns
		}
		p.documented[l.Namespace+"/"+l.Key] = l.Value
	}
	return true
}

// getJSON GETs path with the probing client, within the request budget,
// and decodes a 200's body into v.
func (p *prober) getJSON(path string, v any) (int, error) {
	if p.requests >= p.o.MaxRequests || p.now().Sub(p.start) > p.o.MaxDuration {
		return 0, errBudget
	}
	p.requests++
	resp, err := p.o.Client.Do(p.ctx, http.MethodGet, path, nil, nil)
	if err != nil {
		return 0, err
	}
	if resp.Status == http.StatusOK {
		// It was admitted: whatever buckets it went through hold it.
		p.events = append(p.events, event{at: p.now(), route: limitsRoute, main: true, ok: true})
	}
	if resp.Status == http.StatusOK {
		if err := json.Unmarshal(resp.Body, v); err != nil {
			return resp.Status, fmt.Errorf("%s: the answer is not the limits API's JSON: %v", path, err)
		}
	}
	return resp.Status, nil
}

// documentedValue is the limits API's value for a namespace and key.
func (p *prober) documentedValue(ns, key string) (float64, bool) {
	if p.documented == nil || key == "" {
		return 0, false
	}
	if v, ok := p.documented[ns+"/"+key]; ok {
		return v, true
	}
	for k, v := range p.documented {
		if strings.HasSuffix(k, "/"+key) && ns == "" {
			return v, true
		}
	}
	return 0, false
}

// document puts each layer's documented value beside the measured one
// and flags where they disagree by over 10%, and where the documented
// per-minute limit the 429s name is looser than what binds. A namespace a
// 429 named that was not read up front is read now, within the budget;
// Run calls it only while discovery goes on.
func (p *prober) document(f *Finding) {
	for i := range f.Layers {
		l := &f.Layers[i]
		if p.documented != nil && l.LimitNamespace != "" && !p.read[l.LimitNamespace] {
			p.readNamespace(l.LimitNamespace) // named by a 429, beyond those read up front
		}
		v, ok := p.documentedValue(l.LimitNamespace, l.LimitKey)
		if !ok {
			continue
		}
		l.Documented = v
		if strings.Contains(l.LimitKey, "per.minute") && l.RatePerMin > 0 && (l.RatePerMin < 0.9*v || l.RatePerMin > 1.1*v) {
			f.Notes = append(f.Notes, fmt.Sprintf("documented %s %g; measured %s%.0f/min", l.LimitKey, v, atLeast(l), l.RatePerMin))
		}
	}
	if f.Binding < 0 || f.Binding >= len(f.Layers) {
		return
	}
	b := f.Layers[f.Binding]
	for i, l := range f.Layers {
		if i != f.Binding && l.Documented > 0 && strings.Contains(l.LimitKey, "per.minute") && b.LimitPerMin < 0.9*l.Documented {
			f.Notes = append(f.Notes, fmt.Sprintf("documented %s %g; effective %.0f/min: %s bucket", l.LimitKey, l.Documented, b.LimitPerMin, bucketName(b)))
		}
	}
}

func bucketName(l Layer) string {
	switch {
	case l.LimitNamespace != "" && l.LimitKey != "":
		return l.LimitNamespace + " (" + l.LimitKey + ")"
	case l.LimitKey != "":
		return l.LimitKey
	}
	return "an unnamed"
}

// atLeast marks a rate measured over one refill only: a floor.
func atLeast(l *Layer) string {
	if l.AtLeast {
		return "at least "
	}
	return ""
}
