#include "api/formats/pdf_document.h"

// Two steps: Pager lays out every block once, into Items that know their page
// and position (text as ranges of pango lines, so a paragraph or a row can be
// split between lines); then every page is drawn, with its label, once the
// page count is known.

#include <cairo-pdf.h>
#include <cairo.h>
#include <pango/pangocairo.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <string_view>
#include <unordered_map>

namespace crm::api::pdf {
namespace {

constexpr double kPageWidth = 595.28;  // A4 in points
constexpr double kPageHeight = 841.89;
constexpr double kPtPerMm = 72.0 / 25.4;
constexpr double kCellPadX = 3;  // table cell padding, points
constexpr double kCellPadY = 2;
constexpr double kIndentMm = 6;  // per list level
constexpr double kMaxPixels = 16e6;

struct Unref {
  void operator()(void* object) const { g_object_unref(object); }
};

// A laid out text and its lines, in points from the layout's top left.
struct Text {
  std::unique_ptr<PangoLayout, Unref> layout;
  struct Line {
    PangoLayoutLine* line;  // owned by layout
    double x, top, height, baseline;
    double bottom() const { return top + height; }
  };
  std::vector<Line> lines;
  double height = 0;
};
using TextPtr = std::shared_ptr<const Text>;
using SurfacePtr = std::shared_ptr<cairo_surface_t>;

// Something drawn on a page: lines [first, end) of text with the layout's
// top left at (x, y), an image w x h at (x, y), or a rectangle w x h at
// (x, y) filled with gray `fill` (< 0: stroked with a thin gray line).
struct Item {
  int page = 0;
  double x = 0, y = 0, w = 0, h = 0;
  TextPtr text;
  size_t first = 0, end = 0;
  SurfacePtr image;
  double fill = -1;
};
Item Lines(TextPtr text, size_t first, size_t end, double x, double y) {
  return {.x = x, .y = y, .text = std::move(text), .first = first, .end = end};
}
Item Picture(SurfacePtr image, double x, double y, double w, double h) {
  return {.x = x, .y = y, .w = w, .h = h, .image = std::move(image)};
}

std::string ValidUtf8(std::string_view s) {
  if (g_utf8_validate(s.data(), static_cast<gssize>(s.size()), nullptr)) return std::string(s);
  gchar* valid = g_utf8_make_valid(s.data(), static_cast<gssize>(s.size()));
  std::string out(valid);
  g_free(valid);
  return out;
}

uint32_t Be(std::string_view b, size_t at, int bytes) {
  uint32_t v = 0;
  for (int i = 0; i < bytes; ++i) v = v << 8 | static_cast<uint8_t>(b[at + i]);
  return v;
}

// The JPEG's size and component count from its first SOFn segment.
bool JpegFrame(std::string_view b, int* width, int* height, int* components) {
  if (b.size() < 4 || Be(b, 0, 2) != 0xFFD8) return false;
  size_t i = 2;
  while (i + 4 <= b.size()) {
    if (static_cast<uint8_t>(b[i]) != 0xFF) return false;
    const uint8_t marker = static_cast<uint8_t>(b[i + 1]);
    if (marker == 0xFF) {  // fill byte
      ++i;
      continue;
    }
    i += 2;
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8)) continue;  // no length
    if (marker == 0xD9 || marker == 0xDA) return false;                  // EOI, SOS: no frame
    const size_t length = Be(b, i, 2);
    if (length < 2 || i + length > b.size()) return false;
    if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC) {
      if (length < 8) return false;
      *height = static_cast<int>(Be(b, i + 3, 2));
      *width = static_cast<int>(Be(b, i + 5, 2));
      *components = static_cast<uint8_t>(b[i + 7]);
      return *width > 0 && *height > 0;
    }
    i += length;
  }
  return false;
}

