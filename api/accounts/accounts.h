#pragma once

// Accounts (MISSION.md §3): the folder tree, accounts with generated codes
// and their contact persons, custom fields, merges, exports and imports of
// workbooks. Records of other modules that belong to an account (an
// opportunity, an activity, a note) are checked against it with
// AccountGuard, shown in its history and moved with it by a merge
// (AddRecordsOfAccount).

#include <atomic>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <variant>
#include <vector>

#include "api/formats/sheet_reader.h"
#include "api/http/server.h"
#include "api/module.h"
#include "api/settings/settings.h"
#include "domain/accounts/account.h"
#include "domain/accounts/folders.h"
#include "domain/sequence.h"
#include "domain/transact.h"

namespace crm::api {

class AccountsModule final : public Module {
 public:
  AccountsModule(Server& server, SettingsModule& settings);
  void Register(Server& server) override;

  // Whether account `id` exists and is neither archived nor merged, read from
  // its aggregate (not from a read model, which may not have seen a merge).
  domain::Outcome<bool> AccountActive(const std::string& id);
  // For a command that makes a record of account `id`: a check-only part at
  // the account's version, so a merge or archive that lands first makes the
  // command run again and refuse (409 account_inactive) instead of leaving
  // the record on an account that is gone.
  decltype(domain::TransactOptions::linked) AccountGuard(const std::string& id);

  // Records of another module that belong to an account (its
  // opportunities, activities, notes): their streams, which the account's
  // history shows, and what a merge of account `source` into `into` appends
  // to move them (each decided on its own stream: the parts, or the
  // rejection or failure that stops the merge). `move` runs inside the
  // merge's append, once the read models have seen every record made so far.
  struct RecordsOfAccount {
    std::function<std::vector<std::string>(const std::string& account_id)> streams;
    std::function<domain::Outcome<std::vector<eventstore::AppendPart>>(
        const std::string& source, const std::string& into, const domain::Context& ctx)>
        move;
  };
  void AddRecordsOfAccount(RecordsOfAccount records) { records_.push_back(std::move(records)); }

 private:
  void ImportRoutes();
  void AccountRoutes();
  // Merges the accounts `sources` into account `id` in one append: their
  // contacts and unique values move to it, and so do their records in other
  // modules (AddRecordsOfAccount). `options`: the request's If-Match and
  // Idempotency-Key.
  domain::Outcome<domain::Committed> Merge(const domain::Context& ctx, const std::string& id,
                                           const std::vector<std::string>& sources,
                                           domain::TransactOptions options);
  // Imports the rows of `table` (the first row its header) for `who`: each
  // good row commits as one command on its account (made, or found by code,
  // else fiscal code), each bad row is reported, and a row this very file
  // (`file_hash`) imported already is left alone. The report
  // ({"rows","created","updated","unchanged","rejected",…}), or the problem
  // that refuses the whole file (an unknown or missing column).
  struct ImportRequest {
    const Table& table;
    bool xlsx = false;  // dates in custom fields are spreadsheet serial days
    bool dry_run = false;
    std::string file_hash;
  };
  std::variant<Problem, nlohmann::json> Import(const domain::Context& ctx,
                                               const projections::Principal& who,
                                               const ImportRequest& request);
  // The next generated account code ("C-000123").
  Result<std::string> NextAccountCode(const domain::Context& ctx);
  // Claims, for the accounts that have them, the values of `fields` that
  // are about to become unique. False, with *problem set, when a value is
  // held by several accounts (409 unique_conflict listing them) or the store
  // fails. Claims already appended stay: each names its true holder.
  bool ClaimExistingValues(const domain::Context& ctx, const std::vector<std::string>& fields,
                           Problem* problem);

  Server& server_;
  SettingsModule& settings_;
  domain::AggregateStore<accounts::Folders> folders_{server_.store(), server_.ids()};
  domain::AggregateStore<accounts::Account> accounts_{server_.store(), server_.ids()};
  domain::NumberSeries codes_{server_.store(), server_.ids(), "account-code-sequence"};
  std::vector<RecordsOfAccount> records_;
  static constexpr int kMaxReadingImports = 2;
  std::atomic<int> reading_{0};  // imports running now
};

// 404: no account has the id.
Problem NoSuchAccount();

}  // namespace crm::api
