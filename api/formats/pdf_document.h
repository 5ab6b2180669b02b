#pragma once

// A small document model and its A4 PDF (cairo + pango): paragraphs of styled
// text, lists, tables whose header repeats on every page, images, blocks side
// by side and a page label. It knows nothing of offers or invoices; they build
// a Document and call Render.
//
// Text is user data: it is laid out as plain text (never parsed as markup),
// in "DejaVu Sans" (fonts-dejavu-core; fontconfig substitutes the closest font
// when it is missing), wrapped at word boundaries, or inside a word when one
// word is wider than its column. A "\n" inside a span breaks the line. Bytes
// that are not UTF-8 (and NUL) are drawn as U+FFFD. Fonts are embedded as
// subsets with a Unicode map, so the text can be searched and copied from the
// PDF (ș U+0219 and ş U+015F stay apart).
//
// Units: font sizes in points, lengths in millimetres or points as named.

#include <string>
#include <variant>
#include <vector>

#include "eventstore/status.h"

namespace crm::api::pdf {

enum class Align { kLeft, kCenter, kRight, kJustify };  // kJustify: all lines but the last

// A run of text in one style.
struct Span {
  std::string text;  // UTF-8
  bool bold = false;
  bool italic = false;
  bool underline = false;
  double size_pt = 0;  // 0: the paragraph's (or table's) size
};

// Text across the column. A paragraph that does not fit in what is left of
// the page starts on the next one; one taller than a whole page is split
// between lines.
struct Paragraph {
  std::vector<Span> spans;  // no spans: an empty line
  Align align = Align::kLeft;
  double size_pt = 10;
  double space_before_pt = 0;  // not added at the top of a page
  double space_after_pt = 4;
  // A list item's marker ("•", "3."), drawn hanging left of the text, which
  // starts 2 em after the indent (the marker's width plus half an em when
  // that is more).
  std::string bullet;
  int indent_level = 0;         // each level indents 6 mm; negative counts as 0
  bool keep_with_next = false;  // on the same page as the next block's first line or row
};

// A PNG or JPEG picture, drawn width_mm wide (narrowed to the column, and to
// the page height) with its aspect ratio kept. kJustify counts as kLeft. It
// starts a new page when it does not fit in what is left of this one.
struct Image {
  std::string bytes;  // the PNG or JPEG file
  double width_mm = 40;
  Align align = Align::kLeft;
  double space_after_pt = 4;
};

struct Cell {
  std::vector<Span> spans;
  Align align = Align::kLeft;
};

// A grid with a bold, shaded header row. Column widths are `widths` scaled to
// the text width. Cell text wraps inside its column; a row is as tall as its
// tallest cell. A row never splits across pages unless it is taller than a
// whole page (then it is split between lines, starting where it would have);
// the table starts on a new page when its header and first row do not fit, and
// the header repeats at the top of every page the table goes on to (unless it
// is taller than a third of a page).
struct Table {
  std::vector<double> widths;           // relative, each > 0; one per column
  std::vector<Cell> header;             // empty: no header row
  std::vector<std::vector<Cell>> rows;  // shorter rows are padded with empty cells
  double size_pt = 9;
  double space_after_pt = 6;
};

// Equal-width columns side by side (supplier | client), each a list of
// paragraphs and images, kept together on one page. When the tallest column
// is taller than a page, the columns are laid out one after another at full
// width instead.
struct Columns {
  std::vector<std::vector<std::variant<Paragraph, Image>>> columns;
  double gap_mm = 8;
  double space_after_pt = 6;
};

using Block = std::variant<Paragraph, Table, Image, Columns>;

struct Document {
  std::vector<Block> blocks;  // top to bottom
  // Drawn centered in the bottom margin of every page, 8 pt, with every
  // "{page}" replaced by the page's number (from 1) and "{pages}" by the page
  // count: "Pagina {page} din {pages}". Empty: no label.
  std::string page_label;
  std::string title;      // PDF metadata; empty: not set
  std::string author;     // PDF metadata; empty: not set
  double margin_mm = 18;  // all four sides; 5 to 80
};

// The A4 (595.28 x 841.89 pt) PDF of `document`. An empty document is one
// blank page (with its label).
//
// Fails with InvalidArgument, and no PDF, when:
//   - an image is neither PNG nor JPEG, cannot be decoded (the PNG is decoded;
//     a JPEG is embedded as it is, so only its frame header is checked), is a
//     CMYK JPEG, or has more than 16 million pixels;
//   - a table has no widths, a width <= 0, or a row or header with more cells
//     than widths;
//   - a font size is not in (0, 200] pt (a span's may be 0), a space before or
//     after is not in [0, 200] pt, an image width_mm or a columns gap_mm is
//     not in (0, 1000], or margin_mm is outside [5, 80].
// Fails with IOError when cairo cannot make the PDF (out of memory).
//
// Thread safety: calls from several threads at once are safe. Each thread
// lays out text with its own pango font map (pango_cairo_font_map_get_default
// is per thread), made by its first call (fontconfig's font list is shared)
// and freed when the thread ends (the main thread's lives until exit).
Result<std::string> Render(const Document& document);

}  // namespace crm::api::pdf
