package donation

import "strings"

// ValidCurrency reports whether code is an active ISO 4217 currency code,
// in upper case as the standard writes it ("USD", never "usd" or "$").
func ValidCurrency(code string) bool {
	if len(code) != 3 {
		return false
	}
	_, ok := currencies[code]
	return ok
}

// currencies is the set of currencyCodes.
var currencies = func() map[string]struct{} {
	codes := strings.Fields(currencyCodes)
	m := make(map[string]struct{}, len(codes))
	for _, c := range codes {
		m[c] = struct{}{}
	}
	return m
}()

// currencyCodes are the alphabetic codes of ISO 4217 List One (current
// currency and funds), as of 2025-07: taken from Debian's iso-codes 4.15.0
// (/usr/share/iso-codes/json/iso_4217.json, which follows the list
// published by SIX on behalf of ISO), with the amendments since applied by
// hand: HRK withdrawn (Croatia adopted the euro, 2023-01-01), ZWG added
// (Zimbabwe Gold, 2024-06-25), XCG added (Caribbean guilder, 2025-03-31;
// ANG stays while it is phased out). XTS (for testing) and XXX (no
// currency) are left out: neither is money a donation can be made in.
const currencyCodes = "" +
	"AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF " +
	"BMD BND BOB BOV BRL BSD BTN BWP BYN BZD CAD CDF CHE CHF CHW CLF " +
	"CLP CNY COP COU CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB " +
	"EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR " +
	"ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD " +
	"KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR " +
	"MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK " +
	"PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP " +
	"SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD " +
	"TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF " +
	"XAG XAU XBA XBB XBC XBD XCD XCG XDR XOF XPD XPF XPT XSU XUA YER " +
	"ZAR ZMW ZWG ZWL"
