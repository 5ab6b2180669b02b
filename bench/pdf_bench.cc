// Rendering an offer-shaped PDF (api/formats/pdf_document.h): a supplier |
// client block, a title and some paragraphs, a 7-column line table of 20 or
// 200 rows (one page, or several with the header repeated) and the totals.
// Render only: the document is built once, outside the timing.

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>

#include "api/formats/pdf_document.h"

namespace crm {
namespace {

using namespace api::pdf;  // NOLINT: the document model's many small types

Paragraph Para(std::string text, double size = 9, bool bold = false) {
  Paragraph p;
  p.spans.push_back({.text = std::move(text), .bold = bold});
  p.size_pt = size;
  p.space_after_pt = 2;
  return p;
}

Cell Right(std::string text) {
  return {.spans = {{.text = std::move(text)}}, .align = Align::kRight};
}

Document Offer(int rows) {
  Document d;
  d.title = "Ofertă OF-2024-0042";
  d.author = "SC Țesătoria Șerban SRL";
  d.page_label = "Pagina {page} din {pages}";
  Columns parties;
  parties.columns = {
      {Para("Furnizor", 9, true), Para("SC Țesătoria Șerban SRL"),
       Para("CUI RO12345678, J22/1234/2010"), Para("Str. Păcurari nr. 12, Iași"),
       Para("IBAN RO49 AAAA 1B31 0075 9384 0000, Banca Transilvania")},
      {Para("Client", 9, true), Para("Beta Construcții SA"), Para("CUI RO87654321"),
       Para("Bd. Ștefan cel Mare nr. 3, București"), Para("Persoană de contact: Ion Popescu")}};
  d.blocks.push_back(parties);
  Paragraph title = Para("Ofertă nr. OF-2024-0042 din 14.03.2024", 15, true);
  title.align = Align::kCenter;
  title.space_before_pt = 6;
  title.space_after_pt = 6;
  d.blocks.push_back(title);
  Paragraph intro = Para(
      "Stimate domnule Popescu, vă mulțumim pentru interesul arătat. Vă transmitem mai jos "
      "oferta noastră pentru lucrările discutate; prețurile sunt în lei și nu includ TVA, "
      "care se adaugă la cota legală.");
  intro.align = Align::kJustify;
  d.blocks.push_back(intro);
  Table table;
  table.widths = {0.7, 6, 1.2, 1.2, 2, 1.2, 2.2};
  for (const char* h : {"Nr.", "Denumire", "U.M.", "Cant.", "Preț unitar", "TVA", "Valoare"}) {
    table.header.push_back({.spans = {{.text = h}}});
  }
  for (int r = 1; r <= rows; ++r) {
    std::string name = "Servicii de montaj și punere în funcțiune, lotul " + std::to_string(r);
    if (r % 5 == 0)
      name += ", inclusiv transportul echipamentelor la sediul clientului din Ploiești";
    table.rows.push_back({Right(std::to_string(r)),
                          {.spans = {{.text = name}}},
                          {.spans = {{.text = "buc"}}},
                          Right(std::to_string(r % 7 + 1)),
                          Right(std::to_string(100 + r) + ",50"),
                          Right("19%"),
                          Right(std::to_string((100 + r) * (r % 7 + 1)) + ",00")});
  }
  d.blocks.push_back(table);
  Table totals;
  totals.widths = {3, 1};
  totals.rows = {{Right("Total fără TVA"), Right("123.456,00")},
                 {Right("TVA 19%"), Right("23.456,64")},
                 {{.spans = {{.text = "Total de plată", .bold = true}}, .align = Align::kRight},
                  {.spans = {{.text = "146.912,64 RON", .bold = true}}, .align = Align::kRight}}};
  d.blocks.push_back(totals);
  for (const char* term :
       {"Oferta este valabilă 30 de zile.", "Plata: 50% avans, restul la livrare.",
        "Termen de execuție: 20 de zile lucrătoare de la comandă."}) {
    Paragraph p = Para(term);
    p.bullet = "•";
    d.blocks.push_back(p);
  }
  return d;
}

void BM_PdfTable(benchmark::State& state) {
  const Document document = Offer(static_cast<int>(state.range(0)));
  size_t bytes = 0;
  for (auto _ : state) {
    auto pdf = Render(document);
    if (!pdf.ok()) std::abort();
    bytes = pdf->size();
    benchmark::DoNotOptimize(pdf);
  }
  state.counters["pdf_bytes"] = static_cast<double>(bytes);
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_PdfTable)->Arg(20)->Arg(200)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace crm
