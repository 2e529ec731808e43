package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// SeedHTTP creates n users through POST /projects/{project}/users on a
// running server (the API or the bare handler) and returns their ids. The
// wrk scripts use it to learn which ids GET may ask for. created, when
// not nil, hears each user as it is made (a progress bar).
func SeedHTTP(ctx context.Context, baseURL, project, key string, n int, created func()) ([]string, error) {
	client := &http.Client{Timeout: 30 * time.Second}
	tag := fmt.Sprintf("%x", time.Now().UnixNano())
	out := make([]string, 0, n)
	for i := range n {
		body := fmt.Sprintf(`{"email":"seed-%s-%d@example.com","fullName":%q}`, tag, i, seedName(i))
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(baseURL, "/")+"/projects/"+project+"/users", strings.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		var u struct {
			ID string `json:"id"`
		}
		err = json.NewDecoder(resp.Body).Decode(&u)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated || err != nil || u.ID == "" {
			return nil, fmt.Errorf("bench: seed user %d: status %d (%v)", i, resp.StatusCode, err)
		}
		out = append(out, u.ID)
		if created != nil {
			created()
		}
	}
	return out, nil
}
