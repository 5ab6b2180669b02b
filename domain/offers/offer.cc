#include "domain/offers/offer.h"

#include <cstdio>

#include "domain/accounts/normalize.h"
#include "domain/money.h"
#include "domain/time.h"

namespace crm::offers {

namespace {

using domain::FieldError;
using Events = std::vector<Offer::Event>;

constexpr size_t kMaxLines = 500;

domain::Rejection NoSuchOffer() {
  return domain::Reject("not_found", "Oferta nu există.", "No such offer.", 404);
}
domain::Rejection Conflict(std::string code, std::string ro, std::string en) {
  return domain::Reject(std::move(code), std::move(ro), std::move(en), 409);
}

// One requested line resolved against its product and the VAT rates, with
// its amounts; errors are named "lines.<i>.<member>".
std::optional<Line> ResolveLine(const LineInput& in, const Facts& facts, const std::string& at,
                                const std::string& currency, std::vector<FieldError>* errors) {
  const size_t before = errors->size();
  auto error = [&](const std::string& member, std::string code, std::string ro, std::string en) {
    errors->push_back({at + member, std::move(code), {std::move(ro), std::move(en)}});
  };
  Line line;
  line.product_id = in.product_id;
  line.description = in.description;
  line.unit = in.unit;
  std::string price = in.unit_price, vat_key = in.vat_rate_key;
  if (!in.product_id.empty()) {
    auto p = facts.products.find(in.product_id);
    if (p == facts.products.end()) {
      error("product_id", "no_such_product", "Produsul nu există.", "No such product.");
    } else if (p->second.archived) {
      error("product_id", "product_archived", "Produsul este arhivat.", "The product is archived.");
    } else {
      const Facts::Product& product = p->second;
      if (line.description.empty()) line.description = product.name;
      if (line.unit.empty()) line.unit = product.unit;
      if (vat_key.empty()) vat_key = product.vat_rate_key;
      if (price.empty()) {
        if (product.currency != currency) {
          error("unit_price", "currency_differs",
                "Produsul are prețul în " + product.currency + "; dați prețul în " + currency + ".",
                "The product is priced in " + product.currency + "; give the price in " + currency +
                    ".");
        } else {
          price = domain::FormatMoney(product.price_minor);
        }
      }
    }
  }
  if (line.unit.empty()) line.unit = "buc";
  if (vat_key.empty()) vat_key = "standard";
  if (line.description.empty() && errors->size() == before) {
    error("description", "required", "Descrierea liniei este obligatorie.",
          "The line's description is required.");
  } else if (accounts::Utf8Length(line.description) > 1000) {
    error("description", "too_long", "Cel mult 1000 de caractere.", "At most 1000 characters.");
  }
  if (accounts::Utf8Length(line.unit) > 20) {
    error("unit", "too_long", "Cel mult 20 de caractere.", "At most 20 characters.");
  }
  const auto quantity = documents::ParseQuantity(in.quantity.empty() ? "1" : in.quantity);
  if (!quantity) {
    error("quantity", "invalid_quantity", "Cantitatea este un număr cu cel mult 3 zecimale.",
          "The quantity is a number with at most 3 decimals.");
  }
  const auto price_minor = domain::ParseMoney(price);
  if (!price_minor && errors->size() == before) {
    error("unit_price", price.empty() ? "required" : "invalid_amount",
          "Prețul unitar este o sumă cu cel mult 2 zecimale.",
          "The unit price is an amount with at most 2 decimals.");
  }
  const auto discount =
      documents::ParsePercent(in.discount_percent.empty() ? "0" : in.discount_percent);
  if (!discount) {
    error("discount_percent", "invalid_percent",
          "Reducerea este un procent între 0 și 100, cu cel mult 2 zecimale.",
          "The discount is a percentage from 0 to 100, with at most 2 decimals.");
  }
  auto rate = facts.vat_rates.find(vat_key);
  if (rate == facts.vat_rates.end()) {
    error("vat_rate_key", "unknown_vat_rate", "Cota de TVA „" + vat_key + "” nu este valabilă azi.",
          "The VAT rate '" + vat_key + "' is not valid today.");
  }
  if (errors->size() != before) return std::nullopt;
  line.line = {*quantity, *price_minor, *discount, vat_key, rate->second};
  const auto amounts = documents::LineAmounts(line.line);
  if (!amounts) {
    error("quantity", "amount_too_large", "Valoarea liniei depășește 15 cifre.",
          "The line's amount passes 15 digits.");
    return std::nullopt;
  }
  line.amounts = *amounts;
  return line;
}

// The totals of `content`; nullopt when they pass 15 digits.
std::optional<documents::Totals> SumOf(const Content& content) {
  std::vector<documents::Line> lines;
  std::vector<documents::Amounts> amounts;
  for (const Line& l : content.lines) {
    lines.push_back(l.line);
    amounts.push_back(l.amounts);
  }
  return documents::Sum(lines, amounts);
}

// `input` over `base` (the current revision, or a new offer's defaults), or
// the fields that are wrong.
std::variant<Content, domain::Rejection> Resolve(const Content& base, const ContentInput& input,
                                                 const Facts& facts) {
  std::vector<FieldError> errors;
  Content c = base;
  if (input.template_id) c.template_id = *input.template_id;
  if (input.language) c.language = *input.language;
  if (input.currency) c.currency = *input.currency;
  if (input.valid_until) c.valid_until = *input.valid_until;
  if (input.template_id && !input.template_id->empty() &&
      !facts.templates.count(*input.template_id)) {
    errors.push_back({"template_id",
                      "no_such_template",
                      {"Șablonul de ofertă nu există sau este arhivat.",
                       "No such offer template, or it is archived."}});
  }
  if (c.language != "ro" && c.language != "en") {
    errors.push_back({"language",
                      "invalid_language",
                      {"Limba ofertei este ro sau en.", "The offer's language is ro or en."}});
  }
  if (!domain::IsCurrency(c.currency)) {
    errors.push_back({"currency",
                      "invalid_currency",
                      {"Moneda se scrie cu trei litere mari, de exemplu RON.",
                       "The currency is three capital letters, e.g. RON."}});
  }
  if (!domain::IsIsoDate(c.valid_until)) {
    errors.push_back({"valid_until",
                      "invalid_date",
                      {"Data se scrie AAAA-LL-ZZ.", "The date is written YYYY-MM-DD."}});
  } else if (input.valid_until && c.valid_until < facts.today) {
    errors.push_back({"valid_until",
                      "in_the_past",
                      {"Oferta nu poate fi valabilă până la o zi trecută.",
                       "An offer cannot be valid until a day gone by."}});
  }
  if (input.lines) {
    if (input.lines->empty() || input.lines->size() > kMaxLines) {
      errors.push_back(
          {"lines",
           "invalid_lines",
           {"O ofertă are între 1 și 500 de linii.", "An offer has from 1 to 500 lines."}});
    }
    c.lines.clear();
    for (size_t i = 0; i < input.lines->size() && i < kMaxLines; ++i) {
      auto line = ResolveLine((*input.lines)[i], facts, "lines." + std::to_string(i) + ".",
                              c.currency, &errors);
      if (line) c.lines.push_back(std::move(*line));
    }
  } else if (input.currency && !c.lines.empty() && base.currency != c.currency) {
    errors.push_back({"currency",
                      "lines_priced",
                      {"Schimbați moneda împreună cu liniile.",
                       "Change the currency together with the lines."}});
  }
  if (errors.empty() && c.lines.empty()) {
    errors.push_back({"lines",
                      "required",
                      {"O ofertă are cel puțin o linie.", "An offer has at least one line."}});
  }
  if (errors.empty()) {
    if (!SumOf(c)) {
      errors.push_back(
          {"lines",
           "amount_too_large",
           {"Totalul ofertei depășește 15 cifre.", "The offer's total passes 15 digits."}});
    }
  }
  if (!errors.empty()) return domain::InvalidFields(std::move(errors));
  return c;
}

std::unique_ptr<OfferContentT> ContentEvent(const Content& c) {
  auto out = std::make_unique<OfferContentT>();
  out->template_id = c.template_id;
  out->language = c.language;
  out->currency = c.currency;
  out->valid_until = c.valid_until;
  for (const Line& l : c.lines) {
    auto line = std::make_unique<OfferLineT>();
    line->product_id = l.product_id;
    line->description = l.description;
    line->quantity_thousandths = l.line.quantity_thousandths;
    line->unit = l.unit;
    line->unit_price_minor = l.line.unit_price_minor;
    line->discount_basis_points = l.line.discount_basis_points;
    line->vat_rate_key = l.line.vat_rate_key;
    line->vat_basis_points = l.line.vat_basis_points;
    line->net_minor = l.amounts.net;
    line->vat_minor = l.amounts.vat;
    line->total_minor = l.amounts.total;
    out->lines.push_back(std::move(line));
  }
  return out;
}

int Current(const Offer::State& s) { return static_cast<int>(s.revisions.size()); }

}  // namespace

std::string OfferNumber(const std::string& year, uint64_t n) {
  char digits[24];
  std::snprintf(digits, sizeof digits, "%04llu", static_cast<unsigned long long>(n));
  return "OF-" + year + "-" + digits;
}

Content ContentOf(const std::unique_ptr<OfferContentT>& e) {
  Content c;
  if (!e) return c;
  c.template_id = e->template_id;
  c.language = e->language;
  c.currency = e->currency;
  c.valid_until = e->valid_until;
  for (const auto& l : e->lines) {
    c.lines.push_back({l->product_id,
                       l->description,
                       l->unit,
                       {l->quantity_thousandths, l->unit_price_minor, l->discount_basis_points,
                        l->vat_rate_key, l->vat_basis_points},
                       {l->net_minor, l->vat_minor, l->total_minor}});
  }
  return c;
}

documents::Totals TotalsOf(const Content& content) {
  return SumOf(content).value_or(documents::Totals{});
}

domain::Decision<Offer::Event> Offer::Decide(const State& s, const Command& command,
                                             const domain::Context&) {
  using Result = domain::Decision<Event>;
  if (const auto* create = std::get_if<CreateOffer>(&command)) {
    if (s.exists) {
      return Conflict("offer_exists", "Oferta există deja.", "The offer exists already.");
    }
    Content base;
    base.valid_until = domain::AddDays(create->facts.today, 30);
    ContentInput input = create->content;
    if (!input.lines) input.lines.emplace();  // none given: "at least one line"
    auto resolved = Resolve(base, input, create->facts);
    if (auto* r = std::get_if<domain::Rejection>(&resolved)) return *r;
    OfferCreatedT e;
    e.offer_id = create->offer_id;
    e.number = create->number;
    e.opportunity_id = create->opportunity_id;
    e.account_id = create->account_id;
    e.owner_id = create->owner_id;
    e.content = ContentEvent(std::get<Content>(resolved));
    return Events{std::move(e)};
  }
  if (!s.exists) return NoSuchOffer();
  if (std::holds_alternative<ArchiveOffer>(command)) {
    if (s.archived) return Events{};
    return Events{OfferArchivedT{}};
  }
  if (const auto* move = std::get_if<MoveOffer>(&command)) {
    if (s.account_id != move->from_account_id || move->account_id == s.account_id) return Events{};
    OfferMovedT e;
    e.from_account_id = s.account_id;
    e.account_id = move->account_id;
    return Events{std::move(e)};
  }
  if (s.archived) {
    return Conflict("offer_archived", "Oferta este arhivată.", "The offer is archived.");
  }
  const bool closed = s.status != "draft" && s.status != "sent";
  auto closed_conflict = [&] {
    const char* ro = s.status == "accepted"   ? "acceptată"
                     : s.status == "rejected" ? "respinsă"
                                              : "expirată";
    return Conflict("offer_closed", std::string("Oferta este încheiată: ") + ro + ".",
                    "The offer is closed: " + s.status + ".");
  };
  const Content& current = s.revisions.back();
  return std::visit(
      [&](const auto& c) -> Result {
        using C = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<C, ChangeOffer>) {
          if (closed) return closed_conflict();
          auto resolved = Resolve(current, c.content, c.facts);
          if (auto* r = std::get_if<domain::Rejection>(&resolved)) return *r;
          Content& next = std::get<Content>(resolved);
          if (next == current) return Events{};
          if (s.status == "draft") {
            OfferChangedT e;
            e.content = ContentEvent(next);
            return Events{std::move(e)};
          }
          OfferRevisedT e;
          e.revision = Current(s) + 1;
          e.content = ContentEvent(next);
          return Events{std::move(e)};
        } else if constexpr (std::is_same_v<C, SendOffer>) {
          if (closed) return closed_conflict();
          if (s.status == "sent") return Events{};  // sent already: nothing to do
          OfferSentT e;
          e.revision = Current(s);
          return Events{std::move(e)};
        } else if constexpr (std::is_same_v<C, AcceptOffer> || std::is_same_v<C, RejectOffer>) {
          if (closed) return closed_conflict();
          if (s.status != "sent") {
            return Conflict("offer_not_sent", "Oferta nu a fost trimisă clientului.",
                            "The offer has not been sent to the client.");
          }
          if constexpr (std::is_same_v<C, AcceptOffer>) {
            if (c.today > current.valid_until) {
              return Conflict("offer_expired", "Oferta nu mai este valabilă.",
                              "The offer is no longer valid.");
            }
            OfferAcceptedT e;
            e.revision = Current(s);
            return Events{std::move(e)};
          } else {
            if (accounts::Utf8Length(c.reason) > 1000) {
              return domain::InvalidFields(
                  {{"reason",
                    "too_long",
                    {"Cel mult 1000 de caractere.", "At most 1000 characters."}}});
            }
            OfferRejectedT e;
            e.revision = Current(s);
            e.reason = c.reason;
            return Events{std::move(e)};
          }
        } else if constexpr (std::is_same_v<C, ExpireOffer>) {
          if (s.status != "sent" || c.today <= current.valid_until) return Events{};
          OfferExpiredT e;
          e.revision = Current(s);
          return Events{std::move(e)};
        } else {
          return Events{};  // CreateOffer, ArchiveOffer and MoveOffer: decided above
        }
      },
      command);
}

