// Package porting moves numbers into cellgate from other carriers
// (reference §2.8, docs/porting.md): the porting resource, its state
// machine, what each donor carrier needs, and the calls to the recipient
// carrier that carry it out. It knows nothing of subscriptions beyond the
// id of the one a porting serves: the subscriptions package, above it,
// attaches a porting to a new subscription and acts on its outcome.
package porting

import (
	"time"

	"cellgate/internal/events"
	"cellgate/internal/network"
	"cellgate/internal/store"
)

// Prefix is the id prefix of portings.
const Prefix = "prt"

// Statuses of a porting.
const (
	StatusDraft               = "draft"
	StatusPending             = "pending"
	StatusInformationRequired = "informationRequired"
	StatusRequested           = "requested"
	StatusDeclined            = "declined"
	StatusCompleted           = "completed"
	StatusCanceled            = "canceled"
	StatusExpired             = "expired"
)

// Statuses lists every status, for filters.
var Statuses = []string{StatusDraft, StatusPending, StatusInformationRequired, StatusRequested, StatusDeclined,
	StatusCompleted, StatusCanceled, StatusExpired}

// open reports whether a porting can still bring its number.
func open(status string) bool {
	switch status {
	case StatusPending, StatusInformationRequired, StatusRequested, StatusDeclined:
		return true
	}
	return false
}

// Rules measured on the project's clock.
const (
	// DraftLifetime: a draft no subscription uses is deleted after this.
	DraftLifetime = 30 * 24 * time.Hour
	// Expiry: a porting attached to a subscription that has not completed
	// this long after it was attached expires, and its subscription ends
	// with cause portingExpired.
	Expiry = 30 * 24 * time.Hour
	// MaxDraftsPerUser bounds the drafts one user holds at once
	// (portingPerUserLimitExceeded).
	MaxDraftsPerUser = 5
)

func init() {
	events.Register("porting.created", "porting.updated", "porting.requested", "porting.declined", "porting.canceled",
		"porting.completed")
}

// Address is the account holder's address at the donor.
type Address struct {
	Line1      string  `json:"line1"`
	Line2      *string `json:"line2"`
	City       string  `json:"city"`
	State      *string `json:"state"`
	PostalCode *string `json:"postalCode"`
	Country    string  `json:"country"`
}

// Porting is the API representation. accountPin is write-only: only
// accountPinExists shows.
type Porting struct {
	Object                string           `json:"object"`
	ID                    string           `json:"id"`
	AccountNumber         *string          `json:"accountNumber"`
	AccountPinExists      bool             `json:"accountPinExists"`
	AccountType           *string          `json:"accountType"`
	Address               *Address         `json:"address"`
	Behavior              string           `json:"behavior"`
	BillingPinExists      bool             `json:"billingPinExists"`
	Birthday              *string          `json:"birthday"`
	CanceledAt            *time.Time       `json:"canceledAt"`
	CompletedAt           *time.Time       `json:"completedAt"`
	CreatedAt             time.Time        `json:"createdAt"`
	DeclinedAttempts      int              `json:"declinedAttempts"`
	DeclinedCode          *string          `json:"declinedCode"`
	DeclinedMessage       *string          `json:"declinedMessage"`
	DonorProvider         *ServiceProvider `json:"donorProvider"`
	DonorProviderApproval *bool            `json:"donorProviderApproval"`
	ExpiredAt             *time.Time       `json:"expiredAt"`
	FirstName             *string          `json:"firstName"`
	LastDeclinedAt        *time.Time       `json:"lastDeclinedAt"`
	LastName              *string          `json:"lastName"`
	LastRequestedAt       *time.Time       `json:"lastRequestedAt"`
	PhoneNumber           string           `json:"phoneNumber"`
	Provider              string           `json:"provider"`
	RecipientProvider     *ServiceProvider `json:"recipientProvider"`
	Required              []string         `json:"required"`
	Status                string           `json:"status"`
	Subscription          *string          `json:"subscription"`
	User                  string           `json:"user"`
}

