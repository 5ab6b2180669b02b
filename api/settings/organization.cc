// The organization's details: GET/PUT /api/v1/settings/organization
// (administrators). Documents print them as the supplier.

#include <nlohmann/json.hpp>

#include "api/http/declare.h"
#include "api/http/problem.h"
#include "api/http/request.h"
#include "api/http/server.h"
#include "api/settings/settings.h"
#include "domain/sales/attachment.h"

namespace crm::api {

namespace {

using json = nlohmann::json;
using Call = Server::Call;
using identity::Permission;

// The body's text members and the details' fields they fill.
struct TextMember {
  const char* name;
  std::string settings::OrganizationDetails::*field;
  const char* description;
};
const TextMember kTextMembers[] = {
    {"legal_name", &settings::OrganizationDetails::legal_name, "Denumirea legală, e.g. SC … SRL."},
    {"fiscal_code", &settings::OrganizationDetails::fiscal_code,
     "CUI/CIF, with or without RO; kept as its digits (a VAT payer prints RO before them)."},
    {"trade_register", &settings::OrganizationDetails::trade_register,
     "Trade register number, e.g. J40/1234/2020."},
    {"address", &settings::OrganizationDetails::address, ""},
    {"city", &settings::OrganizationDetails::city, ""},
    {"county", &settings::OrganizationDetails::county, ""},
    {"country", &settings::OrganizationDetails::country, "ISO 3166 alpha-2; default RO."},
    {"iban", &settings::OrganizationDetails::iban, "Checked (mod 97), kept without spaces."},
    {"bank", &settings::OrganizationDetails::bank, ""},
    {"phone", &settings::OrganizationDetails::phone, "Kept in its +40… form."},
    {"email", &settings::OrganizationDetails::email, ""},
    {"website", &settings::OrganizationDetails::website, ""},
    {"default_currency", &settings::OrganizationDetails::default_currency,
     "ISO 4217; default RON."},
    {"default_language", &settings::OrganizationDetails::default_language,
     "ro or en: the language documents are made in; default ro."},
    {"time_zone", &settings::OrganizationDetails::time_zone,
     "Europe/Bucharest (default) or UTC: the days of due dates and expiries."},
    {"logo_attachment_id", &settings::OrganizationDetails::logo_attachment_id,
     "A PNG or JPEG attachment (POST /api/v1/attachments); empty for none."},
};

http::Schema OrganizationSchema(bool body) {
  std::vector<http::Schema::Property> properties;
  for (const TextMember& m : kTextMembers) {
    http::Schema s = http::String();
    if (*m.description) s = s.Describe(m.description);
    properties.push_back({m.name, s});
  }
  properties.push_back({"vat_payer", http::Boolean().Describe("Plătitor de TVA.")});
  if (!body) {
    properties.push_back(
        {"printed_fiscal_code", http::String().Describe("As documents print it.")});
    properties.push_back({"set", http::Boolean().Describe("false: never set, the defaults.")});
    properties.push_back({"version", http::Integer()});
    return http::Object(std::move(properties)).Open();
  }
  return http::Object(std::move(properties)).Require({"legal_name", "fiscal_code"});
}

json OrganizationJson(const settings::Organization::State& state, uint64_t version) {
  json out = {{"vat_payer", state.details.vat_payer},
              {"printed_fiscal_code", settings::PrintedFiscalCode(state.details)},
              {"set", state.set},
              {"version", version}};
  for (const TextMember& m : kTextMembers) out[m.name] = state.details.*m.field;
  return out;
}

}  // namespace

void SettingsModule::RegisterOrganization() {
  server_.schemas()["Organization"] = OrganizationSchema(false);
  server_.schemas()["OrganizationBody"] = OrganizationSchema(true);
  server_.Label<settings::OrganizationSetT>(
      {{"Datele organizației au fost salvate", "Organization details saved"}});

  server_.Route({.method = "GET",
                 .path = "/api/v1/settings/organization",
                 .permission = Permission::kAdminister,
                 .op = "getOrganization",
                 .summary = "The organization's details (administrators): the supplier documents "
                            "print, and its defaults",
                 .tag = "settings",
                 .params = {Shared("as_of")},
                 .answer = Ref("Organization"),
                 .etag = true},
                [this](const Call& call, httplib::Response& res) {
                  auto loaded = server_.LoadFor(call, organization_, settings::kOrganizationStream);
                  if (!loaded.ok()) return Send(res, FromStatus(loaded.status()));
                  SetETag(res, loaded.value().version);
                  SendJson(res, OrganizationJson(loaded.value().state, loaded.value().version));
                });

  server_.Route(
      {.method = "PUT",
       .path = "/api/v1/settings/organization",
       .permission = Permission::kAdminister,
       .op = "setOrganization",
       .summary = "Replace the organization's details (administrators); members left out take "
                  "their defaults",
       .tag = "settings",
       .params = CommandParams(),
       .body = Ref("OrganizationBody"),
       .answer = Ref("CommandResult"),
       .errors = {412},
       .etag = true},
      [this](const Call& call, httplib::Response& res) {
        settings::SetOrganization set;
        for (const TextMember& m : kTextMembers) {
          if (call.body.contains(m.name))
            set.details.*m.field = call.body[m.name].get<std::string>();
        }
        set.details.vat_payer = call.body.value("vat_payer", false);
        if (!set.details.logo_attachment_id.empty()) {
          auto logo = attachments_.Load(sales::AttachmentStream(set.details.logo_attachment_id));
          if (!logo.ok()) return Send(res, FromStatus(logo.status()));
          set.logo_exists = logo.value().state.exists;
          set.logo_content_type = logo.value().state.content_type;
        }
        domain::TransactOptions options;
        if (!server_.CommandOptions(call, res, &options)) return;
        const domain::Context ctx = server_.ContextOf(call);
        auto outcome = organization_.Transact(
            settings::kOrganizationStream, ctx,
            [&](const settings::Organization::State& s) {
              return settings::Organization::Decide(s, set, ctx);
            },
            options);
        server_.Reply(res, outcome, settings::kOrganizationStream, false, "");
      });
}

}  // namespace crm::api
