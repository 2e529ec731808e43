package client

import (
	"context"
	"time"
)

// operations maps the OpenAPI operationId of every call this client makes
// to its method and path; TestClientOperationsMatchTheDocument holds the
// table to /openapi.json.
var operations = map[string]string{
	"listProjects":  "GET /projects",
	"getProject":    "GET /projects/{project}",
	"updateProject": "PATCH /projects/{project}",

	"createUser":  "POST /projects/{project}/users",
	"listUsers":   "GET /projects/{project}/users",
	"searchUsers": "POST /projects/{project}/users/search",
	"getUser":     "GET /projects/{project}/users/{user}",
	"updateUser":  "PATCH /projects/{project}/users/{user}",
	"deleteUser":  "DELETE /projects/{project}/users/{user}",

	"createUserAddress": "POST /projects/{project}/users/{user}/addresses",
	"listUserAddresses": "GET /projects/{project}/users/{user}/addresses",
	"getUserAddress":    "GET /projects/{project}/users/{user}/addresses/{address}",
	"deleteUserAddress": "DELETE /projects/{project}/users/{user}/addresses/{address}",

	"createPlan": "POST /projects/{project}/plans",
	"listPlans":  "GET /projects/{project}/plans",
	"getPlan":    "GET /projects/{project}/plans/{plan}",
	"updatePlan": "PATCH /projects/{project}/plans/{plan}",

	"createSubscription": "POST /projects/{project}/subscriptions",
	"listSubscriptions":  "GET /projects/{project}/subscriptions",
	"getSubscription":    "GET /projects/{project}/subscriptions/{subscription}",
	"updateSubscription": "PATCH /projects/{project}/subscriptions/{subscription}",
	"cancelSubscription": "POST /projects/{project}/subscriptions/{subscription}/cancel",

	"listSubscriptionUsage":         "GET /projects/{project}/subscriptions/{subscription}/usage",
	"listSubscriptionUsageBalances": "GET /projects/{project}/subscriptions/{subscription}/usageBalances",
	"simulateUsage":                 "POST /testing/projects/{project}/subscriptions/{subscription}/usage",
	"setTrafficModel":               "POST /testing/projects/{project}/subscriptions/{subscription}/trafficModel",

	"resumeSubscription": "POST /projects/{project}/subscriptions/{subscription}/resume",
	"endSubscription":    "POST /projects/{project}/subscriptions/{subscription}/end",

	"createSim":         "POST /projects/{project}/sims",
	"listSims":          "GET /projects/{project}/sims",
	"getSim":            "GET /projects/{project}/sims/{sim}",
	"getSimCredentials": "GET /projects/{project}/sims/{sim}/credentials",

	"createQuote":      "POST /projects/{project}/quotes",
	"listInvoices":     "GET /projects/{project}/invoices",
	"getInvoice":       "GET /projects/{project}/invoices/{invoice}",
	"payInvoice":       "POST /projects/{project}/invoices/{invoice}/pay",
	"voidInvoice":      "POST /projects/{project}/invoices/{invoice}/void",
	"createCreditNote": "POST /projects/{project}/creditNotes",
	"listCreditNotes":  "GET /projects/{project}/creditNotes",
	"getCreditNote":    "GET /projects/{project}/creditNotes/{creditNote}",
	"voidCreditNote":   "POST /projects/{project}/creditNotes/{creditNote}/void",

	"listEvents": "GET /projects/{project}/events",
	"getEvent":   "GET /projects/{project}/events/{event}",

	"createWebhookEndpoint":       "POST /projects/{project}/webhookEndpoints",
	"listWebhookEndpoints":        "GET /projects/{project}/webhookEndpoints",
	"getWebhookEndpoint":          "GET /projects/{project}/webhookEndpoints/{endpoint}",
	"updateWebhookEndpoint":       "PATCH /projects/{project}/webhookEndpoints/{endpoint}",
	"deleteWebhookEndpoint":       "DELETE /projects/{project}/webhookEndpoints/{endpoint}",
	"rotateWebhookEndpointSecret": "POST /projects/{project}/webhookEndpoints/{endpoint}/rotateSecret",
	"listWebhookDeliveries":       "GET /projects/{project}/webhookEndpoints/{endpoint}/deliveries",
	"getWebhookDelivery":          "GET /projects/{project}/webhookEndpoints/{endpoint}/deliveries/{delivery}",
	"retryWebhookDelivery":        "POST /projects/{project}/webhookEndpoints/{endpoint}/deliveries/{delivery}/retry",
	"recoverWebhookEndpoint":      "POST /projects/{project}/webhookEndpoints/{endpoint}/recover",

	"getTestClock":        "GET /testing/projects/{project}/clock",
	"advanceTestClock":    "POST /testing/projects/{project}/clock/advance",
	"createTestSnapshot":  "POST /testing/projects/{project}/snapshots",
	"listTestSnapshots":   "GET /testing/projects/{project}/snapshots",
	"getTestSnapshot":     "GET /testing/projects/{project}/snapshots/{snapshot}",
	"restoreTestSnapshot": "POST /testing/projects/{project}/snapshots/{snapshot}/restore",
	"resetTestProject":    "POST /testing/projects/{project}/reset",
	"injectProviderFault": "POST /testing/providers/{provider}/faults",
	"clearProviderFaults": "DELETE /testing/providers/{provider}/faults",
	"listTestEmails":      "GET /testing/projects/{project}/emails",
	"createPaymentToken":  "POST /testing/projects/{project}/paymentTokens",

	"createAddon":              "POST /projects/{project}/addons",
	"listAddons":               "GET /projects/{project}/addons",
	"getAddon":                 "GET /projects/{project}/addons/{addon}",
	"updateAddon":              "PATCH /projects/{project}/addons/{addon}",
	"createSubscriptionAddon":  "POST /projects/{project}/subscriptionAddons",
	"listSubscriptionAddons":   "GET /projects/{project}/subscriptionAddons",
	"getSubscriptionAddon":     "GET /projects/{project}/subscriptionAddons/{subscriptionAddon}",
	"cancelSubscriptionAddon":  "POST /projects/{project}/subscriptionAddons/{subscriptionAddon}/cancel",
	"createSubscriptionChange": "POST /projects/{project}/subscriptionChanges",
	"listSubscriptionChanges":  "GET /projects/{project}/subscriptionChanges",
	"getSubscriptionChange":    "GET /projects/{project}/subscriptionChanges/{subscriptionChange}",
	"deleteSubscriptionChange": "DELETE /projects/{project}/subscriptionChanges/{subscriptionChange}",

	"getPaymentSettings":    "GET /projects/{project}/paymentSettings",
	"updatePaymentSettings": "PATCH /projects/{project}/paymentSettings",
	"createPaymentMethod":   "POST /projects/{project}/paymentMethods",
	"listPaymentMethods":    "GET /projects/{project}/paymentMethods",
	"getPaymentMethod":      "GET /projects/{project}/paymentMethods/{paymentMethod}",
	"deletePaymentMethod":   "DELETE /projects/{project}/paymentMethods/{paymentMethod}",
	"listPayments":          "GET /projects/{project}/payments",
	"getPayment":            "GET /projects/{project}/payments/{payment}",
	"refundPayment":         "POST /projects/{project}/payments/{payment}/refund",
	"getUserBalance":        "GET /projects/{project}/users/{user}/balance",
	"getQuote":              "GET /projects/{project}/quotes/{quote}",
	"createVoucher":         "POST /projects/{project}/vouchers",
	"listVouchers":          "GET /projects/{project}/vouchers",
	"getVoucher":            "GET /projects/{project}/vouchers/{voucher}",
	"retireVoucher":         "POST /projects/{project}/vouchers/{voucher}/retire",
	"createVoucherCode":     "POST /projects/{project}/vouchers/{voucher}/codes",
	"listVoucherCodes":      "GET /projects/{project}/vouchers/{voucher}/codes",

	"createApiKey": "POST /projects/{project}/apiKeys",
	"listApiKeys":  "GET /projects/{project}/apiKeys",
	"getApiKey":    "GET /projects/{project}/apiKeys/{apiKey}",
	"revokeApiKey": "POST /projects/{project}/apiKeys/{apiKey}/revoke",

	"createPorting":         "POST /projects/{project}/portings",
	"listPortings":          "GET /projects/{project}/portings",
	"getPorting":            "GET /projects/{project}/portings/{porting}",
	"updatePorting":         "PATCH /projects/{project}/portings/{porting}",
	"cancelPorting":         "POST /projects/{project}/portings/{porting}/cancel",
	"listServiceProviders":  "GET /serviceProviders",
	"createDevice":          "POST /projects/{project}/devices",
	"listDevices":           "GET /projects/{project}/devices",
	"getDevice":             "GET /projects/{project}/devices/{device}",
	"updateDevice":          "PATCH /projects/{project}/devices/{device}",
	"listDeviceModelBrands": "GET /deviceModelBrands",
}

