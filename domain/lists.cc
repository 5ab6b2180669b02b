#include "domain/lists.h"

#include <algorithm>

namespace crm::domain {

namespace {

constexpr const char* kAccountSortable[] = {
    "created_at",  "updated_at",     "code",   "vat_payer", "name",  "kind",
    "fiscal_code", "trade_register", "phone",  "mobile",    "email", "website",
    "address",     "city",           "county", "country",   "iban",  "bank"};

constexpr accounts::ColumnLabel kOpportunityColumns[] = {
    {"title", "Titlu", "Title"},
    {"account_id", "Cont", "Account"},
    {"contact_id", "Persoană de contact", "Contact"},
    {"value", "Valoare", "Value"},
    {"currency", "Monedă", "Currency"},
    {"stage", "Etapă", "Stage"},
    {"status", "Stare", "Status"},
    {"close_reason", "Motiv", "Reason"},
    {"owner_id", "Responsabil", "Responsible user"},
    {"due_date", "Următorul contact", "Next contact"},
    {"close_date", "Data estimată", "Expected close"},
    {"reminder_at", "Memento", "Reminder"},
    {"details", "Detalii", "Details"},
    {"created_at", "Creat la", "Created at"},
    {"updated_at", "Modificat la", "Updated at"}};
constexpr const char* kOpportunityDefaults[] = {"title", "account_id", "value",    "currency",
                                                "stage", "owner_id",   "due_date", "close_date"};
constexpr const char* kOpportunitySortable[] = {"title",      "value",      "stage",
                                                "status",     "due_date",   "close_date",
                                                "created_at", "updated_at", "owner_id"};

constexpr accounts::ColumnLabel kActivityColumns[] = {
    {"subject", "Subiect", "Subject"},
    {"type", "Tip", "Type"},
    {"status", "Stare", "Status"},
    {"account_id", "Cont", "Account"},
    {"opportunity_id", "Oportunitate", "Opportunity"},
    {"contact_id", "Persoană de contact", "Contact"},
    {"owner_id", "Responsabil", "Responsible user"},
    {"due_date", "Termen", "Due date"},
    {"reminder_at", "Memento", "Reminder"},
    {"details", "Detalii", "Details"},
    {"created_at", "Creat la", "Created at"},
    {"updated_at", "Modificat la", "Updated at"}};
constexpr const char* kActivityDefaults[] = {"subject",    "type",     "status",
                                             "account_id", "owner_id", "due_date"};
constexpr const char* kActivitySortable[] = {"subject",    "type",       "status",  "due_date",
                                             "created_at", "updated_at", "owner_id"};

constexpr accounts::ColumnLabel kProductColumns[] = {{"code", "Cod", "Code"},
                                                     {"name", "Denumire", "Name"},
                                                     {"category_id", "Categorie", "Category"},
                                                     {"unit", "U.M.", "Unit"},
                                                     {"price", "Preț", "Price"},
                                                     {"currency", "Monedă", "Currency"},
                                                     {"vat_rate_key", "Cotă TVA", "VAT rate"},
                                                     {"active", "Activ", "Active"},
                                                     {"description", "Descriere", "Description"},
                                                     {"created_at", "Creat la", "Created at"},
                                                     {"updated_at", "Modificat la", "Updated at"}};
constexpr const char* kProductDefaults[] = {"code",  "name",     "category_id",  "unit",
                                            "price", "currency", "vat_rate_key", "active"};
constexpr const char* kProductSortable[] = {"code",         "name",       "category",
                                            "unit",         "price",      "currency",
                                            "vat_rate_key", "created_at", "updated_at"};

const ListSpec kLists[] = {
    {"account", accounts::kAccountColumns, accounts::kAccountDefaultColumns, "name", "name",
     kAccountSortable},
    {"opportunity", kOpportunityColumns, kOpportunityDefaults, "title", "", kOpportunitySortable},
    {"activity", kActivityColumns, kActivityDefaults, "subject", "", kActivitySortable},
    {"product", kProductColumns, kProductDefaults, "name", "name", kProductSortable},
};

}  // namespace

const accounts::ColumnLabel* ListSpec::Column(std::string_view column) const {
  auto it = std::find_if(columns.begin(), columns.end(),
                         [&](const accounts::ColumnLabel& c) { return column == c.column; });
  return it == columns.end() ? nullptr : &*it;
}

bool ListSpec::Sorts(std::string_view field) const {
  return std::any_of(sortable.begin(), sortable.end(), [&](const char* f) { return field == f; });
}

const ListSpec* ListOf(std::string_view entity) {
  for (const ListSpec& list : kLists) {
    if (list.entity == entity) return &list;
  }
  return nullptr;
}

}  // namespace crm::domain
