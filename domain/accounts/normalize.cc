#include "domain/accounts/normalize.h"

#include <array>
#include <cctype>
#include <set>
#include <vector>

namespace crm::accounts {

namespace {

std::string WithoutSpaces(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c != ' ' && c != '\t') out.push_back(c);
  }
  return out;
}

char Upper(char c) { return static_cast<char>(std::toupper(static_cast<unsigned char>(c))); }

bool AllDigits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return !s.empty();
}

// Decodes one UTF-8 code point at s[*i], advancing *i; U+FFFD when malformed.
char32_t NextCodePoint(std::string_view s, size_t* i) {
  const auto b = static_cast<unsigned char>(s[*i]);
  const int extra = b < 0x80 ? 0 : (b >> 5) == 6 ? 1 : (b >> 4) == 14 ? 2 : (b >> 3) == 30 ? 3 : -1;
  if (extra == 0) {
    ++*i;
    return b;
  }
  if (extra < 0 || *i + extra >= s.size()) {
    ++*i;
    return 0xFFFD;
  }
  char32_t cp = b & (0x3F >> extra);
  for (int k = 1; k <= extra; ++k) {
    const auto c = static_cast<unsigned char>(s[*i + k]);
    if ((c & 0xC0) != 0x80) {
      ++*i;
      return 0xFFFD;
    }
    cp = (cp << 6) | (c & 0x3F);
  }
  *i += extra + 1;
  return cp;
}

// The base letter of a Latin letter with a diacritic, lower-case; 0 when none.
char BaseLetter(char32_t cp) {
  // U+00C0..U+00FF (Latin-1 Supplement), index cp - 0xC0.
  static constexpr char kLatin1[] =
      "aaaaaaaceeeeiiiidnooooo\0ouuuuyts"   // C0..DF (D7 ×, DE Þ, DF ß)
      "aaaaaaaceeeeiiiidnooooo\0ouuuuyty";  // E0..FF (F7 ÷, FE þ)
  if (cp >= 0xC0 && cp <= 0xFF) return kLatin1[cp - 0xC0];
  switch (cp) {
    case 0x0102:
    case 0x0103:
    case 0x0100:
    case 0x0101:
    case 0x0104:
    case 0x0105:
      return 'a';
    case 0x0106:
    case 0x0107:
    case 0x010C:
    case 0x010D:
      return 'c';
    case 0x010E:
    case 0x010F:
    case 0x0110:
    case 0x0111:
      return 'd';
    case 0x0112:
    case 0x0113:
    case 0x0118:
    case 0x0119:
    case 0x011A:
    case 0x011B:
      return 'e';
    case 0x011E:
    case 0x011F:
      return 'g';
    case 0x0130:
    case 0x0131:
      return 'i';
    case 0x0141:
    case 0x0142:
      return 'l';
    case 0x0143:
    case 0x0144:
    case 0x0147:
    case 0x0148:
      return 'n';
    case 0x0150:
    case 0x0151:
      return 'o';
    case 0x0158:
    case 0x0159:
      return 'r';
    case 0x015A:
    case 0x015B:
    case 0x015E:
    case 0x015F:
    case 0x0160:
    case 0x0161:
    case 0x0218:
    case 0x0219:
      return 's';
    case 0x0162:
    case 0x0163:
    case 0x0164:
    case 0x0165:
    case 0x021A:
    case 0x021B:
      return 't';
    case 0x016E:
    case 0x016F:
    case 0x0170:
    case 0x0171:
      return 'u';
    case 0x0178:
      return 'y';
    case 0x0179:
    case 0x017A:
    case 0x017B:
    case 0x017C:
    case 0x017D:
    case 0x017E:
      return 'z';
    default:
      return 0;
  }
}

}  // namespace

