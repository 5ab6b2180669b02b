#include "api/formats/sheet_reader.h"

// .xlsx: the archive is opened in memory with libzip; its parts are streamed
// through expat in chunks (nothing is inflated whole), in this order:
//   _rels/.rels                 which part is the workbook (xl/workbook.xml)
//   xl/workbook.xml             the sheets, in tab order, by relationship id
//   xl/_rels/workbook.xml.rels  relationship id -> worksheet part, shared strings part
//   xl/sharedStrings.xml        the strings that t="s" cells point at
//   xl/worksheets/sheetN.xml    the cells
// When the workbook does not name a worksheet, xl/worksheets/sheet1.xml is read.

#include <expat.h>
#include <zip.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace crm::api {
namespace {

constexpr size_t kMaxRows = 1'000'000;
constexpr size_t kMaxColumns = 16384;  // Excel's own limit (column XFD)
constexpr size_t kMaxCells = size_t{1} << 24;
constexpr uint64_t kMaxUnzippedBytes = uint64_t{200} << 20;
// The memory a table may take in all: its text (shared strings are copied
// into every cell that names them, so a small archive could otherwise ask for
// gigabytes) and every cell it holds, the empty ones before a row's last
// value included (a 7 KB file with one cell per row in column XFD would
// otherwise take 500 MB). The shared strings have their own budget; a cell's
// text is at most Excel's own limit (in bytes here).
constexpr size_t kMaxTableMemory = size_t{128} << 20;
constexpr size_t kMaxSharedStringsMemory = size_t{64} << 20;
constexpr size_t kCellCost = sizeof(std::string);
constexpr size_t kRowCost = sizeof(std::vector<std::string>);
constexpr size_t kMaxCellBytes = 32767;
constexpr size_t kChunkBytes = 64 << 10;

Status TooManyRows() { return Status::InvalidArgument("the sheet has more than 1,000,000 rows"); }
Status TooManyColumns() { return Status::InvalidArgument("the sheet has more than 16384 columns"); }
Status TooManyCells() {
  return Status::InvalidArgument("the sheet has more than 16,777,216 cells");
}
Status TooLarge() {
  return Status::InvalidArgument(
      "the sheet is too large to read: more than 128 MiB once its cells (the empty ones before a "
      "row's last value too) and their text are counted");
}
Status Damaged(const std::string& why) {
  return Status::InvalidArgument("the .xlsx file is damaged: " + why);
}

// Builds a Table cell by cell or row by row, filling gaps, within the limits.
class TableBuilder {
 public:
  // Puts `text` at (row, column), both 0-based; earlier cells of the row that
  // were never set stay "".
  Status Set(size_t row, size_t column, std::string text) {
    if (row >= kMaxRows) return TooManyRows();
    if (column >= kMaxColumns) return TooManyColumns();
    if (Status s = CountBytes(text.size()); !s.ok()) return s;
    if (table_.size() <= row) {
      if (Status s = CountMemory((row + 1 - table_.size()) * kRowCost); !s.ok()) return s;
      table_.resize(row + 1);
    }
    std::vector<std::string>& cells = table_[row];
    if (cells.size() <= column) {
      const size_t added = column + 1 - cells.size();
      if (added > kMaxCells - cells_) return TooManyCells();
      if (Status s = CountMemory(added * kCellCost); !s.ok()) return s;
      cells_ += added;
      cells.resize(column + 1);
    }
    cells[column] = std::move(text);
    return Status::OK();
  }

  // Puts a whole row (REQUIRES: at most kMaxColumns cells, and `row` not set before).
  Status SetRow(size_t row, std::vector<std::string> cells) {
    if (row >= kMaxRows) return TooManyRows();
    if (cells.size() > kMaxCells - cells_) return TooManyCells();
    for (const std::string& cell : cells) {
      if (Status s = CountBytes(cell.size()); !s.ok()) return s;
    }
    if (Status s = CountMemory(cells.size() * kCellCost); !s.ok()) return s;
    cells_ += cells.size();
    if (table_.size() <= row) {
      if (Status s = CountMemory((row + 1 - table_.size()) * kRowCost); !s.ok()) return s;
      table_.resize(row + 1);
    }
    table_[row] = std::move(cells);
    return Status::OK();
  }

