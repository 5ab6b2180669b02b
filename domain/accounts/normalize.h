#pragma once

// Checks and normal forms of account data: Romanian fiscal codes (CUI/CIF),
// IBANs, phone numbers, emails, and the folded text that search and duplicate
// detection compare. Pure functions, no locale: the same input gives the same
// answer everywhere.

#include <optional>
#include <string>
#include <string_view>

namespace crm::accounts {

// Characters (code points) in UTF-8 `text`.
size_t Utf8Length(std::string_view text);
// Appends code point `cp` (at most U+10FFFF) to *out as UTF-8.
void AppendUtf8(char32_t cp, std::string* out);

// The digits of a Romanian fiscal code (CUI/CIF), with or without the "RO"
// prefix, spaces ignored, when its control digit is right; nullopt otherwise.
// "RO 14399840" -> "14399840".
std::optional<std::string> NormalizeCui(std::string_view text);

// The IBAN without spaces, upper-case, when its ISO 13616 mod-97 check holds
// and its length fits its country (RO: 24); nullopt otherwise.
std::optional<std::string> NormalizeIban(std::string_view text);

// E.164 ("+40721234567"). Accepts spaces, dots, dashes and parentheses;
// "00" for "+"; Romanian national numbers ("0721 234 567", "021 123 4567")
// get +40. nullopt when it is not a phone number.
std::optional<std::string> NormalizePhone(std::string_view text);

// Trimmed and lower-cased; nullopt when it is not an address.
std::optional<std::string> NormalizeEmail(std::string_view text);

// Lower-case ASCII with diacritics removed: ă â î ș ț (and the cedilla forms
// ş ţ) become a a i s t, as do other Latin letters with accents. Other
// characters are kept. The form search compares.
std::string FoldText(std::string_view text);

// The form duplicate detection compares names in: folded, punctuation
// dropped, legal-form words removed (SRL, S.R.L., SA, PFA, II, IF, SNC, SCS,
// SCA, SRL-D), spaces collapsed. "S.C. Ștefan & Fiii S.R.L." -> "stefan fiii".
std::string NameKey(std::string_view name);

}  // namespace crm::accounts