Result<SurfacePtr> DecodeImage(const std::string& bytes) {
  static constexpr char kPng[] = "\x89PNG\r\n\x1a\n";
  cairo_surface_t* surface = nullptr;
  if (bytes.size() >= 24 && bytes.compare(0, 8, kPng, 8) == 0) {
    if (double(Be(bytes, 16, 4)) * Be(bytes, 20, 4) > kMaxPixels) {
      return Status::InvalidArgument("image: a PNG of more than 16 million pixels");
    }
    struct Reader {
      std::string_view rest;
    } reader{bytes};
    surface = cairo_image_surface_create_from_png_stream(
        [](void* closure, unsigned char* data, unsigned int length) {
          auto* r = static_cast<Reader*>(closure);
          if (r->rest.size() < length) return CAIRO_STATUS_READ_ERROR;
          std::memcpy(data, r->rest.data(), length);
          r->rest.remove_prefix(length);
          return CAIRO_STATUS_SUCCESS;
        },
        &reader);
  } else if (int w, h, components; JpegFrame(bytes, &w, &h, &components)) {
    if (components != 1 && components != 3) {
      return Status::InvalidArgument("image: only grayscale and RGB JPEGs are supported");
    }
    if (double(w) * h > kMaxPixels) {
      return Status::InvalidArgument("image: a JPEG of more than 16 million pixels");
    }
    // cairo's PDF surface embeds the JPEG bytes themselves; the surface only
    // gives the size, so its pixels are 1 bit (never drawn).
    surface = cairo_image_surface_create(CAIRO_FORMAT_A1, w, h);
    auto* copy = new std::string(bytes);
    if (cairo_surface_set_mime_data(
            surface, CAIRO_MIME_TYPE_JPEG, reinterpret_cast<const unsigned char*>(copy->data()),
            copy->size(), [](void* c) { delete static_cast<std::string*>(c); },
            copy) != CAIRO_STATUS_SUCCESS) {
      delete copy;
    }
  } else {
    return Status::InvalidArgument("image: neither a PNG nor a JPEG with a frame header");
  }
  SurfacePtr owned(surface, cairo_surface_destroy);
  if (cairo_surface_status(surface) != CAIRO_STATUS_SUCCESS) {
    return Status::InvalidArgument(std::string("image: ") +
                                   cairo_status_to_string(cairo_surface_status(surface)));
  }
  return owned;
}

class Pager {
 public:
  Pager(PangoContext* context, double margin_mm)
      : context_(context),
        margin_(margin_mm * kPtPerMm),
        top_(margin_),
        bottom_(kPageHeight - margin_),
        y_(top_) {}

  // Checks every size and decodes every image, before anything is laid out.
  Status Check(const Document& document) {
    if (!(document.margin_mm >= 5 && document.margin_mm <= 80)) {
      return Status::InvalidArgument("document: margin_mm outside [5, 80]");
    }
    for (const Block& block : document.blocks) {
      Status status = std::visit([&](const auto& b) { return Check(b); }, block);
      if (!status.ok()) return status;
    }
    return Status::OK();
  }

  void Place(const Document& document) {
    for (size_t i = 0; i < document.blocks.size(); ++i) {
      const Block* next = i + 1 < document.blocks.size() ? &document.blocks[i + 1] : nullptr;
      std::visit([&](const auto& block) { Place(block, next); }, document.blocks[i]);
    }
  }