  // The table without its trailing rows that hold no non-empty cell.
  Table Finish() && {
    const auto blank = [](const std::vector<std::string>& row) {
      return std::all_of(row.begin(), row.end(), [](const std::string& s) { return s.empty(); });
    };
    while (!table_.empty() && blank(table_.back())) table_.pop_back();
    return std::move(table_);
  }

 private:
  Status CountBytes(size_t n) {
    if (n > kMaxCellBytes) {
      return Status::InvalidArgument("a cell holds more than 32767 bytes of text");
    }
    return CountMemory(n);
  }
  Status CountMemory(size_t n) {
    if (n > kMaxTableMemory - memory_) return TooLarge();
    memory_ += n;
    return Status::OK();
  }

  Table table_;
  size_t cells_ = 0;   // cells allocated so far, gaps included
  size_t memory_ = 0;  // text, cells and rows held so far
};

// ---------------------------------------------------------------------------
// The zip archive.

struct ZipDiscard {
  void operator()(zip_t* zip) const { zip_discard(zip); }
};
using ZipPtr = std::unique_ptr<zip_t, ZipDiscard>;

struct ZipFileClose {
  void operator()(zip_file_t* file) const { zip_fclose(file); }
};

// Opens `bytes` (which must outlive the archive) and checks that its entries
// together stay within kMaxUnzippedBytes as the archive declares them; reading
// then holds each entry to its declared size, so a lying archive cannot
// inflate past the limit either.
Result<ZipPtr> OpenZip(std::string_view bytes) {
  if (bytes.empty()) return Status::InvalidArgument("the file is empty");
  constexpr std::string_view kOle2Magic("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8);
  if (bytes.starts_with(kOle2Magic)) {
    return Status::InvalidArgument(
        "not an .xlsx file: it looks like an Excel 97-2003 (.xls) or a password-protected "
        "workbook; save it as an .xlsx workbook without a password");
  }
  if (!bytes.starts_with("PK")) {
    return Status::InvalidArgument("not an .xlsx file (it is not a zip archive)");
  }
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
  zip_t* zip = source == nullptr ? nullptr : zip_open_from_source(source, ZIP_RDONLY, &error);
  if (zip == nullptr) {
    if (source != nullptr) zip_source_free(source);
    std::string why = zip_error_strerror(&error);
    zip_error_fini(&error);
    return Status::InvalidArgument(
        "not an .xlsx file, or an incomplete one: the zip archive cannot be read (" + why + ")");
  }
  zip_error_fini(&error);
  ZipPtr archive(zip);

  const zip_int64_t entries = zip_get_num_entries(zip, 0);
  uint64_t total = 0;
  for (zip_int64_t i = 0; i < entries; ++i) {
    zip_stat_t stat;
    zip_stat_init(&stat);
    if (zip_stat_index(zip, static_cast<zip_uint64_t>(i), 0, &stat) != 0 ||
        (stat.valid & ZIP_STAT_SIZE) == 0) {
      return Damaged("an entry of the zip archive cannot be read");
    }
    if (stat.size > kMaxUnzippedBytes - total) {
      return Status::InvalidArgument(
          "the .xlsx file is too large: more than 200 MiB once uncompressed");
    }
    total += stat.size;
  }
  return archive;
}

// The index of the entry named `name` (ignoring case, as part names do), or -1.
zip_int64_t Locate(zip_t* zip, const std::string& name) {
  return zip_name_locate(zip, name.c_str(), ZIP_FL_NOCASE);
}

// ---------------------------------------------------------------------------
// Streaming XML.

// The local part of an expat name: expat (namespace-aware, separator ' ')
// reports "<namespace URI> <local name>", or just the name without a namespace.
std::string_view LocalName(std::string_view name) {
  const size_t space = name.rfind(' ');
  return space == std::string_view::npos ? name : name.substr(space + 1);
}

// The value of the attribute with local name `local`, or nullptr. With
// `namespaced` only an attribute in some namespace matches (r:id), otherwise
// only one without (r="A1").
const char* Attribute(const XML_Char** attributes, std::string_view local,
                      bool namespaced = false) {
  for (size_t i = 0; attributes[i] != nullptr; i += 2) {
    const std::string_view name = attributes[i];
    const bool has_namespace = name.find(' ') != std::string_view::npos;
    if (has_namespace == namespaced && LocalName(name) == local) return attributes[i + 1];
  }
  return nullptr;
}

// Reads one part of the archive through expat and hands the subclass element
// starts and ends (by local name) and text. A non-OK Status from a handler
// stops the parse and is what Parse returns.
class XmlPartReader {
 public:
  virtual ~XmlPartReader() = default;

  Status Parse(zip_t* zip, const std::string& part) {
    const zip_int64_t index = Locate(zip, part);
    if (index < 0) return Damaged(part + " is missing");
    zip_stat_t stat;
    zip_stat_init(&stat);
    if (zip_stat_index(zip, static_cast<zip_uint64_t>(index), 0, &stat) != 0) {
      return Damaged(part + " cannot be read");
    }
    std::unique_ptr<zip_file_t, ZipFileClose> file(
        zip_fopen_index(zip, static_cast<zip_uint64_t>(index), 0));
    if (file == nullptr) {
      return Damaged(part + " cannot be read (" + zip_error_strerror(zip_get_error(zip)) + ")");
    }
    std::unique_ptr<XML_ParserStruct, decltype(&XML_ParserFree)> parser(
        XML_ParserCreateNS(nullptr, ' '), &XML_ParserFree);
    if (parser == nullptr) return Status::InvalidArgument("out of memory reading " + part);
    parser_ = parser.get();
    status_ = Status::OK();
    XML_SetUserData(parser_, this);
    XML_SetElementHandler(parser_, &StartThunk, &EndThunk);
    XML_SetCharacterDataHandler(parser_, &TextThunk);
    // Spreadsheet parts have no DTD; refusing one rules out entity expansion.
    XML_SetStartDoctypeDeclHandler(parser_, &DoctypeThunk);

    std::vector<char> chunk(kChunkBytes);
    uint64_t read = 0;
    bool last = false;
    while (!last) {
      const zip_int64_t got = zip_fread(file.get(), chunk.data(), chunk.size());
      if (got < 0) {
        return Damaged(part + " cannot be read (" +
                       zip_error_strerror(zip_file_get_error(file.get())) + ")");
      }
      read += static_cast<uint64_t>(got);
      if (read > stat.size) return Damaged(part + " is larger than the archive says");
      last = got == 0;
      if (XML_Parse(parser_, chunk.data(), static_cast<int>(got), last) != XML_STATUS_OK) {
        if (!status_.ok()) return std::move(status_);
        return Damaged(part + " is not well-formed XML (line " +
                       std::to_string(XML_GetCurrentLineNumber(parser_)) + ": " +
                       XML_ErrorString(XML_GetErrorCode(parser_)) + ")");
      }
    }
    return Status::OK();
  }

 protected:
  virtual Status OnStart(std::string_view name, const XML_Char** attributes) = 0;
  virtual Status OnEnd(std::string_view name) = 0;
  virtual Status OnText(std::string_view /*text*/) { return Status::OK(); }

 private:
  void Stop(Status status) {
    if (status.ok() || !status_.ok()) return;
    status_ = std::move(status);
    (void)XML_StopParser(parser_, XML_FALSE);
  }
  static void XMLCALL StartThunk(void* self, const XML_Char* name, const XML_Char** attributes) {
    auto* reader = static_cast<XmlPartReader*>(self);
    reader->Stop(reader->OnStart(LocalName(name), attributes));
  }
  static void XMLCALL EndThunk(void* self, const XML_Char* name) {
    auto* reader = static_cast<XmlPartReader*>(self);
    reader->Stop(reader->OnEnd(LocalName(name)));
  }
  static void XMLCALL TextThunk(void* self, const XML_Char* text, int length) {
    auto* reader = static_cast<XmlPartReader*>(self);
    reader->Stop(reader->OnText(std::string_view(text, static_cast<size_t>(length))));
  }
  static void XMLCALL DoctypeThunk(void* self, const XML_Char* /*name*/, const XML_Char* /*sysid*/,
                                   const XML_Char* /*pubid*/, int /*has_internal_subset*/) {
    static_cast<XmlPartReader*>(self)->Stop(
        Damaged("a part of the workbook has a DOCTYPE, which spreadsheets never have"));
  }

  XML_Parser parser_ = nullptr;
  Status status_;
};

// ---------------------------------------------------------------------------
// Package structure.

struct Relationship {
  std::string id;
  std::string type;    // a URI; its last segment says what the target is
  std::string target;  // relative to the source part's folder, or absolute from "/"
  bool external = false;
};

bool TypeIs(const Relationship& rel, std::string_view kind) {
  return rel.type.size() > kind.size() && rel.type.ends_with(kind) &&
         rel.type[rel.type.size() - kind.size() - 1] == '/';
}

// A .rels part.
class RelationshipsReader : public XmlPartReader {
 public:
  std::vector<Relationship> relationships;

 protected:
  Status OnStart(std::string_view name, const XML_Char** attributes) override {
    if (name != "Relationship") return Status::OK();
    Relationship rel;
    if (const char* id = Attribute(attributes, "Id")) rel.id = id;
    if (const char* type = Attribute(attributes, "Type")) rel.type = type;
    if (const char* target = Attribute(attributes, "Target")) rel.target = target;
    const char* mode = Attribute(attributes, "TargetMode");
    rel.external = mode != nullptr && std::string_view(mode) == "External";
    relationships.push_back(std::move(rel));
    return Status::OK();
  }
  Status OnEnd(std::string_view /*name*/) override { return Status::OK(); }
};

// xl/workbook.xml: the relationship ids of the sheets, in tab order.
class WorkbookReader : public XmlPartReader {
 public:
  std::vector<std::string> sheet_ids;

 protected:
  Status OnStart(std::string_view name, const XML_Char** attributes) override {
    if (name != "sheet") return Status::OK();
    const char* id = Attribute(attributes, "id", /*namespaced=*/true);
    sheet_ids.emplace_back(id == nullptr ? "" : id);
    return Status::OK();
  }
  Status OnEnd(std::string_view /*name*/) override { return Status::OK(); }
};

// The folder of a part, with its trailing '/' ("xl/" for "xl/workbook.xml").
std::string FolderOf(const std::string& part) {
  const size_t slash = part.rfind('/');
  return slash == std::string::npos ? "" : part.substr(0, slash + 1);
}

// The relationships part of `part`: "xl/_rels/workbook.xml.rels" for "xl/workbook.xml".
std::string RelsOf(const std::string& part) {
  const std::string folder = FolderOf(part);
  return folder + "_rels/" + part.substr(folder.size()) + ".rels";
}

// The part a relationship in `folder` points at, with "." and ".." resolved.
std::string Resolve(const std::string& folder, std::string_view target) {
  const std::string path =
      target.starts_with('/') ? std::string(target.substr(1)) : folder + std::string(target);
  std::vector<std::string_view> segments;
  std::string_view rest = path;
  while (!rest.empty()) {
    const size_t slash = rest.find('/');
    const std::string_view segment = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
    if (segment.empty() || segment == ".") continue;
    if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
      continue;
    }
    segments.push_back(segment);
  }
  std::string resolved;
  for (const std::string_view segment : segments) {
    if (!resolved.empty()) resolved += '/';
    resolved += segment;
  }
  return resolved;
}

struct Parts {
  std::string sheet;
  std::string shared_strings;  // empty when the workbook has none
};

// Finds the first worksheet and the shared strings through the package's
// relationships, falling back to the usual names.
Result<Parts> FindParts(zip_t* zip) {
  std::string workbook = "xl/workbook.xml";
  if (Locate(zip, "_rels/.rels") >= 0) {
    RelationshipsReader root;
    if (Status s = root.Parse(zip, "_rels/.rels"); !s.ok()) return s;
    for (const Relationship& rel : root.relationships) {
      if (!rel.external && TypeIs(rel, "officeDocument")) {
        workbook = Resolve("", rel.target);
        break;
      }
    }
  }

  Parts parts;
  bool shared_strings_named = false;
  if (Locate(zip, workbook) >= 0 && Locate(zip, RelsOf(workbook)) >= 0) {
    WorkbookReader book;
    if (Status s = book.Parse(zip, workbook); !s.ok()) return s;
    RelationshipsReader rels;
    if (Status s = rels.Parse(zip, RelsOf(workbook)); !s.ok()) return s;
    for (const std::string& id : book.sheet_ids) {
      const auto rel =
          std::find_if(rels.relationships.begin(), rels.relationships.end(),
                       [&](const Relationship& r) { return r.id == id && !r.external; });
      // Chart sheets and the like have no cells: the first worksheet is meant.
      if (rel != rels.relationships.end() && TypeIs(*rel, "worksheet")) {
        parts.sheet = Resolve(FolderOf(workbook), rel->target);
        break;
      }
    }
    for (const Relationship& rel : rels.relationships) {
      if (!rel.external && TypeIs(rel, "sharedStrings")) {
        parts.shared_strings = Resolve(FolderOf(workbook), rel.target);
        shared_strings_named = true;
        break;
      }
    }
  }

  if (parts.sheet.empty()) {
    parts.sheet = "xl/worksheets/sheet1.xml";
    if (Locate(zip, parts.sheet) < 0) {
      return Status::InvalidArgument(
          "not an .xlsx workbook: it has no worksheet (xl/workbook.xml names none and "
          "xl/worksheets/sheet1.xml is missing)");
    }
  } else if (Locate(zip, parts.sheet) < 0) {
    return Damaged("its first worksheet, " + parts.sheet + ", is missing");
  }
  if (shared_strings_named && Locate(zip, parts.shared_strings) < 0) {
    return Damaged(parts.shared_strings + " is missing");
  }
  if (!shared_strings_named && Locate(zip, "xl/sharedStrings.xml") >= 0) {
    parts.shared_strings = "xl/sharedStrings.xml";
  }
  return parts;
}

// ---------------------------------------------------------------------------
// Cells.

// xl/sharedStrings.xml: each <si> is a plain <t> or rich text runs <r><t>,
// concatenated; phonetic runs (<rPh>, Japanese readings) are not the text.
class SharedStringsReader : public XmlPartReader {
 public:
  std::vector<std::string> strings;

