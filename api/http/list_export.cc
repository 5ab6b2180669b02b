#include "api/http/list_export.h"

#include <utility>

#include "domain/money.h"
#include "domain/time.h"

namespace crm::api {

using nlohmann::json;

namespace {

const json kNull;

// The member `column` of `record`: a custom field's under "custom".
const json& MemberOf(const json& record, const std::string& column) {
  const bool custom = column.starts_with("custom.");
  const json* object = &record;
  if (custom) {
    auto it = record.find("custom");
    if (it == record.end() || !it->is_object()) return kNull;
    object = &*it;
  }
  auto it = object->find(custom ? column.substr(7) : column);
  return it == object->end() ? kNull : *it;
}

// The member a list row carries beside id column `column`.
std::string NameMember(const std::string& column) {
  if (column == "opportunity_id") return "opportunity_title";
  return column.substr(0, column.size() - 3) + "_name";  // "<record>_id"
}

std::string Text(const json& value) {
  if (value.is_null()) return "";
  return value.is_string() ? value.get<std::string>() : value.dump();
}

}  // namespace

std::vector<http::Param> ListFilterParams(const domain::ListSpec& list) {
  std::vector<http::Param> out;
  for (const auto& c : list.columns) {
    if (domain::FiltersByValue(c.type)) {
      out.push_back({.name = c.column,
                     .description = std::string(c.en) +
                                    ": any of the values, comma-separated (a,b; \\, is a comma "
                                    "inside one) or the parameter repeated."});
    } else if (domain::FiltersByRange(c.type)) {
      out.push_back(
          {.name = c.column,
           .description =
               std::string(c.en) +
               (c.type == domain::ColumnType::kMoney
                    ? ": a range from..to of decimal amounts (1000..20000, 5000.., ..999.99) or "
                      "one amount."
                    : ": a range from..to of days or RFC 3339 times (2026-01-01..2026-03-31, "
                      "2026-01-01..) or one day.")});
    }
  }
  return out;
}

bool ReadLang(const httplib::Request& req, httplib::Response& res, bool* en) {
  const std::string lang = req.get_param_value("lang");
  if (!lang.empty() && lang != "ro" && lang != "en") {
    Send(res, BadParameter("lang", "ro sau en.", "ro or en."));
    return false;
  }
  *en = lang == "en";
  return true;
}

http::Param ExportLangParam() {
  return {.name = "lang",
          .schema = http::String().Enum({"ro", "en"}),
          .description = "The language of the headers, choices and yes/no; default ro."};
}

std::string RecordName(const projections::ReadModels& models, const std::string& column,
                       const std::string& id, const std::string& account_id) {
  if (column == "owner_id") {
    auto user = models.identity.User(id);
    return user ? user->display_name : "";
  }
  if (column == "account_id") return models.accounts.NameOf(id);
  if (column == "opportunity_id") return models.opportunities.TitleOf(id);
  if (column == "category_id") return models.products.CategoryPath(id);
  if (column == "folder_id") {
    auto folder = models.folders.Folder(id);
    std::string path;
    for (const auto& name : folder ? folder->path : std::vector<std::string>{}) {
      path += (path.empty() ? "" : " / ") + name;
    }
    return path;
  }
  if (column == "contact_id") {
    auto account = models.accounts.Get(account_id);
    if (!account || !account->contacts.count(id)) return "";
    const auto& contact = account->contacts.at(id);
    auto field = [&](const char* name) {
      auto it = contact.find(name);
      return it == contact.end() ? std::string() : it->second;
    };
    const std::string first = field("first_name"), last = field("last_name");
    return first + (first.empty() || last.empty() ? "" : " ") + last;
  }
  return "";
}

void WithNames(const projections::ReadModels& models, const domain::ListSpec& list, json* item) {
  const std::string account_id = Text(MemberOf(*item, "account_id"));
  for (const auto& c : list.columns) {
    if (c.type != domain::ColumnType::kRecord) continue;
    auto it = item->find(c.column);
    if (it == item->end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
      continue;
    }
    const std::string name = RecordName(models, c.column, it->get<std::string>(), account_id);
    (*item)[NameMember(c.column)] = name.empty() ? json(nullptr) : json(name);
  }
}

ListExport::ListExport(const projections::ReadModels& models, const domain::ListSpec& list,
                       std::vector<std::string> columns, settings::CustomFields::State custom,
                       bool en, ChoiceLabels labels)
    : models_(models),
      list_(list),
      columns_(std::move(columns)),
      custom_(std::move(custom)),
      en_(en),
      labels_(std::move(labels)) {
  for (const auto& column : columns_) {
    if (const auto* builtin = list_.Column(column)) {
      sheet_.header.push_back(en_ ? builtin->en : builtin->ro);
      continue;
    }
    const auto* def = column.starts_with("custom.") ? custom_.Find(column.substr(7)) : nullptr;
    sheet_.header.push_back(def ? Say(def->label) : column);
  }
}

void ListExport::Add(const json& record) {
  auto& cells = sheet_.rows.emplace_back();
  cells.reserve(columns_.size());
  for (const auto& column : columns_) cells.push_back(CellOf(column, record));
}

Sheet ListExport::Done(std::string name) && {
  sheet_.name = std::move(name);
  return std::move(sheet_);
}

Cell ListExport::CellOf(const std::string& column, const json& record) {
  using domain::ColumnType;
  const json& value = MemberOf(record, column);
  if (value.is_null()) return Cell();
  const std::string text = Text(value);
  auto yes_no = [&](bool yes) { return Cell(yes ? (en_ ? "yes" : "da") : (en_ ? "no" : "nu")); };
  auto label = [&](const std::map<std::string, domain::Text>* labels) {
    if (!labels) return Cell(text);
    auto it = labels->find(text);
    return it == labels->end() ? Cell(text) : Cell(Say(it->second));
  };
  if (column.starts_with("custom.")) {
    const auto* def = custom_.Find(column.substr(7));
    if (!def) return Cell(text);
    if (def->type == "number" || def->type == "decimal") return Cell::Decimal(text);
    if (def->type == "date") return Cell::Date(text);
    if (def->type == "boolean") return yes_no(text == "true");
    if (def->type == "select") {
      for (size_t i = 0; i < def->options.size() && i < def->option_labels.size(); ++i) {
        if (def->options[i] == text) return Cell(Say(def->option_labels[i]));
      }
    }
    return Cell(text);
  }
  const auto* builtin = list_.Column(column);
  switch (builtin ? builtin->type : ColumnType::kText) {
    case ColumnType::kRecord: {
      const std::string account_id = Text(MemberOf(record, "account_id"));
      const std::string key = column + "/" + account_id + "/" + text;
      auto it = names_.find(key);
      if (it == names_.end()) {
        const std::string name = RecordName(models_, column, text, account_id);
        it = names_.emplace(key, name.empty() ? text : name).first;
      }
      return Cell(it->second);
    }
    case ColumnType::kChoice: {
      auto it = labels_.find(column);
      return label(it == labels_.end() ? nullptr : &it->second);
    }
    case ColumnType::kBool:
      return value.is_boolean() ? yes_no(value.get<bool>()) : Cell(text);
    case ColumnType::kMoney:
      if (auto minor = domain::ParseMoney(text)) return Cell::Money(*minor);
      return Cell(text);
    case ColumnType::kDate:
      return Cell::Date(text);
    case ColumnType::kTime:
      if (auto us = domain::ParseRfc3339(text)) return Cell::Time(*us);
      return Cell(text);
    case ColumnType::kText:
      break;
  }
  return Cell(text);
}

}  // namespace crm::api
