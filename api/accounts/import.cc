// Importing accounts from a spreadsheet (.xlsx or CSV), and the template.
//
// The first row names the columns (the template's Romanian headers, their
// English names, or the field names); each further row is one account. A row
// matches an existing account by code, else by fiscal code, and changes it;
// otherwise it creates one. Every row is its own command: a good row
// commits, a bad row is reported and writes nothing. Each row carries an
// idempotency key made of the file's hash and the row number, so importing
// the same file again creates nothing new.

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>

#include "api/accounts/accounts.h"
#include "api/formats/sheet_reader.h"
#include "api/http/auth.h"
#include "api/http/declare.h"
#include "api/http/problem.h"
#include "api/http/request.h"
#include "api/http/server.h"
#include "api/http/spreadsheet.h"
#include "domain/accounts/normalize.h"

namespace crm::api {

namespace {

using Call = Server::Call;

// The shapes these routes read and answer, by name (the OpenAPI document
// lists them under components/schemas; Ref names them).
http::Schemas NamedSchemas() {
  return {
      {"ImportReport",
       Object({{"rows", Integer()},
               {"created", Integer()},
               {"updated", Integer()},
               {"unchanged", Integer()},
               {"dry_run", Boolean()},
               {"rejected", Array(Object({{"row", Integer()},
                                          {"errors", Array(Object({{"field", String()},
                                                                   {"code", String()},
                                                                   {"message", Ref("Text")}})
                                                               .Open())}})
                                      .Open())}})
           .Open()},
  };
}

using identity::Permission;
using nlohmann::json;

constexpr const char* kXlsxType =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
constexpr size_t kMaxImportRows = 100000;

// What the template documents for each standard column.
struct ColumnHelp {
  const char* column;
  const char* ro;
  const char* example;
};
constexpr ColumnHelp kHelp[] = {
    {"code", "Codul contului; gol: următorul cod C-NNNNNN. Un cod existent actualizează contul.",
     "C-000123"},
    {"name", "Numele firmei sau al persoanei (obligatoriu).", "Țesătoria Ștefan SRL"},
    {"kind", "company (firmă) sau person (persoană); gol: company.", "company"},
    {"fiscal_code", "CUI/CIF, cu sau fără RO; cifra de control se verifică.", "RO14399840"},
    {"trade_register", "Numărul de ordine în Registrul Comerțului.", "J40/1234/2020"},
    {"vat_payer", "da sau nu.", "da"},
    {"phone", "Telefon; numerele naționale primesc +40.", "021 345 6789"},
    {"mobile", "Mobil.", "0722 123 456"},
    {"email", "Adresa de e-mail.", "office@exemplu.ro"},
    {"website", "Pagina web.", "https://exemplu.ro"},
    {"address", "Strada și numărul.", "Str. Lungă 5"},
    {"city", "Localitatea.", "Brașov"},
    {"county", "Județul.", "Brașov"},
    {"country", "Codul ISO al țării, două litere; gol: RO.", "RO"},
    {"iban", "IBAN; se verifică cifrele de control.", "RO49AAAA1B31007593840000"},
    {"bank", "Banca.", "Banca Exemplu"},
    {"folder_id", "Calea dosarului, cu / între nume (dosarul trebuie să existe); gol: Conturi.",
     "Conturi/Clienți"},
    {"owner_id", "Numele de utilizator al responsabilului; gol: cel care importă.", "ana"},
};

bool Importable(const char* column) {
  return std::string_view(column) != "created_at" && std::string_view(column) != "updated_at";
}

// A workbook's date cell (its serial number, "45352" or "45352.5" with a
// time of day) as YYYY-MM-DD; other text unchanged.
std::string DateCell(std::string cell) {
  if (const size_t dot = cell.find('.'); dot != std::string::npos && dot > 0) {
    const std::string fraction = cell.substr(dot + 1);
    if (std::all_of(fraction.begin(), fraction.end(),
                    [](unsigned char c) { return std::isdigit(c); })) {
      cell.resize(dot);
    }
  }
  if (cell.empty() || cell.size() > 6 ||
      !std::all_of(cell.begin(), cell.end(), [](unsigned char c) { return std::isdigit(c); })) {
    return cell;
  }
  using namespace std::chrono;
  const year_month_day day{sys_days{year{1899} / December / 30} + days{std::stoi(cell)}};
  char text[16];
  std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(day.year()),
                static_cast<unsigned>(day.month()), static_cast<unsigned>(day.day()));
  return text;
}

std::optional<bool> YesNo(const std::string& cell) {
  const std::string v = accounts::FoldText(cell);
  if (v == "da" || v == "true" || v == "1" || v == "yes" || v == "x") return true;
  if (v == "nu" || v == "false" || v == "0" || v == "no") return false;
  return std::nullopt;
}

domain::FieldError CellError(const std::string& field, const char* code, const std::string& ro,
                             const std::string& en) {
  return {field, code, {ro, en}};
}

}  // namespace

