package client_test

import (
	"testing"
	"time"

	"cellgate/client"
	"cellgate/internal/store"
	"cellgate/internal/store/storetest"
)

// TestClientDrivesPaymentsCatalogAndPorting drives the domains added after
// the core through the client only, so every typed answer is decoded from
// a real server: a simulator card paying a discounted subscription, a
// top-up bought and canceled, a plan change withdrawn, an API key revoked,
// a porting draft, a device and the test outbox.
func TestClientDrivesPaymentsCatalogAndPorting(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx, c, must := start(t, db)
		_, err := c.AdvanceTestClock(ctx, client.To(time.Date(2030, 1, 10, 9, 0, 0, 0, time.UTC)))
		must(err)
		_, err = c.UpdateProject(ctx, client.Fields{"billing": map[string]any{"currency": "USD", "paymentBehavior": "automatic"}})
		must(err)
		settings, err := c.UpdatePaymentSettings(ctx, client.Fields{"provider": "simulator"})
		must(err)
		if settings.Provider == nil || *settings.Provider != "simulator" || len(settings.RetryScheduleDays) != 4 {
			t.Errorf("payment settings: %+v", settings)
		}
		user, err := c.CreateUser(ctx, client.UserCreate{Email: "george@example.com", FullName: "George Costanza"})
		must(err)
		tok, err := c.CreatePaymentToken(ctx, "4242424242424242")
		must(err)
		method, err := c.CreatePaymentMethod(ctx, client.PaymentMethodCreate{User: user.ID, Token: tok.ID})
		must(err)
		if method.Status != "available" || !method.Default || method.Last4 == nil || *method.Last4 != "4242" {
			t.Errorf("payment method: %+v", method)
		}
		voucher, err := c.CreateVoucher(ctx, client.Fields{"name": "Welcome", "priceDiscountPercentage": 10, "recurrence": map[string]any{"type": "once"}, "codes": []string{"WELCOME10"}})
		must(err)
		codes, err := c.ListVoucherCodes(ctx, voucher.ID, client.Page{})
		must(err)
		if len(codes.Items) != 1 || codes.Items[0].Code != "WELCOME10" {
			t.Errorf("voucher codes: %+v", codes.Items)
		}
		plan, err := c.CreatePlan(ctx, client.Fields{
			"name": "Monthly", "provider": "test", "simTypes": []string{"eSIM"},
			"price":      map[string]any{"amount": 2000, "currency": "USD"},
			"allowances": map[string]any{"dataBytes": 1000000000, "voiceSeconds": nil, "smsMessages": nil},
			"validity":   map[string]any{"value": 1, "unit": "month", "type": "recurring"},
		})
		must(err)
		sub, err := c.CreateSubscription(ctx, client.SubscriptionCreate{Plan: plan.ID, User: user.ID, SIM: "auto", VoucherCode: "WELCOME10"})
		must(err)
		_, err = c.AdvanceTestClock(ctx, client.By("3h"))
		must(err)
		payments, err := c.ListPayments(ctx, client.Page{Filters: map[string]string{"user": user.ID}})
		must(err)
		if len(payments.Items) != 1 || payments.Items[0].Status != "succeeded" || payments.Items[0].Amount.Amount != 1800 {
			t.Fatalf("payments of the discounted first invoice: %+v", payments.Items)
		}
		pay := payments.Items[0]
		refunded, err := c.RefundPayment(ctx, pay.ID, client.PaymentRefund{Amount: 300})
		must(err)
		if refunded.Refunded.Amount != 300 {
			t.Errorf("refunded %+v, want 300", refunded.Refunded)
		}
		balance, err := c.GetUserBalance(ctx, user.ID)
		must(err)
		if balance.User != user.ID {
			t.Errorf("balance: %+v", balance)
		}

		addon, err := c.CreateAddon(ctx, client.Fields{
			"name": "1 GB top-up", "provider": "test", "plans": []string{plan.ID},
			"price":      map[string]any{"amount": 500, "currency": "USD"},
			"allowances": map[string]any{"dataBytes": 1000000000, "voiceSeconds": 0, "smsMessages": 0},
			"validity":   map[string]any{"unit": "day", "value": 7},
		})
		must(err)
		if listed, err := c.ListAddons(ctx, client.Page{Filters: map[string]string{"plan": plan.ID}}); err != nil || len(listed.Items) != 1 {
			t.Errorf("add-ons for the plan: %v, %v", listed, err)
		}
		top, err := c.CreateSubscriptionAddon(ctx, client.SubscriptionAddonCreate{Subscription: sub.ID, Addon: addon.ID})
		must(err)
		if top.Addon.ID != addon.ID || top.Subscription != sub.ID {
			t.Errorf("subscription add-on: %+v", top)
		}
		_, err = c.AdvanceTestClock(ctx, client.By("1h"))
		must(err)
		if got, err := c.GetSubscriptionAddon(ctx, top.ID); err != nil || got.Status != "active" {
			t.Errorf("paid top-up: %+v, %v", got, err)
		}
		if ended, err := c.CancelSubscriptionAddon(ctx, top.ID); err != nil || ended.CanceledAt == nil {
			t.Errorf("canceled top-up: %+v, %v", ended, err)
		}

		bigger, err := c.CreatePlan(ctx, client.Fields{
			"name": "Monthly plus", "provider": "test", "simTypes": []string{"eSIM"},
			"price":      map[string]any{"amount": 3000, "currency": "USD"},
			"allowances": map[string]any{"dataBytes": 5000000000, "voiceSeconds": nil, "smsMessages": nil},
			"validity":   map[string]any{"value": 1, "unit": "month", "type": "recurring"},
		})
		must(err)
		change, err := c.CreateSubscriptionChange(ctx, client.SubscriptionChangeCreate{Subscription: sub.ID, Plan: bigger.ID, When: "renewal"})
		must(err)
		if change.Status != "pending" || change.Plan == nil || change.Plan.ID != bigger.ID {
			t.Errorf("change: %+v", change)
		}
		if deleted, err := c.DeleteSubscriptionChange(ctx, change.ID); err != nil || deleted.Status != "deleted" {
			t.Errorf("deleted change: %+v, %v", deleted, err)
		}

		key, err := c.CreateAPIKey(ctx, "ci")
		must(err)
		if key.Secret == "" {
			t.Error("a new API key without its secret")
		}
		if revoked, err := c.RevokeAPIKey(ctx, key.ID); err != nil || revoked.RevokedAt == nil {
			t.Errorf("revoked key: %+v, %v", revoked, err)
		}

		porting, err := c.CreatePorting(ctx, client.PortingCreate{PhoneNumber: "+12015550100", Provider: "test", User: user.ID})
		must(err)
		if porting.Status != "draft" || len(porting.Required) == 0 {
			t.Errorf("porting draft: %+v", porting)
		}
		providers, err := c.ListServiceProviders(ctx, client.Page{Filters: map[string]string{"recipientProvider": "test"}})
		must(err)
		if len(providers.Items) == 0 {
			t.Error("no donors for the test provider")
		}
		updated, err := c.UpdatePorting(ctx, porting.ID, client.Fields{"donorProvider": providers.Items[0].ID})
		must(err)
		if updated.DonorProvider == nil || updated.DonorProvider.ID != providers.Items[0].ID {
			t.Errorf("porting donor: %+v", updated.DonorProvider)
		}
		if got, err := c.GetPorting(ctx, porting.ID); err != nil || got.AccountPinExists || got.Status != "draft" {
			t.Errorf("porting read back: %+v, %v", got, err)
		}

		brands, err := c.ListDeviceModelBrands(ctx)
		must(err)
		if len(brands.Items) == 0 {
			t.Error("no device brands")
		}
		device, err := c.CreateDevice(ctx, client.Fields{"name": "George's phone", "user": user.ID})
		must(err)
		if device.User == nil || device.User.ID != user.ID {
			t.Errorf("device: %+v", device)
		}
		emails, err := c.ListTestEmails(ctx, client.Page{})
		must(err)
		if emails.Object != "list" {
			t.Errorf("outbox page: %+v", emails)
		}
	})
}
