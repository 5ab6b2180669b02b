#include "api/formats/pdf_document.h"

// Every PDF here is read back by real programs from poppler-utils (pdftotext,
// pdfinfo, pdffonts, pdfimages) and checked by qpdf. The pictures come from
// pdftoppm, which rasterizes a PDF made by Render to PNG and JPEG files.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/process.h"
#include "support/temp_dir.h"

namespace crm::api::pdf {
namespace {

using crm::testing::RunProgram;

// Romanian letters with the comma below (U+0218..U+021B) and their look-alikes
// with the cedilla (U+015E, U+015F, U+0162, U+0163).
constexpr char kCommaName[] = "Ștefănescu-Țăranu Îoana: ăâîșț ĂÂÎȘȚ";
constexpr char kCedillaName[] = "Ştefănescu-Ţăranu Îoana: ăâîşţ ĂÂÎŞŢ";

Paragraph Para(std::string text, double size = 10) {
  Paragraph p;
  p.spans.push_back({.text = std::move(text)});
  p.size_pt = size;
  return p;
}

Cell C(std::string text, Align align = Align::kLeft) {
  return {.spans = {{.text = std::move(text)}}, .align = align};
}

std::string Number(int n) {
  std::string s = std::to_string(n);
  return std::string(3 - std::min<size_t>(3, s.size()), '0') + s;
}

size_t Count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + needle.size())) {
    ++n;
  }
  return n;
}

std::vector<std::string> Split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::istringstream in(text);
  for (std::string part; std::getline(in, part, separator);) parts.push_back(part);
  return parts;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

class PdfTest : public ::testing::Test {
 protected:
  // Writes `pdf` to a fresh file and returns its path.
  std::string Save(const std::string& pdf) {
    const std::string path = dir_.Sub("doc" + std::to_string(++files_) + ".pdf");
    std::ofstream(path, std::ios::binary) << pdf;
    return path;
  }

  std::string Rendered(const Document& document) {
    auto pdf = Render(document);
    EXPECT_TRUE(pdf.ok()) << pdf.status().ToString();
    return pdf.ok() ? *pdf : std::string();
  }

  // pdftotext's text, one page after another, each ended by a form feed.
  std::string Text(const std::string& pdf, bool layout = true) {
    std::vector<std::string> args;
    if (layout) args.push_back("-layout");
    for (std::string a : {"-enc", "UTF-8"}) args.push_back(a);
    args.push_back(Save(pdf));
    args.push_back("-");
    auto [code, out] = RunProgram("/usr/bin/pdftotext", args);
    EXPECT_EQ(code, 0);
    return out;
  }
  std::vector<std::string> Pages(const std::string& pdf) { return Split(Text(pdf), '\f'); }

  // A "Name: value" line of pdfinfo.
  std::string Info(const std::string& pdf, const std::string& name) {
    auto [code, out] = RunProgram("/usr/bin/pdfinfo", {"-enc", "UTF-8", Save(pdf)});
    EXPECT_EQ(code, 0);
    for (const std::string& line : Split(out, '\n')) {
      if (line.rfind(name + ":", 0) == 0) {
        const size_t value = line.find_first_not_of(' ', name.size() + 1);
        return value == std::string::npos ? "" : line.substr(value);
      }
    }
    return "(none)";
  }

  int QpdfCheck(const std::string& pdf) {
    auto [code, out] = RunProgram("/usr/bin/qpdf", {"--check", Save(pdf)});
    if (code != 0) ADD_FAILURE() << out;
    return code;
  }

  // The rows of a listing program's table, the header lines left out.
  std::vector<std::vector<std::string>> Listing(const std::string& program,
                                                const std::string& pdf) {
    std::vector<std::string> args{Save(pdf)};
    if (program == "/usr/bin/pdfimages") args.insert(args.begin(), "-list");
    auto [code, out] = RunProgram(program, args);
    EXPECT_EQ(code, 0);
    std::vector<std::vector<std::string>> rows;
    const auto lines = Split(out, '\n');
    for (size_t i = 2; i < lines.size(); ++i) {
      std::istringstream words(lines[i]);
      rows.emplace_back();
      for (std::string w; words >> w;) rows.back().push_back(w);
    }
    return rows;
  }

