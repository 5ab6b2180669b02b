// The dashboard's sales panels (MISSION.md §2, the manual's "Tablou de
// bord"). Each panel is a query over a read model the projection runner
// keeps, so it answers min_position and as_of like every list.
//
//   GET /api/v1/dashboard/funnel  the sales estimate: open opportunities by
//                                 stage in pipeline order, their value and
//                                 weighted value per currency, conversion
//                                 from each stage onward, median time in it

#include <sstream>

#include "api/http/declare.h"
#include "api/http/problem.h"
#include "api/sales/sales.h"
#include "domain/money.h"
#include "domain/time.h"

namespace crm::api {

namespace {

using Call = Server::Call;
using identity::Permission;
using nlohmann::json;

// The ids of a comma-separated parameter, each a user; a 400 problem names
// the first that is not.
std::optional<Problem> ReadUsers(const Call& call, const projections::Identity& identity,
                                 std::set<std::string>* users) {
  std::stringstream list(call.req.get_param_value("users"));
  for (std::string id; std::getline(list, id, ',');) {
    if (id.empty()) continue;
    if (!identity.User(id)) {
      return BadParameter("users", "„" + id + "” nu este un utilizator.",
                          "'" + id + "' is not a user.");
    }
    users->insert(id);
  }
  return std::nullopt;
}

json Amounts(const std::map<std::string, int64_t>& value,
             const std::map<std::string, int64_t>& weighted) {
  json out = json::array();
  for (const auto& [currency, minor] : value) {
    out.push_back({{"currency", currency},
                   {"amount", domain::FormatMoney(minor)},
                   {"weighted", domain::FormatMoney(weighted.at(currency))}});
  }
  return out;
}

}  // namespace

void SalesModule::DashboardRoutes() {
  server_.tags()["dashboard"] = "The dashboard's panels, read models over the sales records.";
  const auto money = [] { return String().Describe("Decimal string (\"12500.50\")."); };
  server_.schemas()["FunnelAmount"] =
      Object({{"currency", String()}, {"amount", money()}, {"weighted", money()}});
  server_.schemas()["FunnelStage"] =
      Object({{"key", String()},
              {"label", Ref("Text")},
              {"probability", Integer().Range(0, 100)},
              {"open", Integer().Describe("Open opportunities in the stage now.")},
              {"values", Array(Ref("FunnelAmount"))
                             .Describe("Their value per currency, and weighted by the stage's "
                                       "probability (rounded half away from zero).")},
              {"conversion",
               Object({{"entered", Integer()}, {"advanced", Integer()}})
                   .Describe("Of the counted opportunities that ever entered the stage, how many "
                             "went on to a later stage or were won.")},
              {"median_seconds_in_stage",
               Integer().Nullable().Describe("Median time spent in the stage by those that left it "
                                             "(a later stage, or closed); null when none has.")}});
  server_.schemas()["Funnel"] = Object({{"stages", Array(Ref("FunnelStage"))},
                                        {"totals", Array(Ref("FunnelAmount"))},
                                        {"open", Integer()}});

  server_.Route(
      {.method = "GET",
       .path = "/api/v1/dashboard/funnel",
       .permission = Permission::kReadCrm,
       .op = "getFunnel",
       .summary = "The sales funnel: open opportunities by stage in pipeline order, with value, "
                  "weighted value, conversion and median time in stage",
       .tag = "dashboard",
       .params = {Shared("min_position"), Shared("as_of"),
                  Param{.name = "users",
                        .schema = String(),
                        .description = "Comma-separated user ids whose opportunities count "
                                       "(their responsible user); default: everyone's."},
                  Param{.name = "date_field",
                        .schema = String().Enum({"close_date", "due_date", "created_at"}),
                        .description = "The date `from` and `to` bound (default close_date; "
                                       "created_at by its UTC day)."},
                  Param{.name = "from", .schema = String().Format("date")},
                  Param{.name = "to", .schema = String().Format("date")}},
       .answer = Ref("Funnel"),
       .errors = {503},
       .reads = {&server_.models().opportunities, &server_.models().identity}},
      [this](const Call& call, httplib::Response& res) {
        projections::FunnelQuery query;
        if (auto bad = ReadUsers(call, server_.models().identity, &query.owners)) {
          return Send(res, *bad);
        }
        if (call.req.has_param("date_field"))
          query.date_field = call.req.get_param_value("date_field");
        for (auto [name, into] : {std::pair{"from", &query.from}, std::pair{"to", &query.to}}) {
          *into = call.req.get_param_value(name);
          if (!into->empty() && !domain::IsIsoDate(*into)) {
            return Send(res, BadParameter(name, "o dată AAAA-LL-ZZ.", "a date YYYY-MM-DD."));
          }
        }
        auto pipeline = server_.LoadFor(call, pipeline_, sales::kPipelineStream);
        if (!pipeline.ok()) return Send(res, FromStatus(pipeline.status()));
        const auto& stages = pipeline.value().state.stages;
        for (const auto& s : stages) query.stages.push_back({s.key, s.probability});
        server_.Read<projections::Opportunities>(
            call, res, server_.models().opportunities,
            [&](const projections::Opportunities& model) {
              const auto funnel = model.Funnel(query);
              json out = json::array();
              std::map<std::string, int64_t> total, total_weighted;
              size_t open = 0;
              for (size_t i = 0; i < funnel.size(); ++i) {
                const auto& f = funnel[i];
                for (const auto& [c, v] : f.value) total[c] += v;
                for (const auto& [c, v] : f.weighted) total_weighted[c] += v;
                open += f.open;
                out.push_back({{"key", f.key},
                               {"label", {{"ro", stages[i].label.ro}, {"en", stages[i].label.en}}},
                               {"probability", stages[i].probability},
                               {"open", f.open},
                               {"values", Amounts(f.value, f.weighted)},
                               {"conversion", {{"entered", f.entered}, {"advanced", f.advanced}}},
                               {"median_seconds_in_stage",
                                f.median_us ? json(*f.median_us / 1'000'000) : json(nullptr)}});
              }
              SendJson(
                  res,
                  {{"stages", out}, {"totals", Amounts(total, total_weighted)}, {"open", open}});
            });
      });
}

}  // namespace crm::api
