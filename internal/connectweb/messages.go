package connectweb

import "strings"

// texts holds the pages' texts per locale. en-US is complete; another
// locale adds a map with the same keys (TestEveryLocaleHasEveryMessage),
// and a user's preferredLocale picks it, by language when the region is
// not there.
var texts = map[string]map[string]string{
	"en-US": {
		"back":           "Back to %s",
		"expiredTitle":   "This link can no longer be used",
		"expiredText":    "Links to this page work once and only for a short time. Go back and open it again to get a new one.",
		"errorTitle":     "Something is not right",
		"signInTitle":    "Sign in",
		"signInText":     "Enter your email address and we will send you a six-digit code.",
		"email":          "Email address",
		"sendCode":       "Send code",
		"codeTitle":      "Enter your code",
		"codeText":       "We sent a six-digit code to your email address. It expires in 10 minutes.",
		"code":           "Code",
		"verify":         "Continue",
		"checkoutTitle":  "Your new plan",
		"summary":        "Summary",
		"subtotal":       "Subtotal",
		"discount":       "Discount",
		"tax":            "Taxes",
		"fees":           "Fees",
		"total":          "Total due today",
		"voucher":        "Voucher",
		"details":        "Your details",
		"fullName":       "Full name",
		"birthday":       "Date of birth",
		"address":        "Address",
		"line1":          "Street and number",
		"city":           "City",
		"postalCode":     "Postal code",
		"state":          "State or region (such as NY)",
		"country":        "Country (two letters, such as US)",
		"number":         "Phone number",
		"newNumber":      "Get a new number",
		"keepNumber":     "Keep my current number",
		"portNumber":     "Number to bring over",
		"payment":        "Payment",
		"cardNumber":     "Card number",
		"testCards":      "Test mode: use 4242 4242 4242 4242.",
		"pay":            "Pay and subscribe",
		"doneTitle":      "You are all set",
		"doneText":       "Your subscription is ready. Install your eSIM to start using it.",
		"paymentFailed":  "Your payment did not go through",
		"installEsim":    "Install your eSIM",
		"esimTitle":      "Install your eSIM",
		"esimScan":       "Scan this code with the camera of the phone you want to use.",
		"esimOnIOS":      "Install on iPhone",
		"esimOnAndroid":  "Install on Android",
		"activationCode": "Activation code (to type in by hand)",
		"esimPending":    "Your eSIM is being prepared. Reload this page in a moment.",
		"qrAlt":          "QR code of your eSIM",
		"subsTitle":      "Your subscriptions",
		"subTitle":       "Your subscription",
		"noSubs":         "You have no subscriptions yet.",
		"status":         "Status",
		"plan":           "Plan",
		"renews":         "Current period ends",
		"usage":          "Usage",
		"remaining":      "%s left of %s",
		"unlimited":      "Unlimited",
		"cancelTitle":    "Cancel your subscription",
		"cancelText":     "If you cancel, your service ends on %s. You can resume it until then.",
		"cancelConfirm":  "Yes, cancel my subscription",
		"canceledText":   "Your subscription is canceled. Service ends on %s.",
		"resumeTitle":    "Resume your subscription",
		"resumeText":     "Your subscription is canceled and ends on %s. Resume it to keep your service.",
		"resumeConfirm":  "Resume my subscription",
		"resumedText":    "Your subscription continues as before.",
		"nameTitle":      "Your name",
		"save":           "Save",
		"savedText":      "Saved.",
		"notAvailable":   "This page is not available yet for this request. Please contact support.",
		"continue":       "Continue",
		"required":       "This field is required.",
	},
}

// localeOf is the catalog locale for a preferred one: exact, then by
// language, then en-US.
func localeOf(pref string) string {
	if _, ok := texts[pref]; ok {
		return pref
	}
	lang, _, _ := strings.Cut(pref, "-")
	for l := range texts {
		if strings.HasPrefix(l, lang+"-") {
			return l
		}
	}
	return "en-US"
}

func messages(pref string) map[string]string { return texts[localeOf(pref)] }
