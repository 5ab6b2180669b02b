#pragma once

// An offer (stream "offer-<id>", MISSION.md §5, the manual's "Oferte"): made
// for an opportunity (and so for its account), numbered OF-<year>-<nnnn>,
// with a template, a language, a currency, a validity and product lines
// whose amounts follow domain/documents/lines.h.
//
// Its life: a draft until it is sent; a sent offer ends accepted, rejected
// or expired (the day after its valid_until, by the expiry worker). Changing
// a sent offer makes a new revision, a draft again; every revision stays as
// it was. The command carries what the decider cannot look up (the lines'
// products, the VAT rates valid today, today's date in the organization's
// time zone), so the decider stays pure.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "domain/decider.h"
#include "domain/documents/lines.h"
#include "schemas/offers_generated.h"

namespace crm::offers {

inline std::string OfferStream(const std::string& id) { return "offer-" + id; }
// The number series of `year`'s offers: OF-<year>-<nnnn>.
inline std::string OfferNumberStream(const std::string& year) {
  return "offer-number-sequence-" + year;
}
std::string OfferNumber(const std::string& year, uint64_t n);

// A line as a request gives it: texts, "" where left out. With a product,
// what is left out is copied from the product (its name, unit, price and
// VAT rate); a free-text line gives its description and unit price.
struct LineInput {
  std::string product_id, description, quantity, unit, unit_price, discount_percent, vat_rate_key;
};

// What the decider needs to know of the world.
struct Facts {
  struct Product {
    std::string name, unit, vat_rate_key;
    int64_t price_minor = 0;
    std::string currency;
    bool archived = false;
  };
  std::map<std::string, Product> products;  // the lines' products that exist, by id
  std::map<std::string, int> vat_rates;     // key -> basis points, the rates valid today
  std::string today;                        // YYYY-MM-DD, in the organization's time zone
  std::set<std::string> templates;          // the offer templates not archived
};

// A revision's content as requested; nullopt members keep what the offer
// has (a new offer: ro, RON, valid 30 days, no template).
struct ContentInput {
  std::optional<std::string> template_id, language, currency, valid_until;
  std::optional<std::vector<LineInput>> lines;
};

// A revision as kept: its lines with their amounts.
struct Line {
  std::string product_id, description, unit;
  documents::Line line;  // quantity, price, discount, VAT key and rate
  documents::Amounts amounts;
  bool operator==(const Line&) const = default;
};
struct Content {
  std::string template_id, language = "ro", currency = "RON", valid_until;
  std::vector<Line> lines;
  bool operator==(const Content&) const = default;
};

struct CreateOffer {
  std::string offer_id, number, opportunity_id, account_id, owner_id;
  ContentInput content;
  Facts facts;
};
// Changes the current revision: a draft in place, a sent offer by a new
// revision. Rejected once it is accepted, rejected or expired.
struct ChangeOffer {
  ContentInput content;
  Facts facts;
};
struct SendOffer {};
struct AcceptOffer {
  std::string today;  // an offer past its validity is no longer accepted
};
struct RejectOffer {
  std::string reason;
};
// The expiry worker's: a sent offer whose valid_until is before `today`
// expires, once; any other offer is nothing to do.
struct ExpireOffer {
  std::string today;
};
struct ArchiveOffer {};
// The offer's account was merged into `account_id` (with its opportunity).
// An offer of another account than `from_account_id` is nothing to do.
struct MoveOffer {
  std::string from_account_id, account_id;
};

struct Offer {
  struct State {
    bool exists = false, archived = false;
    std::string number, opportunity_id, account_id, owner_id;
    std::string status = "draft";    // draft, sent, accepted, rejected, expired
    std::vector<Content> revisions;  // revision n is revisions[n - 1]; the last is current
  };
  using Command = std::variant<CreateOffer, ChangeOffer, SendOffer, AcceptOffer, RejectOffer,
                               ExpireOffer, ArchiveOffer, MoveOffer>;
  using Event =
      std::variant<OfferCreatedT, OfferChangedT, OfferRevisedT, OfferSentT, OfferAcceptedT,
                   OfferRejectedT, OfferExpiredT, OfferArchivedT, OfferMovedT>;

  static State Initial() { return {}; }
  static domain::Decision<Event> Decide(const State& state, const Command& command,
                                        const domain::Context& ctx);
  static State Evolve(State state, const Event& event);
};

// A revision as its event holds it (an empty one for a null).
Content ContentOf(const std::unique_ptr<OfferContentT>& content);

// The totals of a revision (its lines' sums, by VAT rate).
documents::Totals TotalsOf(const Content& content);

}  // namespace crm::offers