  // The first page of `pdf` as a picture file made by pdftoppm (`format`:
  // "-png", "-jpeg" or "-jpegcmyk").
  std::string Picture(const std::string& pdf, const std::string& format) {
    const std::string out = dir_.Sub("picture" + std::to_string(++files_));
    auto [code, text] =
        RunProgram("/usr/bin/pdftoppm", {format, "-r", "12", "-singlefile", Save(pdf), out});
    EXPECT_EQ(code, 0);
    return ReadFile(out + (format == "-png" ? ".png" : ".jpg"));
  }

  crm::testing::TempDir dir_;
  int files_ = 0;
};

TEST_F(PdfTest, TextComesBackExactlyWithEveryRomanianLetter) {
  Document d;
  d.title = "Ofertă nr. 7";
  d.author = "Țesătoria Șerban";
  Paragraph styled;
  styled.spans = {{.text = "Stimate "},
                  {.text = "domnule", .bold = true},
                  {.text = " director, "},
                  {.text = "vă mulțumim", .italic = true},
                  {.text = " și ", .underline = true},
                  {.text = "așteptăm", .bold = true, .italic = true, .size_pt = 12}};
  d.blocks.push_back(styled);
  d.blocks.push_back(Para(kCommaName));
  d.blocks.push_back(Para(kCedillaName));
  d.blocks.push_back(Para("<b>nu e markup</b> & &amp; <span foreground=\"red\">x</span>"));
  d.blocks.push_back(Para("fișier, flux, afflux, office"));  // letters, not ligatures
  const std::string pdf = Rendered(d);
  const std::string text = Text(pdf, /*layout=*/false);

  EXPECT_NE(text.find("Stimate domnule director, vă mulțumim și așteptăm"), std::string::npos)
      << text;
  EXPECT_NE(text.find(kCommaName), std::string::npos) << text;
  EXPECT_NE(text.find(kCedillaName), std::string::npos) << text;
  EXPECT_NE(text.find("<b>nu e markup</b> & &amp; <span foreground=\"red\">x</span>"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("fișier, flux, afflux, office"), std::string::npos) << text;
  // Each form exactly as often as written: none turned into the other.
  std::string written;
  for (const Block& block : d.blocks) {
    for (const Span& span : std::get<Paragraph>(block).spans) written += span.text;
  }
  for (const char* letter :
       {"ă", "â", "î", "ș", "ț", "Ă", "Â", "Î", "Ș", "Ț", "ş", "ţ", "Ş", "Ţ"}) {
    EXPECT_GT(Count(written, letter), 0u) << letter;
    EXPECT_EQ(Count(text, letter), Count(written, letter)) << letter;
  }

  EXPECT_EQ(QpdfCheck(pdf), 0);
  EXPECT_EQ(Info(pdf, "Pages"), "1");
  EXPECT_EQ(Info(pdf, "Title"), "Ofertă nr. 7");
  EXPECT_EQ(Info(pdf, "Author"), "Țesătoria Șerban");
  EXPECT_EQ(Info(pdf, "Page size"), "595.28 x 841.89 pts (A4)");

  // Regular, bold, oblique and bold oblique DejaVu Sans, each embedded as a
  // subset with a Unicode map.
  std::vector<std::string> fonts;
  for (const auto& row : Listing("/usr/bin/pdffonts", pdf)) {
    ASSERT_GE(row.size(), 7u);
    fonts.push_back(row[0].substr(row[0].find('+') + 1));
    EXPECT_EQ(row[row.size() - 5] + row[row.size() - 4] + row[row.size() - 3], "yesyesyes")
        << row[0] << ": emb sub uni";
  }
  std::sort(fonts.begin(), fonts.end());
  fonts.erase(std::unique(fonts.begin(), fonts.end()), fonts.end());
  EXPECT_EQ(fonts, (std::vector<std::string>{"DejaVuSans", "DejaVuSans-Bold",
                                             "DejaVuSans-BoldOblique", "DejaVuSans-Oblique"}));
}

TEST_F(PdfTest, BulletsHangAndColumnsSitSideBySide) {
  Document d;
  Columns columns;
  columns.columns = {{Para("Furnizor"), Para("SC Alfa SRL")}, {Para("Client"), Para("Beta SA")}};
  d.blocks.push_back(columns);
  for (const char* item : {"primul punct", "al doilea punct"}) {
    Paragraph p = Para(item);
    p.bullet = "•";
    d.blocks.push_back(p);
  }
  Paragraph numbered = Para("un punct numerotat, pe nivelul doi");
  numbered.bullet = "12.";
  numbered.indent_level = 1;
  d.blocks.push_back(numbered);
  const std::vector<std::string> lines = Split(Pages(Rendered(d))[0], '\n');

  auto line_with = [&](const std::string& s) -> std::string {
    for (const auto& line : lines) {
      if (line.find(s) != std::string::npos) return line;
    }
    return "(missing " + s + ")";
  };
  EXPECT_NE(line_with("Furnizor").find("Client"), std::string::npos) << line_with("Furnizor");
  EXPECT_NE(line_with("SC Alfa SRL").find("Beta SA"), std::string::npos);
  EXPECT_NE(line_with("primul").find("•"), std::string::npos);
  EXPECT_LT(line_with("primul").find("•"), line_with("primul").find("primul"));
  // The numbered item is indented: its marker right of the bullets'.
  EXPECT_GT(line_with("numerotat").find("12."), line_with("primul").find("•"));
}

TEST_F(PdfTest, TableHeaderRepeatsOnEveryPageAndLabelsCountPages) {
  Document d;
  d.page_label = "Pagina {page} din {pages}";
  d.blocks.push_back(Para("Lista de produse", 14));
  Table table;
  table.widths = {1, 4, 2, 2};
  table.header = {C("Nr."), C("Denumirea produsului"), C("Cod"), C("Preț unitar", Align::kRight)};
  for (int r = 1; r <= 200; ++r) {
    table.rows.push_back({C(std::to_string(r)), C("Produsul " + Number(r)), C("cod-" + Number(r)),
                          C(std::to_string(r * 3) + ",50", Align::kRight)});
  }
  d.blocks.push_back(table);
  d.blocks.push_back(Para("Sfârșitul listei"));
  const std::string pdf = Rendered(d);
  EXPECT_EQ(QpdfCheck(pdf), 0);

  std::vector<std::string> pages = Pages(pdf);
  ASSERT_FALSE(pages.empty());
  const size_t n = pages.size();
  ASSERT_GE(n, 3u);
  EXPECT_EQ(Info(pdf, "Pages"), std::to_string(n));
  for (size_t p = 0; p < n; ++p) {
    SCOPED_TRACE("page " + std::to_string(p + 1));
    EXPECT_EQ(Count(pages[p], "Denumirea produsului"), 1u);
    EXPECT_EQ(Count(pages[p], "Preț unitar"), 1u);
    EXPECT_EQ(Count(pages[p], "Pagina "), 1u);
    // The label is the page's last line.
    std::vector<std::string> lines = Split(pages[p], '\n');
    while (!lines.empty() && lines.back().find_first_not_of(' ') == std::string::npos) {
      lines.pop_back();
    }
    ASSERT_FALSE(lines.empty());
    const std::string label = "Pagina " + std::to_string(p + 1) + " din " + std::to_string(n);
    EXPECT_NE(lines.back().find(label), std::string::npos) << lines.back();
  }
  // Every row once, whole on one page (its name and code side by side).
  for (int r = 1; r <= 200; ++r) {
    size_t seen = 0;
    for (const auto& page : pages) {
      for (const auto& line : Split(page, '\n')) {
        if (line.find("Produsul " + Number(r)) == std::string::npos) continue;
        ++seen;
        EXPECT_NE(line.find("cod-" + Number(r)), std::string::npos) << line;
        EXPECT_NE(line.find(std::to_string(r * 3) + ",50"), std::string::npos) << line;
      }
    }
    EXPECT_EQ(seen, 1u) << "row " << r;
  }
  EXPECT_NE(pages.back().find("Sfârșitul listei"), std::string::npos);
  EXPECT_EQ(Count(pages[0], "Lista de produse"), 1u);
}

TEST_F(PdfTest, LongCellTextWrapsInsideItsColumn) {
  Document d;
  Table table;
  table.widths = {1, 2, 1};
  table.header = {C("Cod"), C("Descriere"), C("Valoare")};
  std::string words;
  for (int w = 1; w <= 40; ++w) words += (w > 1 ? " " : "") + ("cuvânt" + Number(w));
  const std::string unbroken(150, 'x');
  table.rows = {{C("A-1"), C(words), C("1.234,00", Align::kRight)},
                {C(""), C(unbroken), C("")},
                {C("A-2"), C("rândul următor"), C("5,00", Align::kRight)}};
  d.blocks.push_back(table);
  const std::string pdf = Rendered(d);
  EXPECT_EQ(QpdfCheck(pdf), 0);
  const std::vector<std::string> lines = Split(Text(pdf), '\n');

  int first = -1, last = -1, unbroken_lines = 0;
  std::string xs;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].find("cuvânt001") != std::string::npos) first = static_cast<int>(i);
    if (lines[i].find("cuvânt040") != std::string::npos) last = static_cast<int>(i);
    if (lines[i].find("xxx") != std::string::npos) {
      ++unbroken_lines;
      for (char c : lines[i]) {
        if (c == 'x') xs += c;
      }
    }
  }
  ASSERT_GE(first, 0);
  EXPECT_GE(last - first, 3) << "40 words in a third of the page take several lines";
  const std::string all = Text(pdf, false);
  for (int w = 1; w <= 40; ++w) EXPECT_EQ(Count(all, "cuvânt" + Number(w)), 1u) << w;
  // A word wider than its column is broken, every letter kept.
  EXPECT_GE(unbroken_lines, 2);
  EXPECT_EQ(xs, unbroken);
  EXPECT_NE(all.find("rândul următor"), std::string::npos);
  EXPECT_NE(all.find("1.234,00"), std::string::npos);
}

