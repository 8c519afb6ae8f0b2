// Package gotest is an example of testing your own Go client's retry code
// against a ratelab scenario, in-process and in fake time: see
// client_test.go. The client here is the code under test: it updates users
// and honours Retry-After.
package gotest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Sync logs in to base with client credentials and sets the department of
// each user, retrying a 429 after its Retry-After (one second when it is 0
// or missing). It returns how many users it updated.
func Sync(hc *http.Client, base, id, secret string, users []string) (int, error) {
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}}
	resp, err := hc.Post(base+"/oauth/token", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		return 0, err
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	err = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if err != nil {
		return 0, err
	}
	done := 0
	for _, u := range users {
		for attempt := 1; ; attempt++ {
			body, _ := json.Marshal(map[string]string{"department": "Support", "email": u + "@example.com"})
			req, _ := http.NewRequest(http.MethodPut, base+"/api/v2/users/"+u, bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
			req.Header.Set("Content-Type", "application/json")
			resp, err := hc.Do(req)
			if err != nil {
				return done, err
			}
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				done++
				break
			}
			if resp.StatusCode != http.StatusTooManyRequests || attempt == 20 {
				return done, fmt.Errorf("user %s: %s after %d attempts", u, resp.Status, attempt)
			}
			wait := time.Second
			if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
				wait = time.Duration(s) * time.Second
			}
			time.Sleep(wait)
		}
	}
	return done, nil
}