Offer::State Offer::Evolve(State s, const Event& event) {
  std::visit(
      [&](const auto& e) {
        using E = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<E, OfferCreatedT>) {
          s.exists = true;
          s.number = e.number;
          s.opportunity_id = e.opportunity_id;
          s.account_id = e.account_id;
          s.owner_id = e.owner_id;
          s.revisions = {ContentOf(e.content)};
        } else if constexpr (std::is_same_v<E, OfferChangedT>) {
          s.revisions.back() = ContentOf(e.content);
        } else if constexpr (std::is_same_v<E, OfferRevisedT>) {
          s.revisions.push_back(ContentOf(e.content));
          s.status = "draft";
        } else if constexpr (std::is_same_v<E, OfferSentT>) {
          s.status = "sent";
        } else if constexpr (std::is_same_v<E, OfferAcceptedT>) {
          s.status = "accepted";
        } else if constexpr (std::is_same_v<E, OfferRejectedT>) {
          s.status = "rejected";
        } else if constexpr (std::is_same_v<E, OfferExpiredT>) {
          s.status = "expired";
        } else if constexpr (std::is_same_v<E, OfferArchivedT>) {
          s.archived = true;
        } else if constexpr (std::is_same_v<E, OfferMovedT>) {
          s.account_id = e.account_id;
        }
      },
      event);
  return s;
}

}  // namespace crm::offers
