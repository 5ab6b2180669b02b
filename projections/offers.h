#pragma once

// The offers table: every offer with its current revision's summary (its
// status, currency, validity and totals), for lists (search, filters, sort).
// An offer's lines and its earlier revisions are read from its stream.

#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "domain/offers/offer.h"
#include "projections/projection.h"
#include "projections/query.h"
#include "projections/record_table.h"

namespace crm::projections {

struct OfferRow {
  std::string id, number, account_id, opportunity_id, owner_id;
  std::string status;  // draft, sent, accepted, rejected, expired
  std::string template_id, language, currency, valid_until;
  int64_t revision = 0;  // the current revision, from 1
  int64_t lines = 0;
  int64_t net_minor = 0, vat_minor = 0, total_minor = 0;
  int64_t sent_at_us = 0;     // when the current revision was sent; 0: not sent
  int64_t decided_at_us = 0;  // accepted, rejected or expired; 0: not yet
  bool archived = false;
  uint64_t version = 0;
  int64_t created_at_us = 0;
  int64_t updated_at_us = 0;
  std::string search;  // folded number and line descriptions
};

template <class Archive>
void Fields(Archive& ar, OfferRow& row) {
  auto& [id, number, account_id, opportunity_id, owner_id, status, template_id, language, currency,
         valid_until, revision, lines, net_minor, vat_minor, total_minor, sent_at_us, decided_at_us,
         archived, version, created_at_us, updated_at_us, search] = row;
  ar(id, number, account_id, opportunity_id, owner_id, status, template_id, language, currency,
     valid_until, revision, lines, net_minor, vat_minor, total_minor, sent_at_us, decided_at_us,
     archived, version, created_at_us, updated_at_us, search);
}

struct OfferQuery {
  std::string q;  // every word in the folded number or line descriptions, or its account's name:
  std::unordered_set<std::string> q_accounts;  // the accounts whose name has q's words
  AnyOf equals;   // status, owner_id, account_id, opportunity_id, currency, language, template_id
  Ranges ranges;  // total, net, valid_until, sent_at, created_at, updated_at
  bool include_archived = false;
};

class Offers final : public Snapshotted<Offers> {
 public:
  using QueryType = OfferQuery;
  Offers();
  std::string_view Name() const override { return "offers"; }
  void Apply(const eventstore::RecordedEvent& event) override;
  std::unique_ptr<Projection> Fresh() const override { return std::make_unique<Offers>(); }

  std::optional<OfferRow> Get(const std::string& id) const;
  using Page = RecordTable<OfferRow>::Page;
  // Sorted by `sort` (field, descending), ties by creation.
  Page Query(const OfferQuery& query, const SortFields& sort, size_t offset, size_t limit) const;
  // The ids of `account_id`'s offers (archived ones too), oldest first.
  std::vector<std::string> IdsOfAccount(const std::string& account_id) const;
  // The ids of the offers made for `opportunity_id` (archived ones too),
  // oldest first.
  std::vector<std::string> IdsOfOpportunity(const std::string& opportunity_id) const;
  // The sent offers whose validity ended before `today` (YYYY-MM-DD): the
  // expiry worker's work, oldest first.
  std::vector<std::string> ExpiredBy(const std::string& today) const;

 private:
  friend class Snapshotted<Offers>;
  // Every member below; snapshots hold exactly these.
  template <class Archive>
  void Members(Archive& ar) {
    ar(table_);
  }
  RecordTable<OfferRow> table_;  // GUARDED_BY(mutex())
};

}  // namespace crm::projections
