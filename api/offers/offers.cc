// The offers' routes: offers with their lines and revisions, their list and
// export, their lifecycle, and the worker that expires them.

#include "api/offers/offers.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "api/http/declare.h"
#include "api/http/problem.h"
#include "api/http/request.h"
#include "api/http/server.h"
#include "api/offers/module.h"
#include "domain/catalog/product.h"
#include "domain/catalog/vat_rates.h"
#include "domain/money.h"
#include "domain/ownership.h"
#include "domain/sequence.h"
#include "domain/time.h"

namespace crm::api {

namespace {

using identity::Permission;
using nlohmann::json;
namespace cat = crm::catalog;

http::Schemas NamedSchemas() {
  const http::Schema line =
      Object({{"product_id",
               String().Nullable().Describe(
                   "A product of the catalogue: what the line leaves out is copied from it (name, "
                   "unit, price in the offer's currency, VAT rate). null or absent: a free-text "
                   "line.")},
              {"description", String().Describe("Up to 1000 characters.")},
              {"quantity", String().Example("1.5").Describe("A decimal, at most 3 decimals; 1.")},
              {"unit", String().Example("buc")},
              {"unit_price", String().Example("199.99").Describe("A decimal, at most 2 decimals.")},
              {"discount_percent", String().Example("10").Describe("0 to 100; default 0.")},
              {"vat_rate_key", String().Describe("A key of GET /api/v1/settings/vat-rates valid "
                                                 "today; default the product's, else standard.")}});
  const std::vector<http::Schema::Property> content = {
      {"template_id", String().Nullable().Describe("An offer template; null: none.")},
      {"language", String().Enum({"ro", "en"}).Describe("Default: the organization's.")},
      {"currency", String().Length(3, 3).Describe("Default: the organization's.")},
      {"valid_until", String().Format("date").Describe("Included; default 30 days from today.")},
      {"lines", Array(Ref("OfferLineInput")).MaxItems(500)}};
  auto with = [&](std::vector<http::Schema::Property> members) {
    members.insert(members.end(), content.begin(), content.end());
    return members;
  };
  const http::Schema amounts = Object({{"net", String()}, {"vat", String()}, {"total", String()}});
  return {
      {"OfferLineInput", line},
      {"NewOffer",
       Object(with({{"opportunity_id", String()}})).Require({"opportunity_id", "lines"})},
      {"OfferBody", Object(with({}))},
      {"OfferLine", Object({{"product_id", String().Nullable()},
                            {"description", String()},
                            {"quantity", String()},
                            {"unit", String()},
                            {"unit_price", String()},
                            {"discount_percent", String()},
                            {"vat_rate_key", String()},
                            {"vat_percent", String()},
                            {"net", String()},
                            {"vat", String()},
                            {"total", String()}})
                        .Open()},
      {"Offer",
       Object({{"id", String()},
               {"number", String().Example("OF-2026-0007")},
               {"opportunity_id", String()},
               {"account_id", String()},
               {"owner_id", String()},
               {"status", String().Enum({"draft", "sent", "accepted", "rejected", "expired"})},
               {"archived", Boolean()},
               {"revision", Integer().Describe("The revision shown; the current one by default.")},
               {"revisions", Integer()},
               {"template_id", String().Nullable()},
               {"language", String()},
               {"currency", String()},
               {"valid_until", String().Format("date")},
               {"lines", Array(Ref("OfferLine"))},
               {"totals", Object({{"net", String()},
                                  {"vat", String()},
                                  {"total", String()},
                                  {"by_vat_rate", Array(amounts.Open())}})
                              .Open()},
               {"version", Integer()}})
           .Open()},
      {"OfferPage", Object({{"items", Array(Object().Open())},
                            {"next_cursor", String().Nullable()},
                            {"total", Integer()},
                            {"columns", Array(String())},
                            {"pinned", String()}})
                        .Open()},
  };
}

Problem NoSuchOffer() { return NotFoundProblem("Oferta nu există.", "No such offer."); }

json AmountsJson(const documents::Amounts& a) {
  return {{"net", domain::FormatMoney(a.net)},
          {"vat", domain::FormatMoney(a.vat)},
          {"total", domain::FormatMoney(a.total)}};
}

// The list's row of an offer.
json OfferRowJson(const projections::OfferRow& o) {
  return {{"id", o.id},
          {"number", o.number},
          {"account_id", o.account_id},
          {"opportunity_id", o.opportunity_id},
          {"owner_id", o.owner_id},
          {"status", o.status},
          {"revision", o.revision},
          {"template_id", TextOrNull(o.template_id)},
          {"language", o.language},
          {"currency", o.currency},
          {"valid_until", o.valid_until},
          {"lines", o.lines},
          {"net", domain::FormatMoney(o.net_minor)},
          {"vat", domain::FormatMoney(o.vat_minor)},
          {"total", domain::FormatMoney(o.total_minor)},
          {"sent_at", o.sent_at_us ? json(domain::FormatRfc3339(o.sent_at_us)) : json(nullptr)},
          {"decided_at",
           o.decided_at_us ? json(domain::FormatRfc3339(o.decided_at_us)) : json(nullptr)},
          {"archived", o.archived},
          {"version", o.version},
          {"created_at", domain::FormatRfc3339(o.created_at_us)},
          {"updated_at", domain::FormatRfc3339(o.updated_at_us)}};
}

// A revision's content from a body the route's schema validated; members
// left out keep what the offer has.
offers::ContentInput ReadContent(const json& body) {
  offers::ContentInput in;
  auto text = [&](const json& from, const char* name) -> std::string {
    return from.contains(name) && from[name].is_string() ? from[name].get<std::string>() : "";
  };
  if (body.contains("template_id")) in.template_id = text(body, "template_id");
  if (body.contains("language")) in.language = text(body, "language");
  if (body.contains("currency")) in.currency = text(body, "currency");
  if (body.contains("valid_until")) in.valid_until = text(body, "valid_until");
  if (body.contains("lines")) {
    in.lines.emplace();
    for (const json& l : body["lines"]) {
      in.lines->push_back({text(l, "product_id"), text(l, "description"), text(l, "quantity"),
                           text(l, "unit"), text(l, "unit_price"), text(l, "discount_percent"),
                           text(l, "vat_rate_key")});
    }
  }
  return in;
}

}  // namespace

int RevisionOf(const std::string& text) {
  if (text.empty() || text.size() > 6 ||
      text.find_first_not_of("0123456789") != std::string::npos) {
    return 0;  // no such revision
  }
  return std::stoi(text);
}

std::optional<OffersImpl::Revision> OffersImpl::LoadRevision(const Call& call,
                                                             httplib::Response& res,
                                                             const std::string& id,
                                                             std::optional<int> revision) {
  auto loaded = server_.LoadFor(call, offers_, offers::OfferStream(id));
  if (!loaded.ok()) {
    Send(res, FromOutcome(loaded));
    return std::nullopt;
  }
  Revision r{std::move(loaded.value().state), loaded.value().version, 0};
  if (!r.state.exists) {
    Send(res, NoSuchOffer());
    return std::nullopt;
  }
  r.number = revision.value_or(static_cast<int>(r.state.revisions.size()));
  if (r.number < 1 || r.number > static_cast<int>(r.state.revisions.size())) {
    const std::string n = std::to_string(r.number);
    Send(res, r.number < 1 ? NotFoundProblem("Reviziile se numerotează de la 1.",
                                             "Revisions are numbered from 1.")
                           : NotFoundProblem("Oferta nu are revizia " + n + ".",
                                             "The offer has no revision " + n + "."));
    return std::nullopt;
  }
  return r;
}

json OffersImpl::OfferJson(const std::string& id, const offers::Offer::State& s, uint64_t version,
                           int revision) const {
  const offers::Content& c = s.revisions[revision - 1];
  json lines = json::array();
  for (const offers::Line& l : c.lines) {
    json line = AmountsJson(l.amounts);
    line["product_id"] = TextOrNull(l.product_id);
    line["description"] = l.description;
    line["quantity"] = documents::FormatQuantity(l.line.quantity_thousandths);
    line["unit"] = l.unit;
    line["unit_price"] = domain::FormatMoney(l.line.unit_price_minor);
    line["discount_percent"] = documents::FormatPercent(l.line.discount_basis_points);
    line["vat_rate_key"] = l.line.vat_rate_key;
    line["vat_percent"] = documents::FormatPercent(l.line.vat_basis_points);
    lines.push_back(std::move(line));
  }
  const documents::Totals totals = offers::TotalsOf(c);
  json totals_json = AmountsJson(totals.amounts);
  json by_rate = json::array();
  for (const documents::RateTotal& r : totals.by_vat_rate) {
    json rate = AmountsJson(r.amounts);
    rate["vat_rate_key"] = r.vat_rate_key;
    rate["vat_percent"] = documents::FormatPercent(r.vat_basis_points);
    by_rate.push_back(std::move(rate));
  }
  totals_json["by_vat_rate"] = std::move(by_rate);
  const bool current = revision == static_cast<int>(s.revisions.size());
  return {{"id", id},
          {"number", s.number},
          {"opportunity_id", s.opportunity_id},
          {"account_id", s.account_id},
          {"owner_id", s.owner_id},
          // An earlier revision was sent (a revision is made only of a sent offer).
          {"status", current ? s.status : "sent"},
          {"archived", s.archived},
          {"revision", revision},
          {"revisions", s.revisions.size()},
          {"template_id", TextOrNull(c.template_id)},
          {"language", c.language},
          {"currency", c.currency},
          {"valid_until", c.valid_until},
          {"lines", std::move(lines)},
          {"totals", std::move(totals_json)},
          {"version", version}};
}

domain::Outcome<settings::OrganizationDetails> OffersImpl::Organization() {
  auto loaded = organization_.Load(settings::kOrganizationStream);
  if (!loaded.ok()) return loaded.status();
  return loaded.value().state.details;
}

domain::Outcome<offers::Facts> OffersImpl::FactsFor(const offers::ContentInput& content,
                                                    const std::string& today) {
  offers::Facts facts;
  facts.today = today;
  auto templates = templates_.Load(offers::kOfferTemplatesStream);
  if (!templates.ok()) return templates.status();
  for (const auto& [id, t] : templates.value().state.templates) {
    if (!t.archived) facts.templates.insert(id);
  }
  if (content.lines) {
    for (const offers::LineInput& line : *content.lines) {
      if (line.product_id.empty() || facts.products.count(line.product_id)) continue;
      auto product = products_.Load(cat::ProductStream(line.product_id));
      if (!product.ok()) return product.status();
      const cat::Product::State& p = product.value().state;
      if (!p.exists) continue;
      facts.products[line.product_id] = {p.name,        p.unit,     p.vat_rate_key,
                                         p.price_minor, p.currency, p.archived || !p.active};
    }
  }
  auto vat = vat_rates_.Load(cat::kVatRatesStream);
  if (!vat.ok()) return vat.status();
  for (const std::string& key : cat::VatKeys(vat.value().state)) {
    if (auto rate = cat::RateOn(vat.value().state, key, today)) {
      facts.vat_rates[key] = rate->percent_basis_points;
    }
  }
  return facts;
}

void OffersImpl::Command(const Call& call, httplib::Response& res, const std::string& id,
                         const offers::Offer::Command& command,
                         decltype(domain::TransactOptions::linked) linked) {
  domain::TransactOptions options;
  if (!server_.CommandOptions(call, res, &options)) return;
  options.linked = std::move(linked);
  const domain::Context ctx = server_.ContextOf(call);
  auto outcome = offers_.Transact(
      offers::OfferStream(id), ctx,
      [&](const offers::Offer::State& s) {
        return domain::DecideOwned<offers::Offer>(
            s, s.owner_id, {command}, ctx,
            {"Doar responsabilul ofertei sau un manager o poate modifica.",
             "Only the offer's responsible user or a manager may change it."});
      },
      options);
  server_.Reply(res, outcome, id, false, "");
}

decltype(domain::TransactOptions::linked) OffersImpl::MoveTo(const std::string& opportunity_id,
                                                             const std::string& stage) {
  return [this, opportunity_id, stage](
             const domain::Context& ctx) -> domain::Outcome<std::vector<eventstore::AppendPart>> {
    std::vector<eventstore::AppendPart> parts;
    auto pipeline = pipeline_.Load(sales::kPipelineStream);
    if (!pipeline.ok()) return pipeline.status();
    auto opportunity = opportunities_.Load(sales::OpportunityStream(opportunity_id));
    if (!opportunity.ok()) return opportunity.status();
    const sales::Opportunity::State& o = opportunity.value().state;
    std::vector<std::string> stages;
    for (const auto& s : pipeline.value().state.stages) stages.push_back(s.key);
    const auto order = std::find(stages.begin(), stages.end(), stage);
    const auto now = std::find(stages.begin(), stages.end(), o.stage);
    // A pipeline without the stage, or an opportunity closed or already
    // there or past it, stays where it is.
    if (order == stages.end() || !o.exists || o.archived || o.status != "open" ||
        (now != stages.end() && now >= order)) {
      return parts;
    }
    auto part = opportunities_.DecidePart(sales::OpportunityStream(opportunity_id), ctx,
                                          sales::ChangeStage{stage, stages});
    if (part.failed()) return part.status();
    if (part.rejected()) return part.rejection();
    if (part.value()) parts.push_back(std::move(*part.value()));
    return parts;
  };
}

void OffersImpl::Create(const Call& call, httplib::Response& res) {
  const std::string opportunity_id = call.body["opportunity_id"].get<std::string>();
  auto opportunity = opportunities_.Load(sales::OpportunityStream(opportunity_id));
  if (!opportunity.ok()) return Send(res, FromStatus(opportunity.status()));
  const sales::Opportunity::State& o = opportunity.value().state;
  if (!o.exists || o.archived) {
    return Send(
        res, FromRejection(domain::InvalidFields({{"opportunity_id",
                                                   "no_such_opportunity",
                                                   {"Oportunitatea nu există sau este arhivată.",
                                                    "No such opportunity, or it is archived."}}})));
  }
  if (o.status != "open") {
    return Send(res, Problem{409,
                             "opportunity_closed",
                             {"Oportunitatea este închisă (" + o.status + ").",
                              "The opportunity is closed (" + o.status + ")."}});
  }
  const domain::Context ctx = server_.ContextOf(call);
  if (!domain::MayChange(ctx, o.owner_id)) {
    return Send(res,
                Problem{403,
                        "forbidden",
                        {"Doar responsabilul oportunității sau un manager face oferte pentru ea.",
                         "Only the opportunity's responsible user or a manager makes offers "
                         "for it."}});
  }
  auto organization = Organization();
  if (!organization.ok()) return Send(res, FromOutcome(organization));
  const int64_t now = server_.NowUs();
  const std::string today = settings::DateIn(organization.value(), now);
  offers::CreateOffer create;
  create.offer_id = server_.ids().Next();
  create.opportunity_id = opportunity_id;
  create.account_id = o.account_id;
  create.owner_id = call.principal.id;
  create.content = ReadContent(call.body);
  if (!create.content.language) create.content.language = organization.value().default_language;
  if (!create.content.currency) create.content.currency = organization.value().default_currency;
  auto facts = FactsFor(create.content, today);
  if (!facts.ok()) return Send(res, FromOutcome(facts));
  create.facts = std::move(facts).value();

  domain::TransactOptions options;
  if (!server_.CommandOptions(call, res, &options)) return;
  // The number is the series' next, taken in the offer's own append: a
  // command that fails takes none, so the series has no gaps.
  const std::string year = today.substr(0, 4);
  const std::string series = offers::OfferNumberStream(year);
  domain::GaplessNumbers::Taking number(numbers_, series);
  // With the number: the account's guard, and the opportunity moved on to
  // the offer stage when it is before it.
  options.linked = domain::LinkedParts(
      {accounts_.AccountGuard(o.account_id), MoveTo(opportunity_id, kOfferStage), number.Part()});
  auto outcome = offers_.Transact(
      offers::OfferStream(create.offer_id), ctx,
      [&](const offers::Offer::State& s) -> domain::Decision<offers::Offer::Event> {
        const auto n = number.Take(ctx);
        if (!n) {
          return domain::Reject("unavailable", "Numărul ofertei nu a putut fi luat.",
                                "The offer's number could not be taken.", 503);
        }
        create.number = offers::OfferNumber(year, *n);
        return offers::Offer::Decide(s, create, ctx);
      },
      options);
  if (!number.status().ok()) return Send(res, FromStatus(number.status()));
  server_.ReplyCreated(res, outcome, "offer-", create.offer_id, "/api/v1/offers");
  if (res.status == 201) {
    json answer = json::parse(res.body);
    if (!answer.contains("number")) {
      // The number the offer was given (for a replayed request, its first one's).
      auto offer = offers_.Load(offers::OfferStream(answer["id"].get<std::string>()));
      if (offer.ok()) answer["number"] = offer.value().state.number;
    }
    SendJson(res, answer, 201);
  }
}

void OffersImpl::Register(Server& server) {
  server.schemas().merge(NamedSchemas());
  server.tags()["offers"] = "Offers: lines, totals, revisions, documents and templates.";
  server.Label<offers::OfferCreatedT>({{"Ofertă creată: {number}", "Offer created: {number}"}});
  server.Label<offers::OfferChangedT>({{"Ofertă modificată", "Offer changed"}});
  server.Label<offers::OfferRevisedT>({{"Ofertă modificată după trimitere: revizia {revision}",
                                        "Offer changed after it was sent: revision {revision}"}});
  server.Label<offers::OfferSentT>({{"Ofertă trimisă clientului (revizia {revision})",
                                     "Offer sent to the client (revision {revision})"}});
  server.Label<offers::OfferAcceptedT>(
      {{"Ofertă acceptată (revizia {revision})", "Offer accepted (revision {revision})"}});
  server.Label<offers::OfferRejectedT>(
      {{"Ofertă respinsă{?reason}: {reason}{/}", "Offer rejected{?reason}: {reason}{/}"}});
  server.Label<offers::OfferExpiredT>({{"Ofertă expirată", "Offer expired"}});
  server.Label<offers::OfferArchivedT>({{"Ofertă arhivată", "Offer archived"}});
  server.Label<offers::OfferMovedT>(
      {{"Mutată de la contul {from_account_id:account} la contul {account_id:account} (conturi "
        "unite)",
        "Moved from account {from_account_id:account} to account {account_id:account} (accounts "
        "merged)"}});
  projections::Offers& model = server.models().offers;

  // An account's offers show in its history and move with it.
  accounts_.AddRecordsOfAccount(
      {.streams =
           [&model](const std::string& account_id) {
             std::vector<std::string> streams;
             for (const std::string& id : model.IdsOfAccount(account_id)) {
               streams.push_back(offers::OfferStream(id));
             }
             return streams;
           },
       .move = [this, &model](const std::string& source, const std::string& into,
                              const domain::Context& ctx)
           -> domain::Outcome<std::vector<eventstore::AppendPart>> {
         std::vector<eventstore::AppendPart> parts;
         for (const std::string& id : model.IdsOfAccount(source)) {
           auto part =
               offers_.DecidePart(offers::OfferStream(id), ctx, offers::MoveOffer{source, into});
           if (part.rejected()) return part.rejection();
           if (part.failed()) return part.status();
           if (part.value()) parts.push_back(std::move(*part.value()));
         }
         return parts;
       }});
  sales_.AddRecordsOfOpportunity([&model](const std::string& opportunity_id) {
    std::vector<std::string> streams;
    for (const std::string& id : model.IdsOfOpportunity(opportunity_id)) {
      streams.push_back(offers::OfferStream(id));
    }
    return streams;
  });

  const std::string columns_doc =
      "Comma-separated columns, or 'all' for whole records; default: my table settings (items "
      "then hold those columns, id and version).";
  settings_.RecordListRoutes(
      {.list =
           {.method = "GET",
            .path = "/api/v1/offers",
            .permission = Permission::kReadCrm,
            .op = "listOffers",
            .summary = "Offers: search (q: number, line descriptions or the account's name), "
                       "filters (status, owner_id, account_id, opportunity_id, currency, "
                       "language: any of a,b), ranges from..to (total, net, vat, valid_until, "
                       "sent_at, created_at, updated_at), sort, pages",
            .tag = "offers",
            .params = {Shared("limit"), Shared("cursor"), Shared("sort"), Shared("min_position"),
                       Shared("as_of"), Param{.name = "q", .schema = String()},
                       Param{.name = "include_archived", .schema = Boolean()},
                       Param{.name = "columns", .schema = String(), .description = columns_doc}},
            .answer = Ref("OfferPage"),
            .errors = {503}},
       .sheet = {.method = "GET",
                 .path = "/api/v1/offers.xlsx",
                 .permission = Permission::kReadCrm,
                 .op = "exportOffers",
                 .summary = "The offers list as an .xlsx workbook (same filters, sort and columns "
                            "as the list; typed cells; headers and labels in ro or en)",
                 .tag = "offers",
                 .params = {Shared("sort"), Shared("min_position"), Shared("as_of"),
                            Param{.name = "q", .schema = String()},
                            Param{.name = "include_archived", .schema = Boolean()},
                            Param{
                                .name = "columns", .schema = String(), .description = columns_doc}},
                 .content_type =
                     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                 .answer = String().Format("binary"),
                 .errors = {503}},
       .entity = "offer",
       .sheet_name = "Oferte",
       .file_name = "oferte.xlsx",
       .labels =
           [] {
             ChoiceLabels labels;
             labels["status"] = {{"draft", {"Ciornă", "Draft"}},
                                 {"sent", {"Trimisă", "Sent"}},
                                 {"accepted", {"Acceptată", "Accepted"}},
                                 {"rejected", {"Respinsă", "Rejected"}},
                                 {"expired", {"Expirată", "Expired"}}};
             return labels;
           }},
      model, OfferRowJson, [](projections::OfferQuery*) {});

  TemplateRoutes();
  DocumentRoutes();  // before /offers/{id}, which would take "<id>.pdf" for an id
  auto get_revision = [this](const Call& call, httplib::Response& res, const std::string& id,
                             std::optional<int> revision) {
    std::optional<Revision> r = LoadRevision(call, res, id, revision);
    if (!r) return;
    SetETag(res, r->version);
    SendJson(res, OfferJson(id, r->state, r->version, r->number));
  };
  server.Route({.method = "GET",
                .path = "/api/v1/offers/{id}",
                .permission = Permission::kReadCrm,
                .op = "getOffer",
                .summary = "One offer: its current revision's lines with their amounts, and its "
                           "totals, also by VAT rate (amounts as decimal strings)",
                .tag = "offers",
                .params = {Shared("as_of")},
                .answer = Ref("Offer"),
                .errors = {404},
                .etag = true},
               [get_revision](const Call& call, httplib::Response& res) {
                 get_revision(call, res, call.req.matches[1], std::nullopt);
               });
  server.Route({.method = "GET",
                .path = "/api/v1/offers/{id}/revisions/{n}",
                .permission = Permission::kReadCrm,
                .op = "getOfferRevision",
                .summary = "Revision n of an offer, as it was sent (1 is the first)",
                .tag = "offers",
                .params = {Shared("as_of"),
                           Param{.name = "n", .in = "path", .schema = Integer().Range(1, 100000)}},
                .answer = Ref("Offer"),
                .errors = {404},
                .etag = true},
               [get_revision](const Call& call, httplib::Response& res) {
                 get_revision(call, res, call.req.matches[1], RevisionOf(call.req.matches[2]));
               });
  server.Route({.method = "POST",
                .path = "/api/v1/offers",
                .permission = Permission::kCreate,
                .op = "createOffer",
                .summary = "Make an offer for an open opportunity (a draft, numbered "
                           "OF-<year>-<nnnn> in the organization's time zone, without gaps)",
                .tag = "offers",
                .params = CommandParams(),
                .body = Ref("NewOffer"),
                .status = 201,
                .answer = Ref("CommandResult"),
                .errors = {403, 409, 412},
                .etag = true,
                .location = true},
               [this](const Call& call, httplib::Response& res) { Create(call, res); });
  server.Route(
      {.method = "PATCH",
       .path = "/api/v1/offers/{id}",
       .permission = Permission::kChangeOwn,
       .op = "changeOffer",
       .summary = "Change an offer: a draft in place; a sent offer by a new revision (a draft "
                  "again; the revisions before stay as they were sent). lines replaces them all.",
       .tag = "offers",
       .params = CommandParams(),
       .body = Ref("OfferBody"),
       .answer = Ref("CommandResult"),
       .errors = {403, 404, 409, 412},
       .etag = true},
      [this](const Call& call, httplib::Response& res) {
        auto organization = Organization();
        if (!organization.ok()) return Send(res, FromOutcome(organization));
        offers::ChangeOffer change;
        change.content = ReadContent(call.body);
        auto facts =
            FactsFor(change.content, settings::DateIn(organization.value(), server_.NowUs()));
        if (!facts.ok()) return Send(res, FromOutcome(facts));
        change.facts = std::move(facts).value();
        Command(call, res, call.req.matches[1], change);
      });
  server.Route({.method = "DELETE",
                .path = "/api/v1/offers/{id}",
                .permission = Permission::kChangeOwn,
                .op = "archiveOffer",
                .summary = "Archive an offer (it leaves the lists; its history and number stay)",
                .tag = "offers",
                .params = CommandParams(),
                .answer = Ref("CommandResult"),
                .errors = {403, 404, 412},
                .etag = true},
               [this](const Call& call, httplib::Response& res) {
                 Command(call, res, call.req.matches[1], offers::ArchiveOffer{});
               });
  server.Route({.method = "POST",
                .path = "/api/v1/offers/{id}/sent",
                .permission = Permission::kChangeOwn,
                .op = "markOfferSent",
                .summary = "Mark the current revision sent to the client",
                .tag = "offers",
                .params = CommandParams(),
                .answer = Ref("CommandResult"),
                .errors = {403, 404, 409, 412},
                .etag = true},
               [this](const Call& call, httplib::Response& res) {
                 Command(call, res, call.req.matches[1], offers::SendOffer{});
               });
  server.Route(
      {.method = "POST",
       .path = "/api/v1/offers/{id}/accept",
       .permission = Permission::kChangeOwn,
       .op = "acceptOffer",
       .summary = "The client accepted the sent offer (while it is valid): its opportunity moves "
                  "to the pipeline's order stage in the same append, unless the pipeline has "
                  "no such stage or the opportunity is closed or past it",
       .tag = "offers",
       .params = CommandParams(),
       .answer = Ref("CommandResult"),
       .errors = {403, 404, 409, 412},
       .etag = true},
      [this](const Call& call, httplib::Response& res) {
        const std::string id = call.req.matches[1];
        auto offer = offers_.Load(offers::OfferStream(id));
        if (!offer.ok()) return Send(res, FromOutcome(offer));
        if (!offer.value().state.exists) return Send(res, NoSuchOffer());
        auto organization = Organization();
        if (!organization.ok()) return Send(res, FromOutcome(organization));
        Command(call, res, id,
                offers::AcceptOffer{settings::DateIn(organization.value(), server_.NowUs())},
                MoveTo(offer.value().state.opportunity_id, kOrderStage));
      });
  server.Route({.method = "POST",
                .path = "/api/v1/offers/{id}/reject",
                .permission = Permission::kChangeOwn,
                .op = "rejectOffer",
                .summary = "The client rejected the sent offer, with an optional reason",
                .tag = "offers",
                .params = CommandParams(),
                .body = Object({{"reason", String().Length(std::nullopt, 1000)}}),
                .answer = Ref("CommandResult"),
                .errors = {403, 404, 409, 412},
                .etag = true},
               [this](const Call& call, httplib::Response& res) {
                 Command(call, res, call.req.matches[1],
                         offers::RejectOffer{call.body.value("reason", "")});
               });
  server.Route({.method = "GET",
                .path = "/api/v1/offers/{id}/history",
                .permission = Permission::kReadCrm,
                .op = "getOfferHistory",
                .summary = "Every event of the offer, newest first, with who, when and a summary "
                           "in ro and en",
                .tag = "offers",
                .params = {Shared("limit"), Shared("cursor"), Shared("as_of")},
                .answer = Ref("HistoryPage"),
                .errors = {404}},
               [this, &model](const Call& call, httplib::Response& res) {
                 const std::string id = call.req.matches[1];
                 server_.SendHistory(call, res, {offers::OfferStream(id)},
                                     model.Get(id).has_value(), NoSuchOffer());
               });
  StartExpiry();
}

void OffersImpl::StartExpiry() {
  // One key, set for the next midnight of the organization's time zone
  // after each sweep; the first sweep runs at once (offers whose validity
  // ended while the server was down). Each expiry is decided on the offer,
  // which expires once: an offer sent again, changed or decided meanwhile
  // (or expired before a restart) is nothing to do.
  expiry_ = std::make_unique<workers::ReminderScheduler>(
      [this] { return server_.NowUs(); }, [this](const std::string&, int64_t) { ExpireDue(); });
  expiry_->Set("sweep", server_.NowUs());
  expiry_->Start();
}

void OffersImpl::ExpireDue() {
  const int64_t now = server_.NowUs();
  const int64_t retry = now + 60'000'000;  // a failure tries again in a minute
  auto organization = Organization();
  if (!organization.ok()) return expiry_->Set("sweep", retry);
  const std::string today = settings::DateIn(organization.value(), now);
  const projections::Offers& model = server_.models().offers;
  if (!server_.runner().WaitFor(model, server_.store().Head(), std::chrono::milliseconds(30000))) {
    return expiry_->Set("sweep", retry);
  }
  bool failed = false;
  for (const std::string& id : model.ExpiredBy(today)) {
    const domain::Context ctx{"system", now, "offer-expiry-" + id, "", {}};
    auto outcome =
        offers_.Transact(offers::OfferStream(id), ctx, [&](const offers::Offer::State& s) {
          return offers::Offer::Decide(s, offers::ExpireOffer{today}, ctx);
        });
    failed = failed || outcome.failed();
  }
  expiry_->Set(
      "sweep",
      failed ? retry : settings::StartOfDay(organization.value(), domain::AddDays(today, 1)));
}

void OffersImpl::Stop() {
  if (expiry_) expiry_->Stop();
}

std::unique_ptr<Module> OffersModule(Server& server, SettingsModule& settings,
                                     AccountsModule& accounts, SalesModule& sales) {
  return std::make_unique<OffersImpl>(server, settings, accounts, sales);
}

}  // namespace crm::api
