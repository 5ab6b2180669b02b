#include "domain/documents/markup.h"

#include <algorithm>
#include <cstdint>
#include <deque>
#include <kainjow/mustache.hpp>  // a system header: -Wall -Wextra -Wpedantic stay quiet
#include <utility>

#include "domain/accounts/normalize.h"

namespace crm::documents {

namespace {

using domain::FieldError;
using Data = kainjow::mustache::data;

constexpr const char* kUnsafe = "unsafe_markup";
constexpr const char* kInvalid = "invalid_markup";
constexpr const char* kUnsupported = "unsupported_placeholder";

// --- UTF-8 -----------------------------------------------------------------

// Decodes the code point at text[*i] strictly (no overlong forms, no
// surrogates, at most U+10FFFF) and moves *i past it; false when malformed.
bool DecodeUtf8(std::string_view text, size_t* i, uint32_t* cp) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char b0 = byte(*i);
  size_t n = 0;
  uint32_t min = 0;
  if (b0 < 0x80) {
    *cp = b0;
    ++*i;
    return true;
  } else if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 1, min = 0x80, *cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 2, min = 0x800, *cp = b0 & 0x0F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 3, min = 0x10000, *cp = b0 & 0x07;
  } else {
    return false;
  }
  if (text.size() - *i <= n) return false;
  for (size_t k = 1; k <= n; ++k) {
    const unsigned char b = byte(*i + k);
    if ((b & 0xC0) != 0x80) return false;
    *cp = (*cp << 6) | (b & 0x3F);
  }
  if (*cp < min || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF)) return false;
  *i += n + 1;
  return true;
}

