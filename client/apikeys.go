package client

import (
	"context"
	"time"
)

// APIKey is schema ApiKey. The secret is shown once, at creation
// (APIKeyCreated).
type APIKey struct {
	Object     string     `json:"object"`
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	CreatedAt  time.Time  `json:"createdAt"`
	LastUsedAt *time.Time `json:"lastUsedAt"`
	RevokedAt  *time.Time `json:"revokedAt"`
}

// APIKeyCreated is schema ApiKeyCreated: the key and its secret.
type APIKeyCreated struct {
	Object     string     `json:"object"`
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	CreatedAt  time.Time  `json:"createdAt"`
	LastUsedAt *time.Time `json:"lastUsedAt"`
	RevokedAt  *time.Time `json:"revokedAt"`
	Secret     string     `json:"secret"`
}

func (c *Client) CreateAPIKey(ctx context.Context, name string) (*APIKeyCreated, error) {
	return do[APIKeyCreated](ctx, c, "createApiKey", nil, nil, map[string]string{"name": name})
}
func (c *Client) ListAPIKeys(ctx context.Context, p Page) (*List[APIKey], error) {
	return do[List[APIKey]](ctx, c, "listApiKeys", nil, &p, nil)
}
func (c *Client) GetAPIKey(ctx context.Context, id string) (*APIKey, error) {
	return do[APIKey](ctx, c, "getApiKey", ids(id), nil, nil)
}

// RevokeAPIKey refuses the key at once on every replica.
func (c *Client) RevokeAPIKey(ctx context.Context, id string) (*APIKey, error) {
	return do[APIKey](ctx, c, "revokeApiKey", ids(id), nil, struct{}{})
}