// The one case a row is split: it is taller than a page. The header still
// starts every page and no line is lost or repeated.
TEST_F(PdfTest, RowTallerThanAPageIsSplitUnderRepeatedHeaders) {
  Document d;
  d.page_label = "{page}/{pages}";
  Table table;
  table.widths = {1, 3};
  table.header = {C("Capăt"), C("Conținut")};
  std::string tall;
  for (int l = 1; l <= 150; ++l) tall += "linia " + Number(l) + "\n";
  tall.pop_back();
  table.rows = {{C("înainte"), C("scurt")}, {C("lung"), C(tall)}, {C("după"), C("scurt")}};
  d.blocks.push_back(table);
  const std::string pdf = Rendered(d);
  EXPECT_EQ(QpdfCheck(pdf), 0);
  const std::vector<std::string> pages = Pages(pdf);
  ASSERT_GE(pages.size(), 3u);
  std::string lines;
  for (size_t p = 0; p < pages.size(); ++p) {
    EXPECT_EQ(Count(pages[p], "Conținut"), 1u) << "page " << p + 1;
    EXPECT_NE(pages[p].find(std::to_string(p + 1) + "/" + std::to_string(pages.size())),
              std::string::npos);
    for (const std::string& line : Split(pages[p], '\n')) {
      const size_t at = line.find("linia ");
      if (at != std::string::npos) lines += line.substr(at, 9) + ";";
    }
  }
  std::string expected;
  for (int l = 1; l <= 150; ++l) expected += "linia " + Number(l) + ";";
  EXPECT_EQ(lines, expected);
  EXPECT_NE(pages.back().find("după"), std::string::npos);
}