void AppendUtf8(char32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

size_t Utf8Length(std::string_view text) {
  size_t n = 0;
  for (unsigned char c : text) n += (c & 0xC0) != 0x80;
  return n;
}

std::optional<std::string> NormalizeCui(std::string_view text) {
  std::string s = WithoutSpaces(text);
  if (s.size() >= 2 && Upper(s[0]) == 'R' && Upper(s[1]) == 'O') s.erase(0, 2);
  if (!AllDigits(s) || s.size() < 2 || s.size() > 10) return std::nullopt;
  static constexpr std::array<int, 9> kKey = {7, 5, 3, 2, 1, 7, 5, 3, 2};
  const std::string body = std::string(10 - s.size(), '0') + s.substr(0, s.size() - 1);
  int sum = 0;
  for (size_t i = 0; i < 9; ++i) sum += (body[i] - '0') * kKey[i];
  int control = sum * 10 % 11;
  if (control == 10) control = 0;
  if (control != s.back() - '0') return std::nullopt;
  return s;
}

std::optional<std::string> NormalizeIban(std::string_view text) {
  std::string s;
  for (char c : text) {
    if (c == ' ' || c == '-') continue;
    s.push_back(Upper(c));
  }
  if (s.size() < 15 || s.size() > 34) return std::nullopt;
  if (!std::isupper(static_cast<unsigned char>(s[0])) ||
      !std::isupper(static_cast<unsigned char>(s[1])) ||
      !std::isdigit(static_cast<unsigned char>(s[2])) ||
      !std::isdigit(static_cast<unsigned char>(s[3]))) {
    return std::nullopt;
  }
  if (s.compare(0, 2, "RO") == 0 && s.size() != 24) return std::nullopt;
  int remainder = 0;
  const std::string rotated = s.substr(4) + s.substr(0, 4);
  for (char c : rotated) {
    if (std::isdigit(static_cast<unsigned char>(c))) {
      remainder = (remainder * 10 + (c - '0')) % 97;
    } else if (std::isupper(static_cast<unsigned char>(c))) {
      const int value = c - 'A' + 10;
      remainder = (remainder * 100 + value) % 97;
    } else {
      return std::nullopt;
    }
  }
  if (remainder != 1) return std::nullopt;
  return s;
}

std::optional<std::string> NormalizePhone(std::string_view text) {
  std::string digits;
  bool plus = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c >= '0' && c <= '9') {
      digits.push_back(c);
    } else if (c == '+' && digits.empty() && !plus) {
      plus = true;
    } else if (c != ' ' && c != '.' && c != '-' && c != '(' && c != ')' && c != '/') {
      return std::nullopt;
    }
  }
  if (!plus && digits.starts_with("00")) {
    digits.erase(0, 2);
    plus = true;
  }
  if (!plus) {
    // A Romanian national number: 0 then 9 digits.
    if (digits.size() != 10 || digits[0] != '0') return std::nullopt;
    digits = "40" + digits.substr(1);
  }
  if (digits.size() < 8 || digits.size() > 15 || digits[0] == '0') return std::nullopt;
  return "+" + digits;
}

std::optional<std::string> NormalizeEmail(std::string_view text) {
  const size_t first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return std::nullopt;
  text = text.substr(first, text.find_last_not_of(" \t") - first + 1);
  const size_t at = text.find('@');
  if (at == 0 || at == std::string_view::npos || text.find('@', at + 1) != std::string_view::npos ||
      text.find('.', at) == std::string_view::npos || text.back() == '.' || text.size() > 254 ||
      text.find_first_of(" \t\r\n,;<>") != std::string_view::npos) {
    return std::nullopt;
  }
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string FoldText(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const char32_t cp = NextCodePoint(text, &i);
    if (cp < 0x80) {
      out.push_back(static_cast<char>(std::tolower(static_cast<int>(cp))));
    } else if (cp == 0xDF) {
      out += "ss";
    } else if (const char base = BaseLetter(cp); base != 0) {
      out.push_back(base);
    } else {
      AppendUtf8(cp, &out);
    }
  }
  return out;
}

std::string NameKey(std::string_view name) {
  static const std::set<std::string, std::less<>> kLegalForms = {"srl", "sa",  "pfa", "ii",   "if",
                                                                 "snc", "scs", "sca", "srld", "sc"};
  std::string folded = FoldText(name);
  std::string cleaned;
  for (char c : folded) {
    if (c == '.' || c == '-') continue;  // "s.r.l." -> "srl", "srl-d" -> "srld"
    const auto u = static_cast<unsigned char>(c);
    cleaned.push_back(std::isalnum(u) || u >= 0x80 ? c : ' ');
  }
  std::string key;
  size_t start = 0;
  while (start < cleaned.size()) {
    const size_t end = std::min(cleaned.find(' ', start), cleaned.size());
    const std::string_view word(cleaned.data() + start, end - start);
    if (!word.empty() && !kLegalForms.count(word)) {
      if (!key.empty()) key.push_back(' ');
      key.append(word);
    }
    start = end + 1;
  }
  return key;
}

}  // namespace crm::accounts
