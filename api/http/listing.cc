#include "api/http/listing.h"

#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>

#include "api/http/problem.h"
#include "domain/time.h"

namespace crm::api {

namespace {

constexpr size_t kDefaultLimit = 50;
constexpr size_t kMaxLimit = 1000;

// A cursor is the offset of the next row, base64url-encoded: opaque to
// clients, so it can become a keyset position later without breaking them.
std::string EncodeCursor(size_t offset) {
  std::string raw = std::to_string(offset);
  raw.insert(raw.begin(), 'o');
  std::string out(sodium_base64_ENCODED_LEN(raw.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                  '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(raw.data()),
                    raw.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(std::strlen(out.c_str()));
  return out;
}

bool DecodeCursor(const std::string& cursor, size_t* offset) {
  std::string raw(cursor.size(), '\0');
  size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(raw.data()), raw.size(), cursor.c_str(),
                        cursor.size(), nullptr, &len, nullptr,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      len < 2 || raw[0] != 'o') {
    return false;
  }
  auto [end, ec] = std::from_chars(raw.data() + 1, raw.data() + len, *offset);
  return ec == std::errc() && end == raw.data() + len;
}

bool IsDecimal(const std::string& v) {
  size_t i = v.starts_with('-') ? 1 : 0, dots = 0, digits = 0;
  for (; i < v.size(); ++i) {
    if (v[i] == '.') {
      ++dots;
    } else if (std::isdigit(static_cast<unsigned char>(v[i]))) {
      ++digits;
    } else {
      return false;
    }
  }
  return digits > 0 && dots <= 1 && v.size() <= 40;
}

bool IsTime(const std::string& v) {
  return domain::ParseRfc3339(v) || (v.size() == 10 && domain::ParseRfc3339(v + "T00:00:00Z"));
}

}  // namespace

bool ReadRange(httplib::Response& res, const std::string& name, const std::string& value,
               std::optional<projections::ValueRange::Kind> kind, projections::ValueRange* out) {
  using Kind = projections::ValueRange::Kind;
  if (!kind || *kind == Kind::kText) {
    Send(res, BadParameter(name,
                           "un interval „de..până” se dă doar pentru numere și date "
                           "(2026-01-01..2026-01-31, 10.., ..99.5).",
                           "a range 'from..to' is for numbers and dates only "
                           "(2026-01-01..2026-01-31, 10.., ..99.5)."));
    return false;
  }
  const size_t dots = value.find("..");
  out->kind = *kind;
  out->from = value.substr(0, dots);
  out->to = dots == std::string::npos ? value : value.substr(dots + 2);
  for (const std::string* end : {&out->from, &out->to}) {
    if (end->empty()) continue;
    if (*kind == Kind::kNumber && !IsDecimal(*end)) {
      Send(res, BadParameter(name, "se așteaptă un număr sau un interval de numere (10..99.5).",
                             "expects a number or a range of numbers (10..99.5)."));
      return false;
    }
    if (*kind == Kind::kTime && !IsTime(*end)) {
      Send(res, BadParameter(name,
                             "se așteaptă o dată AAAA-LL-ZZ, un moment RFC 3339 sau un interval "
                             "(2026-01-01..2026-01-31).",
                             "expects a date YYYY-MM-DD, an RFC 3339 time or a range "
                             "(2026-01-01..2026-01-31)."));
      return false;
    }
  }
  if (dots == std::string::npos && value.empty()) {
    Send(res, BadParameter(name, "nu poate fi gol.", "cannot be empty."));
    return false;
  }
  return true;
}

std::vector<std::string> CommaItems(std::string_view text) {
  std::vector<std::string> items(1);
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size() && (text[i + 1] == ',' || text[i + 1] == '\\')) {
      items.back().push_back(text[++i]);
    } else if (text[i] == ',') {
      items.emplace_back();
    } else {
      items.back().push_back(text[i]);
    }
  }
  return items;
}