TEST_F(PdfTest, ParagraphTallerThanAPageIsSplitBetweenLines) {
  Document d;
  std::string words;
  for (int w = 1; w <= 900; ++w) words += "vorba" + std::to_string(w) + " ";
  Paragraph p = Para(words, 12);
  p.align = Align::kJustify;
  d.blocks.push_back(p);
  const std::string pdf = Rendered(d);
  EXPECT_EQ(QpdfCheck(pdf), 0);
  EXPECT_GE(std::stoi(Info(pdf, "Pages")), 2);
  // Every word once, in order, and nothing else.
  std::istringstream all(Text(pdf, false));
  std::vector<std::string> seen, expected;
  for (std::string word; all >> word;) seen.push_back(word);
  for (int w = 1; w <= 900; ++w) expected.push_back("vorba" + std::to_string(w));
  EXPECT_EQ(seen, expected);
}

// The heading with keep_with_next stays on the page of the paragraph after it,
// wherever the filler before it ends; without it, some filler length leaves
// the heading alone at the foot of a page (so the check can fail).
TEST_F(PdfTest, KeepWithNextMovesTheHeadingToTheNextBlock) {
  auto split = [&](int filler, bool keep) {
    Document d;
    for (int i = 0; i < filler; ++i) d.blocks.push_back(Para("umplutură " + std::to_string(i)));
    Paragraph heading = Para("Capitolul final", 14);
    heading.space_before_pt = 6;
    heading.keep_with_next = keep;
    d.blocks.push_back(heading);
    d.blocks.push_back(Para("Primul rând după titlu"));
    for (const std::string& page : Pages(Rendered(d))) {
      const bool has_heading = page.find("Capitolul final") != std::string::npos;
      const bool has_next = page.find("Primul rând după titlu") != std::string::npos;
      if (has_heading || has_next) return has_heading != has_next;
    }
    ADD_FAILURE() << "heading missing";
    return true;
  };
  int split_without = 0;
  for (int filler = 38; filler <= 56; ++filler) {
    EXPECT_FALSE(split(filler, true)) << filler;
    split_without += split(filler, false);
  }
  EXPECT_GT(split_without, 0);
}