 protected:
  Status OnStart(std::string_view name, const XML_Char** /*attributes*/) override {
    if (name == "si") {
      if (strings.size() >= kMaxCells) {
        return Status::InvalidArgument("the workbook has more than 16,777,216 distinct texts");
      }
      in_item_ = true;
      phonetic_depth_ = 0;
      text_.clear();
    } else if (in_item_ && name == "rPh") {
      ++phonetic_depth_;
    } else if (in_item_ && name == "t" && phonetic_depth_ == 0) {
      collecting_ = true;
    }
    return Status::OK();
  }
  Status OnEnd(std::string_view name) override {
    if (name == "t") {
      collecting_ = false;
    } else if (name == "rPh" && phonetic_depth_ > 0) {
      --phonetic_depth_;
    } else if (name == "si" && in_item_) {
      memory_ += kCellCost + text_.size();
      if (memory_ > kMaxSharedStringsMemory) {
        return Status::InvalidArgument("the workbook's shared texts take more than 64 MiB");
      }
      strings.push_back(std::move(text_));
      text_.clear();
      in_item_ = false;
    }
    return Status::OK();
  }
  Status OnText(std::string_view text) override {
    if (collecting_) text_ += text;
    return Status::OK();
  }

 private:
  bool in_item_ = false;
  bool collecting_ = false;
  int phonetic_depth_ = 0;
  std::string text_;
  size_t memory_ = 0;  // of `strings`
};

// The 0-based row of a <row r="5">. Numbers past the limit come out as
// kMaxRows, which TableBuilder refuses once a value lands there: spreadsheet
// programs write empty formatted rows down to 1048576.
Result<size_t> RowOf(std::string_view number) {
  if (number.empty()) return Damaged("a row has an empty number");
  size_t row = 0;
  for (const char c : number) {
    if (c < '0' || c > '9') return Damaged("a row has a number that is not a number");
    row = std::min(row * 10 + static_cast<size_t>(c - '0'), kMaxRows + 1);
  }
  if (row == 0) return Damaged("a row has the number 0");
  return row - 1;
}

// The 0-based column of a cell reference such as "C5" (letters, then the row).
// Columns past the limit come out as kMaxColumns (see RowOf).
Result<size_t> ColumnOf(std::string_view ref) {
  size_t column = 0;
  size_t letters = 0;
  while (letters < ref.size()) {
    char c = ref[letters];
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c < 'A' || c > 'Z') break;
    column = std::min(column * 26 + static_cast<size_t>(c - 'A' + 1), kMaxColumns + 1);
    ++letters;
  }
  const std::string_view digits = ref.substr(letters);
  if (letters == 0 || digits.empty() ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return Damaged("a cell has a malformed reference (not like \"C5\")");
  }
  return column - 1;
}

