#pragma once

// The organization's settings (MISSION.md §2): custom fields per entity,
// required and unique fields, and the list columns each user or the whole
// organization sees. Other modules read them through this module: the rules
// a command on an entity must follow, and the columns of a list or export.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/http/list_export.h"
#include "api/http/listing.h"
#include "api/http/problem.h"
#include "api/http/server.h"
#include "api/module.h"
#include "domain/accounts/account.h"
#include "domain/lists.h"
#include "domain/settings/custom_fields.h"
#include "domain/sales/attachment.h"
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

}  // namespace crm::api