TEST_F(PdfTest, PngAndJpegAreEmbedded) {
  Document source;
  source.blocks.push_back(Para("Sigla firmei", 90));
  const std::string page = Rendered(source);
  const std::string png = Picture(page, "-png");
  const std::string jpeg = Picture(page, "-jpeg");
  ASSERT_EQ(png.substr(1, 3), "PNG");
  ASSERT_EQ(jpeg.substr(0, 2), "\xFF\xD8");

  Document d;
  Columns columns;
  columns.columns = {{Image{.bytes = png, .width_mm = 30}, Para("Furnizor")}, {Para("Client")}};
  d.blocks.push_back(columns);
  d.blocks.push_back(Image{.bytes = jpeg, .width_mm = 50, .align = Align::kCenter});
  const std::string pdf = Rendered(d);
  EXPECT_EQ(QpdfCheck(pdf), 0);

  // page num type width height color comp bpc enc ...: A4 at 12 dpi is 100 x 141.
  const auto images = Listing("/usr/bin/pdfimages", pdf);
  ASSERT_EQ(images.size(), 2u);
  std::vector<std::string> seen;
  for (const auto& row : images) {
    ASSERT_GE(row.size(), 9u);
    seen.push_back(row[2] + " " + row[3] + "x" + row[4] + " " + row[8]);
  }
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, (std::vector<std::string>{"image 100x141 image", "image 100x141 jpeg"}));
}

TEST_F(PdfTest, BrokenImagesAndBadSizesAreErrorsNotCrashes) {
  Document source;
  source.blocks.push_back(Para("x", 90));
  const std::string page = Rendered(source);
  const std::string png = Picture(page, "-png");
  const std::string jpeg = Picture(page, "-jpeg");
  std::string huge_png = png;  // IHDR: 100000 x 100000
  huge_png.replace(16, 8, std::string("\x00\x01\x86\xa0\x00\x01\x86\xa0", 8));
  std::string flipped_png = png;
  flipped_png[png.size() / 2] ^= 0x55;
  for (const std::string& bytes :
       {std::string(), std::string("not a picture"), png.substr(0, 40), png.substr(0, 8),
        png.substr(0, png.size() / 2), huge_png, flipped_png, jpeg.substr(0, 20),
        std::string("\xFF\xD8\xFF\xD9", 4), Picture(page, "-jpegcmyk")}) {
    Document d;
    d.blocks.push_back(Para("înainte"));
    d.blocks.push_back(Image{.bytes = bytes});
    auto pdf = Render(d);
    EXPECT_TRUE(!pdf.ok() && pdf.status().IsInvalidArgument()) << bytes.size() << " bytes";
    Document in_columns;
    in_columns.blocks.push_back(Columns{.columns = {{Image{.bytes = bytes}}}});
    EXPECT_FALSE(Render(in_columns).ok());
  }

  auto invalid = [](const Block& block, double margin_mm = 18) {
    Document d;
    d.blocks.push_back(block);
    d.margin_mm = margin_mm;
    auto pdf = Render(d);
    return !pdf.ok() && pdf.status().IsInvalidArgument();
  };
  Table table;
  table.widths = {1, 1};
  table.rows = {{C("a"), C("b")}};
  EXPECT_FALSE(invalid(table));
  table.rows = {{C("a"), C("b"), C("c")}};
  EXPECT_TRUE(invalid(table));
  table.rows = {{C("a")}};  // short rows are padded
  EXPECT_FALSE(invalid(table));
  table.widths = {1, 0};
  EXPECT_TRUE(invalid(table));
  table.widths = {};
  EXPECT_TRUE(invalid(table));
  EXPECT_TRUE(invalid(Para("x", 0)));
  EXPECT_TRUE(invalid(Para("x", -3)));
  EXPECT_TRUE(invalid(Para("x", std::nan(""))));
  EXPECT_TRUE(invalid(Para("x"), 2));
  EXPECT_TRUE(invalid(Image{.bytes = png, .width_mm = 0}));
  EXPECT_FALSE(invalid(Image{.bytes = png}));
}

