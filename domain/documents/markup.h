#pragma once

// The text sections of offer templates (and, later, email templates): a
// small, safe rich-text markup with mustache placeholders such as
// `{{account.name}}`, checked when a section is saved and filled when a
// document is made.
//
// The markup is the HTML subset a rich-text editor emits, and nothing else:
//   blocks   <p>, <h1> <h2> <h3>, <ul>/<ol> of <li> (lists nest up to three
//            levels, as <li><ul>…</ul></li> or <ul><li>…</li><ul>…</ul></ul>),
//            <br> (a line break: "\n" in the span's text; a block's last
//            <br> is dropped, so the editors' empty line <p><br></p> is an
//            empty paragraph), <img src="attachment:ID" width="40mm">
//            (ID: 1 to 64 of [A-Za-z0-9_-]; width optional, 1mm to 180mm);
//            <p> may sit directly in <li> (its content is the item's; a
//            second one starts a new line); <img> may sit at the top level
//            or in a <p>, whose text around it becomes paragraphs of their
//            own (empty ones dropped), not in a heading or a list item.
//   inline   <b>/<strong>, <i>/<em>, <u>, <span>; inside <p>, <h1>-<h3>,
//            <li> or one another, or at the top level.
//   CSS      only in style="…": text-align: left|center|right|justify on
//            <p>, <h1>-<h3> and <li>; font-size: Npt (N whole, 6 to 36) on
//            <span> and <p>.
//   text     entities &amp; &lt; &gt; &quot; &#39; &apos; &nbsp; (U+00A0, kept)
//            and &#NNN; / &#xHH; (decoded to UTF-8); a '<' or '&' that does not
//            start a tag or one of these entities is refused (write &lt;,
//            &amp;); '>' may stand bare. Whitespace collapses as in HTML: a
//            run of spaces, tabs and newlines is one space, none at a block's
//            start or end or beside a <br>. Text outside any block is a
//            paragraph of its own (one up to the next block element).
// Element, attribute and CSS property names are case-insensitive, attribute
// values are quoted with " or '. Explicit blocks are kept even when empty
// (an empty <li> keeps its number); adjacent text of one format is one span.
//
// Placeholders live in text only: a "{{" inside a tag is refused, so a value
// never lands in an attribute, and a section whose markup is valid stays
// valid whatever the values (they are HTML-escaped, then decoded back here).
//
// All functions are pure and thread-safe and take input of any bytes. The
// markup parser does not recurse and takes time linear in the input; the
// mustache engine (CheckSection, FillSection) recurses once per nested
// section and copies a section's text once per section around it, both at
// most kMaxPlaceholders times. The caller bounds the input's length.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "domain/rejection.h"

namespace crm::documents {

enum class Align { kLeft, kCenter, kRight, kJustify };

// A run of text in one format.
struct Span {
  std::string text;  // UTF-8, entities decoded, whitespace collapsed
  bool bold = false, italic = false, underline = false;
  int size_pt = 0;  // 0: inherit the document's size
  bool operator==(const Span&) const = default;
};

struct Block {
  enum class Kind { kParagraph, kHeading, kListItem, kImage };
  Kind kind = Kind::kParagraph;
  int level = 0;         // kHeading: 1..3; kListItem: the list's depth, 1..3
  bool ordered = false;  // kListItem: in an <ol>
  int number = 0;        // kListItem of an <ol>: 1, 2, … within its list; else 0
  Align align = Align::kLeft;
  std::vector<Span> spans;    // not for kImage
  std::string attachment_id;  // kImage
  int width_mm = 0;           // kImage; 0: the renderer's default
  bool operator==(const Block&) const = default;
};

// A section parsed: its blocks in order.
struct Markup {
  std::vector<Block> blocks;
  bool operator==(const Markup&) const = default;
};

// At most this many "{{" in a section: it bounds the mustache engine's work,
// which grows with the nesting of what it parses.
inline constexpr int kMaxPlaceholders = 256;

// Parses `text` in the markup above. On failure, a FieldError named `field`
// whose Romanian and English messages name what was refused, with code
//   "unsafe_markup"   an element, attribute, CSS property, entity or image
//                     source outside the subset (<script>, <a>, onclick,
//                     color, &copy;, src="http://…", comments <!-- -->);
//   "invalid_markup"  not well formed: an element left open, closed in the
//                     wrong order or placed where it may not be (<li> outside
//                     a list, <ul> in a <p>, text directly in a <ul>, lists
//                     deeper than three), a malformed tag or attribute, a
//                     value out of range (font-size: 40pt, width="300mm",
//                     text-align: middle, an <img> without src), a bare '<'
//                     or '&', invalid UTF-8, or control characters (other
//                     than tab, line feed, form feed and carriage return);
//   "unsupported_placeholder"  a "{{" inside a tag.
// The first error in the text is the one reported.
std::variant<Markup, domain::FieldError> ParseMarkup(std::string_view text,
                                                     const std::string& field);

// Checks a section before it is saved; nullopt when it may be saved, else the
// first error found, as a FieldError named `field`, checking in this order:
//   the encoding, as ParseMarkup does ("invalid_markup");
//   "unsupported_placeholder": a change of delimiters ({{=<% %>=}}; any "{{"
//       then '=' is taken for one, even in a comment);
//   "invalid_template": more than kMaxPlaceholders "{{", or mustache syntax
//       the engine refuses ({{x, an unclosed section), its message quoted;
//   in the order the placeholders appear, the first that is not a plain
//   escaped variable named in `known`:
//     "unsupported_placeholder": sections {{#x}}, inverted {{^x}}, partials
//         {{>x}}, unescaped {{{x}}} and {{&x}};
//     "unknown_placeholder": {{acount.name}} with acount.name not in `known`;
//   the markup, as ParseMarkup(text, field) reports it.
// Comments {{! … }} are allowed and render as nothing.
std::optional<domain::FieldError> CheckSection(std::string_view text,
                                               const std::set<std::string>& known,
                                               const std::string& field);

// Fills the placeholders of `text` with `values` (keyed by the full name,
// "account.name"), HTML-escaped by the engine so a value can never add
// markup, then parses the result: a value "Popescu & <Fiii>" ends as exactly
// that text. A placeholder without a value renders empty. Invalid UTF-8 in a
// value becomes U+FFFD, a control character a space.
// REQUIRES: CheckSection(text, …) passed; else the result is an empty Markup.
Markup FillSection(std::string_view text, const std::map<std::string, std::string>& values);

// The attachment ids of `markup`'s images, each once, in the order they first
// appear (for the caller to check that they exist and are images).
std::vector<std::string> ImageIds(const Markup& markup);

}  // namespace crm::documents
