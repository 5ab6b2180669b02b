#include "api/formats/sheet_reader.h"

// The .xlsx files here are made by real programs: openpyxl (python3-openpyxl,
// through /usr/bin/python3), libxlsxwriter (directly and through XlsxBytes)
// and LibreOffice when it is installed. Cases no program writes (phonetic
// runs, cells without positions, damaged and hostile archives) start from such
// a file and are edited with Python's zipfile.

#include <gtest/gtest.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "api/formats/xlsx_writer.h"

namespace crm::api {
namespace {

namespace fs = std::filesystem;

// Helpers for the Python scripts: rewrite(src, dst, edit) copies a zip
// archive, passing each entry through edit(name, data), which returns the new
// (name, data) or None to leave the entry out.
constexpr char kPythonPrelude[] = R"(
import datetime, sys, zipfile
import openpyxl

def rewrite(src, dst, edit):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            edited = edit(item.filename, zin.read(item.filename))
            if edited is not None:
                zout.writestr(edited[0], edited[1])

def replace_in(part, old, new):
    def edit(name, data):
        if name == part:
            assert old.encode() in data, (old, data)
            data = data.replace(old.encode(), new.encode())
        return name, data
    return edit

out = sys.argv[1]
)";

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

void WriteFile(const fs::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

// Runs a shell command; true when it exits with 0.
bool Succeeds(const std::string& command) {
  const char* argv[] = {"sh", "-c", command.c_str(), nullptr};
  pid_t pid = 0;
  if (posix_spawn(&pid, "/bin/sh", nullptr, nullptr, const_cast<char* const*>(argv), environ) !=
      0) {
    return false;
  }
  int status = 0;
  return waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// Debian's python3 (which python3-openpyxl is for), or the first one on PATH.
const std::string& Python() {
  static const std::string python = Succeeds("/usr/bin/python3 -c 'import openpyxl' 2>/dev/null")
                                        ? "/usr/bin/python3"
                                        : "python3";
  return python;
}

class SheetReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string dir = (fs::temp_directory_path() / "crm-sheet-reader-XXXXXX").string();
    ASSERT_NE(nullptr, mkdtemp(dir.data()));
    dir_ = dir;
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs `script` (after kPythonPrelude) with `out` = a new file in the
  // temporary folder, and returns that file's bytes.
  std::string MakeWithPython(const std::string& script) {
    const fs::path source = dir_ / ("make" + std::to_string(++scripts_) + ".py");
    const fs::path out = dir_ / ("made" + std::to_string(scripts_) + ".xlsx");
    WriteFile(source, std::string(kPythonPrelude) + script);
    EXPECT_TRUE(Succeeds(Python() + " '" + source.string() + "' '" + out.string() + "'"))
        << "the script failed (python3-openpyxl is needed: apt-get install python3-openpyxl):\n"
        << script;
    return ReadFile(out);
  }

  fs::path dir_;
  int scripts_ = 0;
};

// The sheet that most tests start from (openpyxl writes strings inline).
constexpr char kAccountsScript[] = R"(
wb = openpyxl.Workbook()
ws = wb.active
ws.title = "Conturi"
ws.append(["Denumire", "Oraș", "Angajați", "Cifră de afaceri", "Activ", "Înființată"])
ws.append(["Științe Aplicate SRL", "Brașov", 12, 12.5, True, datetime.datetime(2024, 3, 1)])
# row 3 stays empty; B4 and D4 are empty cells in the middle
ws["A4"] = 'Țară & <Fibră> "Ăâî"'
ws["C4"] = 1234567
ws["E4"] = False
ws["F4"] = "#N/A"
ws["A5"] = "  spații  "
ws["B5"] = "două\nrânduri"
ws["A6"] = "ultimul"
ws["B6"] = -0.25
ws["C6"] = "=B6*2"  # openpyxl does not calculate: the file holds no value
# formatting alone, even on the sheet's last row, is not a value
ws["C1048576"].font = openpyxl.styles.Font(bold=True)
wb.create_sheet("Altceva")["A1"] = "nu acesta"
wb.save(out)
)";

// What kAccountsScript writes, as read.
Table Accounts() {
  return {
      {"Denumire", "Oraș", "Angajați", "Cifră de afaceri", "Activ", "Înființată"},
      {"Științe Aplicate SRL", "Brașov", "12", "12.5", "true", "45352"},
      {},
      {"Țară & <Fibră> \"Ăâî\"", "", "1234567", "", "false", "#N/A"},
      {"  spații  ", "două\nrânduri"},
      {"ultimul", "-0.25", ""},
  };
}

TEST_F(SheetReaderTest, ReadsAnOpenpyxlWorkbook) {
  const std::string bytes = MakeWithPython(kAccountsScript);
  Result<Table> table = ReadXlsx(bytes);
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  EXPECT_EQ(Accounts(), *table);
}

TEST_F(SheetReaderTest, ReadsALibxlsxwriterWorkbook) {
  // libxlsxwriter writes shared strings (t="s"), rich text runs and formula strings (t="str").
  const fs::path path = dir_ / "lxw.xlsx";
  lxw_workbook* workbook = workbook_new(path.c_str());
  ASSERT_NE(nullptr, workbook);
  lxw_worksheet* first = workbook_add_worksheet(workbook, "Clienți");
  lxw_worksheet* second = workbook_add_worksheet(workbook, "Altceva");
  lxw_format* bold = workbook_add_format(workbook);
  format_set_bold(bold);
  worksheet_write_string(first, 0, 0, "Denumire", bold);
  worksheet_write_string(first, 0, 1, "Județ", bold);
  lxw_rich_string_tuple part1 = {bold, const_cast<char*>("Ștefan ")};
  lxw_rich_string_tuple part2 = {nullptr, const_cast<char*>("& Fiii SRL")};
  lxw_rich_string_tuple* rich[] = {&part1, &part2, nullptr};
  worksheet_write_rich_string(first, 1, 0, rich, nullptr);
  worksheet_write_string(first, 1, 1, "Iași", nullptr);
  worksheet_write_number(first, 1, 2, 1234567, nullptr);
  worksheet_write_number(first, 1, 3, 12.5, nullptr);
  worksheet_write_boolean(first, 1, 4, 1, nullptr);
  worksheet_write_formula_str(first, 1, 5, "=\"a\"&\"b\"", nullptr, "ab");
  worksheet_write_string(first, 3, 1, "Iași", nullptr);  // the same shared string again
  worksheet_write_string(second, 0, 0, "nu acesta", nullptr);
  ASSERT_EQ(LXW_NO_ERROR, workbook_close(workbook));

  const std::string bytes = ReadFile(path);
  Result<Table> table = ReadXlsx(bytes);
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  const Table expected = {
      {"Denumire", "Județ"},
      {"Ștefan & Fiii SRL", "Iași", "1234567", "12.5", "true", "ab"},
      {},
      {"", "Iași"},
  };
  EXPECT_EQ(expected, *table);
}

TEST_F(SheetReaderTest, ReadsBackWhatXlsxBytesWrites) {
  Sheet sheet;
  sheet.name = "Export";
  sheet.header = {"Denumire", "CUI", "Localitate"};
  sheet.rows = {{"Ăâîșț ĂÂÎȘȚ SRL", "RO123", "Timișoara"}, {"A & B <C>", "", "Cluj-Napoca"}};
  Result<std::string> bytes = XlsxBytes(sheet);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  Result<Table> table = ReadXlsx(*bytes);
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  const Table expected = {sheet.header,
                          {"Ăâîșț ĂÂÎȘȚ SRL", "RO123", "Timișoara"},
                          {"A & B <C>", "", "Cluj-Napoca"}};
  EXPECT_EQ(expected, *table);
}

TEST_F(SheetReaderTest, IgnoresPhoneticRunsInSharedStrings) {
  Sheet sheet;
  sheet.name = "Foaie";
  sheet.header = {"東京", "Brăila"};
  Result<std::string> bytes = XlsxBytes(sheet);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  WriteFile(dir_ / "plain.xlsx", *bytes);
  // What Excel writes for Japanese text: the reading in <rPh>, after the text.
  const std::string edited = MakeWithPython(
      "rewrite('" + (dir_ / "plain.xlsx").string() +
      "', out, replace_in(\n"
      "    'xl/sharedStrings.xml', '<t>東京</t>',\n"
      "    '<r><t>東</t></r><r><rPr><b/></rPr><t>京</t></r>"
      "<rPh sb=\"0\" eb=\"2\"><t>トウキョウ</t></rPh><phoneticPr fontId=\"1\"/>'))\n");
  Result<Table> table = ReadXlsx(edited);
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  EXPECT_EQ((Table{{"東京", "Brăila"}}), *table);
}

TEST_F(SheetReaderTest, FindsTheFirstSheetThroughTheWorkbook) {
  // The first sheet in tab order is stored as primul.xml, and sheet1.xml is the second one.
  const std::string bytes = MakeWithPython(R"(
wb = openpyxl.Workbook()
wb.active.title = "Primul"
wb.active["A1"] = "primul"
wb.create_sheet("Al doilea")["A1"] = "al doilea"
wb.save(out + ".tmp")
def edit(name, data):
    moved = {"xl/worksheets/sheet1.xml": "xl/worksheets/primul.xml",
             "xl/worksheets/sheet2.xml": "xl/worksheets/sheet1.xml"}
    if name in ("xl/_rels/workbook.xml.rels", "[Content_Types].xml"):
        text = data.decode().replace("sheet1.xml", "TMP").replace("sheet2.xml", "sheet1.xml")
        data = text.replace("TMP", "primul.xml").encode()
    return moved.get(name, name), data
rewrite(out + ".tmp", out, edit)
)");
  Result<Table> table = ReadXlsx(bytes);
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  EXPECT_EQ((Table{{"primul"}}), *table);
}

TEST_F(SheetReaderTest, FallsBackToSheet1WithoutWorkbookRelationships) {
  const std::string bytes = MakeWithPython(std::string(kAccountsScript) + R"(
rewrite(out, out + ".2", lambda name, data:
        None if name == "xl/_rels/workbook.xml.rels" else (name, data))
import os; os.replace(out + ".2", out)
)");
  Result<Table> table = ReadXlsx(bytes);
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  EXPECT_EQ(Accounts(), *table);
}

TEST_F(SheetReaderTest, CellsAndRowsWithoutPositionFollowThePreviousOnes) {
  const std::string bytes = MakeWithPython(R"(
wb = openpyxl.Workbook()
ws = wb.active
ws["A1"], ws["B1"], ws["C1"] = "a", "b", "c"
ws["B3"], ws["C3"] = "x", "y"
ws["A4"] = "z"
wb.save(out + ".tmp")
def edit(name, data):
    if name == "xl/worksheets/sheet1.xml":
        text = data.decode()
        for old in ('<c r="C1"', '<c r="C3"', '<row r="4"'):
            assert old in text, old
            text = text.replace(old, old.split()[0])
        data = text.encode()
    return name, data
rewrite(out + ".tmp", out, edit)
)");
  Result<Table> table = ReadXlsx(bytes);
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  EXPECT_EQ((Table{{"a", "b", "c"}, {}, {"", "x", "y"}, {"z"}}), *table);
}

TEST_F(SheetReaderTest, AnEmptySheetIsAnEmptyTable) {
  Result<Table> table = ReadXlsx(MakeWithPython("openpyxl.Workbook().save(out)\n"));
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  EXPECT_TRUE(table->empty());
}

TEST_F(SheetReaderTest, RefusesTooManyRowsOrColumns) {
  Result<Table> rows = ReadXlsx(MakeWithPython(R"(
wb = openpyxl.Workbook()
wb.active["A1"] = "antet"
wb.active.cell(row=1000001, column=1, value="prea departe")
wb.save(out)
)"));
  ASSERT_FALSE(rows.ok());
  EXPECT_TRUE(rows.status().IsInvalidArgument());
  EXPECT_EQ("the sheet has more than 1,000,000 rows", rows.status().message());

  Result<Table> last_row = ReadXlsx(MakeWithPython(R"(
wb = openpyxl.Workbook()
wb.active.cell(row=1000000, column=16384, value="colț")
wb.save(out)
)"));
  ASSERT_TRUE(last_row.ok()) << last_row.status().ToString();
  ASSERT_EQ(1000000u, last_row->size());
  ASSERT_EQ(16384u, last_row->back().size());
  EXPECT_EQ("colț", last_row->back().back());

  Result<Table> columns = ReadXlsx(MakeWithPython(R"(
wb = openpyxl.Workbook()
wb.active.cell(row=1, column=16385, value="prea departe")
wb.save(out)
)"));
  ASSERT_FALSE(columns.ok());
  EXPECT_EQ("the sheet has more than 16384 columns", columns.status().message());
}

TEST_F(SheetReaderTest, ReadsAWorkbookLibreOfficeConvertedFromCsv) {
  if (!Succeeds("command -v soffice >/dev/null 2>&1")) GTEST_SKIP() << "soffice is not installed";
  const fs::path csv = dir_ / "conturi.csv";
  WriteFile(csv,
            "Denumire,Oraș,Angajați,Cifră\n"
            "Științe Aplicate SRL,Brașov,12,12.5\n"
            "\"Țară, Ăâî\",,1234567,\n");
  // 44,34,76: comma, double quote, UTF-8; a profile of its own, so that a
  // LibreOffice already running is left alone.
  ASSERT_TRUE(Succeeds("soffice -env:UserInstallation=file://" + dir_.string() +
                       "/profile --headless"
                       " --infilter='Text - txt - csv (StarCalc):44,34,76,1'"
                       " --convert-to xlsx --outdir '" +
                       dir_.string() + "' '" + csv.string() + "' >/dev/null 2>&1"));
  Result<Table> table = ReadXlsx(ReadFile(dir_ / "conturi.xlsx"));
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  const Table expected = {
      {"Denumire", "Oraș", "Angajați", "Cifră"},
      {"Științe Aplicate SRL", "Brașov", "12", "12.5"},
      {"Țară, Ăâî", "", "1234567"},
  };
  EXPECT_EQ(expected, *table);
}

// --- Damaged and hostile input.

TEST_F(SheetReaderTest, RefusesWhatIsNotAWorkbook) {
  std::mt19937 random(42);
  std::string garbage(4096, '\0');
  for (char& c : garbage) c = static_cast<char>(random());
  for (const std::string& bytes :
       {std::string(), garbage, "PK" + garbage, std::string("Denumire,Oraș\nA,B\n"),
        std::string("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8) + garbage}) {
    Result<Table> table = ReadXlsx(bytes);
    ASSERT_FALSE(table.ok());
    EXPECT_TRUE(table.status().IsInvalidArgument()) << table.status().ToString();
  }
  EXPECT_EQ("the file is empty", ReadXlsx("").status().message());
  EXPECT_EQ("not an .xlsx file (it is not a zip archive)",
            ReadXlsx("Denumire,Oraș\n").status().message());
  EXPECT_NE(std::string::npos,
            ReadXlsx(std::string("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8) + garbage)
                .status()
                .message()
                .find("Excel 97-2003 (.xls)"));
  EXPECT_NE(std::string::npos,
            ReadXlsx("PK" + garbage).status().message().find("not an .xlsx file"));
}

TEST_F(SheetReaderTest, RefusesAZipWithoutAWorksheet) {
  Result<Table> table = ReadXlsx(MakeWithPython(R"(
with zipfile.ZipFile(out, "w") as z:
    z.writestr("hello.txt", "salut")
)"));
  ASSERT_FALSE(table.ok());
  EXPECT_NE(std::string::npos, table.status().message().find("no worksheet"))
      << table.status().message();

  Result<Table> missing = ReadXlsx(MakeWithPython(std::string(kAccountsScript) + R"(
rewrite(out, out + ".2", lambda name, data:
        None if name == "xl/worksheets/sheet1.xml" else (name, data))
import os; os.replace(out + ".2", out)
)"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ("the .xlsx file is damaged: its first worksheet, xl/worksheets/sheet1.xml, is missing",
            missing.status().message());
}

TEST_F(SheetReaderTest, RefusesTruncatedFiles) {
  const std::string bytes = MakeWithPython(kAccountsScript);
  ASSERT_GT(bytes.size(), 1000u);
  for (size_t length = 0; length < bytes.size(); length += bytes.size() / 97 + 1) {
    Result<Table> table = ReadXlsx(std::string_view(bytes).substr(0, length));
    ASSERT_FALSE(table.ok()) << "length " << length;
    EXPECT_TRUE(table.status().IsInvalidArgument()) << table.status().ToString();
  }
  Result<Table> table = ReadXlsx(std::string_view(bytes).substr(0, bytes.size() - 1));
  ASSERT_FALSE(table.ok());
}

TEST_F(SheetReaderTest, SurvivesDamagedBytes) {
  // Every damaged copy either fails with InvalidArgument or reads (when the
  // byte is in a part that is not read); none may crash (see the sanitizer
  // build). Compressed, most damage ends in inflate or CRC errors; stored
  // (uncompressed), it reaches the XML parser and the cell reader first.
  const std::string deflated = MakeWithPython(kAccountsScript);
  const std::string stored = MakeWithPython(std::string(kAccountsScript) + R"(
with zipfile.ZipFile(out) as zin, zipfile.ZipFile(out + ".2", "w", zipfile.ZIP_STORED) as zout:
    for item in zin.infolist():
        zout.writestr(item.filename, zin.read(item.filename))
import os; os.replace(out + ".2", out)
)");
  ASSERT_GT(stored.size(), deflated.size());
  for (const std::string* bytes : {&deflated, &stored}) {
    ASSERT_TRUE(ReadXlsx(*bytes).ok());
    for (size_t at = 0; at < bytes->size(); at += 3) {
      for (const char flip : {'\x01', '\x80', '\xFF'}) {
        std::string damaged = *bytes;
        damaged[at] = static_cast<char>(damaged[at] ^ flip);
        Result<Table> table = ReadXlsx(damaged);
        if (!table.ok()) {
          EXPECT_TRUE(table.status().IsInvalidArgument()) << "at " << at;
        }
      }
    }
  }
}

TEST_F(SheetReaderTest, RefusesMalformedXml) {
  Result<Table> broken = ReadXlsx(MakeWithPython(std::string(kAccountsScript) + R"(
rewrite(out, out + ".2", replace_in("xl/worksheets/sheet1.xml", "</sheetData>", "</sheetDat>"))
import os; os.replace(out + ".2", out)
)"));
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(std::string::npos, broken.status().message().find(
                                   "xl/worksheets/sheet1.xml is not well-formed XML (line "))
      << broken.status().message();

  // The "billion laughs": entity expansion is never reached, a DOCTYPE is refused.
  Result<Table> laughs = ReadXlsx(MakeWithPython(std::string(kAccountsScript) + R"(
entities = '<!ENTITY a "haha">' + "".join(
    '<!ENTITY %s "%s">' % (chr(98 + i), ("&%s;" % chr(97 + i)) * 10) for i in range(9))
def edit(name, data):
    if name == "xl/worksheets/sheet1.xml":
        text = data.decode()
        text = text.replace("<worksheet", "<!DOCTYPE worksheet [" + entities + "]><worksheet", 1)
        text = text.replace("<t>Denumire</t>", "<t>&j;</t>")
        data = text.encode()
    return name, data
rewrite(out, out + ".2", edit)
import os; os.replace(out + ".2", out)
)"));
  ASSERT_FALSE(laughs.ok());
  EXPECT_NE(std::string::npos, laughs.status().message().find("DOCTYPE"))
      << laughs.status().message();

  Result<Table> bad_ref = ReadXlsx(MakeWithPython(std::string(kAccountsScript) + R"(
rewrite(out, out + ".2", replace_in("xl/worksheets/sheet1.xml", '<c r="A2"', '<c r="2A"'))
import os; os.replace(out + ".2", out)
)"));
  ASSERT_FALSE(bad_ref.ok());
  EXPECT_NE(std::string::npos, bad_ref.status().message().find("malformed reference"));
}

TEST_F(SheetReaderTest, RefusesAMissingSharedString) {
  Sheet sheet;
  sheet.name = "Foaie";
  sheet.header = {"unu", "doi"};
  Result<std::string> bytes = XlsxBytes(sheet);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  WriteFile(dir_ / "plain.xlsx", *bytes);
  Result<Table> table =
      ReadXlsx(MakeWithPython("rewrite('" + (dir_ / "plain.xlsx").string() +
                              "', out, replace_in(\n"
                              "    'xl/worksheets/sheet1.xml', '<v>1</v>', '<v>7</v>'))\n"));
  ASSERT_FALSE(table.ok());
  EXPECT_NE(std::string::npos, table.status().message().find("shared string"));
}

TEST_F(SheetReaderTest, RefusesZipBombs) {
  // 210 MiB of spaces: the archive says so and is refused before anything is inflated.
  Result<Table> honest = ReadXlsx(MakeWithPython(R"(
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    with z.open("xl/worksheets/sheet1.xml", "w") as f:
        for _ in range(210):
            f.write(b" " * (1 << 20))
)"));
  ASSERT_FALSE(honest.ok());
  EXPECT_EQ("the .xlsx file is too large: more than 200 MiB once uncompressed",
            honest.status().message());

  // The same, well-formed, with both size fields patched to claim 1000 bytes.
  Result<Table> lying = ReadXlsx(MakeWithPython(R"(
head = b'<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>'
tail = b'</t></is></c></row></sheetData></worksheet>'
with zipfile.ZipFile(out + ".tmp", "w", zipfile.ZIP_DEFLATED) as z:
    with z.open("xl/worksheets/sheet1.xml", "w") as f:
        f.write(head)
        for _ in range(210):
            f.write(b"a" * (1 << 20))
        f.write(tail)
data = bytearray(open(out + ".tmp", "rb").read())
local = data.index(b"PK\x03\x04")
central = data.index(b"PK\x01\x02")
data[local + 22:local + 26] = (1000).to_bytes(4, "little")
data[central + 24:central + 28] = (1000).to_bytes(4, "little")
open(out, "wb").write(bytes(data))
)"));
  ASSERT_FALSE(lying.ok());
  EXPECT_EQ("the .xlsx file is damaged: xl/worksheets/sheet1.xml is larger than the archive says",
            lying.status().message());
}

// --- CSV.

Table Csv(std::string_view text) {
  Result<Table> table = ReadCsv(text);
  EXPECT_TRUE(table.ok()) << table.status().ToString();
  return table.ok() ? *table : Table{};
}

TEST(ReadCsvTest, QuotesEscapesAndEmbeddedNewlines) {
  EXPECT_EQ(
      (Table{{"Denumire", "Adresă", "Notă"},
             {"Alfa, Beta SRL", "Str. \"Mare\" nr. 1", "rândul 1\nrândul 2\nrândul 3"},
             {"", "", ""},
             {"Compania \"Alfa\" SRL", "x y", ""}}),
      Csv("Denumire,Adresă,Notă\r\n"
          "\"Alfa, Beta SRL\",\"Str. \"\"Mare\"\" nr. 1\",\"rândul 1\r\nrândul 2\nrândul 3\"\r\n"
          ",,\"\"\r\n"
          "Compania \"Alfa\" SRL,\"x\" y,\r\n"));
}

TEST(ReadCsvTest, LineEndsBlankLinesAndTheLastLine) {
  EXPECT_EQ((Table{{"a", "b"}, {}, {"c", "d"}}), Csv("a,b\n\nc,d"));
  EXPECT_EQ((Table{{"a", "b"}, {}, {"c", "d"}}), Csv("a,b\r\n\r\nc,d\r\n\r\n,\r\n\n"));
  EXPECT_EQ((Table{{"a"}, {"b"}, {"c"}}), Csv("a\rb\r\nc\n"));
  EXPECT_EQ(Table{}, Csv(""));
  EXPECT_EQ(Table{}, Csv("\xEF\xBB\xBF"));
  EXPECT_EQ(Table{}, Csv("\n\n,,\n"));
  EXPECT_EQ((Table{{" a ", "b "}}), Csv(" a ,b "));
}

TEST(ReadCsvTest, ByteOrderMarkAndSemicolons) {
  // Excel in a Romanian locale: ';' between fields, ',' in numbers.
  EXPECT_EQ((Table{{"Denumire", "Cifră de afaceri", "Oraș"},
                   {"Științe Aplicate SRL", "12,5", "Brașov"},
                   {"Țară; Ăâî", "1.234.567,00", "Iași"}}),
            Csv("\xEF\xBB\xBF"
                "Denumire;Cifră de afaceri;Oraș\r\n"
                "Științe Aplicate SRL;12,5;Brașov\r\n"
                "\"Țară; Ăâî\";1.234.567,00;Iași\r\n"));
  // Separators inside quotes do not count; a tie means ','.
  EXPECT_EQ((Table{{"a,b,c", "d", "e"}}), Csv("\"a,b,c\";d;e"));
  EXPECT_EQ((Table{{"a;b", "c"}}), Csv("a;b,c"));
}

TEST(ReadCsvTest, RefusesAnUnterminatedQuote) {
  Result<Table> table =
      ReadCsv("Denumire,Notă\r\nAlfa,\"bine\"\r\nBeta,\"începe\r\nși nu se termină\r\n");
  ASSERT_FALSE(table.ok());
  EXPECT_TRUE(table.status().IsInvalidArgument());
  EXPECT_EQ(
      "the CSV file has an unterminated quote: the quoted field that starts on line 3 never ends",
      table.status().message());
}

TEST(ReadCsvTest, RefusesTextThatIsNotUtf8) {
  // "Brașov" as Windows-1250 (ș is 0xBA there), on the second line.
  Result<Table> table = ReadCsv("Denumire,Oraș\nAlfa,Bra\xBAov\n");
  ASSERT_FALSE(table.ok());
  EXPECT_EQ("the CSV file is not in UTF-8 (line 2); save it as \"CSV UTF-8\"",
            table.status().message());
  for (const char* bad : {"\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xE2\x82"}) {
    EXPECT_FALSE(ReadCsv(bad).ok()) << bad;  // overlong, surrogate, past U+10FFFF, truncated
  }
}

TEST(ReadCsvTest, Limits) {
  const std::string widest(16383, ',');
  Result<Table> wide = ReadCsv("a" + widest);
  ASSERT_TRUE(wide.ok()) << wide.status().ToString();
  EXPECT_EQ(16384u, wide->front().size());
  Result<Table> too_wide = ReadCsv("a\n" + widest + ",");
  ASSERT_FALSE(too_wide.ok());
  EXPECT_EQ("the sheet has more than 16384 columns (line 2)", too_wide.status().message());

  std::string rows;
  for (int i = 0; i < 1'000'001; ++i) rows += "x\n";
  Result<Table> too_long = ReadCsv(rows);
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ("the sheet has more than 1,000,000 rows", too_long.status().message());
}

}  // namespace
}  // namespace crm::api

namespace crm::api {
namespace {

TEST(SheetReaderLimitsTest, RefusesCellsAndTablesThatHoldTooMuchText) {
  auto big = ReadCsv("name\n" + std::string(40000, 'x') + "\n");
  ASSERT_FALSE(big.ok());
  EXPECT_NE(std::string::npos, big.status().message().find("32767"));
  // 9,000 cells of 30,000 bytes: each is allowed, together they are not.
  std::string csv = "a\n";
  const std::string cell(30000, 'y');
  for (int i = 0; i < 9000; ++i) csv += cell + "\n";
  auto many = ReadCsv(csv);
  ASSERT_FALSE(many.ok());
  EXPECT_NE(std::string::npos, many.status().message().find("128 MiB"));
}

TEST_F(SheetReaderTest, ASparseWorkbookIsBoundedByTheMemoryItsCellsTake) {
  // 1,022 rows with one cell each in column XFD: a few kilobytes of file
  // that dense rows would make 16.7 million cells (over 500 MB).
  Result<Table> sparse = ReadXlsx(MakeWithPython(R"(
wb = openpyxl.Workbook()
for r in range(1, 1023):
    wb.active.cell(row=r, column=16384, value="x")
wb.save(out)
)"));
  ASSERT_FALSE(sparse.ok());
  EXPECT_TRUE(sparse.status().IsInvalidArgument());
  EXPECT_NE(std::string::npos, sparse.status().message().find("128 MiB"))
      << sparse.status().ToString();
  // The same cells in 100 rows fit (about 50 MB).
  Result<Table> fits = ReadXlsx(MakeWithPython(R"(
wb = openpyxl.Workbook()
for r in range(1, 101):
    wb.active.cell(row=r, column=16384, value="x")
wb.save(out)
)"));
  ASSERT_TRUE(fits.ok()) << fits.status().ToString();
  EXPECT_EQ(100u, fits->size());
  EXPECT_EQ("x", fits->back().back());
}

TEST_F(SheetReaderTest, ManySharedStringsAreBounded) {
  // 70,000 distinct shared texts of 1,000 bytes (libxlsxwriter writes shared
  // strings): each fine, together over 64 MiB.
  const fs::path path = dir_ / "shared.xlsx";
  lxw_workbook* workbook = workbook_new(path.c_str());
  ASSERT_NE(nullptr, workbook);
  lxw_worksheet* sheet = workbook_add_worksheet(workbook, nullptr);
  std::string text(1000, '0');
  for (int r = 0; r < 70000; ++r) {
    const std::string n = std::to_string(r);
    text.replace(text.size() - n.size(), n.size(), n);
    worksheet_write_string(sheet, r, 0, text.c_str(), nullptr);
  }
  ASSERT_EQ(LXW_NO_ERROR, workbook_close(workbook));
  Result<Table> table = ReadXlsx(ReadFile(path));
  ASSERT_FALSE(table.ok());
  EXPECT_NE(std::string::npos, table.status().message().find("64 MiB")) << table.status().ToString();
}

}  // namespace
}  // namespace crm::api