  TextPtr MakeText(const std::vector<Span>& spans, double size, Align align, double width,
                   bool bold = false) const {
    std::string text;
    PangoAttrList* attrs = pango_attr_list_new();
    auto add = [&](PangoAttribute* attr, size_t start) {
      attr->start_index = static_cast<guint>(start);
      attr->end_index = static_cast<guint>(text.size());
      pango_attr_list_insert(attrs, attr);
    };
    for (const Span& span : spans) {
      const size_t start = text.size();
      text += ValidUtf8(span.text);
      if (start == text.size()) continue;
      if (span.bold || bold) add(pango_attr_weight_new(PANGO_WEIGHT_BOLD), start);
      if (span.italic) add(pango_attr_style_new(PANGO_STYLE_ITALIC), start);
      if (span.underline) add(pango_attr_underline_new(PANGO_UNDERLINE_SINGLE), start);
      if (span.size_pt > 0) add(pango_attr_size_new_absolute(Pango(span.size_pt)), start);
    }
    auto out = std::make_shared<Text>();
    out->layout.reset(pango_layout_new(context_));
    PangoLayout* layout = out->layout.get();
    PangoFontDescription* font = pango_font_description_new();
    pango_font_description_set_family_static(font, "DejaVu Sans");
    pango_font_description_set_absolute_size(font, Pango(size));
    pango_layout_set_font_description(layout, font);
    pango_font_description_free(font);
    pango_layout_set_width(layout, std::max(1, Pango(width)));
    pango_layout_set_wrap(layout, PANGO_WRAP_WORD_CHAR);
    pango_layout_set_alignment(layout, align == Align::kCenter  ? PANGO_ALIGN_CENTER
                                       : align == Align::kRight ? PANGO_ALIGN_RIGHT
                                                                : PANGO_ALIGN_LEFT);
    pango_layout_set_justify(layout, align == Align::kJustify);
    pango_layout_set_text(layout, text.data(), static_cast<int>(text.size()));
    pango_layout_set_attributes(layout, attrs);
    pango_attr_list_unref(attrs);

    PangoLayoutIter* it = pango_layout_get_iter(layout);
    do {
      PangoRectangle r;
      pango_layout_iter_get_line_extents(it, nullptr, &r);
      out->lines.push_back({pango_layout_iter_get_line_readonly(it), Pt(r.x), Pt(r.y), Pt(r.height),
                            Pt(pango_layout_iter_get_baseline(it))});
    } while (pango_layout_iter_next_line(it));
    pango_layout_iter_free(it);
    out->height = out->lines.back().bottom();
    return out;
  }

  int pages() const { return page_ + 1; }
  const std::vector<Item>& items() const { return items_; }
  double margin() const { return margin_; }
  double Width() const { return kPageWidth - 2 * margin_; }

 private:
  static int Pango(double pt) { return static_cast<int>(std::lround(pt * PANGO_SCALE)); }
  static double Pt(int units) { return static_cast<double>(units) / PANGO_SCALE; }
  static bool Size(double pt) { return std::isfinite(pt) && pt > 0 && pt <= 200; }
  static bool Space(double pt) { return std::isfinite(pt) && pt >= 0 && pt <= 200; }
  static bool ValidMm(double mm) { return std::isfinite(mm) && mm > 0 && mm <= 1000; }

  Status Check(const Paragraph& p) const {
    bool ok = Size(p.size_pt) && Space(p.space_before_pt) && Space(p.space_after_pt);
    for (const Span& span : p.spans) ok &= span.size_pt == 0 || Size(span.size_pt);
    return ok ? Status::OK() : Status::InvalidArgument("paragraph: a size out of range");
  }
  Status Check(const Image& image) {
    if (!ValidMm(image.width_mm) || !Space(image.space_after_pt)) {
      return Status::InvalidArgument("image: a size out of range");
    }
    auto decoded = DecodeImage(image.bytes);
    if (!decoded.ok()) return decoded.status();
    images_[&image] = *std::move(decoded);
    return Status::OK();
  }
  Status Check(const Table& table) const {
    bool ok = !table.widths.empty() && Size(table.size_pt) && Space(table.space_after_pt) &&
              table.header.size() <= table.widths.size();
    for (double w : table.widths) ok &= std::isfinite(w) && w > 0;
    for (const auto& row : table.rows) ok &= row.size() <= table.widths.size();
    auto cells = [&](const std::vector<Cell>& row) {
      for (const Cell& cell : row) {
        for (const Span& span : cell.spans) ok &= span.size_pt == 0 || Size(span.size_pt);
      }
    };
    cells(table.header);
    for (const auto& row : table.rows) cells(row);
    return ok ? Status::OK()
              : Status::InvalidArgument(
                    "table: no widths, a width <= 0, more cells than widths or a size out of "
                    "range");
  }
  Status Check(const Columns& block) {
    if (!ValidMm(block.gap_mm) || !Space(block.space_after_pt)) {
      return Status::InvalidArgument("columns: a size out of range");
    }
    for (const auto& column : block.columns) {
      for (const auto& part : column) {
        Status status = std::visit([&](const auto& b) { return Check(b); }, part);
        if (!status.ok()) return status;
      }
    }
    return Status::OK();
  }