TEST_F(PdfTest, InvalidUtf8AndEmptyDocumentsStillRender) {
  Document d;
  d.page_label = "Page {page} of {pages}";
  const std::string empty = Rendered(d);
  EXPECT_EQ(QpdfCheck(empty), 0);
  EXPECT_EQ(Info(empty, "Pages"), "1");
  EXPECT_NE(Text(empty).find("Page 1 of 1"), std::string::npos);

  d.blocks.push_back(
      Para(std::string("a\xff"
                       "b\0c",
                       5)));
  d.blocks.push_back(Paragraph{});
  const std::string pdf = Rendered(d);
  EXPECT_EQ(QpdfCheck(pdf), 0);
  EXPECT_NE(Text(pdf).find("a\uFFFDb\uFFFDc"), std::string::npos) << Text(pdf);
}

Document OnePageOffer() {
  Document d;
  d.page_label = "Pagina {page} din {pages}";
  Columns parties;
  parties.columns = {{Para("Furnizor"), Para("SC Țesătoria Șerban SRL, CUI RO123456, Iași")},
                     {Para("Client"), Para("Beta Construcții SA, CUI RO654321, București")}};
  d.blocks.push_back(parties);
  Paragraph title = Para("Ofertă nr. OF-2024-0007", 16);
  title.spans[0].bold = true;
  title.align = Align::kCenter;
  d.blocks.push_back(title);
  Table table;
  table.widths = {1, 6, 2, 2, 3, 2, 3};
  table.header = {C("Nr."),  C("Denumire"), C("U.M."),   C("Cant."),
                  C("Preț"), C("TVA"),      C("Valoare")};
  for (int r = 1; r <= 12; ++r) {
    table.rows.push_back({C(std::to_string(r)), C("Serviciu de întreținere " + Number(r)), C("buc"),
                          C("2", Align::kRight), C("150,00", Align::kRight),
                          C("19%", Align::kRight), C("300,00", Align::kRight)});
  }
  d.blocks.push_back(table);
  Paragraph total = Para("Total: 3.600,00 RON");
  total.spans[0].bold = true;
  total.align = Align::kRight;
  d.blocks.push_back(total);
  return d;
}

TEST_F(PdfTest, OnePageIsSmallBecauseFontsAreSubset) {
  const std::string pdf = Rendered(OnePageOffer());
  EXPECT_EQ(QpdfCheck(pdf), 0);
  EXPECT_EQ(Info(pdf, "Pages"), "1");
  EXPECT_LT(pdf.size(), 60u * 1024) << pdf.size();
  EXPECT_NE(Text(pdf).find("Ofertă nr. OF-2024-0007"), std::string::npos);
}

TEST_F(PdfTest, RendersFromSeveralThreadsAtOnce) {
  const Document d = OnePageOffer();
  const std::string expected = Text(Rendered(d));
  std::vector<std::string> outputs(8);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (size_t i = t; i < outputs.size(); i += 4) {
        auto pdf = Render(d);
        if (pdf.ok()) outputs[i] = *pdf;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (const std::string& pdf : outputs) EXPECT_EQ(Text(pdf), expected);
}

}  // namespace
}  // namespace crm::api::pdf
