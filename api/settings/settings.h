#pragma once

// The organization's settings (MISSION.md §2): custom fields per entity,
// required and unique fields, and the list columns each user or the whole
// organization sees. Other modules read them through this module: the rules
// a command on an entity must follow, and the columns of a list or export.

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "api/http/list_export.h"
#include "api/http/listing.h"
#include "api/http/problem.h"
#include "api/http/request.h"
#include "api/http/server.h"
#include "api/http/spreadsheet.h"
#include "api/module.h"
#include "domain/accounts/account.h"
#include "domain/lists.h"
#include "domain/sales/attachment.h"
#include "domain/settings/custom_fields.h"
#include "domain/settings/field_settings.h"
#include "domain/settings/organization.h"
#include "domain/transact.h"

namespace crm::api {

// The columns a list or export of one entity shows.
struct ListColumns {
  std::vector<std::string> names;
  bool all = false;  // columns=all: whole records
  settings::TableSettings::State table;
  std::string source;  // of `table`: "user", "organization" or "default"
};

class SettingsModule final : public Module {
 public:
  // Names the labels of each entity's fields for histories ("field/<entity>").
  explicit SettingsModule(Server& server);
  void Register(Server& server) override;

  // The organization's rules for commands on `entity` ("account",
  // "contact", "product"): required and unique fields, custom field
  // definitions (read from their aggregates, so a field defined a moment ago
  // is known).
  domain::Outcome<accounts::AccountRules> RulesNow(const std::string& entity);
  // The label of a field of `entity`: a list column, or "custom.<key>".
  std::optional<domain::Text> FieldLabel(const std::string& entity, const std::string& name);
  // The custom fields defined for `entity`.
  domain::Outcome<settings::CustomFields::State> CustomFieldsOf(const std::string& entity);
  // How list filter "custom.<key>" of `entity` compares as a range: a
  // number or a date field's kind; nullopt for the others (text, choices).
  std::optional<projections::ValueRange::Kind> CustomRangeKind(const std::string& entity,
                                                               const std::string& name);

  // The list columns `user_id` sees for `entity`: their own settings, else
  // the organization's, else the built-in default; *source says which
  // ("user", "organization", "default"). As of log position `as_of` when
  // given.
  settings::TableSettings::State TableFor(const std::string& user_id, const std::string& entity,
                                          std::string* source,
                                          std::optional<uint64_t> as_of = std::nullopt);
  // Reads a list's paging and sort (fields `list` sorts by) and its columns:
  // `columns=a,b` (or `all`: every column, the active custom fields too),
  // else the caller's table settings, whose sort applies when `sort` is not
  // given. False, with a problem sent, for a bad parameter or an unknown
  // column.
  bool ReadListRequest(const Server::Call& call, httplib::Response& res,
                       const domain::ListSpec& list, PageRequest* request, ListColumns* columns);
  // Reads an export's request: the list's (every row, in its sort) and its
  // language (lang=ro|en, default ro) into *out, which then writes the
  // columns chosen, `labels` naming the keys of choice columns. False, with a
  // problem sent, for a bad parameter.
  bool ReadExportRequest(const Server::Call& call, httplib::Response& res,
                         const domain::ListSpec& list, ChoiceLabels labels, PageRequest* request,
                         std::optional<ListExport>* out);

  // A list of records and its .xlsx export (GET <path> and <path>.xlsx),
  // their filters those of the list's columns (domain/lists.h
  // ListOf(entity)): any of comma-separated values on record and choice
  // columns and custom.<key> (custom fields folded), ranges `from..to` (or
  // one value) on amounts, dates and times and on number and date custom
  // fields; the older inclusive date bounds `dates` (one end of a field's
  // range); search (q; and, for a query with q_accounts, the names of the
  // accounts the rows belong to), include_archived, sort, pages and the
  // caller's columns. `model` answers Query(query, sort, offset, limit) with
  // rows `to_json` turns into the API's records; `prepare(&query)` completes
  // each query before it runs (e.g. the order sort=stage follows).
  struct DateBound {
    std::string field;
    bool upper;
  };
  struct RecordList {
    http::RouteSpec list, sheet;  // the filter parameters are added to both
    std::string entity;
    std::map<std::string, DateBound> dates;
    std::string sheet_name, file_name;
    std::function<ChoiceLabels()> labels;  // of the choice columns, for the export
  };
  template <class Model, class ToJson, class Prepare>
  void RecordListRoutes(RecordList spec, const Model& model, ToJson to_json, Prepare prepare);

  // Before fields of `entity` become unique, the module that owns the
  // entity claims the values its records hold now. False, with *problem set,
  // when they are not unique already (or the store fails).
  using UniqueBackfill = std::function<bool(
      const domain::Context& ctx, const std::vector<std::string>& fields, Problem* problem)>;
  void OnUniqueFields(const std::string& entity, UniqueBackfill backfill) {
    backfills_[entity] = std::move(backfill);
  }

