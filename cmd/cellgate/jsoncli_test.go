package main

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"cellgate/internal/store"
)

// jsonCLI runs a command group (timers, operations) against db, or
// `clock ...` when the arguments start with "clock", and decodes what it
// printed as one JSON object.
type jsonCLI struct {
	t   *testing.T
	db  *store.DB
	cmd runFunc
}

func (c jsonCLI) run(args ...string) (map[string]any, error) {
	var out bytes.Buffer
	args = append(args, "--database", c.db.URL())
	cmd := c.cmd
	if args[0] == "clock" {
		cmd, args = clockCmd, args[1:]
	}
	if err := cmd(context.Background(), args, &out); err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(out.Bytes(), &m); err != nil {
		c.t.Fatalf("cellgate %v printed %q: %v", args, out.String(), err)
	}
	return m, nil
}

// must is run that fails the test on an error.
func (c jsonCLI) must(args ...string) map[string]any {
	c.t.Helper()
	m, err := c.run(args...)
	if err != nil {
		c.t.Fatalf("cellgate %v: %v", args, err)
	}
	return m
}

// items is the items of a printed list.
func items(m map[string]any) []any { l, _ := m["items"].([]any); return l }
