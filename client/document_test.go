package client

import (
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// document is the part of the OpenAPI document the client is held to.
type document struct {
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		Schemas map[string]struct {
			Properties map[string]json.RawMessage `json:"properties"`
		} `json:"schemas"`
	} `json:"components"`
}

func readDocument(t *testing.T) document {
	t.Helper()
	raw, err := os.ReadFile("../internal/api/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var d document
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

// notForClients are the operations a project's API client does not call:
// the operator endpoints, the QR image and the PDFs behind the URLs the
// resources give, what carriers and payment providers send, and the
// embeds' token exchange, which the end user's browser makes.
var notForClients = []string{"getHealth", "getReadiness", "getMetrics", "getOpenAPIDocument", "getQrCode", "getDocument",
	"receiveCarrierCallback", "receiveStripeWebhook", "authenticateEmbed"}

// TestClientOperationsMatchTheDocument: every operation of the client is
// in the document with the same method and path, and every operation of
// the document meant for clients is in the client: a new endpoint comes
// with its client method.
func TestClientOperationsMatchTheDocument(t *testing.T) {
	d := readDocument(t)
	inDoc := map[string]string{}
	for path, item := range d.Paths {
		for method, raw := range item {
			if method == "parameters" {
				continue
			}
			var op struct {
				OperationID string `json:"operationId"`
			}
			if err := json.Unmarshal(raw, &op); err != nil {
				t.Fatal(err)
			}
			inDoc[op.OperationID] = strings.ToUpper(method) + " " + path
		}
	}
	for id, route := range operations {
		if got, ok := inDoc[id]; !ok {
			t.Errorf("client operation %s is not in the document", id)
		} else if got != route {
			t.Errorf("client operation %s is %s; the document says %s", id, route, got)
		}
	}
	for id, route := range inDoc {
		if _, ok := operations[id]; !ok && !slices.Contains(notForClients, id) {
			t.Errorf("operation %s (%s) is not in the client", id, route)
		}
	}
}

// TestClientTypesMatchTheDocument: each type has exactly the properties of
// its schema, by JSON name.
func TestClientTypesMatchTheDocument(t *testing.T) {
	d := readDocument(t)
	for schema, v := range map[string]any{
		"Project": Project{}, "User": User{}, "UserCreate": UserCreate{}, "UserAddress": UserAddress{}, "UserAddressCreate": UserAddressCreate{},
		"Plan": Plan{}, "Subscription": Subscription{}, "SubscriptionPeriod": Period{}, "SubscriptionCreate": SubscriptionCreate{},
		"SubscriptionCancel": SubscriptionCancel{}, "Sim": SIM{}, "SimCreate": SIMCreate{}, "SimCredentials": SIMCredentials{},
		"Quote": Quote{}, "QuoteCreate": QuoteCreate{}, "Invoice": Invoice{}, "CreditNote": CreditNote{}, "CreditNoteCreate": CreditNoteCreate{},
		"Event": Event{}, "WebhookEndpoint": WebhookEndpoint{}, "WebhookEndpointCreate": WebhookEndpointCreate{},
		"WebhookDelivery": WebhookDelivery{}, "WebhookRecovery": WebhookRecovery{}, "TestClock": TestClock{},
		"TestClockAdvanced": TestClockAdvanced{}, "Timer": Timer{}, "TestSnapshot": TestSnapshot{}, "Price": Price{},
		"ProviderFault": ProviderFault{}, "ProviderFaultInput": ProviderFaultInput{},
		"UsageRecord": UsageRecord{}, "UsageBalance": UsageBalance{}, "UsageSimulate": UsageSimulate{},
		"TrafficModelInput": TrafficModelInput{}, "TrafficModel": TrafficModel{},
		"Consent": Consent{}, "PortOut": PortOut{}, "PortOutCreate": PortOutCreate{}, "PortOutCredentials": PortOutCredentials{},
		"ConsentRequest": ConsentRequest{}, "ConsentDecision": ConsentDecision{},
		"Addon": Addon{}, "SubscriptionAddon": SubscriptionAddon{}, "SubscriptionAddonCreate": SubscriptionAddonCreate{},
		"SubscriptionChange": SubscriptionChange{}, "SubscriptionChangeCreate": SubscriptionChangeCreate{},
		"PaymentSettings": PaymentSettings{}, "PaymentMethod": PaymentMethod{}, "PaymentMethodCreate": PaymentMethodCreate{},
		"Payment": Payment{}, "PaymentRefund": PaymentRefund{}, "UserBalance": UserBalance{}, "PaymentToken": PaymentToken{},
		"Voucher": Voucher{}, "VoucherCode": VoucherCode{}, "ApiKey": APIKey{}, "ApiKeyCreated": APIKeyCreated{},
		"Porting": Porting{}, "PortingCreate": PortingCreate{}, "ServiceProvider": ServiceProvider{}, "Device": Device{},
		"DeviceModelBrand": DeviceModelBrand{}, "Email": Email{},
		"ConnectSession": ConnectSession{}, "ConnectSessionInput": ConnectSessionCreate{}, "ConnectIntent": ConnectIntent{},
	} {
		s, ok := d.Components.Schemas[schema]
		if !ok {
			t.Errorf("schema %s is not in the document", schema)
			continue
		}
		var want []string
		for p := range s.Properties {
			want = append(want, p)
		}
		var got []string
		rt := reflect.TypeOf(v)
		for i := range rt.NumField() {
			name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
			got = append(got, name)
		}
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s has fields %v; schema %s has properties %v", rt.Name(), got, schema, want)
		}
	}
}