void AccountsModule::ImportRoutes() {
  server_.schemas().merge(NamedSchemas());
  server_.Route(
      {.method = "GET",
       .path = "/api/v1/accounts/import-template.xlsx",
       .permission = Permission::kReadCrm,
       .op = "getImportTemplate",
       .summary = "The import template: Romanian headers, one column per account field plus the "
                  "folder path, and a sheet documenting each column",
       .tag = "accounts",
       .content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
       .answer = String().Format("binary")},
      [this](const Call&, httplib::Response& res) {
        auto defs = settings_.CustomFieldsOf("account");
        if (!defs.ok()) return Send(res, FromStatus(defs.status()));
        Sheet accounts{"Conturi", {}, {}};
        Sheet help{"Explicații", {"Coloană", "Câmp", "Ce conține", "Exemplu"}, {}};
        for (const auto& c : accounts::kAccountColumns) {
          if (!Importable(c.column)) continue;
          accounts.header.push_back(c.ro);
          const auto* h = std::find_if(
              std::begin(kHelp), std::end(kHelp),
              [&](const ColumnHelp& x) { return std::string_view(x.column) == c.column; });
          help.rows.push_back({c.ro, c.column, h->ro, h->example});
        }
        for (const auto& d : defs.value().fields) {
          if (!d.active) continue;
          accounts.header.push_back(d.label.ro);
          std::string what = "Câmp personalizat (" + d.type + ")";
          if (d.type == "select") {
            what += "; una dintre:";
            for (const auto& o : d.options) what += " " + o;
          }
          help.rows.push_back({d.label.ro, "custom." + d.key, what, ""});
        }
        SendWorkbook(res, {accounts, help}, "model-import-conturi.xlsx");
      });

  server_.Route(
      {.method = "POST",
       .path = "/api/v1/accounts/import",
       .permission = Permission::kCreate,
       .op = "importAccounts",
       .summary = "Import accounts from the template (.xlsx) or CSV: each good row commits, bad "
                  "rows are reported; rows match existing accounts by code, else fiscal code",
       .tag = "accounts",
       .description =
           "The body is the file itself: Content-Type "
           "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet or text/csv.",
       .params = {Param{.name = "dry_run", .schema = Boolean(), .description = "Validate only."}},
       .files = {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "text/csv"},
       .answer = Ref("ImportReport"),
       .errors = {413, 415, 422}},
      [this](const Call& call, httplib::Response& res) {
        const bool dry_run = call.req.get_param_value("dry_run") == "true";
        const std::string type = call.req.get_header_value("Content-Type");
        const std::string& body = call.req.body;
        const bool xlsx = type.starts_with(kXlsxType) ||
                          (type.starts_with("application/octet-stream") && body.starts_with("PK"));
        const bool csv = type.starts_with("text/csv") || type.starts_with("text/plain");
        if (!xlsx && !csv) {
          Problem p = FromStatus(Status::InvalidArgument("unsupported media type"));
          p.status = 415;
          p.code = "unsupported_media_type";
          p.message = {
              "Trimiteți fișierul .xlsx (" + std::string(kXlsxType) + ") sau CSV (text/csv).",
              "Send the .xlsx file (" + std::string(kXlsxType) + ") or CSV (text/csv)."};
          return Send(res, p);
        }
        // At most kMaxReadingImports imports run at once, each holding a
        // table within the reader's memory bounds: the memory imports take
        // stays bounded.
        const bool free = reading_.fetch_add(1) < kMaxReadingImports;
        struct Slot {
          std::atomic<int>& taken;
          ~Slot() { taken.fetch_sub(1); }
        } slot{reading_};
        if (!free) {
          res.set_header("Retry-After", "2");
          return Send(res, Problem{503,
                                   "busy",
                                   {"Se citesc deja alte fișiere; reîncercați.",
                                    "Other files are being read; retry."},
                                   "",
                                   {}});
        }
        Result<Table> table = xlsx ? ReadXlsx(body) : ReadCsv(body);
        if (!table.ok()) {
          return Send(res, Invalid({{"file",
                                     "unreadable_file",
                                     {"Fișierul nu poate fi citit ca .xlsx sau CSV (UTF-8): " +
                                          table.status().message(),
                                      "The file cannot be read: " + table.status().message()}}}));
        }
        if (table->empty()) {
          return Send(
              res, Invalid({{"file", "empty_file", {"Fișierul este gol.", "The file is empty."}}}));
        }
        if (table->size() - 1 > kMaxImportRows) {
          return Send(res, Invalid({{"file",
                                     "too_many_rows",
                                     {"Cel mult 100000 de rânduri într-un import.",
                                      "At most 100,000 rows per import."}}}));
        }
        const domain::Context ctx = server_.ContextOf(call);
        auto report = Import(ctx, call.principal,
                             {*table, xlsx, dry_run, eventstore::ToHex(TokenHash(body))});
        if (auto* problem = std::get_if<Problem>(&report)) return Send(res, *problem);
        SendJson(res, std::get<json>(report));
      });
}

