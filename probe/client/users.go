package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// ListUserIDs pages through GET /api/v2/users, pageSize at a time, until
// it has n ids or the pages run out. A non-200 answer is an error naming
// its status and Genesys error code; no users at all is an error too.
func (c *Client) ListUserIDs(ctx context.Context, n, pageSize int) ([]string, error) {
	return c.ListUserIDsRetrying(ctx, n, pageSize, 0)
}

// ListUserIDsRetrying is ListUserIDs that waits out throttling like any
// other request: a 429 or a 503 with Retry-After is asked again after the
// Retry-After (1 s, doubling, when it is missing, junk or 0), and a throttled
// login after 1 s, doubling; at most retries times per page. A wait that
// would end after ctx's deadline is not started: the error says so.
func (c *Client) ListUserIDsRetrying(ctx context.Context, n, pageSize, retries int) ([]string, error) {
	var ids []string
	for page := 1; len(ids) < n; page++ {
		r, err := c.listPage(ctx, pageSize, page, retries)
		if err != nil {
			return nil, err
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

// listPage gets one page of users, retrying throttled answers as
// ListUserIDsRetrying says; its response is a 200.
func (c *Client) listPage(ctx context.Context, pageSize, page, retries int) (*Response, error) {
	backoff := time.Second
	for try := 0; ; try++ {
		r, err := c.Do(ctx, http.MethodGet, fmt.Sprintf("/api/v2/users?pageSize=%d&pageNumber=%d", pageSize, page), nil, nil)
		wait, throttled := backoff, false
		switch {
		case errors.Is(err, ErrLoginThrottled):
			throttled = true
		case err != nil:
			return nil, err
		case r.Status == http.StatusOK:
			return r, nil
		case r.Status == http.StatusTooManyRequests || r.Status == http.StatusServiceUnavailable && r.RetryAfter != "":
			throttled = true
			// A hint of 0 is the lie ratelab was built to expose: back
			// off instead of asking again at once.
			if d, ok := ParseRetryAfter(r.RetryAfter, c.now()); ok && d > 0 {
				wait = d
			}
		}
		if !throttled || try >= retries {
			still := ""
			if throttled {
				still = fmt.Sprintf("still throttled after %d retries: ", try)
			}
			if err != nil {
				return nil, fmt.Errorf("listing users: %s%w", still, err)
			}
			return nil, fmt.Errorf("listing users: %sstatus %d %s", still, r.Status, r.ErrorCode)
		}
		if dl, ok := ctx.Deadline(); ok && c.now().Add(wait).After(dl) {
			return nil, fmt.Errorf("listing users: throttled, and its Retry-After of %v would end past the deadline", wait)
		}
		if err := c.wait(ctx, wait); err != nil {
			return nil, fmt.Errorf("listing users: %w", err)
		}
		backoff *= 2
	}
}