// Record is the stored porting.
type Record struct {
	ID, Project, User, Subscription, Provider, PhoneNumber, Status string
	DonorProvider                                                  string
	DonorProviderApproval                                          *bool
	AccountNumber, AccountPIN, FirstName, LastName, Birthday       string
	Address                                                        *Address
	DeclinedAttempts                                               int
	DeclinedCode, DeclinedMessage                                  string
	LastDeclinedAt, LastRequestedAt                                *time.Time
	Submissions                                                    int
	CanceledAt, CompletedAt, ExpiredAt                             *time.Time
	CreatedAt                                                      time.Time
	// pinExists says a PIN is stored. Loading a porting never reads the
	// PIN itself; only the call to the carrier does (pinOf).
	pinExists bool
}

// Fields a donor may need, as required[] names them.
const (
	FieldAccountNumber         = "accountNumber"
	FieldAccountPin            = "accountPin"
	FieldAddress               = "address"
	FieldBirthday              = "birthday"
	FieldDonorProvider         = "donorProvider"
	FieldDonorProviderApproval = "donorProviderApproval"
	FieldFirstName             = "firstName"
	FieldLastName              = "lastName"
)

// defaultNeeds is what a porting needs before its donor is known: what
// every US donor asks for.
var defaultNeeds = []string{FieldAccountNumber, FieldAccountPin, FieldFirstName, FieldLastName}

// required lists the fields still missing, in the reference's order.
func (r *Record) required() []string {
	needs := defaultNeeds
	missing := []string{}
	if d, ok := donors[r.DonorProvider]; ok {
		needs = d.Requires
	} else {
		missing = append(missing, FieldDonorProvider)
	}
	has := map[string]bool{
		FieldAccountNumber: r.AccountNumber != "", FieldAccountPin: r.pinExists, FieldAddress: r.Address != nil,
		FieldBirthday: r.Birthday != "", FieldDonorProviderApproval: r.DonorProviderApproval != nil && *r.DonorProviderApproval,
		FieldFirstName: r.FirstName != "", FieldLastName: r.LastName != "",
	}
	for _, f := range needs {
		if !has[f] {
			missing = append(missing, f)
		}
	}
	return sortFields(missing)
}

var fieldOrder = []string{FieldAccountNumber, FieldAccountPin, FieldAddress, FieldBirthday, FieldDonorProvider,
	FieldDonorProviderApproval, FieldFirstName, FieldLastName}

func sortFields(fs []string) []string {
	out := make([]string, 0, len(fs))
	for _, f := range fieldOrder {
		for _, g := range fs {
			if f == g {
				out = append(out, f)
				break
			}
		}
	}
	return out
}

// view renders the API representation.
func (r *Record) view(carriers *network.Registry) *Porting {
	v := &Porting{
		Object: "porting", ID: r.ID, AccountPinExists: r.pinExists, Address: r.Address, Behavior: "portIn",
		CanceledAt: r.CanceledAt, CompletedAt: r.CompletedAt, CreatedAt: r.CreatedAt, DeclinedAttempts: r.DeclinedAttempts,
		DonorProviderApproval: r.DonorProviderApproval, ExpiredAt: r.ExpiredAt, LastDeclinedAt: r.LastDeclinedAt,
		LastRequestedAt: r.LastRequestedAt, PhoneNumber: r.PhoneNumber, Provider: r.Provider,
		RecipientProvider: recipientView(carriers, r.Provider), Required: r.required(), Status: r.Status, User: r.User,
		AccountNumber: store.StringOrNil(r.AccountNumber), Birthday: store.StringOrNil(r.Birthday), FirstName: store.StringOrNil(r.FirstName), LastName: store.StringOrNil(r.LastName),
		DeclinedCode: store.StringOrNil(r.DeclinedCode), DeclinedMessage: store.StringOrNil(r.DeclinedMessage), Subscription: store.StringOrNil(r.Subscription),
	}
	if d, ok := donors[r.DonorProvider]; ok {
		v.DonorProvider = d.view(carriers)
	}
	if !open(r.Status) && r.Status != StatusDraft {
		v.Required = []string{} // a finished porting needs nothing more
	}
	return v
}
