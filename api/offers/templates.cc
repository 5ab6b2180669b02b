// The offer templates' routes.

#include <nlohmann/json.hpp>

#include "api/http/declare.h"
#include "api/http/problem.h"
#include "api/http/request.h"
#include "api/offers/module.h"
#include "domain/documents/markup.h"

namespace crm::api {

namespace {

using identity::Permission;
using nlohmann::json;

http::Schemas TemplateSchemas() {
  const http::Schema section =
      Object({{"ro", String().Describe("Safe markup (p, h1-h3, ul/ol/li, br, b/strong, i/em, u, "
                                       "span, img src=\"attachment:<id>\"; style text-align and "
                                       "font-size) with placeholders such as {{account.name}}.")},
              {"en", String()}})
          .Describe("The section's text in Romanian and in English; either may be \"\".");
  std::vector<http::Schema::Property> members = {{"name", String().Length(1, 200)}};
  for (const char* s : offers::kTemplateSections) members.push_back({s, Ref("TemplateSection")});
  return {{"TemplateSection", section},
          {"OfferTemplateBody", Object(members)},
          {"NewOfferTemplate", Object(members).Require({"name"})},
          {"OfferTemplate", Object({{"id", String()},
                                    {"name", String()},
                                    {"header", Ref("TemplateSection")},
                                    {"text_1", Ref("TemplateSection")},
                                    {"text_2", Ref("TemplateSection")},
                                    {"footer", Ref("TemplateSection")},
                                    {"archived", Boolean()}})
                                .Open()}};
}

json TemplateJson(const std::string& id, const offers::OfferTemplate& t) {
  json out = {{"id", id}, {"name", t.name}, {"archived", t.archived}};
  for (const auto& [section, text] : t.sections) out[section] = {{"ro", text.ro}, {"en", text.en}};
  return out;
}

Problem NoSuchTemplate() {
  return NotFoundProblem("Șablonul de ofertă nu există.", "No such offer template.");
}

}  // namespace

domain::Outcome<offers::TemplateInput> OffersImpl::ReadTemplate(const json& body) {
  offers::TemplateInput in;
  if (body.contains("name")) in.name = body["name"].get<std::string>();
  for (const char* section : offers::kTemplateSections) {
    if (!body.contains(section) || !body[section].is_object()) continue;
    const json& s = body[section];
    offers::SectionText text{s.value("ro", ""), s.value("en", "")};
    // The media types of the images the texts name, for the decider.
    for (const std::string* value : {&text.ro, &text.en}) {
      auto parsed = documents::ParseMarkup(*value, section);
      const auto* markup = std::get_if<documents::Markup>(&parsed);
      if (!markup) continue;  // the decider names what is wrong
      for (const std::string& id : documents::ImageIds(*markup)) {
        if (in.images.count(id)) continue;
        auto type = sales_.AttachmentType(id);
        if (!type.ok()) return type.status();
        in.images[id] = type.value();
      }
    }
    in.sections[section] = std::move(text);
  }
  return in;
}

void OffersImpl::TemplateRoutes() {
  server_.schemas().merge(TemplateSchemas());
  server_.Label<offers::OfferTemplateCreatedT>(
      {{"Șablon de ofertă creat: {name}", "Offer template created: {name}"}});
  server_.Label<offers::OfferTemplateChangedT>(
      {{"Șablon de ofertă modificat: {name}", "Offer template changed: {name}"}});
  server_.Label<offers::OfferTemplateArchivedT>(
      {{"Șablon de ofertă arhivat", "Offer template archived"}});

  auto command = [this](const Call& call, httplib::Response& res, const std::string& id,
                        bool created, const offers::OfferTemplates::Command& c) {
    domain::TransactOptions options;
    if (!server_.CommandOptions(call, res, &options)) return;
    const domain::Context ctx = server_.ContextOf(call);
    auto outcome = templates_.Transact(
        offers::kOfferTemplatesStream, ctx,
        [&](const offers::OfferTemplates::State& s) {
          return offers::OfferTemplates::Decide(s, c, ctx);
        },
        options);
    server_.Reply(res, outcome, id, created, created ? "/api/v1/offer-templates/" + id : "");
  };

  server_.Route(
      {.method = "GET",
       .path = "/api/v1/offer-templates",
       .permission = Permission::kReadCrm,
       .op = "listOfferTemplates",
       .summary = "The offer templates, by name (archived ones with include_archived=true)",
       .tag = "offers",
       .params = {Shared("as_of"), Param{.name = "include_archived", .schema = Boolean()}},
       .answer = Object({{"items", Array(Ref("OfferTemplate"))}, {"total", Integer()}}).Open()},
      [this](const Call& call, httplib::Response& res) {
        auto loaded = server_.LoadFor(call, templates_, offers::kOfferTemplatesStream);
        if (!loaded.ok()) return Send(res, FromOutcome(loaded));
        const bool archived = call.req.get_param_value("include_archived") == "true";
        std::vector<json> items;
        for (const auto& [id, t] : loaded.value().state.templates) {
          if (!t.archived || archived) items.push_back(TemplateJson(id, t));
        }
        std::stable_sort(items.begin(), items.end(), [](const json& a, const json& b) {
          return accounts::FoldText(a["name"].get<std::string>()) <
                 accounts::FoldText(b["name"].get<std::string>());
        });
        SendJson(res, {{"items", items}, {"total", items.size()}});
      });
  server_.Route({.method = "GET",
                 .path = "/api/v1/offer-templates/placeholders",
                 .permission = Permission::kReadCrm,
                 .op = "listOfferTemplatePlaceholders",
                 .summary = "The placeholders a template's sections may use, e.g. {{account.name}}",
                 .tag = "offers",
                 .answer = Object({{"items", Array(String())}}).Open()},
                [](const Call&, httplib::Response& res) {
                  SendJson(res, {{"items", offers::TemplatePlaceholders()}});
                });
  server_.Route({.method = "GET",
                 .path = "/api/v1/offer-templates/history",
                 .permission = Permission::kReadCrm,
                 .op = "getOfferTemplatesHistory",
                 .summary = "Every change of every offer template, newest first",
                 .tag = "offers",
                 .params = {Shared("limit"), Shared("cursor"), Shared("as_of")},
                 .answer = Ref("HistoryPage")},
                [this](const Call& call, httplib::Response& res) {
                  server_.SendHistory(call, res, {offers::kOfferTemplatesStream}, true,
                                      NoSuchTemplate());
                });
  server_.Route({.method = "GET",
                 .path = "/api/v1/offer-templates/{id}",
                 .permission = Permission::kReadCrm,
                 .op = "getOfferTemplate",
                 .summary = "One offer template",
                 .tag = "offers",
                 .params = {Shared("as_of")},
                 .answer = Ref("OfferTemplate"),
                 .errors = {404}},
                [this](const Call& call, httplib::Response& res) {
                  const std::string id = call.req.matches[1];
                  auto loaded = server_.LoadFor(call, templates_, offers::kOfferTemplatesStream);
                  if (!loaded.ok()) return Send(res, FromOutcome(loaded));
                  const auto& all = loaded.value().state.templates;
                  auto t = all.find(id);
                  if (t == all.end()) return Send(res, NoSuchTemplate());
                  SendJson(res, TemplateJson(id, t->second));
                });
  server_.Route({.method = "POST",
                 .path = "/api/v1/offer-templates",
                 .permission = Permission::kChangeAny,
                 .op = "createOfferTemplate",
                 .summary = "Make an offer template (every section checked: its placeholders "
                            "known, its markup safe, its images uploaded PNG or JPEG files)",
                 .tag = "offers",
                 .params = CommandParams(),
                 .body = Ref("NewOfferTemplate"),
                 .status = 201,
                 .answer = Ref("CommandResult"),
                 .errors = {409, 412},
                 .etag = true,
                 .location = true},
                [this, command](const Call& call, httplib::Response& res) {
                  auto input = ReadTemplate(call.body);
                  if (!input.ok()) return Send(res, FromOutcome(input));
                  const std::string id = server_.ids().Next();
                  command(call, res, id, true, offers::CreateTemplate{id, input.value()});
                });
  server_.Route({.method = "PATCH",
                 .path = "/api/v1/offer-templates/{id}",
                 .permission = Permission::kChangeAny,
                 .op = "changeOfferTemplate",
                 .summary = "Change a template's name or sections (those given; each checked)",
                 .tag = "offers",
                 .params = CommandParams(),
                 .body = Ref("OfferTemplateBody"),
                 .answer = Ref("CommandResult"),
                 .errors = {404, 409, 412},
                 .etag = true},
                [this, command](const Call& call, httplib::Response& res) {
                  auto input = ReadTemplate(call.body);
                  if (!input.ok()) return Send(res, FromOutcome(input));
                  const std::string id = call.req.matches[1];
                  command(call, res, id, false, offers::ChangeTemplate{id, input.value()});
                });
  server_.Route({.method = "DELETE",
                 .path = "/api/v1/offer-templates/{id}",
                 .permission = Permission::kChangeAny,
                 .op = "archiveOfferTemplate",
                 .summary = "Archive a template (offers made with it keep it)",
                 .tag = "offers",
                 .params = CommandParams(),
                 .answer = Ref("CommandResult"),
                 .errors = {404, 412},
                 .etag = true},
                [command](const Call& call, httplib::Response& res) {
                  const std::string id = call.req.matches[1];
                  command(call, res, id, false, offers::ArchiveTemplate{id});
                });
}

}  // namespace crm::api