// A worksheet part: <sheetData><row r="1"><c r="A1" t="s"><v>0</v></c>…
class WorksheetReader : public XmlPartReader {
 public:
  explicit WorksheetReader(const std::vector<std::string>& shared_strings)
      : shared_strings_(shared_strings) {}

  TableBuilder table;

 protected:
  Status OnStart(std::string_view name, const XML_Char** attributes) override {
    if (name == "sheetData") {
      in_sheet_data_ = true;
    } else if (in_sheet_data_ && !in_row_ && name == "row") {
      in_row_ = true;
      if (const char* r = Attribute(attributes, "r")) {
        Result<size_t> row = RowOf(r);
        if (!row.ok()) return row.status();
        row_ = *row;
      } else {
        row_ = std::min(next_row_, kMaxRows);
      }
      next_row_ = row_ + 1;
      next_column_ = 0;
    } else if (in_row_ && !in_cell_ && name == "c") {
      in_cell_ = true;
      if (const char* r = Attribute(attributes, "r")) {
        Result<size_t> column = ColumnOf(r);
        if (!column.ok()) return column.status();
        column_ = *column;
      } else {
        column_ = std::min(next_column_, kMaxColumns);
      }
      next_column_ = column_ + 1;
      const char* type = Attribute(attributes, "t");
      type_ = type == nullptr ? "n" : type;
      has_value_ = false;
      value_.clear();
    } else if (in_cell_ && name == "v") {
      has_value_ = true;
      collecting_ = true;
    } else if (in_cell_ && name == "is") {
      has_value_ = true;
      in_inline_ = true;
      phonetic_depth_ = 0;
    } else if (in_inline_ && name == "rPh") {
      ++phonetic_depth_;
    } else if (in_inline_ && name == "t" && phonetic_depth_ == 0) {
      collecting_ = true;
    }
    return Status::OK();
  }

