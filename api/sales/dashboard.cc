// The dashboard's sales panels (MISSION.md §2, the manual's "Tablou de
// bord"). Each panel is a query over a read model the projection runner
// keeps, so it answers min_position and as_of like every list.
//
//   GET /api/v1/dashboard/funnel  the sales estimate: open opportunities by
//                                 stage in pipeline order, their value and
//                                 weighted value per currency, conversion
//                                 from each stage onward, median time in it
//   GET /api/v1/dashboard/planning  what is due: overdue, today, the next
//                                   7 days, and a month's calendar
//   GET /api/v1/dashboard/user-actions        how many records of each kind
//                                             each user added in an interval
//   GET /api/v1/dashboard/user-actions/items  those records (the drill-down)

#include <algorithm>
#include <sstream>

#include "api/http/declare.h"
#include "api/http/listing.h"
#include "api/http/problem.h"
#include "api/sales/sales.h"
#include "domain/money.h"
#include "domain/time.h"

namespace crm::api {

namespace {

using Call = Server::Call;
using identity::Permission;
using nlohmann::json;

// The items of a comma-separated parameter, empty ones left out.
std::vector<std::string> CommaList(const std::string& text) {
  std::vector<std::string> items;
  std::stringstream list(text);
  for (std::string item; std::getline(list, item, ',');) {
    if (!item.empty()) items.push_back(std::move(item));
  }
  return items;
}

// A YYYY-MM-DD parameter into *day ("" when absent); a 400 problem when it
// is not a date.
std::optional<Problem> ReadDay(const Call& call, const char* name, std::string* day) {
  *day = call.req.get_param_value(name);
  if (day->empty() || domain::IsIsoDate(*day)) return std::nullopt;
  return BadParameter(name, "o dată AAAA-LL-ZZ.", "a date YYYY-MM-DD.");
}

// The ids of a comma-separated parameter, each a user; a 400 problem names
// the first that is not.
std::optional<Problem> ReadUsers(const Call& call, const projections::Identity& identity,
                                 std::set<std::string>* users) {
  for (std::string& id : CommaList(call.req.get_param_value("users"))) {
    if (!identity.User(id)) {
      return BadParameter("users", "„" + id + "” nu este un utilizator.",
                          "'" + id + "' is not a user.");
    }
    users->insert(std::move(id));
  }
  return std::nullopt;
}

// The interval of `from` and `to` (inclusive YYYY-MM-DD, UTC days; either
// may be missing) as microseconds; a 400 problem for a bad date.
std::optional<Problem> ReadInterval(const Call& call, int64_t* from_us, int64_t* to_us) {
  std::string from, to;
  if (auto bad = ReadDay(call, "from", &from)) return bad;
  if (auto bad = ReadDay(call, "to", &to)) return bad;
  *from_us = from.empty() ? INT64_MIN : *domain::ParseRfc3339(from + "T00:00:00Z");
  *to_us = to.empty() ? INT64_MAX
                      : *domain::ParseRfc3339(to + "T00:00:00Z") + int64_t{86'400'000'000} - 1;
  return std::nullopt;
}

// The entity kinds of a comma-separated `entities`; a 400 problem names an
// unknown one.
std::optional<Problem> ReadEntities(const std::string& list_text, std::set<std::string>* out) {
  for (std::string& kind : CommaList(list_text)) {
    if (std::find(std::begin(projections::kUserActionEntities),
                  std::end(projections::kUserActionEntities),
                  kind) == std::end(projections::kUserActionEntities)) {
      return BadParameter("entities", "„" + kind + "” nu este un tip de înregistrare.",
                          "'" + kind + "' is not a kind of record.");
    }
    out->insert(std::move(kind));
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

  const json entity_names = [] {
    json names = json::array();
    for (const char* e : projections::kUserActionEntities) names.push_back(e);
    return names;
  }();
  server_.schemas()["UserActions"] =
      Object({{"entities", Array(String())},
              {"users", Array(Object({{"user_id", String()},
                                      {"display_name", String()},
                                      {"counts", Object().Values(Integer())},
                                      {"total", Integer()}}))}});
  const auto interval = [] {
    return std::vector<Param>{
        Param{.name = "from",
              .schema = String().Format("date"),
              .description = "First day counted (UTC); default: the log's start."},
        Param{.name = "to",
              .schema = String().Format("date"),
              .description = "Last day counted (UTC); default: today."}};
  };
  std::vector<Param> counts_params = {
      Shared("min_position"), Shared("as_of"),
      Param{.name = "users",
            .schema = String(),
            .description = "Comma-separated user ids; default: every user."},
      Param{.name = "entities",
            .schema = String(),
            .description = "Comma-separated kinds (account, contact, opportunity, activity, "
                           "call, sms, note); default: all."}};
  for (auto& p : interval()) counts_params.push_back(p);
  server_.Route(
      {.method = "GET",
       .path = "/api/v1/dashboard/user-actions",
       .permission = Permission::kReadCrm,
       .op = "getUserActions",
       .summary = "How many records of each kind each user added in an interval (the activity "
                  "report)",
       .tag = "dashboard",
       .params = counts_params,
       .answer = Ref("UserActions"),
       .errors = {503},
       .reads = {&server_.models().user_actions, &server_.models().identity}},
      [this, entity_names](const Call& call, httplib::Response& res) {
        std::set<std::string> users, entities;
        int64_t from_us = 0, to_us = 0;
        if (auto bad = ReadUsers(call, server_.models().identity, &users)) return Send(res, *bad);
        if (auto bad = ReadEntities(call.req.get_param_value("entities"), &entities)) {
          return Send(res, *bad);
        }
        if (auto bad = ReadInterval(call, &from_us, &to_us)) return Send(res, *bad);
        // Every user is listed, with zeros: an empty row is an answer too.
        std::vector<projections::UserView> shown;
        for (auto& u : server_.models().identity.Users()) {
          if (users.empty() ? u.active : users.contains(u.id)) shown.push_back(std::move(u));
        }
        server_.Read<projections::UserActions>(
            call, res, server_.models().user_actions, [&](const projections::UserActions& model) {
              const auto counts = model.Counts(users, entities, from_us, to_us);
              json rows = json::array();
              for (const auto& u : shown) {
                json by_kind = json::object();
                size_t total = 0;
                for (const char* e : projections::kUserActionEntities) {
                  if (!entities.empty() && !entities.contains(e)) continue;
                  size_t n = 0;
                  if (auto it = counts.find(u.id); it != counts.end()) {
                    if (auto k = it->second.find(e); k != it->second.end()) n = k->second;
                  }
                  by_kind[e] = n;
                  total += n;
                }
                rows.push_back({{"user_id", u.id},
                                {"display_name", u.display_name},
                                {"counts", by_kind},
                                {"total", total}});
              }
              SendJson(res,
                       {{"entities", entities.empty() ? entity_names
                                                      : json(std::vector<std::string>(
                                                            entities.begin(), entities.end()))},
                        {"users", rows}});
            });
      });
  server_.schemas()["UserActionPage"] =
      Object({{"items", Array(Object({{"entity", String()},
                                      {"id", String()},
                                      {"account_id", String().Nullable()},
                                      {"at", String().Format("date-time")}}))},
              {"total", Integer()},
              {"next_cursor", String().Nullable()}});
  std::vector<Param> items_params = {
      Shared("limit"),
      Shared("cursor"),
      Shared("min_position"),
      Shared("as_of"),
      Param{.name = "user", .schema = String(), .required = true},
      Param{.name = "entity",
            .schema = String().Enum(
                {"account", "contact", "opportunity", "activity", "call", "sms", "note"})}};
  for (auto& p : interval()) items_params.push_back(p);
  server_.Route(
      {.method = "GET",
       .path = "/api/v1/dashboard/user-actions/items",
       .permission = Permission::kReadCrm,
       .op = "listUserActions",
       .summary = "The records a user added in an interval, oldest first (the drill-down of "
                  "user actions)",
       .tag = "dashboard",
       .params = items_params,
       .answer = Ref("UserActionPage"),
       .errors = {503},
       .reads = {&server_.models().user_actions, &server_.models().identity}},
      [this](const Call& call, httplib::Response& res) {
        const std::string user = call.req.get_param_value("user");
        if (user.empty()) {
          return Send(res, BadParameter("user", "lipsește: id-ul utilizatorului.",
                                        "missing: the user's id."));
        }
        if (!server_.models().identity.User(user)) {
          return Send(res, BadParameter("user", "„" + user + "” nu este un utilizator.",
                                        "'" + user + "' is not a user."));
        }
        const std::string entity = call.req.get_param_value("entity");
        std::set<std::string> unused;
        if (auto bad = ReadEntities(entity, &unused)) return Send(res, *bad);
        int64_t from_us = 0, to_us = 0;
        if (auto bad = ReadInterval(call, &from_us, &to_us)) return Send(res, *bad);
        PageRequest page;
        if (!ReadPageRequest(call.req, res, {}, &page)) return;
        server_.Read<projections::UserActions>(
            call, res, server_.models().user_actions, [&](const projections::UserActions& model) {
              size_t total = 0;
              const auto items =
                  model.Items(user, entity, from_us, to_us, page.offset, page.limit, &total);
              json rows = json::array();
              for (const auto& a : items) {
                rows.push_back(
                    {{"entity", a.entity},
                     {"id", a.id},
                     {"account_id", a.account_id.empty() ? json(nullptr) : json(a.account_id)},
                     {"at", domain::FormatRfc3339(a.at_us)}});
              }
              json answer;
              if (!PageAnswer(res, page, total, std::move(rows), &answer)) return;
              SendJson(res, answer);
            });
      });

  server_.schemas()["DueCounts"] =
      Object({{"overdue", Integer()}, {"today", Integer()}, {"upcoming", Integer()}});
  server_.schemas()["Planning"] =
      Object({{"today", String().Format("date")},
              {"time_zone", String()},
              {"opportunities", Ref("DueCounts")},
              {"activities", Ref("DueCounts")},
              {"month", String()},
              {"calendar", Array(Object({{"date", String().Format("date")},
                                         {"opportunities", Integer()},
                                         {"activities", Integer()}}))}});
  server_.Route(
      {.method = "GET",
       .path = "/api/v1/dashboard/planning",
       .permission = Permission::kReadCrm,
       .op = "getPlanning",
       .summary = "What is due for the chosen users: open opportunities and activities still to "
                  "do, overdue, due today and in the next 7 days, and a month's calendar",
       .tag = "dashboard",
       .params = {Shared("min_position"), Shared("as_of"),
                  Param{.name = "users",
                        .schema = String(),
                        .description = "Comma-separated user ids (responsible users); default: "
                                       "everyone's."},
                  Param{.name = "month",
                        .schema = String().Pattern(R"(^[0-9]{4}-(0[1-9]|1[0-2])$)"),
                        .description = "The calendar's month, YYYY-MM; default: today's."},
                  Param{.name = "today",
                        .schema = String().Format("date"),
                        .description = "The day counted from; default: today in Romania "
                                       "(Europe/Bucharest)."}},
       .answer = Ref("Planning"),
       .errors = {503},
       .reads = {&server_.models().opportunities, &server_.models().activities,
                 &server_.models().identity}},
      [this](const Call& call, httplib::Response& res) {
        projections::DueQuery query;
        if (auto bad = ReadUsers(call, server_.models().identity, &query.owners)) {
          return Send(res, *bad);
        }
        query.today = call.req.has_param("today") ? call.req.get_param_value("today")
                                                  : domain::BucharestDate(server_.NowUs());
        if (!domain::IsIsoDate(query.today)) {
          return Send(res, BadParameter("today", "o dată AAAA-LL-ZZ.", "a date YYYY-MM-DD."));
        }
        query.until = domain::AddDays(query.today, 7);
        query.month = call.req.has_param("month") ? call.req.get_param_value("month")
                                                  : query.today.substr(0, 7);
        if (!domain::IsIsoDate(query.month + "-01")) {
          return Send(res, BadParameter("month", "o lună AAAA-LL.", "a month YYYY-MM."));
        }
        auto counts = [](const projections::DueCounts& c) {
          return json{{"overdue", c.overdue}, {"today", c.today}, {"upcoming", c.upcoming}};
        };
        server_.Read<projections::Opportunities>(
            call, res, server_.models().opportunities,
            [&](const projections::Opportunities& opportunities) {
              const projections::DueCounts o = opportunities.Due(query);
              server_.Read<projections::Activities>(
                  call, res, server_.models().activities,
                  [&](const projections::Activities& activities) {
                    const projections::DueCounts a = activities.Due(query);
                    json calendar = json::array();
                    for (std::string day = query.month + "-01"; day.starts_with(query.month);
                         day = domain::AddDays(day, 1)) {
                      auto n = [&](const projections::DueCounts& c) {
                        auto it = c.by_day.find(day);
                        return it == c.by_day.end() ? size_t{0} : it->second;
                      };
                      calendar.push_back(
                          {{"date", day}, {"opportunities", n(o)}, {"activities", n(a)}});
                    }
                    SendJson(res, {{"today", query.today},
                                   {"time_zone", "Europe/Bucharest"},
                                   {"opportunities", counts(o)},
                                   {"activities", counts(a)},
                                   {"month", query.month},
                                   {"calendar", calendar}});
                  });
            });
      });

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
        if (auto bad = ReadDay(call, "from", &query.from)) return Send(res, *bad);
        if (auto bad = ReadDay(call, "to", &query.to)) return Send(res, *bad);
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