std::variant<Problem, json> AccountsModule::Import(const domain::Context& ctx,
                                                   const projections::Principal& who,
                                                   const ImportRequest& request) {
  const Table* table = &request.table;
  const bool xlsx = request.xlsx;
  const bool dry_run = request.dry_run;
  const std::string& file_hash = request.file_hash;
  auto rules = settings_.RulesNow("account");
  if (!rules.ok()) return FromStatus(rules.status());

  // The header: which field each column holds.
  std::vector<std::string> fields;
  std::vector<domain::FieldError> header_errors;
  for (size_t c = 0; c < (*table)[0].size(); ++c) {
    const std::string header = accounts::FoldText((*table)[0][c]);
    std::string field;
    for (const auto& col : accounts::kAccountColumns) {
      if (Importable(col.column) &&
          (header == accounts::FoldText(col.ro) || header == accounts::FoldText(col.en) ||
           header == col.column)) {
        field = col.column;
      }
    }
    for (const auto& d : rules.value().custom_fields) {
      if (header == accounts::FoldText(d.label.ro) || header == accounts::FoldText(d.label.en) ||
          header == "custom." + d.key) {
        field = "custom." + d.key;
      }
    }
    if (field.empty() && !header.empty()) {
      header_errors.push_back(
          CellError("columns[" + std::to_string(c) + "]", "unknown_column",
                    "Coloana „" + (*table)[0][c] + "” nu corespunde niciunui câmp al contului.",
                    "The column '" + (*table)[0][c] + "' matches no account field."));
    } else if (!field.empty() && std::find(fields.begin(), fields.end(), field) != fields.end()) {
      header_errors.push_back(CellError("columns[" + std::to_string(c) + "]", "repeated_column",
                                        "Coloană repetată.", "The column is repeated."));
    }
    fields.push_back(field);
  }
  if (std::find(fields.begin(), fields.end(), "name") == fields.end()) {
    header_errors.push_back(CellError("columns", "missing_column", "Lipsește coloana „Nume”.",
                                      "The column 'Nume' (name) is missing."));
  }
  if (!header_errors.empty()) return Invalid(std::move(header_errors));

  const auto folders = server_.models().folders.All();
  const bool change_any = identity::Allows(who.role, Permission::kChangeAny);
  std::map<std::string, std::string> made_by_code, made_by_fiscal;  // this file's creates
  std::map<std::string, accounts::Account::State> dry_states;       // a dry run's results
  size_t rows = 0, created = 0, updated = 0, unchanged = 0;
  json rejected = json::array();

  for (size_t r = 1; r < table->size(); ++r) {
    const auto& cells = (*table)[r];
    if (std::all_of(cells.begin(), cells.end(), [](const auto& c) { return c.empty(); })) {
      continue;
    }
    ++rows;
    std::vector<domain::FieldError> errors;
    accounts::AccountInput input;
    std::string code, folder_id, owner_id;
    for (size_t c = 0; c < cells.size() && c < fields.size(); ++c) {
      const std::string& field = fields[c];
      const std::string cell = cells[c];
      if (field.empty()) continue;
      if (field == "code") {
        code = cell;
      } else if (field == "vat_payer") {
        if (cell.empty()) continue;
        auto v = YesNo(cell);
        if (!v) {
          errors.push_back(CellError(field, "invalid_value", "Se scrie da sau nu.",
                                     "Write da (yes) or nu (no)."));
        }
        input.vat_payer = v;
      } else if (field == "folder_id") {
        if (cell.empty()) continue;
        std::string wanted = accounts::FoldText(cell);
        if (!wanted.starts_with("conturi/") && wanted != "conturi") {
          wanted = "conturi/" + wanted;
        }
        for (const auto& f : folders) {
          std::string path;
          for (const auto& n : f.path) path += (path.empty() ? "" : "/") + n;
          if (accounts::FoldText(path) == wanted) folder_id = f.id;
        }
        if (folder_id.empty()) {
          errors.push_back(CellError(field, "not_found", "Dosarul „" + cell + "” nu există.",
                                     "The folder '" + cell + "' does not exist."));
        }
      } else if (field == "owner_id") {
        if (cell.empty()) continue;
        auto user = server_.models().identity.UserByUsername(cell);
        if (!user || !user->active) {
          errors.push_back(CellError(field, "not_found", "Utilizatorul „" + cell + "” nu există.",
                                     "The user '" + cell + "' does not exist."));
        } else {
          owner_id = user->id;
        }
      } else if (field.starts_with("custom.")) {
        const auto def =
            std::find_if(rules.value().custom_fields.begin(), rules.value().custom_fields.end(),
                         [&](const auto& d) { return "custom." + d.key == field; });
        if (!cell.empty()) {
          input.custom[field.substr(7)] = def->type == "date" && xlsx ? DateCell(cell) : cell;
        }
      } else if (!cell.empty()) {
        input.text[field] = cell;
      }
    }

    // Which account the row is about.
    std::string id;
    if (!code.empty()) {
      id = made_by_code.count(code) ? made_by_code[code] : server_.models().accounts.IdByCode(code);
    } else if (auto it = input.text.find("fiscal_code"); it != input.text.end()) {
      if (auto cui = accounts::NormalizeCui(it->second)) {
        id = made_by_fiscal.count(*cui) ? made_by_fiscal[*cui]
                                        : server_.models().accounts.IdByFiscalCode(*cui);
      }
    }
    std::vector<accounts::Account::Command> commands;
    if (id.empty()) {
      if (!owner_id.empty() && owner_id != who.id && !change_any) {
        errors.push_back(CellError("owner_id", "forbidden", "Doar managerii dau conturi altora.",
                                   "Only managers give accounts to others."));
      }
      accounts::CreateAccount create;
      create.account_id = server_.ids().Next();
      create.code = code;
      create.folder_id = folder_id.empty() ? accounts::kRootFolder : folder_id;
      create.owner_id = owner_id.empty() ? who.id : owner_id;
      create.input = input;
      create.rules = rules.value();
      commands.emplace_back(std::move(create));
    } else {
      auto existing = server_.models().accounts.Get(id);
      if (existing && !change_any && existing->owner_id != who.id) {
        errors.push_back(CellError("code", "forbidden",
                                   "Contul există și aparține altui responsabil.",
                                   "The account exists and belongs to someone else."));
      }
      if (!owner_id.empty() && !change_any) {
        errors.push_back(CellError("owner_id", "forbidden", "Doar managerii schimbă responsabilul.",
                                   "Only managers reassign accounts."));
      }
      if (!input.text.empty() || input.vat_payer || !input.custom.empty()) {
        commands.emplace_back(accounts::ChangeAccount{input, rules.value()});
      }
      if (!folder_id.empty()) commands.emplace_back(accounts::MoveAccount{folder_id});
      if (!owner_id.empty()) commands.emplace_back(accounts::ReassignAccount{owner_id});
    }

    auto decide =
        [&](const accounts::Account::State& s) -> domain::Decision<accounts::Account::Event> {
      return domain::DecideAll<accounts::Account>(s, commands, ctx);
    };
    const bool creating = id.empty();
    // The row's errors and, when the decider refused it, its rejection.
    auto report = [&](const domain::Rejection* rejection) {
      std::vector<domain::FieldError> all = errors;
      if (rejection && rejection->fields.empty()) {
        all.push_back({"", rejection->code, rejection->message});
      } else if (rejection) {
        all.insert(all.end(), rejection->fields.begin(), rejection->fields.end());
      }
      json list = json::array();
      for (const auto& e : all) {
        list.push_back({{"field", e.field},
                        {"code", e.code},
                        {"message", {{"ro", e.message.ro}, {"en", e.message.en}}}});
      }
      rejected.push_back({{"row", r + 1}, {"errors", list}});
    };
    // A row the store could not take (it goes on with the next one).
    auto not_saved = [&](const Status& status) {
      domain::Rejection r =
          domain::Reject("not_saved", "Rândul nu a putut fi salvat: " + status.ToString(),
                         "The row could not be saved: " + status.ToString(), 503);
      report(&r);
    };
    if (!errors.empty()) {
      report(nullptr);
      continue;
    }
    // A row this very file already imported: nothing to do.
    domain::TransactOptions options;
    options.idempotency_key =
        "import/" + who.actor() + "/" + file_hash + "/" + std::to_string(r + 1);
    options.fingerprint = file_hash;
    auto replay = server_.store().FindIdempotent(options.idempotency_key, options.fingerprint);
    if (!replay.ok()) {
      not_saved(replay.status());
      continue;
    }
    if (replay->has_value()) {
      ++unchanged;
      continue;
    }
    const std::string account_id =
        creating ? std::get<accounts::CreateAccount>(commands[0]).account_id : id;
    const std::string stream = accounts::AccountStream(account_id);
    auto unique = [&](const accounts::Account::State& s) {
      return accounts::AccountClaims(s, rules.value().unique);
    };
    // Decided first against the current state (a dry run's own earlier
    // rows included), so an invalid row takes no code number.
    accounts::Account::State state = accounts::Account::Initial();
    if (auto simulated = dry_states.find(account_id); simulated != dry_states.end()) {
      state = simulated->second;
    } else if (!creating) {
      auto loaded = accounts_.Load(stream);
      if (!loaded.ok()) {
        not_saved(loaded.status());
        continue;
      }
      state = loaded.value().state;
    }
    const bool generated = creating && code.empty();
    if (generated) std::get<accounts::CreateAccount>(commands[0]).code = "C-000000";
    auto decision = decide(state);
    if (auto* rejection = std::get_if<domain::Rejection>(&decision)) {
      report(rejection);
      continue;
    }
    auto remember = [&](const std::string& row_code) {
      made_by_code[row_code] = account_id;
      if (auto it = input.text.find("fiscal_code"); it != input.text.end()) {
        if (auto cui = accounts::NormalizeCui(it->second)) made_by_fiscal[*cui] = account_id;
      }
    };
    if (dry_run) {
      const auto& events = std::get<std::vector<accounts::Account::Event>>(decision);
      const auto after = domain::Fold<accounts::Account>(state, events);
      auto claims = accounts_.CheckClaims(stream, state, after, unique);
      if (claims.rejected()) {
        report(&claims.rejection());
        continue;
      }
      if (claims.failed()) {
        not_saved(claims.status());
        continue;
      }
      dry_states[account_id] = after;
      if (creating) {
        ++created;
        if (!code.empty()) remember(code);
      } else {
        ++(events.empty() ? unchanged : updated);
      }
      continue;
    }
    auto transact = [&]() -> domain::Outcome<domain::Committed> {
      if (generated) {
        Result<std::string> next = NextAccountCode(ctx);
        if (!next.ok()) return next.status();
        std::get<accounts::CreateAccount>(commands[0]).code = *next;
      }
      return accounts_.Transact(stream, ctx, decide, options, unique);
    };
    auto outcome = transact();
    for (int tries = 0; generated && tries < 5 && outcome.rejected() &&
                        outcome.rejection().code == "account_code_taken";
         ++tries) {
      outcome = transact();  // a number someone gave by hand: the next one
    }
    if (outcome.failed()) {
      not_saved(outcome.status());
    } else if (outcome.rejected()) {
      report(&outcome.rejection());
    } else if (outcome.value().deduplicated || outcome.value().events == 0) {
      ++unchanged;
    } else if (creating) {
      ++created;
      remember(std::get<accounts::CreateAccount>(commands[0]).code);
    } else {
      ++updated;
    }
  }
  return json{{"rows", rows},
              {"created", created},
              {"updated", updated},
              {"unchanged", unchanged},
              {"rejected", rejected},
              {"dry_run", dry_run},
              {"position", server_.store().Head()}};
}

}  // namespace crm::api