 private:
  void RegisterOrganization();  // api/settings/organization.cc
  Server& server_;
  domain::AggregateStore<settings::CustomFields> custom_fields_{server_.store(), server_.ids()};
  domain::AggregateStore<settings::FieldRules> field_rules_{server_.store(), server_.ids()};
  domain::AggregateStore<settings::TableSettings> tables_{server_.store(), server_.ids()};
  domain::AggregateStore<settings::Organization> organization_{server_.store(), server_.ids()};
  domain::AggregateStore<sales::Attachment> attachments_{server_.store(), server_.ids()};
  std::map<std::string, UniqueBackfill> backfills_;
};

template <class Model, class ToJson, class Prepare>
void SettingsModule::RecordListRoutes(RecordList spec, const Model& model, ToJson to_json,
                                      Prepare prepare) {
  using Query = typename Model::QueryType;
  using Kind = projections::ValueRange::Kind;
  const domain::ListSpec list = *domain::ListOf(spec.entity);
  for (auto* route : {&spec.list, &spec.sheet}) {
    for (http::Param& param : ListFilterParams(list)) route->params.push_back(std::move(param));
  }
  spec.sheet.params.push_back(ExportLangParam());
  // The query of a request; false when a problem was sent.
  auto read_query = [this, list, dates = spec.dates, entity = spec.entity, prepare](
                        const Server::Call& call, httplib::Response& res, Query* query) {
    prepare(query);
    query->q = call.req.get_param_value("q");
    if constexpr (requires { query->q_accounts; }) {
      // A row matches q by its account's name too.
      if (!query->q.empty()) {
        query->q_accounts = server_.models().accounts.IdsNamed(projections::SearchWords(query->q));
      }
    }
    query->include_archived = call.req.get_param_value("include_archived") == "true";
    std::set<std::string> reserved = {"q",    "include_archived", "limit", "cursor", "sort",
                                      "lang", "min_position",     "as_of", "columns"};
    for (const auto& [name, unused] : dates) reserved.insert(name);
    for (const auto& [name, value] : call.req.params) {
      if (reserved.count(name)) continue;
      const auto* column = list.Column(name);
      auto kind = CustomRangeKind(entity, name);
      if (column && domain::FiltersByRange(column->type)) {
        kind = column->type == domain::ColumnType::kMoney ? Kind::kNumber : Kind::kTime;
      }
      const bool by_value = (column && domain::FiltersByValue(column->type)) ||
                            (!column && name.starts_with("custom."));
      if (!by_value && !kind) {
        Send(res, BadParameter(name, "nu este un filtru al listei.",
                               "is not a filter of the " + entity + " list."));
        return false;
      }
      if (kind || value.find("..") != std::string::npos) {
        if (!ReadRange(res, name, value, kind, &query->ranges[name])) return false;
        continue;
      }
      // Any of the values: `owner_id=a,b`, or the parameter repeated.
      auto& values = query->equals[name];
      for (std::string& v : CommaItems(value)) values.push_back(std::move(v));
    }
    for (const auto& [name, bound] : dates) {
      const std::string v = call.req.get_param_value(name);
      if (v.empty()) continue;
      if (!domain::IsIsoDate(v)) {
        Send(res, BadParameter(name, "o dată AAAA-LL-ZZ.", "a date YYYY-MM-DD."));
        return false;
      }
      auto& range = query->ranges[bound.field];
      range.kind = Kind::kTime;
      (bound.upper ? range.to : range.from) = v;
    }
    return true;
  };
  server_.Route(std::move(spec.list), [this, &model, list, read_query, to_json](
                                          const Server::Call& call, httplib::Response& res) {
    Query query;
    if (!read_query(call, res, &query)) return;
    PageRequest request;
    ListColumns columns;
    if (!ReadListRequest(call, res, list, &request, &columns)) return;
    server_.Read<Model>(call, res, model, [&](const Model& m) {
      const auto found = m.Query(query, request.sort, request.offset, request.limit);
      nlohmann::json items = nlohmann::json::array();
      for (const auto& row : found.rows) {
        nlohmann::json item = columns.all ? to_json(row) : RowJson(to_json(row), columns.names);
        WithNames(server_.models(), list, &item);
        items.push_back(std::move(item));
      }
      nlohmann::json page;
      if (PageAnswer(res, request, found.total, std::move(items), &page)) {
        page["columns"] = columns.names;
        page["pinned"] = columns.table.pinned;
        SendJson(res, page);
      }
    });
  });
  server_.Route(std::move(spec.sheet), [this, &model, list, read_query, to_json,
                                        labels = spec.labels, sheet_name = spec.sheet_name,
                                        file_name = spec.file_name](const Server::Call& call,
                                                                    httplib::Response& res) {
    Query query;
    if (!read_query(call, res, &query)) return;
    PageRequest request;
    std::optional<ListExport> sheet;
    if (!ReadExportRequest(call, res, list, labels ? labels() : ChoiceLabels(), &request, &sheet)) {
      return;
    }
    server_.Read<Model>(call, res, model, [&](const Model& m) {
      for (const auto& row : m.Query(query, request.sort, 0, SIZE_MAX).rows) {
        sheet->Add(to_json(row));
      }
      SendWorkbook(res, {std::move(*sheet).Done(sheet_name)}, file_name);
    });
  });
}

}  // namespace crm::api
