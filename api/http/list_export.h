#pragma once

// What every list does with its columns' types (domain/columns.h): the
// names beside the ids of its rows, and its .xlsx export, typed: amounts as
// numbers of two decimals, dates as dates, times as UTC date-times, choices
// by their labels and records by their names, in the language asked.

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "api/formats/xlsx_writer.h"
#include "api/http/problem.h"
#include "api/http/route.h"
#include "domain/lists.h"
#include "domain/rejection.h"
#include "domain/settings/custom_fields.h"
#include "projections/registry.h"

namespace crm::api {

// The filters of `list`, documented from its columns' types: `field=a,b`
// on record and choice columns, `field=from..to` on amounts, dates and times.
std::vector<http::Param> ListFilterParams(const domain::ListSpec& list);
// An export's `lang=ro|en`: the language of its headers and labels.
http::Param ExportLangParam();
// Reads `lang` (ro when absent) into *en; false, with a problem sent, for
// another language.
bool ReadLang(const httplib::Request& req, httplib::Response& res, bool* en);

// The name of the record that id column `column` names, as it is now: a
// user's display name (owner_id), an account's name, a contact's (of
// `account_id`), an opportunity's title, a folder's or a category's path;
// "" when there is none.
std::string RecordName(const projections::ReadModels& models, const std::string& column,
                       const std::string& id, const std::string& account_id);

// Adds to list row *item the names beside its ids (account_name,
// owner_name, folder_name, contact_name, category_name, opportunity_title),
// for each record column of `list` it holds (null when the record is gone), so that a frontend
// needs no request per row.
void WithNames(const projections::ReadModels& models, const domain::ListSpec& list,
               nlohmann::json* item);

// The labels of the keys of choice columns: column -> key -> label (a
// pipeline's stages, the activity types); a key without one is written as is.
using ChoiceLabels = std::map<std::string, std::map<std::string, domain::Text>>;

// A list's export being written: one row per record added, one cell per
// column chosen, the header in the language chosen.
class ListExport {
 public:
  ListExport(const projections::ReadModels& models, const domain::ListSpec& list,
             std::vector<std::string> columns, settings::CustomFields::State custom, bool en,
             ChoiceLabels labels);

  // One record, as the API answers it (custom fields under "custom").
  void Add(const nlohmann::json& record);
  // The worksheet named `name`.
  Sheet Done(std::string name) &&;

 private:
  Cell CellOf(const std::string& column, const nlohmann::json& record);
  std::string Say(const domain::Text& text) const { return en_ ? text.en : text.ro; }

  const projections::ReadModels& models_;
  const domain::ListSpec& list_;
  std::vector<std::string> columns_;
  settings::CustomFields::State custom_;
  bool en_;
  ChoiceLabels labels_;
  Sheet sheet_;
  std::map<std::string, std::string> names_;  // "column/account/id" -> name, looked up once
};

}  // namespace crm::api
