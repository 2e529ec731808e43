package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"

	"cellgate/client"
)

// A user and an eSIM subscription on the demo project of `cellgate serve
// --demo`.
func Example() {
	ctx := context.Background()
	c := client.New("http://127.0.0.1:8080", "demo", os.Getenv("GIGS_TOKEN"))
	plans, err := c.ListPlans(ctx, client.Page{Filters: map[string]string{"simType": "eSIM"}})
	if err != nil {
		log.Fatal(err)
	}
	user, err := c.CreateUser(ctx, client.UserCreate{Email: "jerry@example.com", FullName: "Jerry Seinfeld"})
	var apiErr *client.Error
	if errors.As(err, &apiErr) && apiErr.Type == "conflict" {
		log.Fatalf("already there: %s", apiErr.Message)
	} else if err != nil {
		log.Fatal(err)
	}
	sub, err := c.CreateSubscription(ctx, client.SubscriptionCreate{Plan: plans.Items[0].ID, User: user.ID, SIM: "auto"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(sub.Status)
}

// A test suite moves a test project's clock a month and puts the project
// back as it was.
func ExampleClient_AdvanceTestClock() {
	ctx := context.Background()
	c := client.New("http://127.0.0.1:8080", "demo", os.Getenv("GIGS_TOKEN"))
	snap, err := c.CreateTestSnapshot(ctx, "before the renewal")
	if err != nil {
		log.Fatal(err)
	}
	adv, err := c.AdvanceTestClock(ctx, client.By("1mo"))
	if err != nil {
		log.Fatal(err)
	}
	if len(adv.TimerFailures) > 0 {
		log.Fatalf("scheduled work failed: %+v", adv.TimerFailures)
	}
	if _, err := c.RestoreTestSnapshot(ctx, snap.ID); err != nil {
		log.Fatal(err)
	}
}