  double Room() const { return bottom_ - y_; }
  bool AtTop() const { return y_ <= top_; }
  double PageHeight() const { return bottom_ - top_; }
  void NewPage() {
    ++page_;
    y_ = top_;
  }
  void Emit(Item item) {
    item.page = page_;
    items_.push_back(std::move(item));
  }

  // A paragraph laid out in `width`: its text, its bullet and where each
  // starts.
  struct Laid {
    TextPtr text, bullet;
    double text_x = 0, bullet_x = 0;
  };
  Laid Lay(const Paragraph& p, double width) const {
    Laid laid;
    laid.bullet_x = std::min(std::max(0, p.indent_level) * kIndentMm * kPtPerMm, width / 2);
    double hang = 0;
    if (!p.bullet.empty()) {
      laid.bullet = MakeText({{.text = p.bullet}}, p.size_pt, Align::kLeft, width);
      PangoRectangle r;
      pango_layout_get_extents(laid.bullet->layout.get(), nullptr, &r);
      hang = std::max(2 * p.size_pt, Pt(r.width) + p.size_pt / 2);
    }
    laid.text_x = std::min(laid.bullet_x + hang, width * 3 / 4);
    laid.text = MakeText(p.spans, p.size_pt, p.align, width - laid.text_x);
    return laid;
  }
  // Items for lines [first, end) of `laid` with line `first`'s top at `y`, on
  // this page.
  void EmitLines(const Laid& laid, size_t first, size_t end, double x, double y,
                 std::vector<Item>* out) const {
    const auto& lines = laid.text->lines;
    const double top = y - lines[first].top;
    out->push_back(Lines(laid.text, first, end, x + laid.text_x, top));
    out->back().page = page_;
    if (first == 0 && laid.bullet) {
      const double baseline = top + lines[0].baseline - laid.bullet->lines[0].baseline;
      out->push_back(Lines(laid.bullet, 0, 1, x + laid.bullet_x, baseline));
      out->back().page = page_;
    }
  }

  std::pair<double, double> ImageSize(const Image& image, double width) const {
    cairo_surface_t* surface = images_.at(&image).get();
    const double w = std::min(image.width_mm * kPtPerMm, width);
    const double h =
        w * cairo_image_surface_get_height(surface) / cairo_image_surface_get_width(surface);
    if (h > PageHeight()) return {w * PageHeight() / h, PageHeight()};
    return {w, h};
  }
  static double AlignX(Align align, double room) {
    return align == Align::kCenter ? room / 2 : align == Align::kRight ? room : 0;
  }

  // The height a block needs at least on the page it starts on.
  double FirstPart(const Block& block) const {
    if (const auto* p = std::get_if<Paragraph>(&block)) {
      return p->space_before_pt + Lay(*p, Width()).text->lines[0].height;
    }
    if (const auto* t = std::get_if<Table>(&block)) {
      const auto columns = ColumnWidths(*t);
      const double h = t->header.empty() ? 0 : RowHeight(RowTexts(*t, columns, t->header, true));
      return h + (t->rows.empty() ? 0 : RowHeight(RowTexts(*t, columns, t->rows[0], false)));
    }
    if (const auto* image = std::get_if<Image>(&block)) return ImageSize(*image, Width()).second;
    return LayColumns(std::get<Columns>(block), nullptr);
  }