  Status OnEnd(std::string_view name) override {
    if (name == "v" || name == "t") {
      collecting_ = false;
    } else if (name == "rPh" && phonetic_depth_ > 0) {
      --phonetic_depth_;
    } else if (name == "is") {
      in_inline_ = false;
    } else if (name == "c" && in_cell_) {
      in_cell_ = false;
      return EndCell();
    } else if (name == "row") {
      in_row_ = false;
    } else if (name == "sheetData") {
      in_sheet_data_ = false;
    }
    return Status::OK();
  }

  Status OnText(std::string_view text) override {
    if (collecting_) value_ += text;
    return Status::OK();
  }

 private:
  Status EndCell() {
    if (!has_value_) return Status::OK();  // formatting only, or a formula never calculated
    std::string text;
    if (type_ == "s") {
      size_t index = 0;
      const bool digits =
          !value_.empty() && value_.size() <= 9 &&
          std::all_of(value_.begin(), value_.end(), [](char c) { return c >= '0' && c <= '9'; });
      if (digits) index = std::stoul(value_);
      if (!digits || index >= shared_strings_.size()) {
        return Damaged("a cell refers to a shared string that the workbook does not have");
      }
      text = shared_strings_[index];
    } else if (type_ == "b") {
      if (value_ == "1" || value_ == "true") {
        text = "true";
      } else if (value_ == "0" || value_ == "false") {
        text = "false";
      } else {
        return Damaged("a cell holds a boolean that is neither 0 nor 1");
      }
    } else {
      // Numbers, dates, inline strings ("inlineStr"), formula strings ("str"),
      // ISO dates ("d") and errors ("e"): the text as stored.
      text = std::move(value_);
    }
    value_.clear();
    return table.Set(row_, column_, std::move(text));
  }

