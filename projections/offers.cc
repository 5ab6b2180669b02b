#include "projections/offers.h"

#include <mutex>

#include "domain/accounts/normalize.h"
#include "domain/event_codec.h"
#include "domain/money.h"

namespace crm::projections {

namespace {

std::string_view Field(const OfferRow& row, const std::string& field) {
  if (field == "number") return row.number;
  if (field == "status") return row.status;
  if (field == "owner_id") return row.owner_id;
  if (field == "account_id") return row.account_id;
  if (field == "opportunity_id") return row.opportunity_id;
  if (field == "currency") return row.currency;
  if (field == "language") return row.language;
  if (field == "template_id") return row.template_id;
  if (field == "valid_until") return row.valid_until;
  return "";
}

// What a list shows of a revision: its validity, its totals, its words.
void Summarize(const std::unique_ptr<offers::OfferContentT>& event, OfferRow* row) {
  const offers::Content content = offers::ContentOf(event);
  row->template_id = content.template_id;
  row->language = content.language;
  row->currency = content.currency;
  row->valid_until = content.valid_until;
  row->lines = static_cast<int64_t>(content.lines.size());
  const documents::Totals totals = offers::TotalsOf(content);
  row->net_minor = totals.amounts.net;
  row->vat_minor = totals.amounts.vat;
  row->total_minor = totals.amounts.total;
  std::string words = row->number;
  for (const offers::Line& line : content.lines) words += " " + line.description;
  row->search = accounts::FoldText(words);
}

}  // namespace

Offers::Offers()
    : table_(Field, {.keys = {{"status", &OfferRow::status},
                              {"owner_id", &OfferRow::owner_id},
                              {"currency", &OfferRow::currency}},
                     .numbers = {{"created_at", &OfferRow::created_at_us},
                                 {"updated_at", &OfferRow::updated_at_us},
                                 {"total", &OfferRow::total_minor},
                                 {"net", &OfferRow::net_minor},
                                 {"vat", &OfferRow::vat_minor}}}) {}

void Offers::Apply(const eventstore::RecordedEvent& event) {
  const auto& env = *event.envelope;
  const std::string_view stream = env.stream()->string_view();
  if (!stream.starts_with("offer-") || stream.starts_with("offer-number-")) return;
  auto decoded = domain::EventDecoder<offers::Offer::Event>::Decode(
      env.type()->string_view(), {env.payload()->data(), env.payload()->size()});
  if (!decoded) return;
  const std::string id(stream.substr(6));
  bool added = false;
  const auto changing = table_.Upsert(id, env.recorded_at_us(), &added);
  OfferRow& row = *changing;
  const int64_t at = env.recorded_at_us();
  std::visit(
      [&](const auto& e) {
        using E = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<E, offers::OfferCreatedT>) {
          row.number = e.number;
          row.opportunity_id = e.opportunity_id;
          table_.FileUnderAccount(id, "", e.account_id);
          row.account_id = e.account_id;
          row.owner_id = e.owner_id;
          row.status = "draft";
          row.revision = 1;
          Summarize(e.content, &row);
        } else if constexpr (std::is_same_v<E, offers::OfferChangedT>) {
          Summarize(e.content, &row);
        } else if constexpr (std::is_same_v<E, offers::OfferRevisedT>) {
          row.revision = e.revision;
          row.status = "draft";
          row.sent_at_us = 0;
          Summarize(e.content, &row);
        } else if constexpr (std::is_same_v<E, offers::OfferSentT>) {
          row.status = "sent";
          row.sent_at_us = at;
        } else if constexpr (std::is_same_v<E, offers::OfferAcceptedT>) {
          row.status = "accepted";
          row.decided_at_us = at;
        } else if constexpr (std::is_same_v<E, offers::OfferRejectedT>) {
          row.status = "rejected";
          row.decided_at_us = at;
        } else if constexpr (std::is_same_v<E, offers::OfferExpiredT>) {
          row.status = "expired";
          row.decided_at_us = at;
        } else if constexpr (std::is_same_v<E, offers::OfferArchivedT>) {
          row.archived = true;
        } else if constexpr (std::is_same_v<E, offers::OfferMovedT>) {
          table_.FileUnderAccount(id, row.account_id, e.account_id);
          row.account_id = e.account_id;
        }
      },
      *decoded);
  row.version = env.version();
  row.updated_at_us = at;
}

std::optional<OfferRow> Offers::Get(const std::string& id) const {
  std::shared_lock lock(mutex());
  const OfferRow* row = table_.Find(id);
  return row ? std::optional(*row) : std::nullopt;
}

Offers::Page Offers::Query(const OfferQuery& query, const SortFields& sort, size_t offset,
                           size_t limit) const {
  std::shared_lock lock(mutex());
  auto amount = [](const OfferRow& row, const std::string& field) -> std::optional<int64_t> {
    if (field == "total") return row.total_minor;
    if (field == "net") return row.net_minor;
    if (field == "vat") return row.vat_minor;
    return std::nullopt;
  };
  return table_.Select(
      query, sort, offset, limit,
      [&](const OfferRow& row, const std::string& field) {
        if (auto minor = amount(row, field)) return domain::FormatMoney(*minor);
        if (field == "sent_at") return row.sent_at_us ? domain::FormatRfc3339(row.sent_at_us) : "";
        return std::string(Field(row, field));
      },
      [&](const OfferRow& row, const std::string& field) {
        if (auto minor = amount(row, field)) return NumberKey(*minor);
        if (field == "sent_at") return NumberKey(row.sent_at_us);
        if (field == "revision") return NumberKey(row.revision);
        return DefaultSortKey(row, field, Field);
      });
}

std::vector<std::string> Offers::IdsOfAccount(const std::string& account_id) const {
  std::shared_lock lock(mutex());
  return table_.OfAccount(account_id);
}

std::vector<std::string> Offers::IdsOfOpportunity(const std::string& opportunity_id) const {
  std::shared_lock lock(mutex());
  std::vector<std::string> ids;
  for (const OfferRow& row : table_.rows()) {
    if (row.opportunity_id == opportunity_id) ids.push_back(row.id);
  }
  return ids;
}

std::vector<std::string> Offers::ExpiredBy(const std::string& today) const {
  std::shared_lock lock(mutex());
  std::vector<std::string> ids;
  for (const OfferRow& row : table_.rows()) {
    if (row.status == "sent" && !row.archived && row.valid_until < today) ids.push_back(row.id);
  }
  return ids;
}

}  // namespace crm::projections
