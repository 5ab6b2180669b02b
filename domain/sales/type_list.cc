#include "domain/sales/type_list.h"

#include <algorithm>
#include <cctype>

#include "domain/accounts/normalize.h"

namespace crm::sales {

std::optional<domain::Rejection> CheckNewType(const std::vector<TypeDef>& types, const TypeDef& t,
                                              const char* exists_code) {
  std::vector<domain::FieldError> errors;
  const bool key_ok =
      !t.key.empty() && t.key.size() <= 40 && std::islower(static_cast<unsigned char>(t.key[0])) &&
      std::all_of(t.key.begin(), t.key.end(),
                  [](unsigned char c) { return std::islower(c) || std::isdigit(c) || c == '_'; });
  if (!key_ok) {
    errors.push_back({"key",
                      "invalid_key",
                      {"Cheia: litere mici, cifre și _, începând cu o literă.",
                       "The key: lower-case letters, digits and _, starting with a letter."}});
  }
  if (t.label.ro.empty() || t.label.en.empty() || accounts::Utf8Length(t.label.ro) > 100 ||
      accounts::Utf8Length(t.label.en) > 100) {
    errors.push_back({"label",
                      "invalid_label",
                      {"Eticheta în română și engleză, cel mult 100 de caractere.",
                       "A label in Romanian and English, at most 100 characters."}});
  }
  if (!errors.empty()) {
    return domain::InvalidFields(std::move(errors));
  }
  if (std::any_of(types.begin(), types.end(), [&](const TypeDef& d) { return d.key == t.key; })) {
    return domain::Reject(exists_code, "Tipul există deja.", "The type exists already.", 409);
  }
  return std::nullopt;
}

}  // namespace crm::sales
