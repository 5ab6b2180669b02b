#include "domain/lists.h"

#include <algorithm>

namespace crm::domain {

namespace {

constexpr const char* kAccountSortable[] = {
    "created_at",  "updated_at",     "code",   "vat_payer", "name",  "kind",
    "fiscal_code", "trade_register", "phone",  "mobile",    "email", "website",
    "address",     "city",           "county", "country",   "iban",  "bank"};

constexpr ColumnLabel kOpportunityColumns[] = {
    {"title", "Titlu", "Title"},
    {"account_id", "Cont", "Account", ColumnType::kRecord},
    {"contact_id", "Persoană de contact", "Contact", ColumnType::kRecord},
    {"value", "Valoare", "Value", ColumnType::kMoney},
    {"currency", "Monedă", "Currency", ColumnType::kChoice},
    {"stage", "Etapă", "Stage", ColumnType::kChoice},
    {"status", "Stare", "Status", ColumnType::kChoice},
    {"close_reason", "Motiv", "Reason"},
    {"owner_id", "Responsabil", "Responsible user", ColumnType::kRecord},
    {"due_date", "Următorul contact", "Next contact", ColumnType::kDate},
    {"close_date", "Data estimată", "Expected close", ColumnType::kDate},
    {"reminder_at", "Memento", "Reminder", ColumnType::kTime},
    {"details", "Detalii", "Details"},
    {"created_at", "Creat la", "Created at", ColumnType::kTime},
    {"updated_at", "Modificat la", "Updated at", ColumnType::kTime}};
constexpr const char* kOpportunityDefaults[] = {"title", "account_id", "value",    "currency",
                                                "stage", "owner_id",   "due_date", "close_date"};
constexpr const char* kOpportunitySortable[] = {"title",      "value",      "stage",
                                                "status",     "due_date",   "close_date",
                                                "created_at", "updated_at", "owner_id"};

constexpr ColumnLabel kActivityColumns[] = {
    {"subject", "Subiect", "Subject"},
    {"type", "Tip", "Type", ColumnType::kChoice},
    {"status", "Stare", "Status", ColumnType::kChoice},
    {"account_id", "Cont", "Account", ColumnType::kRecord},
    {"opportunity_id", "Oportunitate", "Opportunity", ColumnType::kRecord},
    {"contact_id", "Persoană de contact", "Contact", ColumnType::kRecord},
    {"owner_id", "Responsabil", "Responsible user", ColumnType::kRecord},
    {"due_date", "Termen", "Due date", ColumnType::kDate},
    {"reminder_at", "Memento", "Reminder", ColumnType::kTime},
    {"details", "Detalii", "Details"},
    {"created_at", "Creat la", "Created at", ColumnType::kTime},
    {"updated_at", "Modificat la", "Updated at", ColumnType::kTime}};
constexpr const char* kActivityDefaults[] = {"subject",    "type",     "status",
                                             "account_id", "owner_id", "due_date"};
constexpr const char* kActivitySortable[] = {"subject",    "type",       "status",  "due_date",
                                             "created_at", "updated_at", "owner_id"};

constexpr ColumnLabel kProductColumns[] = {
    {"code", "Cod", "Code"},
    {"name", "Denumire", "Name"},
    {"category_id", "Categorie", "Category", ColumnType::kRecord},
    {"unit", "U.M.", "Unit"},
    {"price", "Preț", "Price", ColumnType::kMoney},
    {"currency", "Monedă", "Currency", ColumnType::kChoice},
    {"vat_rate_key", "Cotă TVA", "VAT rate", ColumnType::kChoice},
    {"active", "Activ", "Active", ColumnType::kBool},
    {"description", "Descriere", "Description"},
    {"created_at", "Creat la", "Created at", ColumnType::kTime},
    {"updated_at", "Modificat la", "Updated at", ColumnType::kTime}};
constexpr const char* kProductDefaults[] = {"code",  "name",     "category_id",  "unit",
                                            "price", "currency", "vat_rate_key", "active"};
constexpr const char* kProductSortable[] = {"code",         "name",       "category",
                                            "unit",         "price",      "currency",
                                            "vat_rate_key", "created_at", "updated_at"};

constexpr ColumnLabel kOfferColumns[] = {
    {"number", "Număr", "Number"},
    {"account_id", "Cont", "Account", ColumnType::kRecord},
    {"opportunity_id", "Oportunitate", "Opportunity", ColumnType::kRecord},
    {"owner_id", "Responsabil", "Responsible user", ColumnType::kRecord},
    {"status", "Stare", "Status", ColumnType::kChoice},
    {"net", "Valoare fără TVA", "Net", ColumnType::kMoney},
    {"vat", "TVA", "VAT", ColumnType::kMoney},
    {"total", "Total", "Total", ColumnType::kMoney},
    {"currency", "Monedă", "Currency", ColumnType::kChoice},
    {"language", "Limbă", "Language", ColumnType::kChoice},
    {"valid_until", "Valabilă până la", "Valid until", ColumnType::kDate},
    {"sent_at", "Trimisă la", "Sent at", ColumnType::kTime},
    {"created_at", "Creat la", "Created at", ColumnType::kTime},
    {"updated_at", "Modificat la", "Updated at", ColumnType::kTime}};
constexpr const char* kOfferDefaults[] = {"number", "account_id", "opportunity_id", "status",
                                          "total",  "currency",   "valid_until",    "owner_id"};
constexpr const char* kOfferSortable[] = {"number",  "status",     "owner_id",  "net",
                                          "vat",     "total",      "currency",  "valid_until",
                                          "sent_at", "created_at", "updated_at"};

const ListSpec kLists[] = {
    {"account", accounts::kAccountColumns, accounts::kAccountDefaultColumns, "name", "name",
     kAccountSortable},
    {"opportunity", kOpportunityColumns, kOpportunityDefaults, "title", "", kOpportunitySortable},
    {"activity", kActivityColumns, kActivityDefaults, "subject", "", kActivitySortable},
    {"product", kProductColumns, kProductDefaults, "name", "name", kProductSortable},
    {"offer", kOfferColumns, kOfferDefaults, "number", "-created_at", kOfferSortable},
};

}  // namespace

const ColumnLabel* ListSpec::Column(std::string_view column) const {
  auto it = std::find_if(columns.begin(), columns.end(),
                         [&](const ColumnLabel& c) { return column == c.column; });
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