  void Place(const Paragraph& p, const Block* next) {
    const Laid laid = Lay(p, Width());
    const auto& lines = laid.text->lines;
    double before = AtTop() ? 0 : p.space_before_pt;
    const double keep = p.keep_with_next && next ? p.space_after_pt + FirstPart(*next) : 0;
    if (before + laid.text->height + keep > Room() && !AtTop() &&
        laid.text->height + keep <= PageHeight()) {
      NewPage();
      before = 0;
    }
    y_ += before;
    // Whole when it fits, else split between lines over as many pages as needed.
    for (size_t i = 0; i < lines.size();) {
      size_t j = i;
      while (j < lines.size() && lines[j].bottom() - lines[i].top <= Room()) ++j;
      if (j == i && !AtTop()) {
        NewPage();
        continue;
      }
      j = std::max(j, i + 1);  // a line taller than a page
      EmitLines(laid, i, j, margin_, y_, &items_);
      y_ += lines[j - 1].bottom() - lines[i].top;
      i = j;
      if (i < lines.size()) NewPage();
    }
    y_ += p.space_after_pt;
  }

  void Place(const Image& image, const Block*) {
    const auto [w, h] = ImageSize(image, Width());
    if (h > Room() && !AtTop()) NewPage();
    Emit(Picture(images_.at(&image), margin_ + AlignX(image.align, Width() - w), y_, w, h));
    y_ += h + image.space_after_pt;
  }

  std::vector<double> ColumnWidths(const Table& table) const {
    double sum = 0;
    for (double w : table.widths) sum += w;
    std::vector<double> out;
    for (double w : table.widths) out.push_back(Width() * w / sum);
    return out;
  }
  std::vector<TextPtr> RowTexts(const Table& table, const std::vector<double>& columns,
                                const std::vector<Cell>& cells, bool header) const {
    std::vector<TextPtr> texts;
    const Cell empty;
    for (size_t c = 0; c < columns.size(); ++c) {
      const Cell& cell = c < cells.size() ? cells[c] : empty;
      texts.push_back(MakeText(cell.spans, table.size_pt, cell.align,
                               std::max(1.0, columns[c] - 2 * kCellPadX), header));
    }
    return texts;
  }
  static double RowHeight(const std::vector<TextPtr>& texts) {
    double h = 0;
    for (const auto& text : texts) h = std::max(h, text->height);
    return h + 2 * kCellPadY;
  }

  // One row from y_ on, its cells boxed (and shaded for the header). A row
  // that does not fit starts a new page, where `repeat` (the header, if any)
  // goes first; a row taller than a page is split between lines from here.
  void PlaceRow(const std::vector<TextPtr>& texts, const std::vector<double>& columns, bool header,
                const std::function<void()>& repeat) {
    bool fresh = AtTop();  // nothing above on this page but the header
    auto new_page = [&] {
      NewPage();
      if (repeat) repeat();
      fresh = true;
    };
    const double height = RowHeight(texts);
    if (height > Room() && height <= PageHeight() && !fresh) new_page();
    std::vector<size_t> next(texts.size(), 0);
    for (;;) {
      const double room = Room() - 2 * kCellPadY;
      std::vector<size_t> end = next;
      bool any = false;
      for (size_t c = 0; c < texts.size(); ++c) {
        const auto& lines = texts[c]->lines;
        while (end[c] < lines.size() && lines[end[c]].bottom() - lines[next[c]].top <= room) {
          ++end[c];
        }
        any |= end[c] > next[c];
      }
      if (!any && !fresh) {
        new_page();
        continue;
      }
      double segment = 0;
      bool done = true;
      double x = margin_;
      for (size_t c = 0; c < texts.size(); ++c) {
        const auto& lines = texts[c]->lines;
        if (!any && next[c] < lines.size()) end[c] = next[c] + 1;  // a line taller than a page
        if (end[c] > next[c]) {
          segment = std::max(segment, lines[end[c] - 1].bottom() - lines[next[c]].top);
        }
        done &= end[c] == lines.size();
      }
      for (size_t c = 0; c < texts.size(); ++c) {
        const double h = segment + 2 * kCellPadY;
        if (header) Emit({.x = x, .y = y_, .w = columns[c], .h = h, .fill = 0.9});
        Emit({.x = x, .y = y_, .w = columns[c], .h = h});
        if (end[c] > next[c]) {
          const double top = y_ + kCellPadY - texts[c]->lines[next[c]].top;
          Emit(Lines(texts[c], next[c], end[c], x + kCellPadX, top));
        }
        next[c] = end[c];
        x += columns[c];
      }
      y_ += segment + 2 * kCellPadY;
      if (done) break;
      new_page();
    }
  }