bool ReadPageRequest(const httplib::Request& req, httplib::Response& res,
                     const std::vector<std::string>& sortable, PageRequest* page) {
  page->limit = kDefaultLimit;
  if (req.has_param("limit")) {
    const std::string text = req.get_param_value("limit");
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), page->limit);
    if (ec != std::errc() || end != text.data() + text.size() || page->limit < 1 ||
        page->limit > kMaxLimit) {
      Send(res, BadParameter("limit", "un număr întreg între 1 și 1000.",
                             "a whole number from 1 to 1000."));
      return false;
    }
  }
  if (req.has_param("cursor") && !DecodeCursor(req.get_param_value("cursor"), &page->offset)) {
    Send(res, BadParameter("cursor", "nu provine de la o pagină anterioară.",
                           "does not come from a previous page."));
    return false;
  }
  if (!req.has_param("sort")) return true;
  const std::string sort = req.get_param_value("sort");
  size_t start = 0;
  while (start <= sort.size()) {
    size_t comma = sort.find(',', start);
    if (comma == std::string::npos) comma = sort.size();
    std::string field = sort.substr(start, comma - start);
    const bool descending = field.starts_with("-");
    if (descending) field.erase(0, 1);
    if (std::find(sortable.begin(), sortable.end(), field) == sortable.end()) {
      std::string allowed;
      for (const auto& name : sortable) {
        if (!allowed.empty()) allowed += ", ";
        allowed += name;
      }
      Send(res, BadParameter("sort", "se poate ordona după: " + allowed + ".",
                             "can sort by: " + allowed + "."));
      return false;
    }
    page->sort.emplace_back(field, descending);
    start = comma + 1;
  }
  return true;
}

bool PageAnswer(httplib::Response& res, const PageRequest& request, size_t total,
                nlohmann::json items, nlohmann::json* page) {
  if (request.offset > total) {
    Send(res, BadParameter("cursor", "nu provine de la o pagină anterioară.",
                           "does not come from a previous page."));
    return false;
  }
  const size_t next = request.offset + request.limit;
  *page = {
      {"items", std::move(items)},
      {"next_cursor", next < total ? nlohmann::json(EncodeCursor(next)) : nlohmann::json(nullptr)},
      {"total", total}};
  return true;
}

bool Page(const httplib::Request& req, httplib::Response& res, std::vector<nlohmann::json> rows,
          const std::vector<std::string>& sortable, nlohmann::json* page) {
  PageRequest request;
  if (!ReadPageRequest(req, res, sortable, &request)) return false;
  if (!request.sort.empty()) {
    std::stable_sort(rows.begin(), rows.end(),
                     [&](const nlohmann::json& a, const nlohmann::json& b) {
                       for (const auto& [field, descending] : request.sort) {
                         const auto& x = a[field];
                         const auto& y = b[field];
                         if (x == y) continue;
                         return descending ? y < x : x < y;
                       }
                       return false;
                     });
  }
  nlohmann::json items = nlohmann::json::array();
  for (size_t i = request.offset; i < rows.size() && i < request.offset + request.limit; ++i) {
    items.push_back(std::move(rows[i]));
  }
  return PageAnswer(res, request, rows.size(), std::move(items), page);
}

nlohmann::json RowJson(const nlohmann::json& full, const std::vector<std::string>& columns) {
  nlohmann::json row = nlohmann::json::object();
  for (const char* always : {"id", "version", "archived", "merged_into"}) {
    if (full.contains(always)) row[always] = full[always];
  }
  for (const auto& column : columns) {
    if (column.starts_with("custom.")) {
      row[column] = full.value("custom", nlohmann::json::object())
                        .value(column.substr(7), nlohmann::json(nullptr));
    } else {
      row[column] = full.value(column, nlohmann::json(nullptr));
    }
  }
  return row;
}

}  // namespace crm::api
