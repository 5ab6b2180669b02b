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
#include <charconv>
#include <functional>

#include "api/http/declare.h"
#include "api/http/listing.h"
#include "api/http/problem.h"
#include "api/http/spreadsheet.h"
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
  std::vector<std::string> items = CommaItems(text);
  std::erase(items, std::string());
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

// The items of `text` (parameter `name`, comma-separated) into *out, each
// one of `known`; a 400 problem names the first that is not.
std::optional<Problem> ReadChoices(const char* name, const std::string& text,
                                   const std::vector<std::string>& known,
                                   std::set<std::string>* out) {
  for (std::string& item : CommaList(text)) {
    if (std::find(known.begin(), known.end(), item) == known.end()) {
      const std::string list = Joined(known, ", ");
      return BadParameter(name, "„" + item + "” nu este unul dintre: " + list + ".",
                          "'" + item + "' is not one of: " + list + ".");
    }
    out->insert(std::move(item));
  }
  return std::nullopt;
}

// Parameter `name` into *out: one of `known`, the first when absent; a 400
// problem otherwise.
std::optional<Problem> ReadChoice(const Call& call, const char* name,
                                  const std::vector<std::string>& known, std::string* out) {
  *out = call.req.has_param(name) ? call.req.get_param_value(name) : known.front();
  if (std::find(known.begin(), known.end(), *out) != known.end()) return std::nullopt;
  const std::string list = Joined(known, ", ");
  return BadParameter(name, "una dintre: " + list + ".", "one of: " + list + ".");
}

// The kinds of record user actions count.
const std::vector<std::string> kEntityKinds(std::begin(projections::kUserActionEntities),
                                            std::end(projections::kUserActionEntities));

// A panel answered as an .xlsx workbook: its headers in the language asked
// (lang=ro|en, Romanian by default).
struct Workbook {
  bool en = false;
  std::string file_name;  // of the download
  std::string Say(const domain::Text& text) const { return en ? text.en : text.ro; }
  std::vector<std::string> Header(const std::vector<domain::Text>& columns) const {
    std::vector<std::string> out;
    for (const auto& c : columns) out.push_back(Say(c));
    return out;
  }
};

// A panel's handler: `xlsx` is null for the JSON answer.
using PanelHandler =
    std::function<void(const Call& call, httplib::Response& res, const Workbook* xlsx)>;

// The parameters a panel's request leaves out, from the caller's saved
// settings of the panel (none when there are none).
using PanelDefaults = std::function<httplib::Params(const Call& call)>;

// Declares a panel's two routes: GET `spec.path` (JSON) and GET
// `spec.path`.xlsx (the same panel, the same parameters, as a workbook named
// `file_name`). Parameters the request leaves out come from `defaults`.
void PanelRoutes(Server& server, http::RouteSpec spec, const std::string& file_name,
                 PanelDefaults defaults, PanelHandler handler) {
  http::RouteSpec xlsx = spec;
  xlsx.path += ".xlsx";
  xlsx.op += "Xlsx";
  xlsx.summary += ", as an .xlsx workbook";
  xlsx.content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
  xlsx.answer = String().Format("binary");
  xlsx.params.push_back(Param{.name = "lang",
                              .schema = String().Enum({"ro", "en"}),
                              .description = "The headers' language; default ro."});
  auto serve = [handler, defaults](const Call& call, httplib::Response& res, const Workbook* book) {
    httplib::Params added = defaults(call);
    if (added.empty()) return handler(call, res, book);
    httplib::Request req = call.req;  // the request, completed
    req.params.merge(added);
    handler(Call{req, call.principal, call.request_id, call.body, call.as_of}, res, book);
  };
  server.Route(std::move(spec),
               [serve](const Call& call, httplib::Response& res) { serve(call, res, nullptr); });
  server.Route(std::move(xlsx), [serve, file_name](const Call& call, httplib::Response& res) {
    Workbook book{.file_name = file_name};
    if (!ReadLang(call.req, res, &book.en)) return;
    serve(call, res, &book);
  });
}

