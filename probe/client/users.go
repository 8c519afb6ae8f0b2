package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// ListUserIDs pages through GET /api/v2/users, pageSize at a time, until
// it has n ids or the pages run out. A non-200 answer is an error naming
// its status and Genesys error code; no users at all is an error too.
func (c *Client) ListUserIDs(ctx context.Context, n, pageSize int) ([]string, error) {
	var ids []string
	for page := 1; len(ids) < n; page++ {
		r, err := c.Do(ctx, http.MethodGet, fmt.Sprintf("/api/v2/users?pageSize=%d&pageNumber=%d", pageSize, page), nil, nil)
		if err != nil {
			return nil, err
		}
		if r.Status != http.StatusOK {
			return nil, fmt.Errorf("listing users: status %d %s", r.Status, r.ErrorCode)
		}
		var p struct {
			Entities []struct {
				ID string `json:"id"`
			} `json:"entities"`
			PageCount int `json:"pageCount"`
		}
		if err := json.Unmarshal(r.Body, &p); err != nil {
			return nil, fmt.Errorf("listing users: %w", err)
		}
		for _, e := range p.Entities {
			ids = append(ids, e.ID)
		}
		if page >= p.PageCount || len(p.Entities) == 0 {
			break
		}
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("listing users: the target lists no users")
	}
	return ids[:min(n, len(ids))], nil
}