// C0 controls other than tab, line feed, form feed and carriage return; DEL;
// C1 controls.
bool IsControl(uint32_t cp) {
  return (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\f' && cp != '\r') || cp == 0x7F ||
         (cp >= 0x80 && cp <= 0x9F);
}

std::string Hex(uint32_t cp) {
  static const char kDigits[] = "0123456789ABCDEF";
  std::string out;
  for (int shift = cp > 0xFFFF ? 20 : 12; shift >= 0; shift -= 4) {
    out.push_back(kDigits[(cp >> shift) & 0xF]);
  }
  return out;
}

FieldError Error(const std::string& field, const char* code, std::string ro, std::string en) {
  return FieldError{field, code, {std::move(ro), std::move(en)}};
}

std::optional<FieldError> CheckEncoding(std::string_view text, const std::string& field) {
  for (size_t i = 0; i < text.size();) {
    const size_t at = i;
    uint32_t cp = 0;
    if (!DecodeUtf8(text, &i, &cp)) {
      return Error(field, kInvalid,
                   "Textul nu este UTF-8 valid (octetul " + std::to_string(at) + ").",
                   "The text is not valid UTF-8 (byte " + std::to_string(at) + ").");
    }
    if (IsControl(cp)) {
      return Error(field, kInvalid,
                   "Textul conține un caracter de control (U+" + Hex(cp) + ", octetul " +
                       std::to_string(at) + ").",
                   "The text contains a control character (U+" + Hex(cp) + ", byte " +
                       std::to_string(at) + ").");
    }
  }
  return std::nullopt;
}

// `text` for a message: at most 40 bytes, cut on a character boundary.
// REQUIRES: `text` is valid UTF-8.
std::string Shown(std::string_view text) {
  if (text.size() <= 40) return std::string(text);
  size_t cut = 40;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return std::string(text.substr(0, cut)) + "…";
}

// --- The markup parser ------------------------------------------------------

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string Lowered(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = Lower(c);
  return out;
}

std::string_view Trimmed(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

bool AllSpace(std::string_view s) {
  for (char c : s) {
    if (!IsSpace(c)) return false;
  }
  return true;
}

// "12pt" with `unit` "pt" -> 12 when within [lo, hi]; nullopt otherwise.
std::optional<int> Measure(std::string_view value, std::string_view unit, int lo, int hi) {
  const std::string v = Lowered(value);
  if (v.size() <= unit.size() || v.size() > unit.size() + 3 ||
      v.compare(v.size() - unit.size(), unit.size(), unit) != 0) {
    return std::nullopt;
  }
  int n = 0;
  for (size_t k = 0; k < v.size() - unit.size(); ++k) {
    if (!IsDigit(v[k])) return std::nullopt;
    n = n * 10 + (v[k] - '0');
  }
  if (n < lo || n > hi) return std::nullopt;
  return n;
}

enum class El {
  kRoot,
  kP,
  kH1,
  kH2,
  kH3,
  kUl,
  kOl,
  kLi,
  kB,
  kStrong,
  kI,
  kEm,
  kU,
  kSpan,
  kBr,
  kImg
};

struct ElementName {
  const char* name;
  El el;
};
constexpr ElementName kElements[] = {
    {"p", El::kP},           {"h1", El::kH1}, {"h2", El::kH2},   {"h3", El::kH3},
    {"ul", El::kUl},         {"ol", El::kOl}, {"li", El::kLi},   {"b", El::kB},
    {"strong", El::kStrong}, {"i", El::kI},   {"em", El::kEm},   {"u", El::kU},
    {"span", El::kSpan},     {"br", El::kBr}, {"img", El::kImg},
};

std::optional<El> FindElement(std::string_view name) {
  for (const auto& e : kElements) {
    if (name == e.name) return e.el;
  }
  return std::nullopt;
}

std::string Tag(El el) {
  for (const auto& e : kElements) {
    if (e.el == el) return std::string("<") + e.name + ">";
  }
  return "";
}

bool IsInline(El el) {
  return el == El::kB || el == El::kStrong || el == El::kI || el == El::kEm || el == El::kU ||
         el == El::kSpan;
}
bool IsHeading(El el) { return el == El::kH1 || el == El::kH2 || el == El::kH3; }
bool IsList(El el) { return el == El::kUl || el == El::kOl; }

struct Format {
  bool bold = false, italic = false, underline = false;
  int size_pt = 0;
  bool operator==(const Format&) const = default;
};

// One open element.
struct Frame {
  El el = El::kRoot;
  // The innermost block around (kRoot, kP, a heading or kLi; a <p> inside an
  // <li> counts as the kLi).
  El block = El::kRoot;
  Format format;      // of the text inside
  int depth = 0;      // lists and list items: the list's depth
  int counter = 0;    // <ol>: the items so far
  bool done = false;  // <li>: its block ended at a nested list
};

struct Attributes {
  std::optional<Align> align;
  std::optional<int> size_pt;
  std::optional<std::string> src;
  std::optional<int> width_mm;
};

class Parser {
 public:
  Parser(std::string_view text, const std::string& field) : text_(text), field_(field) {
    stack_.emplace_back();
  }

  std::variant<Markup, FieldError> Run() {
    if (auto error = CheckEncoding(text_, field_)) return *std::move(error);
    while (pos_ < text_.size() && !error_) {
      const char c = text_[pos_];
      if (c == '<') {
        ParseTag();
      } else if (c == '&') {
        std::string decoded;
        if (ParseEntity(&decoded)) HandleText(decoded);
      } else {
        const size_t end = text_.find_first_of("<&", pos_);
        const size_t stop = end == std::string_view::npos ? text_.size() : end;
        HandleText(text_.substr(pos_, stop - pos_));
        pos_ = stop;
      }
    }
    if (!error_ && stack_.size() > 1) {
      const std::string tag = Tag(stack_.back().el);
      Fail(kInvalid, "„" + tag + "” nu este închis.", "'" + tag + "' is not closed.");
    }
    if (error_) return *std::move(error_);
    EndBlock();
    return std::move(markup_);
  }

 private:
  bool Fail(const char* code, std::string ro, std::string en) {
    if (!error_) error_ = Error(field_, code, std::move(ro), std::move(en));
    return false;
  }

  bool Misplaced(El child, const Frame& parent) {
    const std::string c = Tag(child);
    if (parent.el == El::kRoot) {
      return Fail(kInvalid, "„" + c + "” poate sta doar într-o listă.",
                  "'" + c + "' must be inside a list.");
    }
    if (parent.done) {
      return Fail(kInvalid, "„" + c + "” nu poate urma unei liste imbricate în „<li>”.",
                  "'" + c + "' cannot follow a nested list inside '<li>'.");
    }
    const std::string p = Tag(parent.el);
    return Fail(kInvalid, "„" + c + "” nu poate sta în „" + p + "”.",
                "'" + c + "' cannot be inside '" + p + "'.");
  }

  // --- Text and blocks

  void HandleText(std::string_view text) {
    const Frame& top = stack_.back();
    if (top.el == El::kRoot) {
      if (!block_ && AllSpace(text)) return;
      if (!block_) OpenBlock(Block{}, false);
    } else if (IsList(top.el) || top.done) {
      if (AllSpace(text)) return;
      const std::string p = Tag(top.el);
      Fail(kInvalid,
           top.done ? "Textul nu poate urma unei liste imbricate în „<li>”."
                    : "Textul nu poate sta direct în „" + p + "”.",
           top.done ? "Text cannot follow a nested list inside '<li>'."
                    : "Text cannot stand directly inside '" + p + "'.");
      return;
    }
    // Whitespace collapses to one space, none at the block's start or after
    // a line break; trailing spaces go when the block or line ends.
    for (size_t i = 0; i < text.size();) {
      if (IsSpace(text[i])) {
        while (i < text.size() && IsSpace(text[i])) ++i;
        if (last_ != 0 && last_ != ' ' && last_ != '\n') Append(" ");
      } else {
        size_t j = i;
        while (j < text.size() && !IsSpace(text[j])) ++j;
        Append(text.substr(i, j - i));
        i = j;
      }
    }
  }

  void Append(std::string_view piece) {
    if (!block_) OpenBlock(Block{}, false);  // not reached: callers open one
    const Format& f = stack_.back().format;
    std::vector<Span>& spans = block_->spans;
    if (spans.empty() || !(Format{spans.back().bold, spans.back().italic, spans.back().underline,
                                  spans.back().size_pt} == f)) {
      spans.push_back(Span{"", f.bold, f.italic, f.underline, f.size_pt});
    }
    spans.back().text.append(piece);
    last_ = piece.back();
  }

  void TrimTrailingSpaces() {
    std::vector<Span>& spans = block_->spans;
    while (!spans.empty()) {
      std::string& t = spans.back().text;
      while (!t.empty() && t.back() == ' ') t.pop_back();
      if (!t.empty()) break;
      spans.pop_back();
    }
    last_ = spans.empty() ? '\0' : spans.back().text.back();
  }

  void LineBreak() {
    TrimTrailingSpaces();
    Append("\n");
  }

  void OpenBlock(Block block, bool keep_if_empty) {
    block_ = std::move(block);
    keep_if_empty_ = keep_if_empty;
    last_ = 0;
  }

  // Ends the open block: trailing spaces and one last line break go; an
  // empty block stays only if it was written as an element.
  void EndBlock() {
    if (!block_) return;
    TrimTrailingSpaces();
    std::vector<Span>& spans = block_->spans;
    if (!spans.empty() && spans.back().text.back() == '\n') {
      spans.back().text.pop_back();
      if (spans.back().text.empty()) spans.pop_back();
      TrimTrailingSpaces();
    }
    if (!spans.empty() || keep_if_empty_) markup_.blocks.push_back(std::move(*block_));
    block_.reset();
  }

  // --- Entities

  // At '&': decodes the entity into *out and moves past it.
  bool ParseEntity(std::string* out) {
    const size_t start = pos_;
    size_t i = pos_ + 1;
    while (i < text_.size() && i - start <= 12 &&
           (IsAlpha(text_[i]) || IsDigit(text_[i]) || (i == start + 1 && text_[i] == '#'))) {
      ++i;
    }
    if (i >= text_.size() || text_[i] != ';' || i == start + 1) {
      return Fail(kInvalid, "„&” trebuie scris „&amp;”.", "'&' must be written '&amp;'.");
    }
    const std::string_view name = text_.substr(start + 1, i - start - 1);
    const std::string shown = Shown(text_.substr(start, i + 1 - start));
    pos_ = i + 1;
    if (name[0] == '#') {
      const bool hex = name.size() > 1 && (name[1] == 'x' || name[1] == 'X');
      const std::string_view digits = name.substr(hex ? 2 : 1);
      uint32_t cp = 0;
      bool ok = !digits.empty() && digits.size() <= (hex ? 6u : 7u);
      for (char c : digits) {
        const char l = Lower(c);
        const int d = IsDigit(l) ? l - '0' : (hex && l >= 'a' && l <= 'f') ? l - 'a' + 10 : -1;
        ok = ok && d >= 0;
        if (ok) cp = cp * (hex ? 16 : 10) + static_cast<uint32_t>(d);
      }
      if (!ok || cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || IsControl(cp)) {
        return Fail(kInvalid, "„" + shown + "” nu este un caracter permis.",
                    "'" + shown + "' is not an allowed character.");
      }
      accounts::AppendUtf8(cp, out);
      return true;
    }
    static const std::pair<const char*, const char*> kNamed[] = {
        {"amp", "&"}, {"lt", "<"}, {"gt", ">"}, {"quot", "\""}, {"apos", "'"}, {"nbsp", "\xC2\xA0"},
    };
    for (const auto& [n, value] : kNamed) {
      if (name == n) {
        out->append(value);
        return true;
      }
    }
    return Fail(kUnsafe, "„" + shown + "” nu este permis.", "'" + shown + "' is not allowed.");
  }

  // --- Tags

  void ParseTag() {
    const size_t start = pos_;
    const char next = pos_ + 1 < text_.size() ? text_[pos_ + 1] : '\0';
    if (next == '!') {
      if (text_.substr(pos_, 4) == "<!--") {
        Fail(kUnsafe, "Comentariile „<!-- -->” nu sunt permise.",
             "Comments '<!-- -->' are not allowed.");
      } else {
        Fail(kUnsafe, "„<!” nu este permis.", "'<!' is not allowed.");
      }
      return;
    }
    if (next == '?') {
      Fail(kUnsafe, "„<?” nu este permis.", "'<?' is not allowed.");
      return;
    }
    const bool closing = next == '/';
    pos_ += closing ? 2 : 1;
    if (pos_ >= text_.size() || !IsAlpha(text_[pos_])) {
      if (closing) {
        Fail(kInvalid, "„</” nu începe o etichetă de închidere corectă.",
             "'</' does not start a well-formed closing tag.");
      } else {
        Fail(kInvalid, "„<” trebuie scris „&lt;”.", "'<' must be written '&lt;'.");
      }
      return;
    }
    const size_t name_start = pos_;
    while (pos_ < text_.size() && (IsAlpha(text_[pos_]) || IsDigit(text_[pos_]))) ++pos_;
    const std::string name = Lowered(text_.substr(name_start, pos_ - name_start));
    const std::optional<El> el = FindElement(name);
    if (!el) {
      const std::string shown = "<" + Shown(name) + ">";
      Fail(kUnsafe, "„" + shown + "” nu este permis.", "'" + shown + "' is not allowed.");
      return;
    }
    if (closing) {
      SkipSpaces();
      if (pos_ >= text_.size() || text_[pos_] != '>') {
        MalformedTag(start);
        return;
      }
      ++pos_;
      EndElement(*el);
      return;
    }
    Attributes attributes;
    bool self_closing = false;
    if (!ParseAttributes(*el, start, &attributes, &self_closing)) return;
    if (self_closing && *el != El::kBr && *el != El::kImg) {
      const std::string shown = "<" + name + "/>";
      Fail(kInvalid, "„" + shown + "” nu este permis: scrieți „<" + name + "></" + name + ">”.",
           "'" + shown + "' is not allowed: write '<" + name + "></" + name + ">'.");
      return;
    }
    StartElement(*el, attributes);
  }

  void SkipSpaces() {
    while (pos_ < text_.size() && IsSpace(text_[pos_])) ++pos_;
  }

  bool MalformedTag(size_t start) {
    const size_t end = std::min(text_.size(), text_.find('>', start));
    const std::string shown = Shown(text_.substr(start, end - start));
    return Fail(kInvalid, "Eticheta „" + shown + "” nu este scrisă corect.",
                "The tag '" + shown + "' is malformed.");
  }

  bool PlaceholderInTag() {
    return Fail(kUnsupported, "Câmpurile „{{…}}” pot sta doar în text, nu într-o etichetă.",
                "Placeholders '{{…}}' may stand only in text, not inside a tag.");
  }

  // After the tag's name: its attributes up to and past '>'.
  bool ParseAttributes(El el, size_t start, Attributes* out, bool* self_closing) {
    std::vector<std::string> seen;
    for (;;) {
      SkipSpaces();
      if (pos_ >= text_.size()) return MalformedTag(start);
      if (text_[pos_] == '>') {
        ++pos_;
        break;
      }
      if (text_.substr(pos_, 2) == "/>") {
        pos_ += 2;
        *self_closing = true;
        break;
      }
      if (text_.substr(pos_, 2) == "{{") return PlaceholderInTag();
      const size_t name_start = pos_;
      while (pos_ < text_.size() &&
             (IsAlpha(text_[pos_]) || IsDigit(text_[pos_]) || text_[pos_] == '-' ||
              text_[pos_] == '_' || text_[pos_] == ':' || text_[pos_] == '.')) {
        ++pos_;
      }
      if (pos_ == name_start) return MalformedTag(start);
      const std::string name = Lowered(text_.substr(name_start, pos_ - name_start));
      const bool allowed = (name == "style" &&
                            (el == El::kP || IsHeading(el) || el == El::kLi || el == El::kSpan)) ||
                           ((name == "src" || name == "width") && el == El::kImg);
      if (!allowed) return RefuseAttribute(el, name);
      for (const std::string& s : seen) {
        if (s == name) {
          return Fail(kInvalid, "Atributul „" + name + "” apare de două ori.",
                      "The attribute '" + name + "' appears twice.");
        }
      }
      seen.push_back(name);
      SkipSpaces();
      if (pos_ >= text_.size() || text_[pos_] != '=') return MalformedTag(start);
      ++pos_;
      SkipSpaces();
      if (pos_ >= text_.size() || (text_[pos_] != '"' && text_[pos_] != '\'')) {
        return Fail(kInvalid, "Valoarea atributului „" + name + "” trebuie pusă între ghilimele.",
                    "The value of the attribute '" + name + "' must be quoted.");
      }
      const char quote = text_[pos_];
      const size_t close = text_.find(quote, pos_ + 1);
      if (close == std::string_view::npos) return MalformedTag(start);
      const std::string_view raw = text_.substr(pos_ + 1, close - pos_ - 1);
      if (raw.find("{{") != std::string_view::npos) return PlaceholderInTag();
      // Entities in the value decode as in text.
      std::string value;
      const size_t resume = close + 1;
      for (size_t i = 0; i < raw.size();) {
        if (raw[i] == '&') {
          pos_ = static_cast<size_t>(raw.data() - text_.data()) + i;
          if (!ParseEntity(&value)) return false;
          i = pos_ - static_cast<size_t>(raw.data() - text_.data());
        } else {
          value.push_back(raw[i++]);
        }
      }
      pos_ = resume;
      if (!Attribute(el, name, value, out)) return false;
    }
    if (el == El::kImg && !out->src) {
      return Fail(kInvalid, "„<img>” trebuie să aibă src.", "'<img>' must have a src.");
    }
    return true;
  }

  bool RefuseAttribute(El el, std::string_view name) {
    const std::string shown = Shown(name), tag = Tag(el);
    return Fail(kUnsafe, "Atributul „" + shown + "” nu este permis pe „" + tag + "”.",
                "The attribute '" + shown + "' is not allowed on '" + tag + "'.");
  }

  bool RefuseProperty(El el, std::string_view property) {
    const std::string shown = Shown(property), tag = Tag(el);
    return Fail(kUnsafe, "Proprietatea CSS „" + shown + "” nu este permisă pe „" + tag + "”.",
                "The CSS property '" + shown + "' is not allowed on '" + tag + "'.");
  }

  bool Attribute(El el, const std::string& name, const std::string& value, Attributes* out) {
    if (name == "style") return Style(el, value, out);
    if (name == "width") {
      out->width_mm = Measure(Trimmed(value), "mm", 1, 180);
      if (!out->width_mm) {
        const std::string shown = Shown(value);
        return Fail(kInvalid, "Lățimea imaginii „" + shown + "” trebuie să fie între 1mm și 180mm.",
                    "The image width '" + shown + "' must be between 1mm and 180mm.");
      }
      return true;
    }
    // src: only "attachment:<id>".
    const std::string_view v = Trimmed(value);
    constexpr std::string_view kScheme = "attachment:";
    if (v.size() < kScheme.size() || Lowered(v.substr(0, kScheme.size())) != kScheme) {
      const std::string shown = Shown(v);
      return Fail(kUnsafe,
                  "Sursa imaginii „" + shown + "” nu este permisă: doar „attachment:<id>”.",
                  "The image source '" + shown + "' is not allowed: only 'attachment:<id>'.");
    }
    const std::string_view id = v.substr(kScheme.size());
    bool ok = !id.empty() && id.size() <= 64;
    for (char c : id) ok = ok && (IsAlpha(c) || IsDigit(c) || c == '-' || c == '_');
    if (!ok) {
      const std::string shown = Shown(v);
      return Fail(kInvalid, "„" + shown + "” nu este un atașament valid.",
                  "'" + shown + "' is not a valid attachment.");
    }
    out->src = std::string(id);
    return true;
  }

  bool Style(El el, std::string_view style, Attributes* out) {
    while (!style.empty()) {
      const size_t semi = style.find(';');
      const std::string_view declaration = Trimmed(style.substr(0, semi));
      style = semi == std::string_view::npos ? std::string_view() : style.substr(semi + 1);
      if (declaration.empty()) continue;
      const size_t colon = declaration.find(':');
      if (colon == std::string_view::npos) {
        const std::string shown = Shown(declaration);
        return Fail(kInvalid, "Stilul „" + shown + "” nu este scris corect.",
                    "The style '" + shown + "' is malformed.");
      }
      const std::string property = Lowered(Trimmed(declaration.substr(0, colon)));
      const std::string_view value = Trimmed(declaration.substr(colon + 1));
      const bool align_here = el == El::kP || IsHeading(el) || el == El::kLi;
      const bool size_here = el == El::kP || el == El::kSpan;
      if ((property != "text-align" && property != "font-size") ||
          (property == "text-align" && !align_here) || (property == "font-size" && !size_here)) {
        return RefuseProperty(el, property);
      }
      const std::string shown = property + ": " + Shown(value);
      if (property == "text-align") {
        const std::string v = Lowered(value);
        if (v == "left") {
          out->align = Align::kLeft;
        } else if (v == "center") {
          out->align = Align::kCenter;
        } else if (v == "right") {
          out->align = Align::kRight;
        } else if (v == "justify") {
          out->align = Align::kJustify;
        } else {
          return Fail(kInvalid,
                      "„" + shown + "” nu este o aliniere: left, center, right sau justify.",
                      "'" + shown + "' is not an alignment: left, center, right or justify.");
        }
      } else {
        out->size_pt = Measure(value, "pt", 6, 36);
        if (!out->size_pt) {
          return Fail(kInvalid, "„" + shown + "” trebuie să fie între 6pt și 36pt.",
                      "'" + shown + "' must be between 6pt and 36pt.");
        }
      }
    }
    return true;
  }

  void StartElement(El el, const Attributes& a) {
    Frame& top = stack_.back();
    const bool inline_ok = (top.el == El::kRoot || top.el == El::kP || IsHeading(top.el) ||
                            top.el == El::kLi || IsInline(top.el)) &&
                           !top.done;
    if (IsInline(el) || el == El::kBr) {
      if (!inline_ok) {
        Misplaced(el, top);
        return;
      }
      if (!block_) OpenBlock(Block{}, false);  // text at the top level
      if (el == El::kBr) {
        LineBreak();
        return;
      }
      Frame frame = top;
      frame.el = el;
      if (el == El::kB || el == El::kStrong) frame.format.bold = true;
      if (el == El::kI || el == El::kEm) frame.format.italic = true;
      if (el == El::kU) frame.format.underline = true;
      if (a.size_pt) frame.format.size_pt = *a.size_pt;
      stack_.push_back(frame);
      return;
    }
    if (el == El::kImg) {
      if (!inline_ok || (top.block != El::kRoot && top.block != El::kP)) {
        Frame parent = top;
        if (inline_ok) parent.el = top.block;  // in a heading or a list item
        Misplaced(el, parent);
        return;
      }
      // The image splits the paragraph around it; the parts left empty go.
      const Align align = block_ ? block_->align : Align::kLeft;
      keep_if_empty_ = false;
      EndBlock();
      Block image;
      image.kind = Block::Kind::kImage;
      image.attachment_id = *a.src;
      image.width_mm = a.width_mm.value_or(0);
      markup_.blocks.push_back(std::move(image));
      if (top.el != El::kRoot) {
        Block rest;
        rest.align = align;
        OpenBlock(std::move(rest), false);
      }
      return;
    }
    if (el == El::kP && top.el == El::kLi && !top.done) {
      // A paragraph in a list item is the item's text; a second one is a
      // new line of it.
      if (!block_->spans.empty()) LineBreak();
      if (a.align) block_->align = *a.align;
      Frame frame = top;
      frame.el = El::kP;
      if (a.size_pt) frame.format.size_pt = *a.size_pt;
      stack_.push_back(frame);
      return;
    }
    if (el == El::kP || IsHeading(el)) {
      if (top.el != El::kRoot) {
        Misplaced(el, top);
        return;
      }
      EndBlock();
      Block block;
      block.kind = el == El::kP ? Block::Kind::kParagraph : Block::Kind::kHeading;
      block.level = el == El::kH1 ? 1 : el == El::kH2 ? 2 : el == El::kH3 ? 3 : 0;
      block.align = a.align.value_or(Align::kLeft);
      OpenBlock(std::move(block), true);
      Frame frame;
      frame.el = frame.block = el;
      frame.format.size_pt = a.size_pt.value_or(0);
      stack_.push_back(frame);
      return;
    }
    if (IsList(el)) {
      int depth = 1;
      if (top.el == El::kLi || IsList(top.el)) {
        depth = top.depth + 1;
      } else if (top.el != El::kRoot) {
        Misplaced(el, top);
        return;
      }
      if (depth > 3) {
        Fail(kInvalid, "Listele pot avea cel mult trei niveluri.",
             "Lists nest at most three levels deep.");
        return;
      }
      EndBlock();  // the text before: a paragraph or the item's own
      if (top.el == El::kLi) top.done = true;
      Frame frame;
      frame.el = frame.block = el;
      frame.depth = depth;
      stack_.push_back(frame);
      return;
    }
    // <li>
    if (!IsList(top.el)) {
      Misplaced(el, top);
      return;
    }
    Block item;
    item.kind = Block::Kind::kListItem;
    item.level = top.depth;
    item.ordered = top.el == El::kOl;
    item.number = item.ordered ? ++top.counter : 0;
    item.align = a.align.value_or(Align::kLeft);
    OpenBlock(std::move(item), true);
    Frame frame;
    frame.el = frame.block = El::kLi;
    frame.depth = top.depth;
    stack_.push_back(frame);
  }

  void EndElement(El el) {
    const Frame top = stack_.back();
    const std::string closing = "</" + Tag(el).substr(1);
    if (el == El::kBr || el == El::kImg) {
      Fail(kInvalid, "„" + closing + "” nu este permis.", "'" + closing + "' is not allowed.");
      return;
    }
    if (top.el == El::kRoot) {
      Fail(kInvalid, "„" + closing + "” nu închide nimic.", "'" + closing + "' closes nothing.");
      return;
    }
    if (top.el != el) {
      const std::string open = Tag(top.el);
      Fail(kInvalid, "„" + closing + "” nu închide „" + open + "”.",
           "'" + closing + "' does not close '" + open + "'.");
      return;
    }
    stack_.pop_back();
    if ((el == El::kP && top.block == El::kP) || IsHeading(el) || (el == El::kLi && !top.done)) {
      EndBlock();
    }
  }

  std::string_view text_;
  const std::string& field_;
  size_t pos_ = 0;
  std::optional<FieldError> error_;
  std::vector<Frame> stack_;  // stack_[0] is the top level
  Markup markup_;
  std::optional<Block> block_;  // the block being written
  bool keep_if_empty_ = false;
  char last_ = 0;  // the block's last character; 0 when it has none
};

// --- Placeholders ----------------------------------------------------------

// Set delimiters ({{=<% %>=}}) are refused; the first must use the default
// "{{", optionally then '{', spaces, and '='. Also counts the "{{".
std::optional<FieldError> CheckDelimiters(std::string_view text, const std::string& field) {
  int count = 0;
  for (size_t at = text.find("{{"); at != std::string_view::npos; at = text.find("{{", at + 2)) {
    size_t i = at + 2;
    if (i < text.size() && text[i] == '{') ++i;
    while (i < text.size() && (IsSpace(text[i]) || text[i] == '\v')) ++i;
    if (i < text.size() && text[i] == '=') {
      return Error(field, kUnsupported, "Schimbarea delimitatorilor „{{=…=}}” nu este permisă.",
                   "Changing the delimiters '{{=…=}}' is not allowed.");
    }
    if (++count > kMaxPlaceholders) {
      const std::string n = std::to_string(kMaxPlaceholders);
      return Error(field, "invalid_template", "O secțiune poate avea cel mult " + n + " câmpuri.",
                   "A section may have at most " + n + " placeholders.");
    }
  }
  return std::nullopt;
}

// Answers every name with a marker "\x01<n>\x02", n the lookup's index, and
// records the lookups. With the escape below, an escaped variable renders
// "\x01<n>\x03", an unescaped one the marker itself, and a section or an
// inverted section nothing (a section pushes the answer).
class RecordingContext : public kainjow::mustache::basic_context<std::string> {
 public:
  struct Lookup {
    std::string name;
    bool partial = false;
    bool pushed = false;
  };

  void push(const Data* /*data*/) override {
    if (!lookups_.empty()) lookups_.back().pushed = true;
  }
  void pop() override {}
  const Data* get(const std::string& name) const override {
    lookups_.push_back({name});
    answers_.emplace_back("\x01" + std::to_string(lookups_.size() - 1) + "\x02");
    return &answers_.back();
  }
  const Data* get_partial(const std::string& name) const override {
    lookups_.push_back({name, true});
    return nullptr;
  }

  const std::vector<Lookup>& lookups() const { return lookups_; }

 private:
  mutable std::vector<Lookup> lookups_;
  mutable std::deque<Data> answers_;  // stable addresses
};

std::string EscapeMarker(const std::string& s) {
  if (s.size() >= 3 && s.front() == '\x01' && s.back() == '\x02') {
    return s.substr(0, s.size() - 1) + "\x03";
  }
  return kainjow::mustache::html_escape(s);
}

class ValuesContext : public kainjow::mustache::basic_context<std::string> {
 public:
  explicit ValuesContext(const std::map<std::string, std::string>& values) {
    for (const auto& [name, value] : values) values_.emplace(name, Data(Sanitized(value)));
  }
  void push(const Data* /*data*/) override {}
  void pop() override {}
  const Data* get(const std::string& name) const override {
    const auto it = values_.find(name);
    return it == values_.end() ? nullptr : &it->second;
  }
  const Data* get_partial(const std::string& /*name*/) const override { return nullptr; }

 private:
  // Invalid UTF-8 becomes U+FFFD, a control character a space.
  static std::string Sanitized(std::string_view value) {
    std::string out;
    for (size_t i = 0; i < value.size();) {
      uint32_t cp = 0;
      if (!DecodeUtf8(value, &i, &cp)) {
        out.append("\xEF\xBF\xBD");
        ++i;
      } else if (IsControl(cp)) {
        out.push_back(' ');
      } else {
        accounts::AppendUtf8(cp, &out);
      }
    }
    return out;
  }

  std::map<std::string, Data> values_;
};

}  // namespace

std::variant<Markup, FieldError> ParseMarkup(std::string_view text, const std::string& field) {
  return Parser(text, field).Run();
}

std::optional<FieldError> CheckSection(std::string_view text, const std::set<std::string>& known,
                                       const std::string& field) {
  if (auto error = CheckEncoding(text, field)) return error;  // no markers in the text
  if (auto error = CheckDelimiters(text, field)) return error;
  kainjow::mustache::mustache engine{std::string(text)};
  if (!engine.is_valid()) {
    return Error(field, "invalid_template",
                 "Câmpurile „{{…}}” nu sunt scrise corect: " + engine.error_message() + ".",
                 "The placeholders '{{…}}' are malformed: " + engine.error_message() + ".");
  }
  RecordingContext context;
  engine.set_custom_escape(EscapeMarker);
  const std::string out = engine.render(context);
  const auto& lookups = context.lookups();
  std::vector<int> escaped(lookups.size()), raw(lookups.size());
  for (size_t at = out.find('\x01'); at != std::string::npos; at = out.find('\x01', at + 1)) {
    size_t i = at + 1, n = 0;
    while (i < out.size() && IsDigit(out[i]) && n < lookups.size()) {
      n = n * 10 + static_cast<size_t>(out[i++] - '0');
    }
    if (i >= out.size() || n >= lookups.size()) continue;
    if (out[i] == '\x03') ++escaped[n];
    if (out[i] == '\x02') ++raw[n];
  }
  for (size_t n = 0; n < lookups.size(); ++n) {
    const std::string name = Shown(lookups[n].name);
    std::string shown;
    if (lookups[n].partial) {
      shown = "{{>" + name + "}}";
    } else if (raw[n] > 0) {
      shown = "{{{" + name + "}}}";
    } else if (escaped[n] == 0) {
      shown = (lookups[n].pushed ? "{{#" : "{{^") + name + "}}";
    } else if (known.count(lookups[n].name) == 0) {
      return Error(field, "unknown_placeholder", "„{{" + name + "}}” nu este un câmp cunoscut.",
                   "'{{" + name + "}}' is not a known placeholder.");
    }
    if (!shown.empty()) {
      return Error(
          field, kUnsupported,
          "„" + shown + "” nu este permis: doar câmpuri simple, ca „{{account.name}}”.",
          "'" + shown + "' is not allowed: only plain placeholders, as '{{account.name}}'.");
    }
  }
  auto parsed = ParseMarkup(text, field);
  if (auto* error = std::get_if<FieldError>(&parsed)) return std::move(*error);
  return std::nullopt;
}

Markup FillSection(std::string_view text, const std::map<std::string, std::string>& values) {
  if (CheckDelimiters(text, "")) return {};
  kainjow::mustache::mustache engine{std::string(text)};
  if (!engine.is_valid()) return {};
  ValuesContext context(values);
  auto parsed = ParseMarkup(engine.render(context), "");
  if (auto* markup = std::get_if<Markup>(&parsed)) return std::move(*markup);
  return {};
}

std::vector<std::string> ImageIds(const Markup& markup) {
  std::vector<std::string> ids;
  std::set<std::string> seen;
  for (const Block& block : markup.blocks) {
    if (block.kind == Block::Kind::kImage && seen.insert(block.attachment_id).second) {
      ids.push_back(block.attachment_id);
    }
  }
  return ids;
}

}  // namespace crm::documents