  void Place(const Table& table, const Block*) {
    const auto columns = ColumnWidths(table);
    std::vector<TextPtr> header;
    if (!table.header.empty()) header = RowTexts(table, columns, table.header, true);
    const double first =
        table.rows.empty() ? 0 : RowHeight(RowTexts(table, columns, table.rows[0], false));
    if ((header.empty() ? 0 : RowHeight(header)) + first > Room() && !AtTop()) NewPage();
    std::function<void()> repeat;
    if (!header.empty()) {
      PlaceRow(header, columns, true, nullptr);
      if (RowHeight(header) <= PageHeight() / 3) {
        repeat = [&] { PlaceRow(header, columns, true, nullptr); };
      }
    }
    for (const auto& row : table.rows) {
      PlaceRow(RowTexts(table, columns, row, false), columns, false, repeat);
    }
    y_ += table.space_after_pt;
  }

  // The height of the columns block; with `out`, also its items, from y 0.
  double LayColumns(const Columns& block, std::vector<Item>* out) const {
    const size_t n = block.columns.size();
    const double gap = block.gap_mm * kPtPerMm;
    const double count = static_cast<double>(n);
    const double width = n ? std::max(1.0, (Width() - gap * (count - 1)) / count) : 0;
    double tallest = 0;
    for (size_t c = 0; c < n; ++c) {
      const double x = margin_ + static_cast<double>(c) * (width + gap);
      double y = 0;
      for (const auto& part : block.columns[c]) {
        if (const auto* p = std::get_if<Paragraph>(&part)) {
          if (y > 0) y += p->space_before_pt;
          const Laid laid = Lay(*p, width);
          if (out) EmitLines(laid, 0, laid.text->lines.size(), x, y, out);
          y += laid.text->height + p->space_after_pt;
        } else {
          const Image& image = std::get<Image>(part);
          const auto [w, h] = ImageSize(image, width);
          if (out)
            out->push_back(
                Picture(images_.at(&image), x + AlignX(image.align, width - w), y, w, h));
          y += h + image.space_after_pt;
        }
      }
      tallest = std::max(tallest, y);
    }
    return tallest;
  }

  void Place(const Columns& block, const Block*) {
    std::vector<Item> laid;
    const double height = LayColumns(block, &laid);
    if (height > PageHeight()) {  // one column after another instead
      for (const auto& column : block.columns) {
        for (const auto& part : column) std::visit([&](const auto& b) { Place(b, nullptr); }, part);
      }
      return;
    }
    if (height > Room() && !AtTop()) NewPage();
    for (Item& item : laid) {
      item.y += y_;
      Emit(std::move(item));
    }
    y_ += height + block.space_after_pt;
  }

  PangoContext* context_;
  double margin_, top_, bottom_, y_;
  int page_ = 0;
  std::vector<Item> items_;
  std::unordered_map<const Image*, SurfacePtr> images_;  // decoded by Check
};