  const std::vector<std::string>& shared_strings_;
  bool in_sheet_data_ = false;
  bool in_row_ = false;
  bool in_cell_ = false;
  bool in_inline_ = false;
  bool collecting_ = false;
  bool has_value_ = false;
  int phonetic_depth_ = 0;
  size_t row_ = 0;          // 0-based row of the current <row>
  size_t next_row_ = 0;     // for a <row> without r
  size_t column_ = 0;       // 0-based column of the current <c>
  size_t next_column_ = 0;  // for a <c> without r
  std::string type_;
  std::string value_;
};

// ---------------------------------------------------------------------------
// CSV.

// The position of the first byte that does not begin a valid UTF-8 sequence
// (overlong forms, surrogates and code points past U+10FFFF are invalid), or npos.
size_t FirstInvalidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto lead = static_cast<unsigned char>(s[i]);
    if (lead < 0x80) {
      ++i;
      continue;
    }
    size_t length = 0;
    uint32_t code = 0;
    uint32_t least = 0;
    if ((lead & 0xE0) == 0xC0) {
      length = 2, code = lead & 0x1F, least = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3, code = lead & 0x0F, least = 0x800;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4, code = lead & 0x07, least = 0x10000;
    } else {
      return i;
    }
    if (s.size() - i < length) return i;
    for (size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(s[i + k]);
      if ((next & 0xC0) != 0x80) return i;
      code = (code << 6) | (next & 0x3F);
    }
    if (code < least || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return i;
    i += length;
  }
  return std::string_view::npos;
}