// do is call for an operation with a typed answer.
func do[T any](ctx context.Context, c *Client, op string, params []string, page *Page, body any) (*T, error) {
	var out T
	var q map[string][]string
	if page != nil {
		q = pageQuery(*page)
	}
	if err := c.call(ctx, op, params, q, body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

func ids(v ...string) []string { return v }

// Fields is a PATCH body: a field left out keeps its value, a nil value
// clears a nullable field (docs/conventions.md).
type Fields map[string]any

// ListProjects lists the projects the key sees: its own.
func (c *Client) ListProjects(ctx context.Context) (*List[Project], error) {
	return do[List[Project]](ctx, c, "listProjects", nil, nil, nil)
}
func (c *Client) GetProject(ctx context.Context) (*Project, error) {
	return do[Project](ctx, c, "getProject", nil, nil, nil)
}
func (c *Client) UpdateProject(ctx context.Context, f Fields) (*Project, error) {
	return do[Project](ctx, c, "updateProject", nil, nil, f)
}

func (c *Client) CreateUser(ctx context.Context, in UserCreate) (*User, error) {
	return do[User](ctx, c, "createUser", nil, nil, in)
}
func (c *Client) ListUsers(ctx context.Context, p Page) (*List[User], error) {
	return do[List[User]](ctx, c, "listUsers", nil, &p, nil)
}
func (c *Client) SearchUsers(ctx context.Context, email string) (*List[User], error) {
	return do[List[User]](ctx, c, "searchUsers", nil, nil, map[string]string{"email": email})
}
func (c *Client) GetUser(ctx context.Context, id string) (*User, error) {
	return do[User](ctx, c, "getUser", ids(id), nil, nil)
}
func (c *Client) UpdateUser(ctx context.Context, id string, f Fields) (*User, error) {
	return do[User](ctx, c, "updateUser", ids(id), nil, f)
}
func (c *Client) DeleteUser(ctx context.Context, id string) (*User, error) {
	return do[User](ctx, c, "deleteUser", ids(id), nil, nil)
}

func (c *Client) CreateUserAddress(ctx context.Context, user string, in UserAddressCreate) (*UserAddress, error) {
	return do[UserAddress](ctx, c, "createUserAddress", ids(user), nil, in)
}
func (c *Client) ListUserAddresses(ctx context.Context, user string, p Page) (*List[UserAddress], error) {
	return do[List[UserAddress]](ctx, c, "listUserAddresses", ids(user), &p, nil)
}
func (c *Client) GetUserAddress(ctx context.Context, user, id string) (*UserAddress, error) {
	return do[UserAddress](ctx, c, "getUserAddress", ids(user, id), nil, nil)
}
func (c *Client) DeleteUserAddress(ctx context.Context, user, id string) (*UserAddress, error) {
	return do[UserAddress](ctx, c, "deleteUserAddress", ids(user, id), nil, nil)
}

// CreatePlan takes the plan as the document's PlanCreate describes it.
func (c *Client) CreatePlan(ctx context.Context, in Fields) (*Plan, error) {
	return do[Plan](ctx, c, "createPlan", nil, nil, in)
}
func (c *Client) ListPlans(ctx context.Context, p Page) (*List[Plan], error) {
	return do[List[Plan]](ctx, c, "listPlans", nil, &p, nil)
}
func (c *Client) GetPlan(ctx context.Context, id string) (*Plan, error) {
	return do[Plan](ctx, c, "getPlan", ids(id), nil, nil)
}
func (c *Client) UpdatePlan(ctx context.Context, id string, f Fields) (*Plan, error) {
	return do[Plan](ctx, c, "updatePlan", ids(id), nil, f)
}

func (c *Client) CreateSubscription(ctx context.Context, in SubscriptionCreate) (*Subscription, error) {
	return do[Subscription](ctx, c, "createSubscription", nil, nil, in)
}
func (c *Client) ListSubscriptions(ctx context.Context, p Page) (*List[Subscription], error) {
	return do[List[Subscription]](ctx, c, "listSubscriptions", nil, &p, nil)
}
func (c *Client) GetSubscription(ctx context.Context, id string) (*Subscription, error) {
	return do[Subscription](ctx, c, "getSubscription", ids(id), nil, nil)
}
func (c *Client) UpdateSubscription(ctx context.Context, id string, f Fields) (*Subscription, error) {
	return do[Subscription](ctx, c, "updateSubscription", ids(id), nil, f)
}
func (c *Client) CancelSubscription(ctx context.Context, id string, in SubscriptionCancel) (*Subscription, error) {
	return do[Subscription](ctx, c, "cancelSubscription", ids(id), nil, in)
}
func (c *Client) ResumeSubscription(ctx context.Context, id string) (*Subscription, error) {
	return do[Subscription](ctx, c, "resumeSubscription", ids(id), nil, nil)
}
func (c *Client) EndSubscription(ctx context.Context, id string, in SubscriptionCancel) (*Subscription, error) {
	return do[Subscription](ctx, c, "endSubscription", ids(id), nil, in)
}

func (c *Client) CreateSIM(ctx context.Context, in SIMCreate) (*SIM, error) {
	return do[SIM](ctx, c, "createSim", nil, nil, in)
}
func (c *Client) ListSIMs(ctx context.Context, p Page) (*List[SIM], error) {
	return do[List[SIM]](ctx, c, "listSims", nil, &p, nil)
}
func (c *Client) GetSIM(ctx context.Context, id string) (*SIM, error) {
	return do[SIM](ctx, c, "getSim", ids(id), nil, nil)
}
func (c *Client) GetSIMCredentials(ctx context.Context, id string) (*SIMCredentials, error) {
	return do[SIMCredentials](ctx, c, "getSimCredentials", ids(id), nil, nil)
}

func (c *Client) CreateQuote(ctx context.Context, in QuoteCreate) (*Quote, error) {
	return do[Quote](ctx, c, "createQuote", nil, nil, in)
}
func (c *Client) ListInvoices(ctx context.Context, p Page) (*List[Invoice], error) {
	return do[List[Invoice]](ctx, c, "listInvoices", nil, &p, nil)
}
func (c *Client) GetInvoice(ctx context.Context, id string) (*Invoice, error) {
	return do[Invoice](ctx, c, "getInvoice", ids(id), nil, nil)
}
func (c *Client) PayInvoice(ctx context.Context, id string) (*Invoice, error) {
	return do[Invoice](ctx, c, "payInvoice", ids(id), nil, nil)
}
func (c *Client) VoidInvoice(ctx context.Context, id string) (*Invoice, error) {
	return do[Invoice](ctx, c, "voidInvoice", ids(id), nil, nil)
}
func (c *Client) CreateCreditNote(ctx context.Context, in CreditNoteCreate) (*CreditNote, error) {
	return do[CreditNote](ctx, c, "createCreditNote", nil, nil, in)
}
func (c *Client) ListCreditNotes(ctx context.Context, p Page) (*List[CreditNote], error) {
	return do[List[CreditNote]](ctx, c, "listCreditNotes", nil, &p, nil)
}
func (c *Client) GetCreditNote(ctx context.Context, id string) (*CreditNote, error) {
	return do[CreditNote](ctx, c, "getCreditNote", ids(id), nil, nil)
}
func (c *Client) VoidCreditNote(ctx context.Context, id string) (*CreditNote, error) {
	return do[CreditNote](ctx, c, "voidCreditNote", ids(id), nil, nil)
}

func (c *Client) ListEvents(ctx context.Context, p Page) (*List[Event], error) {
	return do[List[Event]](ctx, c, "listEvents", nil, &p, nil)
}
func (c *Client) GetEvent(ctx context.Context, id string) (*Event, error) {
	return do[Event](ctx, c, "getEvent", ids(id), nil, nil)
}

func (c *Client) CreateWebhookEndpoint(ctx context.Context, in WebhookEndpointCreate) (*WebhookEndpoint, error) {
	return do[WebhookEndpoint](ctx, c, "createWebhookEndpoint", nil, nil, in)
}
func (c *Client) ListWebhookEndpoints(ctx context.Context, p Page) (*List[WebhookEndpoint], error) {
	return do[List[WebhookEndpoint]](ctx, c, "listWebhookEndpoints", nil, &p, nil)
}
func (c *Client) GetWebhookEndpoint(ctx context.Context, id string) (*WebhookEndpoint, error) {
	return do[WebhookEndpoint](ctx, c, "getWebhookEndpoint", ids(id), nil, nil)
}
func (c *Client) UpdateWebhookEndpoint(ctx context.Context, id string, f Fields) (*WebhookEndpoint, error) {
	return do[WebhookEndpoint](ctx, c, "updateWebhookEndpoint", ids(id), nil, f)
}
func (c *Client) DeleteWebhookEndpoint(ctx context.Context, id string) (*WebhookEndpoint, error) {
	return do[WebhookEndpoint](ctx, c, "deleteWebhookEndpoint", ids(id), nil, nil)
}
func (c *Client) RotateWebhookEndpointSecret(ctx context.Context, id string) (*WebhookEndpoint, error) {
	return do[WebhookEndpoint](ctx, c, "rotateWebhookEndpointSecret", ids(id), nil, nil)
}
func (c *Client) ListWebhookDeliveries(ctx context.Context, endpoint string, p Page) (*List[WebhookDelivery], error) {
	return do[List[WebhookDelivery]](ctx, c, "listWebhookDeliveries", ids(endpoint), &p, nil)
}
func (c *Client) GetWebhookDelivery(ctx context.Context, endpoint, id string) (*WebhookDelivery, error) {
	return do[WebhookDelivery](ctx, c, "getWebhookDelivery", ids(endpoint, id), nil, nil)
}
func (c *Client) RetryWebhookDelivery(ctx context.Context, endpoint, id string) (*WebhookDelivery, error) {
	return do[WebhookDelivery](ctx, c, "retryWebhookDelivery", ids(endpoint, id), nil, nil)
}

// RecoverWebhookEndpoint sends again the deliveries of the endpoint that
// failed since the given time.
func (c *Client) RecoverWebhookEndpoint(ctx context.Context, endpoint string, since time.Time) (*WebhookRecovery, error) {
	return do[WebhookRecovery](ctx, c, "recoverWebhookEndpoint", ids(endpoint), nil, map[string]string{"since": since.UTC().Format(time.RFC3339)})
}

// Advance is the body of AdvanceTestClock: To or By.
type Advance map[string]string

// To advances a test clock to t.
func To(t time.Time) Advance { return Advance{"to": t.UTC().Format(time.RFC3339)} }

// By advances a test clock by a step: a Go duration ("36h"), days, weeks,
// months or years ("31d", "2w", "1mo", "1y") or ISO 8601 ("P1M").
func By(step string) Advance { return Advance{"by": step} }

func (c *Client) GetTestClock(ctx context.Context) (*TestClock, error) {
	return do[TestClock](ctx, c, "getTestClock", nil, nil, nil)
}

// AdvanceTestClock moves a test project's clock, running all work due on
// the way; TimerFailures lists the work that failed.
func (c *Client) AdvanceTestClock(ctx context.Context, a Advance) (*TestClockAdvanced, error) {
	return do[TestClockAdvanced](ctx, c, "advanceTestClock", nil, nil, a)
}
func (c *Client) CreateTestSnapshot(ctx context.Context, name string) (*TestSnapshot, error) {
	return do[TestSnapshot](ctx, c, "createTestSnapshot", nil, nil, map[string]string{"name": name})
}
func (c *Client) ListTestSnapshots(ctx context.Context, p Page) (*List[TestSnapshot], error) {
	return do[List[TestSnapshot]](ctx, c, "listTestSnapshots", nil, &p, nil)
}
func (c *Client) GetTestSnapshot(ctx context.Context, id string) (*TestSnapshot, error) {
	return do[TestSnapshot](ctx, c, "getTestSnapshot", ids(id), nil, nil)
}
func (c *Client) RestoreTestSnapshot(ctx context.Context, id string) (*TestSnapshot, error) {
	return do[TestSnapshot](ctx, c, "restoreTestSnapshot", ids(id), nil, nil)
}

// ResetTestProject clears the project's data; its clock, settings, keys
// and snapshots stay.
func (c *Client) ResetTestProject(ctx context.Context) (*TestClock, error) {
	return do[TestClock](ctx, c, "resetTestProject", nil, nil, nil)
}
func (c *Client) InjectProviderFault(ctx context.Context, provider string, in ProviderFaultInput) (*ProviderFault, error) {
	return do[ProviderFault](ctx, c, "injectProviderFault", ids(provider), nil, in)
}
func (c *Client) ClearProviderFaults(ctx context.Context, provider string) error {
	return c.call(ctx, "clearProviderFaults", ids(provider), nil, nil, nil)
}
