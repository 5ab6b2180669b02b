// An offer as an A4 PDF: built as a document of the file-formats library
// (api/formats/pdf_document.h) from a revision, the organization (the
// supplier), the account (the client) and the offer's template.

#include <algorithm>
#include <map>
#include <string>

#include "api/formats/pdf_document.h"
#include "api/http/declare.h"
#include "api/http/problem.h"
#include "api/http/request.h"
#include "api/offers/module.h"
#include "domain/documents/lines.h"
#include "domain/documents/markup.h"
#include "domain/money.h"
#include "domain/time.h"

namespace crm::api {

namespace {

using identity::Permission;

// The words a document prints, in its two languages.
struct Words {
  const char *supplier, *client, *offer, *date, *valid_until, *revision, *fiscal_code,
      *trade_register, *iban, *bank, *phone, *email, *number, *description, *unit, *quantity,
      *price, *discount, *net, *vat, *total, *vat_rate, *base, *grand_total, *page;
};
constexpr Words kRo = {
    "Furnizor",  "Client",      "Ofertă",        "Data",           "Valabilă până la",
    "Revizia",   "CUI",         "Nr. Reg. Com.", "IBAN",           "Banca",
    "Telefon",   "E-mail",      "Nr.",           "Descriere",      "U.M.",
    "Cantitate", "Preț unitar", "Reducere",      "Valoare",        "TVA",
    "Total",     "Cota TVA",    "Bază",          "Total de plată", "Pagina {page} din {pages}"};
constexpr Words kEn = {"Supplier",
                       "Client",
                       "Offer",
                       "Date",
                       "Valid until",
                       "Revision",
                       "Fiscal code",
                       "Trade register no.",
                       "IBAN",
                       "Bank",
                       "Phone",
                       "Email",
                       "No.",
                       "Description",
                       "Unit",
                       "Quantity",
                       "Unit price",
                       "Discount",
                       "Net",
                       "VAT",
                       "Total",
                       "VAT rate",
                       "Base",
                       "Total due",
                       "Page {page} of {pages}"};

pdf::Paragraph Text(std::string text, bool bold = false, double size = 9) {
  pdf::Paragraph p;
  p.spans.push_back({std::move(text), bold});
  p.size_pt = size;
  p.space_after_pt = 1;
  return p;
}
pdf::Cell CellOf(std::string text, pdf::Align align = pdf::Align::kLeft, bool bold = false) {
  return {{{std::move(text), bold}}, align};
}

// "Label: value" when there is a value.
void AddLine(std::vector<std::variant<pdf::Paragraph, pdf::Image>>* column, const char* label,
             const std::string& value) {
  if (!value.empty()) column->push_back(Text(std::string(label) + ": " + value));
}
std::string Joined(std::initializer_list<std::string> parts) {
  std::string out;
  for (const std::string& p : parts) {
    if (p.empty()) continue;
    if (!out.empty()) out += ", ";
    out += p;
  }
  return out;
}

pdf::Align AlignOf(documents::Align a) {
  switch (a) {
    case documents::Align::kCenter:
      return pdf::Align::kCenter;
    case documents::Align::kRight:
      return pdf::Align::kRight;
    case documents::Align::kJustify:
      return pdf::Align::kJustify;
    default:
      return pdf::Align::kLeft;
  }
}

}  // namespace

void OffersImpl::AddSection(const std::string& markup,
                            const std::map<std::string, std::string>& values,
                            std::vector<pdf::Block>* blocks) {
  if (markup.empty()) return;
  for (const documents::Block& b : documents::FillSection(markup, values).blocks) {
    if (b.kind == documents::Block::Kind::kImage) {
      auto bytes = sales_.AttachmentBytes(b.attachment_id);
      if (!bytes.ok()) continue;  // an image deleted since: the text still prints
      pdf::Image image;
      image.bytes = std::move(bytes).value();
      if (b.width_mm > 0) image.width_mm = b.width_mm;
      image.align = AlignOf(b.align);
      blocks->push_back(std::move(image));
      continue;
    }
    pdf::Paragraph p;
    for (const documents::Span& s : b.spans) {
      p.spans.push_back({s.text, s.bold, s.italic, s.underline, static_cast<double>(s.size_pt)});
    }
    p.align = AlignOf(b.align);
    if (b.kind == documents::Block::Kind::kHeading) {
      p.size_pt = b.level == 1 ? 15 : b.level == 2 ? 13 : 11;
      for (pdf::Span& s : p.spans) s.bold = true;
      p.space_before_pt = 6;
      p.keep_with_next = true;
    } else if (b.kind == documents::Block::Kind::kListItem) {
      p.bullet = b.ordered ? std::to_string(b.number) + "." : "•";
      p.indent_level = b.level - 1;
      p.space_after_pt = 2;
    }
    blocks->push_back(std::move(p));
  }
}

Result<std::string> OffersImpl::Pdf(const Call& call, const std::string& id,
                                    const offers::Offer::State& s, int revision,
                                    const std::string& language) {
  const offers::Content& c = s.revisions[revision - 1];
  const Words& w = language == "en" ? kEn : kRo;
  auto fmt = [&](int64_t minor) { return documents::FormatAmount(minor, language); };
  auto organization = server_.LoadFor(call, organization_, settings::kOrganizationStream);
  if (!organization.ok()) return organization.status();  // a load fails, never rejects
  const settings::OrganizationDetails& org = organization.value().state.details;
  const auto account = server_.models().accounts.Get(s.account_id);
  auto field = [&](const char* name) -> std::string {
    if (!account) return "";
    auto it = account->text.find(name);
    return it == account->text.end() ? "" : it->second;
  };
  const auto row = server_.models().offers.Get(id);
  const std::string date =
      settings::DateIn(org, row && row->created_at_us ? row->created_at_us : server_.NowUs());
  const documents::Totals totals = offers::TotalsOf(c);

  // What the template's placeholders say.
  const auto user = server_.models().identity.User(s.owner_id);
  const auto opportunity = server_.models().opportunities.Get(s.opportunity_id);
  const std::map<std::string, std::string> values = {
      {"account.name", field("name")},
      {"account.fiscal_code", field("fiscal_code")},
      {"account.address", field("address")},
      {"account.city", field("city")},
      {"account.county", field("county")},
      {"account.country", field("country")},
      {"opportunity.title", opportunity ? opportunity->title : ""},
      {"offer.number", s.number},
      {"offer.date", date},
      {"offer.valid_until", c.valid_until},
      {"offer.revision", std::to_string(revision)},
      {"offer.currency", c.currency},
      {"offer.net", fmt(totals.amounts.net)},
      {"offer.vat", fmt(totals.amounts.vat)},
      {"offer.total", fmt(totals.amounts.total)},
      {"user.display_name", server_.UserName(s.owner_id)},
      {"user.email", user ? user->email : ""},
      {"organization.name", org.legal_name},
      {"organization.fiscal_code", settings::PrintedFiscalCode(org)},
      {"organization.trade_register", org.trade_register},
      {"organization.address", org.address},
      {"organization.city", org.city},
      {"organization.county", org.county},
      {"organization.iban", org.iban},
      {"organization.bank", org.bank},
      {"organization.phone", org.phone},
      {"organization.email", org.email},
      {"organization.website", org.website}};

  pdf::Document doc;
  doc.title = std::string(w.offer) + " " + s.number;
  doc.author = org.legal_name;
  doc.page_label = w.page;

  // The template's sections in the offer's language (the other when empty).
  std::map<std::string, std::string> sections;
  if (!c.template_id.empty()) {
    auto templates = server_.LoadFor(call, templates_, offers::kOfferTemplatesStream);
    if (!templates.ok()) return templates.status();
    auto t = templates.value().state.templates.find(c.template_id);
    if (t != templates.value().state.templates.end()) {
      for (const auto& [name, text] : t->second.sections) {
        const std::string& chosen = language == "en" ? text.en : text.ro;
        sections[name] = chosen.empty() ? (language == "en" ? text.ro : text.en) : chosen;
      }
    }
  }
  AddSection(sections["header"], values, &doc.blocks);

  // Supplier | client.
  pdf::Columns parties;
  auto& supplier = parties.columns.emplace_back();
  if (!org.logo_attachment_id.empty()) {
    if (auto logo = sales_.AttachmentBytes(org.logo_attachment_id); logo.ok()) {
      pdf::Image image;
      image.bytes = std::move(logo).value();
      image.width_mm = 35;
      supplier.push_back(std::move(image));
    }
  }
  supplier.push_back(Text(w.supplier, true, 8));
  supplier.push_back(Text(org.legal_name, true, 10));
  AddLine(&supplier, w.fiscal_code, settings::PrintedFiscalCode(org));
  AddLine(&supplier, w.trade_register, org.trade_register);
  if (auto address = Joined({org.address, org.city, org.county}); !address.empty()) {
    supplier.push_back(Text(address));
  }
  AddLine(&supplier, w.iban, org.iban);
  AddLine(&supplier, w.bank, org.bank);
  AddLine(&supplier, w.phone, org.phone);
  AddLine(&supplier, w.email, org.email);
  if (!org.website.empty()) supplier.push_back(Text(org.website));
  auto& client = parties.columns.emplace_back();
  client.push_back(Text(w.client, true, 8));
  client.push_back(Text(field("name"), true, 10));
  AddLine(&client, w.fiscal_code, field("fiscal_code"));
  AddLine(&client, w.trade_register, field("trade_register"));
  if (auto address = Joined({field("address"), field("city"), field("county")}); !address.empty()) {
    client.push_back(Text(address));
  }
  AddLine(&client, w.phone, field("phone"));
  AddLine(&client, w.email, field("email"));
  doc.blocks.push_back(std::move(parties));

  pdf::Paragraph title = Text(std::string(w.offer) + " " + s.number, true, 16);
  title.space_before_pt = 6;
  title.space_after_pt = 2;
  doc.blocks.push_back(std::move(title));
  doc.blocks.push_back(Text(std::string(w.date) + ": " + date + "    " + w.valid_until + ": " +
                            c.valid_until + "    " + w.revision + ": " + std::to_string(revision) +
                            "    " + c.currency));
  AddSection(sections["text_1"], values, &doc.blocks);

  // The lines.
  pdf::Table lines;
  lines.widths = {4, 27, 6, 11, 12, 12, 15, 8};
  const auto right = pdf::Align::kRight;
  lines.header = {CellOf(w.number),       CellOf(w.description),
                  CellOf(w.unit),         CellOf(w.quantity, right),
                  CellOf(w.price, right), CellOf(w.discount, right),
                  CellOf(w.net, right),   CellOf(w.vat + std::string(" %"), right)};
  // Quantities and percentages with the language's decimal comma or point.
  auto decimal = [&](std::string text) {
    if (language != "en") std::replace(text.begin(), text.end(), '.', ',');
    return text;
  };
  auto percent = [&](int bp) { return decimal(documents::FormatPercent(bp)) + "%"; };
  for (size_t i = 0; i < c.lines.size(); ++i) {
    const offers::Line& l = c.lines[i];
    const std::string quantity = decimal(documents::FormatQuantity(l.line.quantity_thousandths));
    lines.rows.push_back(
        {CellOf(std::to_string(i + 1)), CellOf(l.description), CellOf(l.unit),
         CellOf(quantity, right), CellOf(fmt(l.line.unit_price_minor), right),
         CellOf(l.line.discount_basis_points ? percent(l.line.discount_basis_points) : "", right),
         CellOf(fmt(l.amounts.net), right), CellOf(percent(l.line.vat_basis_points), right)});
  }
  doc.blocks.push_back(std::move(lines));

  // The totals, by VAT rate, then the grand total.
  pdf::Table sums;
  sums.widths = {40, 20, 20, 20};
  sums.header = {CellOf(w.vat_rate), CellOf(w.base, right), CellOf(w.vat, right),
                 CellOf(w.total, right)};
  for (const documents::RateTotal& r : totals.by_vat_rate) {
    sums.rows.push_back({CellOf(percent(r.vat_basis_points) + " (" + r.vat_rate_key + ")"),
                         CellOf(fmt(r.amounts.net), right), CellOf(fmt(r.amounts.vat), right),
                         CellOf(fmt(r.amounts.total), right)});
  }
  sums.rows.push_back({CellOf(std::string(w.grand_total) + " (" + c.currency + ")", {}, true),
                       CellOf(fmt(totals.amounts.net), right, true),
                       CellOf(fmt(totals.amounts.vat), right, true),
                       CellOf(fmt(totals.amounts.total), right, true)});
  doc.blocks.push_back(std::move(sums));

  AddSection(sections["text_2"], values, &doc.blocks);
  AddSection(sections["footer"], values, &doc.blocks);
  auto rendered = pdf::Render(doc);
  if (rendered.ok() || !rendered.status().IsInvalidArgument()) return rendered;
  // An uploaded image that cannot be drawn (a damaged PNG) leaves the
  // document without its images rather than without the document.
  std::erase_if(doc.blocks,
                [](const pdf::Block& b) { return std::holds_alternative<pdf::Image>(b); });
  for (pdf::Block& b : doc.blocks) {
    if (auto* columns = std::get_if<pdf::Columns>(&b)) {
      for (auto& column : columns->columns) {
        std::erase_if(column,
                      [](const auto& item) { return std::holds_alternative<pdf::Image>(item); });
      }
    }
  }
  return pdf::Render(doc);
}

void OffersImpl::DocumentRoutes() {
  auto send = [this](const Call& call, httplib::Response& res, std::optional<int> revision) {
    const std::string id = call.req.matches[1];
    std::optional<Revision> r = LoadRevision(call, res, id, revision);
    if (!r) return;
    const offers::Offer::State& s = r->state;
    const int n = r->number;
    std::string language = call.req.get_param_value("lang");
    if (language.empty()) language = s.revisions[n - 1].language;
    if (language != "ro" && language != "en") {
      return Send(res, BadParameter("lang", "ro sau en.", "ro or en."));
    }
    auto pdf = Pdf(call, id, s, n, language);
    if (!pdf.ok()) return Send(res, FromStatus(pdf.status()));
    res.set_header(
        "Content-Disposition",
        "inline; filename=\"" + s.number + (revision ? "-r" + std::to_string(n) : "") + ".pdf\"");
    SetETag(res, r->version);
    res.set_content(std::move(pdf).value(), "application/pdf");
  };
  const http::Param lang{.name = "lang",
                         .schema = String().Enum({"ro", "en"}),
                         .description = "The document's language; default the offer's."};
  server_.Route(
      {.method = "GET",
       .path = "/api/v1/offers/{id}.pdf",
       .permission = Permission::kReadCrm,
       .op = "getOfferPdf",
       .summary = "The offer's current revision as an A4 PDF: supplier and client, "
                  "number, date and validity, the template's sections, the lines, "
                  "totals by VAT rate, page numbers",
       .tag = "offers",
       .params = {Shared("as_of"), lang},
       .content_type = "application/pdf",
       .answer = String().Format("binary"),
       .errors = {404}},
      [send](const Call& call, httplib::Response& res) { send(call, res, std::nullopt); });
  server_.Route({.method = "GET",
                 .path = "/api/v1/offers/{id}/revisions/{n}.pdf",
                 .permission = Permission::kReadCrm,
                 .op = "getOfferRevisionPdf",
                 .summary = "Revision n of the offer as an A4 PDF, as it was sent",
                 .tag = "offers",
                 .params = {Shared("as_of"), lang,
                            Param{.name = "n", .in = "path", .schema = Integer().Range(1, 100000)}},
                 .content_type = "application/pdf",
                 .answer = String().Format("binary"),
                 .errors = {404}},
                [send](const Call& call, httplib::Response& res) {
                  send(call, res, RevisionOf(call.req.matches[2]));
                });
}

}  // namespace crm::api