// The 1-based line of position `pos` (lines end with CRLF, LF or CR).
size_t LineAt(std::string_view s, size_t pos) {
  size_t line = 1;
  for (size_t i = 0; i < pos && i < s.size(); ++i) {
    if (s[i] == '\n' || (s[i] == '\r' && (i + 1 >= s.size() || s[i + 1] != '\n'))) ++line;
  }
  return line;
}

// ';' when the first record has more semicolons than commas outside quotes.
char PickSeparator(std::string_view s) {
  size_t commas = 0;
  size_t semicolons = 0;
  bool quoted = false;
  for (const char c : s) {
    if (c == '"') {
      quoted = !quoted;
    } else if (!quoted && (c == '\n' || c == '\r')) {
      break;
    } else if (!quoted && c == ',') {
      ++commas;
    } else if (!quoted && c == ';') {
      ++semicolons;
    }
  }
  return semicolons > commas ? ';' : ',';
}

}  // namespace

Result<Table> ReadXlsx(std::string_view bytes) {
  Result<ZipPtr> zip = OpenZip(bytes);
  if (!zip.ok()) return zip.status();
  Result<Parts> parts = FindParts(zip->get());
  if (!parts.ok()) return parts.status();
  SharedStringsReader shared;
  if (!parts->shared_strings.empty()) {
    if (Status s = shared.Parse(zip->get(), parts->shared_strings); !s.ok()) return s;
  }
  WorksheetReader sheet(shared.strings);
  if (Status s = sheet.Parse(zip->get(), parts->sheet); !s.ok()) return s;
  return std::move(sheet.table).Finish();
}