void Draw(cairo_t* cr, const Item& item) {
  if (item.text) {
    cairo_set_source_rgb(cr, 0, 0, 0);
    for (size_t i = item.first; i < item.end; ++i) {
      const Text::Line& line = item.text->lines[i];
      cairo_move_to(cr, item.x + line.x, item.y + line.baseline);
      pango_cairo_show_layout_line(cr, line.line);
    }
  } else if (item.image) {
    cairo_save(cr);
    cairo_translate(cr, item.x, item.y);
    cairo_scale(cr, item.w / cairo_image_surface_get_width(item.image.get()),
                item.h / cairo_image_surface_get_height(item.image.get()));
    cairo_set_source_surface(cr, item.image.get(), 0, 0);
    cairo_paint(cr);
    cairo_restore(cr);
  } else {
    cairo_rectangle(cr, item.x, item.y, item.w, item.h);
    if (item.fill >= 0) {
      cairo_set_source_rgb(cr, item.fill, item.fill, item.fill);
      cairo_fill(cr);
    } else {
      cairo_set_source_rgb(cr, 0.55, 0.55, 0.55);
      cairo_set_line_width(cr, 0.4);
      cairo_stroke(cr);
    }
  }
}

std::string Label(std::string label, int page, int pages) {
  for (auto [key, value] : {std::pair<std::string_view, int>{"{page}", page}, {"{pages}", pages}}) {
    for (size_t at = 0; (at = label.find(key, at)) != std::string::npos;) {
      const std::string number = std::to_string(value);
      label.replace(at, key.size(), number);
      at += number.size();
    }
  }
  return label;
}

}  // namespace

Result<std::string> Render(const Document& document) {
  // The thread's own font map (not owned); a context that lays out in points,
  // unhinted, as a PDF wants.
  std::unique_ptr<PangoContext, Unref> context(
      pango_font_map_create_context(pango_cairo_font_map_get_default()));
  cairo_font_options_t* options = cairo_font_options_create();
  cairo_font_options_set_hint_style(options, CAIRO_HINT_STYLE_NONE);
  cairo_font_options_set_hint_metrics(options, CAIRO_HINT_METRICS_OFF);
  pango_cairo_context_set_font_options(context.get(), options);
  cairo_font_options_destroy(options);
  pango_context_set_round_glyph_positions(context.get(), FALSE);

  Pager pager(context.get(), document.margin_mm);
  if (Status status = pager.Check(document); !status.ok()) return status;
  pager.Place(document);

  std::string pdf;
  cairo_surface_t* surface = cairo_pdf_surface_create_for_stream(
      [](void* closure, const unsigned char* data, unsigned int length) {
        static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
        return CAIRO_STATUS_SUCCESS;
      },
      &pdf, kPageWidth, kPageHeight);
  if (!document.title.empty()) {
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE,
                                   ValidUtf8(document.title).c_str());
  }
  if (!document.author.empty()) {
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_AUTHOR,
                                   ValidUtf8(document.author).c_str());
  }
  cairo_t* cr = cairo_create(surface);
  const auto& items = pager.items();
  size_t next = 0;
  for (int page = 0; page < pager.pages(); ++page) {
    for (; next < items.size() && items[next].page == page; ++next) Draw(cr, items[next]);
    if (!document.page_label.empty()) {
      const TextPtr label =
          pager.MakeText({{.text = Label(document.page_label, page + 1, pager.pages())}}, 8,
                         Align::kCenter, pager.Width());
      const double y = kPageHeight - pager.margin() + (pager.margin() - label->height) / 2;
      Draw(cr, Lines(label, 0, label->lines.size(), pager.margin(), y));
    }
    cairo_show_page(cr);
  }
  cairo_destroy(cr);
  cairo_surface_finish(surface);
  const cairo_status_t status = cairo_surface_status(surface);
  cairo_surface_destroy(surface);
  if (status != CAIRO_STATUS_SUCCESS) {
    return Status::IOError(std::string("PDF: ") + cairo_status_to_string(status));
  }
  return pdf;
}

}  // namespace crm::api::pdf