json Money(const std::map<std::string, int64_t>& value) {
  json out = json::array();
  for (const auto& [currency, minor] : value) {
    out.push_back({{"currency", currency}, {"amount", domain::FormatMoney(minor)}});
  }
  return out;
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

// The user-actions panel as a workbook: the counts, and the records
// counted (the activity report).
void UserActionsWorkbook(httplib::Response& res, const Workbook& xlsx,
                         const projections::UserActions& model,
                         const std::map<std::string, std::map<std::string, size_t>>& counts,
                         const std::vector<projections::UserView>& shown,
                         const std::set<std::string>& entities, int64_t from_us, int64_t to_us) {
  static const std::map<std::string, domain::Text> kKinds = {
      {"account", {"Conturi", "Accounts"}},
      {"contact", {"Contacte", "Contacts"}},
      {"opportunity", {"Oportunități", "Opportunities"}},
      {"activity", {"Activități", "Activities"}},
      {"call", {"Apeluri", "Calls"}},
      {"sms", {"SMS", "SMS"}},
      {"note", {"Note", "Notes"}},
      {"offer", {"Oferte", "Offers"}}};
  std::vector<std::string> kinds;
  for (const char* e : projections::kUserActionEntities) {
    if (entities.empty() || entities.contains(e)) kinds.push_back(e);
  }
  std::vector<domain::Text> columns = {{"Utilizator", "User"}};
  for (const auto& k : kinds) columns.push_back(kKinds.at(k));
  columns.push_back({"Total", "Total"});
  Sheet summary{xlsx.Say({"Acțiuni utilizatori", "User actions"}), xlsx.Header(columns), {}};
  Sheet items{xlsx.Say({"Înregistrări", "Records"}),
              xlsx.Header({{"Utilizator", "User"},
                           {"Tip", "Kind"},
                           {"Id", "Id"},
                           {"Cont (id)", "Account (id)"},
                           {"Data", "Date"},
                           {"Ora (UTC)", "Time (UTC)"}}),
              {}};
  for (const auto& u : shown) {
    std::vector<Cell> line = {u.display_name};
    int64_t total = 0;
    auto of = counts.find(u.id);
    for (const auto& k : kinds) {
      size_t n = 0;
      if (of != counts.end()) {
        if (auto it = of->second.find(k); it != of->second.end()) n = it->second;
      }
      line.push_back(Cell::Number(static_cast<int64_t>(n)));
      total += static_cast<int64_t>(n);
    }
    line.push_back(Cell::Number(total));
    summary.rows.push_back(std::move(line));
    size_t unused = 0;
    for (const auto& a : model.Items(u.id, "", from_us, to_us, 0, SIZE_MAX, &unused)) {
      if (!entities.empty() && !entities.contains(a.entity)) continue;
      const std::string at = domain::FormatRfc3339(a.at_us);
      items.rows.push_back({u.display_name, xlsx.Say(kKinds.at(a.entity)), a.id, a.account_id,
                            Cell::Date(at.substr(0, 10)), at.substr(11, 8)});
    }
  }
  SendWorkbook(res, {summary, items}, xlsx.file_name);
}

// The planning panel as a workbook: the counts, and the month's days.
void PlanningWorkbook(httplib::Response& res, const Workbook& xlsx,
                      const projections::DueQuery& query, const projections::DueCounts& o,
                      const projections::DueCounts& a) {
  const std::vector<std::string> header =
      xlsx.Header({{"", ""}, {"Oportunități", "Opportunities"}, {"Activități", "Activities"}});
  Sheet counts{xlsx.Say({"Scadențe", "Due"}), header, {}};
  auto n = [](size_t v) { return Cell::Number(static_cast<int64_t>(v)); };
  counts.rows.push_back({xlsx.Say({"Restante", "Overdue"}), n(o.overdue), n(a.overdue)});
  counts.rows.push_back({xlsx.Say({"Astăzi", "Today"}), n(o.today), n(a.today)});
  counts.rows.push_back(
      {xlsx.Say({"Următoarele 7 zile", "Next 7 days"}), n(o.upcoming), n(a.upcoming)});
  Sheet calendar{
      xlsx.Say({"Calendar", "Calendar"}),
      xlsx.Header(
          {{"Data", "Date"}, {"Oportunități", "Opportunities"}, {"Activități", "Activities"}}),
      {}};
  for (std::string day = query.month + "-01"; day.starts_with(query.month);
       day = domain::AddDays(day, 1)) {
    auto of = [&](const projections::DueCounts& c) {
      auto it = c.by_day.find(day);
      return n(it == c.by_day.end() ? 0 : it->second);
    };
    calendar.rows.push_back({Cell::Date(day), of(o), of(a)});
  }
  SendWorkbook(res, {counts, calendar}, xlsx.file_name);
}

// The funnel as a workbook: a row per stage and currency.
void FunnelWorkbook(httplib::Response& res, const Workbook& xlsx,
                    const std::vector<sales::StageDef>& stages,
                    const std::vector<projections::FunnelStage>& funnel) {
  Sheet sheet{xlsx.Say({"Estimare vânzări", "Sales estimate"}),
              xlsx.Header({{"Stadiu", "Stage"},
                           {"Probabilitate %", "Probability %"},
                           {"Deschise", "Open"},
                           {"Monedă", "Currency"},
                           {"Valoare", "Value"},
                           {"Valoare ponderată", "Weighted value"},
                           {"Intrate", "Entered"},
                           {"Avansate", "Advanced"},
                           {"Zile în stadiu (mediană)", "Days in stage (median)"}}),
              {}};
  for (size_t i = 0; i < funnel.size(); ++i) {
    const auto& f = funnel[i];
    std::vector<Cell> line = {xlsx.Say(stages[i].label), Cell::Number(stages[i].probability),
                              Cell::Number(static_cast<int64_t>(f.open))};
    std::vector<Cell> tail = {Cell::Number(static_cast<int64_t>(f.entered)),
                              Cell::Number(static_cast<int64_t>(f.advanced)),
                              f.median_us ? Cell::Number(*f.median_us / 86'400'000'000) : Cell("")};
    auto add = [&](std::vector<Cell> money) {
      std::vector<Cell> row = line;
      row.insert(row.end(), money.begin(), money.end());
      row.insert(row.end(), tail.begin(), tail.end());
      sheet.rows.push_back(std::move(row));
    };
    if (f.value.empty()) add({"", "", ""});
    for (const auto& [currency, minor] : f.value) {
      add({currency, Cell::Money(minor), Cell::Money(f.weighted.at(currency))});
    }
  }
  SendWorkbook(res, {sheet}, xlsx.file_name);
}

}  // namespace

void SalesModule::DashboardRoutes() {
  server_.tags()["dashboard"] = "The dashboard's panels, read models over the sales records.";

  // The dashboard's settings: which panels a user sees, in which order, and
  // what each counts; a user's own (user_id), else the organization's, else
  // every panel shown with its defaults.
  auto dashboard_of = [this](const std::string& user_id, std::optional<uint64_t> as_of,
                             std::string* source) -> Result<std::vector<settings::PanelSettings>> {
    std::vector<std::string> whose = {user_id};
    if (!user_id.empty()) whose.push_back("");  // then the organization's
    for (const std::string& who : whose) {
      const std::string stream = settings::DashboardStream(who);
      auto loaded = as_of ? dashboards_.LoadAt(stream, *as_of) : dashboards_.Load(stream);
      if (!loaded.ok()) return loaded.status();
      if (loaded.value().state.set) {
        *source = who.empty() ? "organization" : "user";
        return settings::EveryPanel(loaded.value().state.panels);
      }
    }
    *source = "default";
    return settings::EveryPanel({});
  };
  auto dashboard_json = [](const std::vector<settings::PanelSettings>& panels,
                           const std::string& source) {
    json out = json::array();
    for (const auto& p : panels) {
      auto text = [](const std::string& v) { return v.empty() ? json() : json(v); };
      out.push_back({{"panel", p.panel},
                     {"shown", p.shown},
                     {"users", p.users},
                     {"keys", p.keys},
                     {"entities", p.entities},
                     {"period", text(p.period)},
                     {"from", text(p.from)},
                     {"to", text(p.to)},
                     {"date_field", text(p.date_field)},
                     {"link", text(p.link)}});
    }
    return json{{"source", source}, {"panels", out}};
  };
  std::vector<std::string> panel_names(std::begin(settings::kDashboardPanels),
                                       std::end(settings::kDashboardPanels));
  auto list_of = [](const char* what) { return Array(String()).MaxItems(100).Describe(what); };
  server_.schemas()["DashboardPanel"] =
      Object({{"panel", String().Enum(panel_names)},
              {"shown", Boolean().Describe("Default true.")},
              {"users", list_of("The responsible users (actors, for user actions) counted; "
                                "none: everyone.")},
              {"keys", list_of("The groups shown: stage keys (won, lost too) of the opportunity "
                               "portfolio, statuses of the activity portfolio; none: the "
                               "panel's default.")},
              {"entities", list_of("The kinds of record user actions count; none: all.")},
              {"period", String()
                             .Nullable()
                             .Enum({std::begin(settings::kDashboardPeriods),
                                    std::end(settings::kDashboardPeriods)})
                             .Describe("An interval relative to the day the panel is shown (in "
                                       "Romania); or fixed days in from and to.")},
              {"from", String().Nullable().Format("date")},
              {"to", String().Nullable().Format("date")},
              {"date_field",
               String().Nullable().Describe("The date the interval bounds: close_date, due_date "
                                            "or created_at (funnel, portfolios).")},
              {"link", String()
                           .Nullable()
                           .Enum({std::begin(settings::kDashboardLinks),
                                  std::end(settings::kDashboardLinks)})
                           .Describe("The module the panel's links open.")}})
          .Require({"panel"});
  server_.schemas()["DashboardBody"] =
      Object({{"panels", Array(Ref("DashboardPanel"))
                             .MaxItems(20)
                             .Describe("In the order they are shown; panels not listed follow "
                                       "in the default order, shown.")}})
          .Require({"panels"});
  server_.schemas()["DashboardSettings"] =
      Object({{"source", String().Enum({"user", "organization", "default"})},
              {"panels", Array(Ref("DashboardPanel")).Describe("Every panel, in order.")}});

  auto put_dashboard = [this](const Call& call, httplib::Response& res,
                              const std::string& user_id) {
    settings::SetDashboard set{.user_id = user_id, .panels = {}};
    for (const json& p : call.body["panels"]) {
      auto text = [&](const char* name) {
        return p.contains(name) && p[name].is_string() ? p[name].get<std::string>() : "";
      };
      auto list = [&](const char* name) {
        return p.contains(name) ? p[name].get<std::vector<std::string>>()
                                : std::vector<std::string>{};
      };
      set.panels.push_back({.panel = text("panel"),
                            .shown = p.value("shown", true),
                            .users = list("users"),
                            .keys = list("keys"),
                            .entities = list("entities"),
                            .period = text("period"),
                            .from = text("from"),
                            .to = text("to"),
                            .date_field = text("date_field"),
                            .link = text("link")});
    }
    for (const auto& u : server_.models().identity.Users()) set.users.insert(u.id);
    auto pipeline = pipeline_.Load(sales::kPipelineStream);
    if (!pipeline.ok()) return Send(res, FromStatus(pipeline.status()));
    for (const auto& stage : pipeline.value().state.stages) set.stages.insert(stage.key);
    set.stages.insert({"won", "lost"});
    set.statuses.insert(std::begin(sales::kActivityStatuses), std::end(sales::kActivityStatuses));
    set.entities.insert(std::begin(projections::kUserActionEntities),
                        std::end(projections::kUserActionEntities));
    domain::TransactOptions options;
    if (!server_.CommandOptions(call, res, &options)) return;
    const domain::Context ctx = server_.ContextOf(call);
    auto outcome = dashboards_.Transact(
        settings::DashboardStream(user_id), ctx,
        [&](const settings::Dashboard::State& s) {
          return settings::Dashboard::Decide(s, set, ctx);
        },
        options);
    server_.Reply(res, outcome, "dashboard", false, "");
  };
  const std::vector<Param> command_params = {Shared("If-Match"), Shared("Idempotency-Key")};
  server_.Route({.method = "GET",
                 .path = "/api/v1/me/dashboard",
                 .permission = Permission::kReadCrm,
                 .op = "getMyDashboard",
                 .summary = "My dashboard: every panel in order, shown or not, with what it "
                            "counts (mine, else the organization's, else the defaults)",
                 .tag = "dashboard",
                 .params = {Shared("as_of")},
                 .answer = Ref("DashboardSettings"),
                 .reads = {&server_.models().identity}},
                [dashboard_of, dashboard_json](const Call& call, httplib::Response& res) {
                  std::string source;
                  auto panels = dashboard_of(call.principal.id, call.as_of, &source);
                  if (!panels.ok()) return Send(res, FromStatus(panels.status()));
                  SendJson(res, dashboard_json(panels.value(), source));
                });
  server_.Route({.method = "PUT",
                 .path = "/api/v1/me/dashboard",
                 .permission = Permission::kReadCrm,
                 .op = "setMyDashboard",
                 .summary = "Set my dashboard: the panels in order, which are shown, and what "
                            "each counts",
                 .tag = "dashboard",
                 .params = command_params,
                 .body = Ref("DashboardBody"),
                 .answer = Ref("CommandResult"),
                 .errors = {412},
                 .etag = true,
                 .reads = {&server_.models().identity}},
                [put_dashboard](const Call& call, httplib::Response& res) {
                  put_dashboard(call, res, call.principal.id);
                });
  server_.Route({.method = "DELETE",
                 .path = "/api/v1/me/dashboard",
                 .permission = Permission::kReadCrm,
                 .op = "clearMyDashboard",
                 .summary = "Drop my dashboard settings (the organization's default applies)",
                 .tag = "dashboard",
                 .params = command_params,
                 .answer = Ref("CommandResult"),
                 .errors = {412},
                 .etag = true,
                 .reads = {&server_.models().identity}},
                [this](const Call& call, httplib::Response& res) {
                  domain::TransactOptions options;
                  if (!server_.CommandOptions(call, res, &options)) return;
                  const domain::Context ctx = server_.ContextOf(call);
                  const settings::ClearDashboard clear{call.principal.id};
                  auto outcome = dashboards_.Transact(
                      settings::DashboardStream(call.principal.id), ctx,
                      [&](const settings::Dashboard::State& s) {
                        return settings::Dashboard::Decide(s, clear, ctx);
                      },
                      options);
                  server_.Reply(res, outcome, "dashboard", false, "");
                });
  server_.Route({.method = "GET",
                 .path = "/api/v1/settings/dashboard",
                 .permission = Permission::kReadCrm,
                 .op = "getDefaultDashboard",
                 .summary = "The organization's default dashboard, which users without their own "
                            "see",
                 .tag = "dashboard",
                 .params = {Shared("as_of")},
                 .answer = Ref("DashboardSettings"),
                 .reads = {&server_.models().identity}},
                [dashboard_of, dashboard_json](const Call& call, httplib::Response& res) {
                  std::string source;
                  auto panels = dashboard_of("", call.as_of, &source);
                  if (!panels.ok()) return Send(res, FromStatus(panels.status()));
                  SendJson(res, dashboard_json(panels.value(), source));
                });
  server_.Route(
      {.method = "PUT",
       .path = "/api/v1/settings/dashboard",
       .permission = Permission::kAdminister,
       .op = "setDefaultDashboard",
       .summary = "Set the organization's default dashboard (administrators)",
       .tag = "dashboard",
       .params = command_params,
       .body = Ref("DashboardBody"),
       .answer = Ref("CommandResult"),
       .errors = {412},
       .etag = true,
       .reads = {&server_.models().identity}},
      [put_dashboard](const Call& call, httplib::Response& res) { put_dashboard(call, res, ""); });

  // A panel's parameters the request leaves out, from the caller's saved
  // settings: users, the interval (a period around today in Romania), the
  // groups, the kinds and the date field.
  auto saved = [this, dashboard_of](const std::string& panel) -> PanelDefaults {
    return [this, dashboard_of, panel](const Call& call) {
      httplib::Params added;
      std::string source;
      auto panels = dashboard_of(call.principal.id, std::nullopt, &source);
      if (!panels.ok() || source == "default") return added;
      auto it = std::find_if(panels.value().begin(), panels.value().end(),
                             [&](const settings::PanelSettings& p) { return p.panel == panel; });
      if (it == panels.value().end()) return added;
      auto fill = [&](const std::string& name, const std::string& value) {
        if (!value.empty() && !call.req.has_param(name)) added.emplace(name, value);
      };
      fill("users", Joined(it->users));
      fill(panel == "activity_portfolio" ? "statuses" : "stages", Joined(it->keys));
      fill("entities", Joined(it->entities));
      fill("date_field", it->date_field);
      if (!call.req.has_param("from") && !call.req.has_param("to")) {
        std::string from = it->from, to = it->to;
        if (!it->period.empty()) {
          settings::PeriodDays(it->period, domain::BucharestDate(server_.NowUs()), &from, &to);
        }
        fill("from", from);
        fill("to", to);
      }
      return added;
    };
  };
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
  PanelRoutes(
      server_,
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
      "actiuni-utilizatori.xlsx", saved("user_actions"),
      [this, entity_names](const Call& call, httplib::Response& res, const Workbook* xlsx) {
        std::set<std::string> users, entities;
        int64_t from_us = 0, to_us = 0;
        if (auto bad = ReadUsers(call, server_.models().identity, &users)) return Send(res, *bad);
        if (auto bad = ReadChoices("entities", call.req.get_param_value("entities"), kEntityKinds,
                                   &entities)) {
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
              if (xlsx)
                return UserActionsWorkbook(res, *xlsx, model, counts, shown, entities, from_us,
                                           to_us);
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
                {"account", "contact", "opportunity", "activity", "call", "sms", "note", "offer"})}};
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
        if (auto bad = ReadChoices("entity", entity, kEntityKinds, &unused)) return Send(res, *bad);
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

  server_.schemas()["DueCounts"] = Object(
      {{"overdue", Integer()},
       {"today", Integer()},
       {"upcoming", Integer()},
       {"lists", Object({{"overdue", String()}, {"today", String()}, {"upcoming", String()}})
                     .Describe("The list (a path with its filters) of what each count counts.")}});
  server_.schemas()["Planning"] =
      Object({{"today", String().Format("date")},
              {"time_zone", String()},
              {"opportunities", Ref("DueCounts")},
              {"activities", Ref("DueCounts")},
              {"month", String()},
              {"calendar", Array(Object({{"date", String().Format("date")},
                                         {"opportunities", Integer()},
                                         {"activities", Integer()}}))}});
  PanelRoutes(
      server_,
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
      "planificare.xlsx", saved("planning"),
      [this](const Call& call, httplib::Response& res, const Workbook* xlsx) {
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
        // Each count with the list that shows what it counts.
        const std::string owners = Joined(query.owners);
        auto counts = [&](const projections::DueCounts& c, const std::string& list) {
          const std::string base = list + (owners.empty() ? "" : "&owner_id=" + owners);
          const std::string yesterday = domain::AddDays(query.today, -1);
          const std::string tomorrow = domain::AddDays(query.today, 1);
          return json{
              {"overdue", c.overdue},
              {"today", c.today},
              {"upcoming", c.upcoming},
              {"lists",
               {{"overdue", base + "&due_before=" + yesterday},
                {"today", base + "&due_after=" + query.today + "&due_before=" + query.today},
                {"upcoming", base + "&due_after=" + tomorrow + "&due_before=" + query.until}}}};
        };
        server_.Read<projections::Opportunities>(
            call, res, server_.models().opportunities,
            [&](const projections::Opportunities& opportunities) {
              const projections::DueCounts o = opportunities.Due(query);
              server_.Read<projections::Activities>(
                  call, res, server_.models().activities,
                  [&](const projections::Activities& activities) {
                    const projections::DueCounts a = activities.Due(query);
                    if (xlsx) return PlanningWorkbook(res, *xlsx, query, o, a);
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
                    SendJson(
                        res,
                        {{"today", query.today},
                         {"time_zone", "Europe/Bucharest"},
                         {"opportunities", counts(o, "/api/v1/opportunities?status=open")},
                         {"activities", counts(a, "/api/v1/activities?status=planned,in_progress")},
                         {"month", query.month},
                         {"calendar", calendar}});
                  });
            });
      });

  // The portfolios: records by responsible user and by a key (stages,
  // statuses), each group with its count, value and first rows.
  server_.schemas()["Money"] = Object({{"currency", String()}, {"amount", money()}});
  server_.schemas()["Portfolio"] = Object(
      {{"keys", Array(Object({{"key", String()}, {"label", Ref("Text")}}))
                    .Describe("The groups' keys, in order (the columns of the panel).")},
       {"users",
        Array(Object({{"user_id", String()},
                      {"display_name", String()},
                      {"count", Integer()},
                      {"values", Array(Ref("Money"))},
                      {"groups", Array(Object({{"key", String()},
                                               {"count", Integer()},
                                               {"values", Array(Ref("Money"))},
                                               {"rows", Array(Object())},
                                               {"list", String().Nullable().Describe(
                                                            "The list of the group's records (a "
                                                            "path with its filters); null when "
                                                            "the list cannot filter so.")}}))
                                     .Describe("One per key, in the order of `keys`; empty ones "
                                               "too.")}}))},
       {"count", Integer()},
       {"values", Array(Ref("Money")).Describe("Opportunities only: value per currency.")}});
  std::vector<Param> portfolio_params = {
      Shared("min_position"),
      Shared("as_of"),
      Param{.name = "users",
            .schema = String(),
            .description = "Comma-separated user ids (responsible users); default: every active "
                           "user, and anyone else who has records in the panel."},
      Param{.name = "from", .schema = String().Format("date")},
      Param{.name = "to", .schema = String().Format("date")},
      Param{.name = "rows",
            .schema = Integer().Range(0, 1000),
            .description = "The rows each group shows, soonest date first; default 10. The "
                           "export lists them all."}};
  // Answers portfolio `groups` of `query` over `keys` (key, label) as JSON,
  // with each group's list (`link(user, key)`), or as a workbook: a summary
  // sheet and the records (`columns`, `cells(row)`).
  auto portfolio_answer =
      [this](httplib::Response& res, const Workbook* xlsx, const projections::PortfolioQuery& query,
             const std::vector<std::pair<std::string, domain::Text>>& keys, const auto& groups,
             bool valued, auto row_json, const std::vector<domain::Text>& columns, auto cells,
             const domain::Text& sheet_name, auto link) {
        const std::set<std::string>& chosen = query.owners;
        // The lists filter by due and close dates, not by creation.
        const bool linked =
            query.date_field != "created_at" || (query.from.empty() && query.to.empty());
        std::vector<std::pair<std::string, std::string>> shown;  // id, display name
        std::set<std::string> listed;
        for (const auto& u : server_.models().identity.Users()) {
          if (chosen.empty() ? u.active : chosen.contains(u.id)) {
            shown.emplace_back(u.id, u.display_name);
            listed.insert(u.id);
          }
        }
        for (const auto& [at, group] : groups) {
          if (listed.insert(at.first).second) {
            auto user = server_.models().identity.User(at.first);
            shown.emplace_back(at.first, user ? user->display_name : at.first);
          }
        }
        if (xlsx) {
          std::vector<domain::Text> summary_columns = {
              {"Utilizator", "User"}, {"Grup", "Group"}, {"Număr", "Count"}};
          if (valued) {
            summary_columns.push_back({"Monedă", "Currency"});
            summary_columns.push_back({"Valoare", "Value"});
          }
          Sheet summary{xlsx->Say({"Sumar", "Summary"}), xlsx->Header(summary_columns), {}};
          Sheet records{xlsx->Say(sheet_name), xlsx->Header(columns), {}};
          for (const auto& [user_id, display_name] : shown) {
            for (const auto& [key, label] : keys) {
              auto it = groups.find({user_id, key});
              if (it == groups.end()) continue;
              const auto& group = it->second;
              std::vector<Cell> line = {display_name, xlsx->Say(label),
                                        Cell::Number(static_cast<int64_t>(group.count))};
              if (!valued || group.value.empty()) summary.rows.push_back(line);
              for (const auto& [currency, minor] : group.value) {
                if (!valued) break;
                auto with_value = line;
                with_value.push_back(currency);
                with_value.push_back(Cell::Money(minor));
                summary.rows.push_back(std::move(with_value));
              }
              for (const auto& row : group.rows) {
                std::vector<Cell> record = {display_name, xlsx->Say(label)};
                for (Cell& c : cells(row)) record.push_back(std::move(c));
                records.rows.push_back(std::move(record));
              }
            }
          }
          return SendWorkbook(res, {summary, records}, xlsx->file_name);
        }
        json users = json::array();
        size_t count = 0;
        std::map<std::string, int64_t> total;
        for (const auto& [user_id, display_name] : shown) {
          json user_groups = json::array();
          size_t user_count = 0;
          std::map<std::string, int64_t> user_total;
          for (const auto& [key, label] : keys) {
            json group = {{"key", key},
                          {"count", 0},
                          {"rows", json::array()},
                          {"list", linked ? json(link(user_id, key)) : json()}};
            if (valued) group["values"] = json::array();
            if (auto it = groups.find({user_id, key}); it != groups.end()) {
              group["count"] = it->second.count;
              user_count += it->second.count;
              for (const auto& [c, v] : it->second.value) user_total[c] += v;
              if (valued) group["values"] = Money(it->second.value);
              for (const auto& row : it->second.rows) group["rows"].push_back(row_json(row));
            }
            user_groups.push_back(std::move(group));
          }
          count += user_count;
          for (const auto& [c, v] : user_total) total[c] += v;
          json user = {{"user_id", user_id},
                       {"display_name", display_name},
                       {"count", user_count},
                       {"groups", std::move(user_groups)}};
          if (valued) user["values"] = Money(user_total);
          users.push_back(std::move(user));
        }
        json key_list = json::array();
        for (const auto& [key, label] : keys) {
          key_list.push_back({{"key", key}, {"label", {{"ro", label.ro}, {"en", label.en}}}});
        }
        json answer = {{"keys", key_list}, {"users", users}, {"count", count}};
        if (valued) answer["values"] = Money(total);
        SendJson(res, answer);
      };
  // The portfolio query's users, interval and rows; false when a problem
  // was sent.
  auto read_portfolio = [this](const Call& call, httplib::Response& res,
                               projections::PortfolioQuery* query, const Workbook* xlsx) {
    std::optional<Problem> bad = ReadUsers(call, server_.models().identity, &query->owners);
    if (!bad) bad = ReadDay(call, "from", &query->from);
    if (!bad) bad = ReadDay(call, "to", &query->to);
    if (!bad && call.req.has_param("rows")) {
      const std::string text = call.req.get_param_value("rows");
      size_t n = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
      if (ec != std::errc() || end != text.data() + text.size() || n > 1000) {
        bad = BadParameter("rows", "un număr de la 0 la 1000.", "a number from 0 to 1000.");
      }
      query->rows = n;
    }
    if (bad) {
      Send(res, *bad);
      return false;
    }
    if (xlsx) query->rows = SIZE_MAX;
    return true;
  };

  std::vector<Param> opportunity_params = portfolio_params;
  opportunity_params.push_back(
      Param{.name = "stages",
            .schema = String(),
            .description = "Comma-separated stage keys of the pipeline, and won or lost for "
                           "closed opportunities; default: the pipeline's stages (open "
                           "opportunities)."});
  opportunity_params.push_back(
      Param{.name = "date_field",
            .schema = String().Enum(settings::PanelDateFields("opportunity_portfolio")),
            .description = "The date `from` and `to` bound, and rows are ordered by (default "
                           "close_date; created_at by its UTC day)."});
  PanelRoutes(
      server_,
      {.method = "GET",
       .path = "/api/v1/dashboard/opportunity-portfolio",
       .permission = Permission::kReadCrm,
       .op = "getOpportunityPortfolio",
       .summary = "The opportunity portfolio: opportunities by responsible user and stage, each "
                  "group with its count, value and rows",
       .tag = "dashboard",
       .params = opportunity_params,
       .answer = Ref("Portfolio"),
       .errors = {503},
       .reads = {&server_.models().opportunities, &server_.models().accounts,
                 &server_.models().identity}},
      "portofoliu-oportunitati.xlsx", saved("opportunity_portfolio"),
      [this, read_portfolio, portfolio_answer](const Call& call, httplib::Response& res,
                                               const Workbook* xlsx) {
        projections::PortfolioQuery query;
        if (!read_portfolio(call, res, &query, xlsx)) return;
        if (auto bad =
                ReadChoice(call, "date_field", settings::PanelDateFields("opportunity_portfolio"),
                           &query.date_field)) {
          return Send(res, *bad);
        }
        auto pipeline = server_.LoadFor(call, pipeline_, sales::kPipelineStream);
        if (!pipeline.ok()) return Send(res, FromStatus(pipeline.status()));
        std::vector<std::pair<std::string, domain::Text>> all;
        std::vector<std::string> known, open;
        for (const auto& stage : pipeline.value().state.stages) {
          all.emplace_back(stage.key, stage.label);
          open.push_back(stage.key);
        }
        for (const char* closed : {"won", "lost"})
          all.emplace_back(closed, sales::StatusLabels().at(closed));
        for (const auto& [key, label] : all) known.push_back(key);
        if (!call.req.has_param("stages")) {
          query.keys.insert(open.begin(), open.end());
        } else if (auto bad = ReadChoices("stages", call.req.get_param_value("stages"), known,
                                          &query.keys)) {
          return Send(res, *bad);
        }
        std::vector<std::pair<std::string, domain::Text>> keys;
        for (auto& k : all) {
          if (query.keys.contains(k.first)) keys.push_back(std::move(k));
        }
        const auto& accounts = server_.models().accounts;
        server_.Read<projections::Opportunities>(
            call, res, server_.models().opportunities,
            [&](const projections::Opportunities& model) {
              portfolio_answer(
                  res, xlsx, query, keys, model.Portfolio(query), true,
                  [&](const projections::OpportunityRow& row) {
                    auto text = [](const std::string& v) { return v.empty() ? json() : json(v); };
                    return json{{"id", row.id},
                                {"title", row.title},
                                {"account_id", row.account_id},
                                {"account_name", accounts.NameOf(row.account_id)},
                                {"stage", row.stage},
                                {"status", row.status},
                                {"value", domain::FormatMoney(row.value_minor)},
                                {"currency", row.currency},
                                {"close_date", text(row.close_date)},
                                {"due_date", text(row.due_date)}};
                  },
                  {{"Utilizator", "User"},
                   {"Stadiu", "Stage"},
                   {"Titlu", "Title"},
                   {"Cont", "Account"},
                   {"Valoare", "Value"},
                   {"Monedă", "Currency"},
                   {"Data închiderii", "Close date"},
                   {"Scadență", "Due date"}},
                  [&](const projections::OpportunityRow& row) {
                    return std::vector<Cell>{
                        row.title,    accounts.NameOf(row.account_id), Cell::Money(row.value_minor),
                        row.currency, Cell::Date(row.close_date),      Cell::Date(row.due_date)};
                  },
                  {"Oportunități", "Opportunities"},
                  [&](const std::string& user, const std::string& key) {
                    const bool open = key != "won" && key != "lost";
                    std::string url = "/api/v1/opportunities?owner_id=" + user +
                                      (open ? "&status=open&stage=" + key : "&status=" + key);
                    const bool close = query.date_field == "close_date";
                    if (!query.from.empty()) {
                      url += (close ? "&close_from=" : "&due_after=") + query.from;
                    }
                    if (!query.to.empty())
                      url += (close ? "&close_to=" : "&due_before=") + query.to;
                    return url;
                  });
            });
      });

  std::vector<Param> activity_params = portfolio_params;
  activity_params.push_back(Param{
      .name = "statuses",
      .schema = String(),
      .description = "Comma-separated statuses (planned, in_progress, done, canceled); default: "
                     "all."});
  activity_params.push_back(
      Param{.name = "date_field",
            .schema = String().Enum(settings::PanelDateFields("activity_portfolio")),
            .description = "The date `from` and `to` bound, and rows are ordered by (default "
                           "due_date; created_at by its UTC day)."});
  PanelRoutes(
      server_,
      {.method = "GET",
       .path = "/api/v1/dashboard/activity-portfolio",
       .permission = Permission::kReadCrm,
       .op = "getActivityPortfolio",
       .summary = "The activity portfolio: activities by responsible user and status, each group "
                  "with its count and rows",
       .tag = "dashboard",
       .params = activity_params,
       .answer = Ref("Portfolio"),
       .errors = {503},
       .reads = {&server_.models().activities, &server_.models().accounts,
                 &server_.models().identity}},
      "portofoliu-activitati.xlsx", saved("activity_portfolio"),
      [this, read_portfolio, portfolio_answer](const Call& call, httplib::Response& res,
                                               const Workbook* xlsx) {
        projections::PortfolioQuery query;
        if (!read_portfolio(call, res, &query, xlsx)) return;
        if (auto bad =
                ReadChoice(call, "date_field", settings::PanelDateFields("activity_portfolio"),
                           &query.date_field)) {
          return Send(res, *bad);
        }
        std::vector<std::string> known(std::begin(sales::kActivityStatuses),
                                       std::end(sales::kActivityStatuses));
        if (!call.req.has_param("statuses")) {
          query.keys.insert(known.begin(), known.end());
        } else if (auto bad = ReadChoices("statuses", call.req.get_param_value("statuses"), known,
                                          &query.keys)) {
          return Send(res, *bad);
        }
        std::vector<std::pair<std::string, domain::Text>> keys;
        for (const auto& k : known) {
          if (query.keys.contains(k)) keys.emplace_back(k, sales::StatusLabels().at(k));
        }
        const auto& accounts = server_.models().accounts;
        server_.Read<projections::Activities>(
            call, res, server_.models().activities, [&](const projections::Activities& model) {
              portfolio_answer(
                  res, xlsx, query, keys, model.Portfolio(query), false,
                  [&](const projections::ActivityRow& row) {
                    auto text = [](const std::string& v) { return v.empty() ? json() : json(v); };
                    return json{{"id", row.id},
                                {"subject", row.subject},
                                {"type", row.type},
                                {"account_id", row.account_id},
                                {"account_name", accounts.NameOf(row.account_id)},
                                {"opportunity_id", text(row.opportunity_id)},
                                {"status", row.status},
                                {"due_date", text(row.due_date)}};
                  },
                  {{"Utilizator", "User"},
                   {"Stare", "Status"},
                   {"Subiect", "Subject"},
                   {"Tip", "Type"},
                   {"Cont", "Account"},
                   {"Scadență", "Due date"}},
                  [&](const projections::ActivityRow& row) {
                    return std::vector<Cell>{row.subject, row.type, accounts.NameOf(row.account_id),
                                             Cell::Date(row.due_date)};
                  },
                  {"Activități", "Activities"},
                  [&](const std::string& user, const std::string& key) {
                    std::string url = "/api/v1/activities?owner_id=" + user + "&status=" + key;
                    if (!query.from.empty()) url += "&due_after=" + query.from;
                    if (!query.to.empty()) url += "&due_before=" + query.to;
                    return url;
                  });
            });
      });

  PanelRoutes(
      server_,
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
                        .schema = String().Enum(settings::PanelDateFields("funnel")),
                        .description = "The date `from` and `to` bound (default close_date; "
                                       "created_at by its UTC day)."},
                  Param{.name = "from", .schema = String().Format("date")},
                  Param{.name = "to", .schema = String().Format("date")}},
       .answer = Ref("Funnel"),
       .errors = {503},
       .reads = {&server_.models().opportunities, &server_.models().identity}},
      "estimare-vanzari.xlsx", saved("funnel"),
      [this](const Call& call, httplib::Response& res, const Workbook* xlsx) {
        projections::FunnelQuery query;
        if (auto bad = ReadUsers(call, server_.models().identity, &query.owners)) {
          return Send(res, *bad);
        }
        if (auto bad = ReadChoice(call, "date_field", settings::PanelDateFields("funnel"),
                                  &query.date_field)) {
          return Send(res, *bad);
        }
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
              if (xlsx) return FunnelWorkbook(res, *xlsx, stages, funnel);
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
