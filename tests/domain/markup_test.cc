// The markup of template sections: every element of the subset parsed and
// rendered to a compact string, whitespace as HTML collapses it, entities
// and Romanian diacritics kept exactly, everything outside the subset
// refused naming what was refused, placeholders checked against the known
// names and filled HTML-escaped, and random bytes handled without a crash.

#include "domain/documents/markup.h"

#include <gtest/gtest.h>

#include <chrono>
#include <random>

namespace crm::documents {
namespace {

std::string Escaped(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// One line per block: its kind (p, h2, ul1, ol2#3, img), "@center" when not
// left-aligned, then its spans as [flags:text] (flags b, i, u, and the size
// as 12pt), [text] when plain.
std::string Render(const Markup& markup) {
  std::string out;
  for (const Block& b : markup.blocks) {
    if (!out.empty()) out += "\n";
    switch (b.kind) {
      case Block::Kind::kParagraph:
        out += "p";
        break;
      case Block::Kind::kHeading:
        out += "h" + std::to_string(b.level);
        break;
      case Block::Kind::kListItem:
        out += (b.ordered ? "ol" : "ul") + std::to_string(b.level);
        if (b.ordered) out += "#" + std::to_string(b.number);
        break;
      case Block::Kind::kImage:
        out += "img(" + b.attachment_id;
        if (b.width_mm) out += "," + std::to_string(b.width_mm) + "mm";
        out += ")";
        break;
    }
    switch (b.align) {
      case Align::kLeft:
        break;
      case Align::kCenter:
        out += "@center";
        break;
      case Align::kRight:
        out += "@right";
        break;
      case Align::kJustify:
        out += "@justify";
        break;
    }
    for (const Span& s : b.spans) {
      std::string flags = std::string(s.bold ? "b" : "") + (s.italic ? "i" : "") +
                          (s.underline ? "u" : "") +
                          (s.size_pt ? std::to_string(s.size_pt) + "pt" : "");
      out += " [" + (flags.empty() ? "" : flags + ":") + Escaped(s.text) + "]";
    }
  }
  return out;
}

// The rendered markup, or "code: English message" when refused.
std::string Parse(std::string_view text) {
  auto parsed = ParseMarkup(text, "body");
  if (const auto* error = std::get_if<domain::FieldError>(&parsed)) {
    EXPECT_EQ("body", error->field);
    return error->code + ": " + error->message.en;
  }
  return Render(std::get<Markup>(parsed));
}

std::string Check(std::string_view text) {
  static const std::set<std::string> kKnown = {"account.name", "offer.number", "offer.date"};
  const auto error = CheckSection(text, kKnown, "sections.intro");
  if (!error) return "ok";
  EXPECT_EQ("sections.intro", error->field);
  return error->code + ": " + error->message.en;
}

TEST(MarkupTest, EveryAllowedElementParses) {
  // Given what a rich-text editor emits, when parsed, then each element is
  // its block or its span format.
  EXPECT_EQ(
      "h1 [Ofertă]\n"
      "h2 [Condiții]\n"
      "h3 [Detalii]\n"
      "p [Text ] [b:aldin] [ ] [b:tare] [ ] [i:cursiv] [ ] [i:accent] [ ] [u:subliniat] [ și ] "
      "[biu:toate]\n"
      "p [rândul unu\\nrândul doi]\n"
      "ul1 [punct]\n"
      "ol1#1 [primul]\n"
      "img(0190a7c2-7f00-7000-8000-000000000001,40mm)\n"
      "p [14pt:mare]",
      Parse("<h1>Ofertă</h1><h2>Condiții</h2><h3>Detalii</h3>"
            "<p>Text <b>aldin</b> <strong>tare</strong> <i>cursiv</i> <em>accent</em> "
            "<u>subliniat</u> și <b><i><u>toate</u></i></b></p>"
            "<p>rândul unu<br>rândul doi</p>"
            "<ul><li>punct</li></ul><ol><li>primul</li></ol>"
            "<img src=\"attachment:0190a7c2-7f00-7000-8000-000000000001\" width=\"40mm\">"
            "<p><span style=\"font-size: 14pt\">mare</span></p>"));
  // Names are case-insensitive, values quoted either way, void elements
  // may close themselves.
  EXPECT_EQ("p@center [b:A\\nB]\nimg(x1)",
            Parse("<P STYLE='TEXT-ALIGN: Center'><B>A<BR/>B</B></P><IMG SRC='attachment:x1' />"));
}

TEST(MarkupTest, BlocksAlignLeftCenterRightOrJustify) {
  EXPECT_EQ("p [a]\np@center [b]\nh2@right [c]\nul1@justify [d]\np [e]",
            Parse("<p style=\"text-align: left\">a</p>"
                  "<p style=\"text-align:center;\">b</p>"
                  "<h2 style=\" text-align : right \">c</h2>"
                  "<ul><li style=\"text-align: justify\">d</li></ul>"
                  "<p style=\"\">e</p>"));
  EXPECT_EQ(
      "invalid_markup: 'text-align: middle' is not an alignment: left, center, right or justify.",
      Parse("<p style=\"text-align: middle\">x</p>"));
  EXPECT_EQ("unsafe_markup: The CSS property 'text-align' is not allowed on '<span>'.",
            Parse("<p><span style=\"text-align: center\">x</span></p>"));
}

TEST(MarkupTest, FontSizesAreWholePointsFromSixToThirtySix) {
  // A paragraph's size is its spans'; a span inside overrides it.
  EXPECT_EQ("p [12pt:mic ] [36pt:mare] [12pt: iar] [6pt:minim]",
            Parse("<p style=\"font-size: 12pt\">mic <span style=\"font-size:36PT\">mare</span> "
                  "iar<span style=\"font-size: 6pt\">minim</span></p>"));
  for (const char* bad : {"5pt", "37pt", "12px", "12", "1.5pt", "-6pt", "12pt !important"}) {
    const std::string text = std::string("<span style=\"font-size: ") + bad + "\">x</span>";
    EXPECT_EQ("invalid_markup: 'font-size: " + std::string(bad) + "' must be between 6pt and 36pt.",
              Parse(text))
        << bad;
  }
  EXPECT_EQ("unsafe_markup: The CSS property 'font-size' is not allowed on '<h1>'.",
            Parse("<h1 style=\"font-size: 20pt\">x</h1>"));
}

TEST(MarkupTest, ListsNumberEachListAndNestUpToThreeLevels) {
  // Given an ordered list with a nested bullet list and a nested ordered
  // list, then each list numbers its own items from 1.
  EXPECT_EQ(
      "ol1#1 [unu]\n"
      "ul2 [a]\n"
      "ul2 [b]\n"
      "ol1#2 [doi]\n"
      "ol2#1 [doi.unu]\n"
      "ol3#1 [adânc]\n"
      "ol2#2 [doi.doi]\n"
      "ol1#3\n"
      "ol1#1 [altă listă]",
      Parse("<ol>\n  <li>unu<ul><li>a</li><li>b</li></ul></li>\n"
            "  <li>doi<ol><li>doi.unu<ol><li>adânc</li></ol></li><li>doi.doi</li></ol></li>\n"
            "  <li></li>\n</ol><ol><li>altă listă</li></ol>"));
  // Lists nested directly in lists (as contenteditable writes them), and
  // paragraphs in items (as ProseMirror writes them).
  EXPECT_EQ("ul1 [a]\nul2 [b]\nul1 [c\\nd]\nul1@center [e]",
            Parse("<ul><li>a</li><ul><li>b</li></ul><li><p>c</p><p>d</p></li>"
                  "<li><p style=\"text-align: center\">e</p></li></ul>"));
  EXPECT_EQ("invalid_markup: Lists nest at most three levels deep.",
            Parse("<ul><li>1<ul><li>2<ul><li>3<ul><li>4</li></ul></li></ul></li></ul></li></ul>"));
  EXPECT_EQ("invalid_markup: Text cannot follow a nested list inside '<li>'.",
            Parse("<ul><li>a<ul><li>b</li></ul>rest</li></ul>"));
}

TEST(MarkupTest, ImagesAreAttachmentsAndSplitTheirParagraph) {
  // Given an image inside a paragraph, then the text around it becomes
  // paragraphs of their own and the empty parts go.
  const auto parsed = ParseMarkup(
      "<p style=\"text-align: right\">înainte<img src=\"attachment:img-1\">după</p>"
      "<p><img src=\"attachment:img-2\" width=\"180mm\"></p>"
      "<img src=\"attachment:img-1\" width=\"1mm\">",
      "body");
  ASSERT_TRUE(std::holds_alternative<Markup>(parsed));
  const Markup& markup = std::get<Markup>(parsed);
  EXPECT_EQ("p@right [înainte]\nimg(img-1)\np@right [după]\nimg(img-2,180mm)\nimg(img-1,1mm)",
            Render(markup));
  EXPECT_EQ((std::vector<std::string>{"img-1", "img-2"}), ImageIds(markup));

  EXPECT_EQ(
      "unsafe_markup: The image source 'http://evil.example/x.png' is not allowed: only "
      "'attachment:<id>'.",
      Parse("<img src=\"http://evil.example/x.png\">"));
  EXPECT_EQ(
      "unsafe_markup: The image source 'data:image/png;base64,AAAA' is not allowed: only "
      "'attachment:<id>'.",
      Parse("<img src=\"data:image/png;base64,AAAA\">"));
  EXPECT_EQ("invalid_markup: 'attachment:../x' is not a valid attachment.",
            Parse("<img src=\"attachment:../x\">"));
  EXPECT_EQ("invalid_markup: '<img>' must have a src.", Parse("<img width=\"10mm\">"));
  EXPECT_EQ("invalid_markup: The image width '181mm' must be between 1mm and 180mm.",
            Parse("<img src=\"attachment:a\" width=\"181mm\">"));
  EXPECT_EQ("invalid_markup: The image width '40' must be between 1mm and 180mm.",
            Parse("<img src=\"attachment:a\" width=\"40\">"));
  EXPECT_EQ("invalid_markup: '<img>' cannot be inside '<li>'.",
            Parse("<ul><li><img src=\"attachment:a\"></li></ul>"));
  EXPECT_EQ("invalid_markup: '<img>' cannot be inside '<h1>'.",
            Parse("<h1><b><img src=\"attachment:a\"></b></h1>"));
}

TEST(MarkupTest, EntitiesAndDiacriticsPassThroughExactly) {
  // Comma-below and cedilla forms stay as written: neither is folded into
  // the other.
  EXPECT_EQ("p [ă â î ș ț Ă Â Î Ș Ț ş ţ Ş Ţ]", Parse("<p>ă â î ș ț Ă Â Î Ș Ț ş ţ Ş Ţ</p>"));
  EXPECT_EQ("p [a & b < c > d \" e ' f ' g\xC2\xA0h]",
            Parse("<p>a &amp; b &lt; c &gt; d &quot; e &#39; f &apos; g&nbsp;h</p>"));
  EXPECT_EQ("p [ș Ș ț € 😀]", Parse("<p>&#537; &#x218; &#X21b; &#8364; &#x1F600;</p>"));
  EXPECT_EQ("p [a > b]", Parse("a > b"));
  EXPECT_EQ("img(a-b)", Parse("<img src=\"attachment:a&#45;b\">"));
  EXPECT_EQ("unsafe_markup: '&copy;' is not allowed.", Parse("<p>&copy; 2026</p>"));
  EXPECT_EQ("invalid_markup: '&' must be written '&amp;'.", Parse("<p>Popescu & Fiii</p>"));
  EXPECT_EQ("invalid_markup: '&#0;' is not an allowed character.", Parse("&#0;"));
  EXPECT_EQ("invalid_markup: '&#xD800;' is not an allowed character.", Parse("&#xD800;"));
  EXPECT_EQ("invalid_markup: '&#x110000;' is not an allowed character.", Parse("&#x110000;"));
  EXPECT_EQ("invalid_markup: '&#1;' is not an allowed character.", Parse("&#1;"));
}

TEST(MarkupTest, WhitespaceCollapsesAsInHtml) {
  EXPECT_EQ("p [a b ] [b:c] [ d]", Parse("<p>\n  a \t\n b <b>c</b>\n d  </p>"));
  EXPECT_EQ("p [a\\nb]", Parse("<p>a   <br>   b</p>"));
  // A block's last line break goes; the editors' empty line stays.
  EXPECT_EQ("p [a]\np\np [b\\n]", Parse("<p>a<br></p><p><br></p><p>b<br><br></p>"));
  // Text outside blocks is a paragraph up to the next block; whitespace
  // between blocks is nothing.
  EXPECT_EQ("p [Stimate ] [b:client]\nh1 [T]\np [după]",
            Parse("  Stimate <b>client</b>  <h1>T</h1>\n\n  după  "));
  EXPECT_EQ("p [\\n]", Parse("<br><br>"));
  EXPECT_EQ("", Parse("  \n "));
  EXPECT_EQ("", Parse(""));
  EXPECT_EQ("p", Parse("<p>   </p>"));
}

TEST(MarkupTest, WhatIsNotInTheSubsetIsRefusedByName) {
  struct Case {
    const char* text;
    const char* error;
  };
  const Case cases[] = {
      {"<script>alert(1)</script>", "unsafe_markup: '<script>' is not allowed."},
      {"<p>x<SCRIPT>", "unsafe_markup: '<script>' is not allowed."},
      {"<a href=\"https://x\">x</a>", "unsafe_markup: '<a>' is not allowed."},
      {"<iframe src=\"x\"></iframe>", "unsafe_markup: '<iframe>' is not allowed."},
      {"<table><tr><td>x</td></tr></table>", "unsafe_markup: '<table>' is not allowed."},
      {"<style>p{}</style>", "unsafe_markup: '<style>' is not allowed."},
      {"<p onclick=\"alert(1)\">x</p>",
       "unsafe_markup: The attribute 'onclick' is not allowed on '<p>'."},
      {"<img src=\"attachment:a\" onerror=\"alert(1)\">",
       "unsafe_markup: The attribute 'onerror' is not allowed on '<img>'."},
      {"<p class=\"x\">x</p>", "unsafe_markup: The attribute 'class' is not allowed on '<p>'."},
      {"<b style=\"font-size: 12pt\">x</b>",
       "unsafe_markup: The attribute 'style' is not allowed on '<b>'."},
      {"<p style=\"color: red\">x</p>",
       "unsafe_markup: The CSS property 'color' is not allowed on '<p>'."},
      {"<span style=\"font-size: 12pt; background: url(x)\">x</span>",
       "unsafe_markup: The CSS property 'background' is not allowed on '<span>'."},
      {"<p>a<!-- b --></p>", "unsafe_markup: Comments '<!-- -->' are not allowed."},
      {"<!DOCTYPE html>", "unsafe_markup: '<!' is not allowed."},
      {"<?xml version=\"1.0\"?>", "unsafe_markup: '<?' is not allowed."},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(c.error, Parse(c.text)) << c.text;
  }
  // The Romanian message names the same thing.
  const auto parsed = ParseMarkup("<script>", "body");
  ASSERT_TRUE(std::holds_alternative<domain::FieldError>(parsed));
  EXPECT_EQ("„<script>” nu este permis.", std::get<domain::FieldError>(parsed).message.ro);
}

TEST(MarkupTest, MalformedMarkupIsRefused) {
  struct Case {
    const char* text;
    const char* error;
  };
  const Case cases[] = {
      {"<p>a", "invalid_markup: '<p>' is not closed."},
      {"<p><b>a</p>", "invalid_markup: '</p>' does not close '<b>'."},
      {"<b><i>a</b></i>", "invalid_markup: '</b>' does not close '<i>'."},
      {"<b>a</strong>", "invalid_markup: '</strong>' does not close '<b>'."},
      {"a</p>", "invalid_markup: '</p>' closes nothing."},
      {"<li>a</li>", "invalid_markup: '<li>' must be inside a list."},
      {"<p><ul><li>a</li></ul></p>", "invalid_markup: '<ul>' cannot be inside '<p>'."},
      {"<p><p>a</p></p>", "invalid_markup: '<p>' cannot be inside '<p>'."},
      {"<b><h1>a</h1></b>", "invalid_markup: '<h1>' cannot be inside '<b>'."},
      {"<ul>a</ul>", "invalid_markup: Text cannot stand directly inside '<ul>'."},
      {"<ul><b>a</b></ul>", "invalid_markup: '<b>' cannot be inside '<ul>'."},
      {"<p/>", "invalid_markup: '<p/>' is not allowed: write '<p></p>'."},
      {"<br></br>", "invalid_markup: '</br>' is not allowed."},
      {"<p style", "invalid_markup: The tag '<p style' is malformed."},
      {"<p", "invalid_markup: The tag '<p' is malformed."},
      {"<p style=>x</p>", "invalid_markup: The value of the attribute 'style' must be quoted."},
      {"<p style=\"text-align: left\" style=\"\">x</p>",
       "invalid_markup: The attribute 'style' appears twice."},
      {"<p style=\"text-align\">x</p>", "invalid_markup: The style 'text-align' is malformed."},
      {"a < b", "invalid_markup: '<' must be written '&lt;'."},
      {"</ p>", "invalid_markup: '</' does not start a well-formed closing tag."},
      {"<p>caf\xC3</p>", "invalid_markup: The text is not valid UTF-8 (byte 6)."},
      {"\xC0\xAF", "invalid_markup: The text is not valid UTF-8 (byte 0)."},
      {"\xED\xA0\x80", "invalid_markup: The text is not valid UTF-8 (byte 0)."},
      {"a\x01", "invalid_markup: The text contains a control character (U+0001, byte 1)."},
      {"a\xC2\x85", "invalid_markup: The text contains a control character (U+0085, byte 1)."},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(c.error, Parse(c.text)) << c.text;
  }
  EXPECT_EQ("invalid_markup: The text contains a control character (U+0000, byte 3).",
            Parse(std::string_view("<p>\0</p>", 8)));
}

TEST(MarkupTest, ASectionWithKnownPlainPlaceholdersMayBeSaved) {
  EXPECT_EQ("ok", Check("<p>Către <b>{{account.name}}</b>, oferta {{ offer.number }} din "
                        "{{offer.date}}.{{! o notă }}</p>"));
  EXPECT_EQ("ok", Check(""));
  EXPECT_EQ("ok", Check("<p>fără câmpuri</p>"));
}

TEST(MarkupTest, AnUnknownPlaceholderIsNamed) {
  EXPECT_EQ("unknown_placeholder: '{{acount.name}}' is not a known placeholder.",
            Check("<p>{{account.name}} {{acount.name}}</p>"));
  const auto error = CheckSection("{{acount.name}}", {"account.name"}, "intro");
  ASSERT_TRUE(error);
  EXPECT_EQ("„{{acount.name}}” nu este un câmp cunoscut.", error->message.ro);
  EXPECT_EQ("unknown_placeholder: '{{.}}' is not a known placeholder.", Check("{{.}}"));
}

TEST(MarkupTest, OnlyPlainEscapedPlaceholdersAreSupported) {
  const std::string tail = "' is not allowed: only plain placeholders, as '{{account.name}}'.";
  EXPECT_EQ("unsupported_placeholder: '{{{account.name}}}" + tail, Check("{{{account.name}}}"));
  EXPECT_EQ("unsupported_placeholder: '{{{account.name}}}" + tail, Check("{{&account.name}}"));
  EXPECT_EQ("unsupported_placeholder: '{{#account.name}}" + tail,
            Check("{{#account.name}}x{{/account.name}}"));
  EXPECT_EQ("unsupported_placeholder: '{{^offer.date}}" + tail,
            Check("{{offer.number}}{{^offer.date}}x{{/offer.date}}"));
  EXPECT_EQ("unsupported_placeholder: '{{>footer}}" + tail, Check("{{>footer}}"));
  EXPECT_EQ("unsupported_placeholder: Changing the delimiters '{{=…=}}' is not allowed.",
            Check("{{=<% %>=}}<%account.name%>"));
  EXPECT_EQ("unsupported_placeholder: Changing the delimiters '{{=…=}}' is not allowed.",
            Check("{{{ =<% %>= }}}"));
  // Placeholders live in text, never inside a tag.
  EXPECT_EQ(
      "unsupported_placeholder: Placeholders '{{…}}' may stand only in text, not inside a tag.",
      Check("<img src=\"attachment:{{account.name}}\">"));
  EXPECT_EQ(
      "unsupported_placeholder: Placeholders '{{…}}' may stand only in text, not inside a tag.",
      Check("<p {{account.name}}>x</p>"));
}

TEST(MarkupTest, BrokenMustacheIsAnInvalidTemplate) {
  EXPECT_EQ("invalid_template: The placeholders '{{…}}' are malformed: Unclosed tag at 3.",
            Check("<p>{{x</p>"));
  EXPECT_EQ(
      "invalid_template: The placeholders '{{…}}' are malformed: Unclosed section \"x\" at 0.",
      Check("{{#x}}"));
  EXPECT_EQ(
      "invalid_template: The placeholders '{{…}}' are malformed: Unopened section \"x\" at 0.",
      Check("{{/x}}"));
  std::string many;
  for (int i = 0; i <= kMaxPlaceholders; ++i) many += "{{offer.number}}";
  EXPECT_EQ("invalid_template: A section may have at most 256 placeholders.", Check(many));
}

TEST(MarkupTest, TheMarkupOfASectionIsCheckedToo) {
  EXPECT_EQ("unsafe_markup: '<script>' is not allowed.", Check("<script>{{account.name}}"));
  EXPECT_EQ("invalid_markup: '<p>' is not closed.", Check("<p>{{account.name}}"));
  // Placeholders come first: the unknown name is reported before the tag.
  EXPECT_EQ("unknown_placeholder: '{{x}}' is not a known placeholder.", Check("<script>{{x}}"));
  EXPECT_EQ("invalid_markup: The text is not valid UTF-8 (byte 2).", Check("{{\xFF}}"));
}

TEST(MarkupTest, FilledValuesAreTextNeverMarkup) {
  const std::string text =
      "<h1>Ofertă {{offer.number}}</h1><p>Către <b>{{account.name}}</b>: {{offer.date}}.</p>";
  const Markup hostile =
      FillSection(text, {{"offer.number", "<script>alert(1)</script>"},
                         {"account.name", "Popescu & <Fiii> \"SRL\" 'x' {{offer.number}}"}});
  EXPECT_EQ(
      "h1 [Ofertă <script>alert(1)</script>]\n"
      "p [Către ] [b:Popescu & <Fiii> \"SRL\" 'x' {{offer.number}}] [: .]",
      Render(hostile));
  // Whitespace in a value collapses as in the text; invalid UTF-8 and
  // control characters do not stop the section.
  EXPECT_EQ("p [a b ș \xEF\xBF\xBD c]", Render(FillSection("<p>{{v}}</p>", {{"v",
                                                                             " a \n b ș \xFF\x01"
                                                                             "c"}})));
  EXPECT_EQ("p [S.C. Ș&Ț S.R.L.]",
            Render(FillSection("{{account.name}}", {{"account.name", "S.C. Ș&Ț S.R.L."}})));
  // A section that did not pass CheckSection fills as nothing.
  EXPECT_EQ("", Render(FillSection("<p>{{x</p>", {})));
  EXPECT_EQ("", Render(FillSection("<script>", {})));
}

// The blocks other than paragraphs, as kind, level, number and image.
std::string Shape(const Markup& markup) {
  std::string out;
  for (const Block& b : markup.blocks) {
    if (b.kind == Block::Kind::kParagraph) continue;
    out += std::to_string(static_cast<int>(b.kind)) + "." + std::to_string(b.level) + "." +
           std::to_string(b.number) + "." + b.attachment_id + " ";
  }
  return out;
}

// Random texts from markup fragments and raw bytes: every call returns, and
// a section that passes CheckSection fills to blocks of the same shape
// whatever its values.
TEST(MarkupTest, ArbitraryInputNeverCrashes) {
  static const char* const kFragments[] = {
      "<p>",
      "</p>",
      "<b>",
      "</b>",
      "<ul>",
      "</ul>",
      "<ol>",
      "<li>",
      "</li>",
      "<br>",
      "<h2>",
      "</h2>",
      "<span style=\"font-size: 12pt\">",
      "</span>",
      "<img src=\"attachment:a\">",
      "&amp;",
      "&#x219;",
      "{{a}}",
      "{{b}}",
      "{{",
      "}}",
      "{{#a}}",
      "{{/a}}",
      "<",
      ">",
      "&",
      "\"",
      " ",
      "\n",
      "ț",
      "x",
      "<p style=\"text-align: center\">",
      "<!--",
      "\xC3",
      "<i",
      "{{{a}}}",
      "<u>",
      "</u>",
  };
  const std::set<std::string> known = {"a", "b"};
  std::mt19937 random(20261202);
  int passed = 0;
  for (int round = 0; round < 4000; ++round) {
    std::string text;
    const int parts = static_cast<int>(random() % 24);
    for (int k = 0; k < parts; ++k) {
      if (random() % 4 == 0) {
        text.push_back(static_cast<char>(random() % 256));
      } else {
        text += kFragments[random() % std::size(kFragments)];
      }
    }
    const auto parsed = ParseMarkup(text, "f");
    const auto error = CheckSection(text, known, "f");
    const Markup filled = FillSection(text, {{"a", "<x&y>"}, {"b", "ș"}});
    if (error) continue;
    ++passed;
    ASSERT_TRUE(std::holds_alternative<Markup>(parsed)) << text;
    // Paragraphs may go: a comment {{! }} is text before filling, nothing after.
    EXPECT_EQ(Shape(std::get<Markup>(parsed)), Shape(filled)) << text;
  }
  EXPECT_GT(passed, 100);  // the property was exercised, not only the refusals

  // Deep nesting and long inputs take time linear in their length.
  const auto start = std::chrono::steady_clock::now();
  std::string deep;
  for (int i = 0; i < 100'000; ++i) deep += "<b>";
  EXPECT_EQ("invalid_markup: '<b>' is not closed.", Parse(deep));
  std::string sections;
  for (int i = 0; i < 100'000; ++i) sections += "{{#a}}";
  EXPECT_EQ("invalid_template: A section may have at most 256 placeholders.", Check(sections));
  EXPECT_TRUE(FillSection(sections, {}).blocks.empty());
  std::string wide = "<p>";
  for (int i = 0; i < 100'000; ++i) wide += "<b>ă</b> <i>&amp;</i><br>";
  wide += "</p>";
  EXPECT_EQ(1u, std::get<Markup>(ParseMarkup(wide, "f")).blocks.size());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

}  // namespace
}  // namespace crm::documents