Result<Table> ReadCsv(std::string_view text) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  if (const size_t bad = FirstInvalidUtf8(text); bad != std::string_view::npos) {
    return Status::InvalidArgument("the CSV file is not in UTF-8 (line " +
                                   std::to_string(LineAt(text, bad)) +
                                   "); save it as \"CSV UTF-8\"");
  }
  const char separator = PickSeparator(text);

  TableBuilder table;
  std::vector<std::string> fields;
  std::string field;
  size_t row = 0;              // 0-based row of the record being read
  size_t line = 1;             // 1-based line of the current position
  bool at_field_start = true;  // nothing of the current field read yet
  bool blank_record = true;    // nothing at all of the current record read yet
  const auto end_field = [&]() -> Status {
    if (fields.size() >= kMaxColumns) {
      return Status::InvalidArgument("the sheet has more than 16384 columns (line " +
                                     std::to_string(line) + ")");
    }
    fields.push_back(std::move(field));
    field.clear();
    return Status::OK();
  };
  const auto end_record = [&]() -> Status {
    if (!blank_record) {  // a blank line is an empty row, left empty
      if (Status s = end_field(); !s.ok()) return s;
      if (Status s = table.SetRow(row, std::move(fields)); !s.ok()) return s;
      fields.clear();
    }
    ++row;
    at_field_start = true;
    blank_record = true;
    return Status::OK();
  };

  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '"' && at_field_start) {
      const size_t first_line = line;
      ++i;
      for (;;) {
        if (i >= text.size()) {
          return Status::InvalidArgument(
              "the CSV file has an unterminated quote: the quoted field that starts on line " +
              std::to_string(first_line) + " never ends");
        }
        const char q = text[i];
        if (q == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            field += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        if (q == '\r' || q == '\n') {  // any line ending inside quotes becomes "\n"
          field += '\n';
          ++line;
          i += q == '\r' && i + 1 < text.size() && text[i + 1] == '\n' ? 2 : 1;
          continue;
        }
        field += q;
        ++i;
      }
      at_field_start = false;
      blank_record = false;
    } else if (c == separator) {
      if (Status s = end_field(); !s.ok()) return s;
      at_field_start = true;
      blank_record = false;
      ++i;
    } else if (c == '\r' || c == '\n') {
      if (Status s = end_record(); !s.ok()) return s;
      ++line;
      i += c == '\r' && i + 1 < text.size() && text[i + 1] == '\n' ? 2 : 1;
    } else {
      field += c;
      at_field_start = false;
      blank_record = false;
      ++i;
    }
  }
  if (!blank_record) {
    if (Status s = end_record(); !s.ok()) return s;
  }
  return std::move(table).Finish();
}

}  // namespace crm::api
