// The offer decider: lines resolved against their products (copied, with
// the rounding rule's amounts), every wrong line member named, and the life
// of an offer: draft changes in place, a sent offer's change is a new
// revision, accepted/rejected only once sent and valid, expiry once.

#include "domain/offers/offer.h"

#include <gtest/gtest.h>

#include <set>

#include "domain/offers/templates.h"

namespace crm::offers {
namespace {

using Events = std::vector<Offer::Event>;

Facts TheFacts() {
  Facts f;
  f.products["p-lic"] = {"Licență anuală", "an", "standard", 120'050, "RON", false};
  f.products["p-old"] = {"Produs vechi", "buc", "standard", 1000, "RON", true};
  f.products["p-eur"] = {"Consultanță", "h", "standard", 9000, "EUR", false};
  f.vat_rates = {{"standard", 2100}, {"reduced", 1100}, {"zero", 0}};
  f.today = "2026-12-02";
  return f;
}

CreateOffer Create() {
  CreateOffer c;
  c.offer_id = "o1";
  c.number = OfferNumber("2026", 7);
  c.opportunity_id = "op1";
  c.account_id = "a1";
  c.owner_id = "u1";
  c.content.lines = std::vector<LineInput>{
      {"p-lic", "", "2", "", "", "10", ""},  // from the product, 10% off
      {"", "Instalare la client", "1.5", "h", "199.99", "", "reduced"},  // free text
  };
  c.facts = TheFacts();
  return c;
}

// Decides `command` on `state` and folds what it decided; the events too.
Events Apply(Offer::State* state, const Offer::Command& command) {
  auto decision = Offer::Decide(*state, command, {});
  if (auto* r = std::get_if<domain::Rejection>(&decision)) {
    ADD_FAILURE() << "rejected: " << r->code << " " << r->message.en;
    return {};
  }
  auto events = std::get<Events>(decision);
  for (const auto& e : events) *state = Offer::Evolve(std::move(*state), e);
  return events;
}

domain::Rejection Rejected(const Offer::State& state, const Offer::Command& command) {
  auto decision = Offer::Decide(state, command, {});
  EXPECT_TRUE(std::holds_alternative<domain::Rejection>(decision)) << "accepted";
  return std::holds_alternative<domain::Rejection>(decision) ? std::get<domain::Rejection>(decision)
                                                             : domain::Rejection{};
}

TEST(OfferTest, LinesCopyTheirProductAndCarryTheirAmounts) {
  EXPECT_EQ("OF-2026-0007", OfferNumber("2026", 7));
  EXPECT_EQ("OF-2027-12345", OfferNumber("2027", 12345));
  Offer::State s;
  ASSERT_EQ(1u, Apply(&s, Create()).size());
  EXPECT_EQ("draft", s.status);
  EXPECT_EQ("OF-2026-0007", s.number);
  ASSERT_EQ(1u, s.revisions.size());
  const Content& c = s.revisions[0];
  EXPECT_EQ("ro", c.language);
  EXPECT_EQ("RON", c.currency);
  EXPECT_EQ("2027-01-01", c.valid_until) << "30 days by default";
  ASSERT_EQ(2u, c.lines.size());
  const Line& product = c.lines[0];
  EXPECT_EQ("Licență anuală", product.description);
  EXPECT_EQ("an", product.unit);
  EXPECT_EQ((documents::Line{2000, 120'050, 1000, "standard", 2100}), product.line);
  // 2 × 1200.50 less 10% = 2160.90; VAT 21% = 453.789 -> 453.79.
  EXPECT_EQ((documents::Amounts{216'090, 45'379, 261'469}), product.amounts);
  const Line& free = c.lines[1];
  // 1.5 × 199.99 = 299.985 -> 299.99 (half away from zero); VAT 11% = 32.9989 -> 33.00.
  EXPECT_EQ((documents::Amounts{29'999, 3300, 33'299}), free.amounts);
  const auto totals = TotalsOf(c);
  EXPECT_EQ((documents::Amounts{246'089, 48'679, 294'768}), totals.amounts);
  ASSERT_EQ(2u, totals.by_vat_rate.size());
  EXPECT_EQ("standard", totals.by_vat_rate[0].vat_rate_key);

  // An offer is created once.
  EXPECT_EQ("offer_exists", Rejected(s, Create()).code);
}

TEST(OfferTest, EveryWrongLineMemberIsNamed) {
  CreateOffer c = Create();
  c.content.lines = std::vector<LineInput>{
      {"p-none", "", "", "", "", "", ""},
      {"p-old", "", "", "", "", "", ""},
      {"", "Ceva", "1.2345", "", "10", "101", "luxury"},
      {"", "", "1", "", "", "", ""},
      {"p-eur", "", "1", "", "", "", ""},
      {"", "Prea mult", "999999999", "", "999999999999999", "", ""},
  };
  c.content.language = "de";
  c.content.valid_until = "2026-12-01";
  const auto r = Rejected({}, c);
  EXPECT_EQ("validation_failed", r.code);
  std::set<std::string> named;
  for (const auto& f : r.fields) named.insert(f.field + ":" + f.code);
  EXPECT_EQ((std::set<std::string>{
                "language:invalid_language", "valid_until:in_the_past",
                "lines.0.product_id:no_such_product", "lines.1.product_id:product_archived",
                "lines.2.quantity:invalid_quantity", "lines.2.discount_percent:invalid_percent",
                "lines.2.vat_rate_key:unknown_vat_rate", "lines.3.description:required",
                "lines.4.unit_price:currency_differs", "lines.5.quantity:amount_too_large"}),
            named);
  c = Create();
  c.content.lines = std::vector<LineInput>{};
  EXPECT_EQ("lines", Rejected({}, c).fields.at(0).field);
  // In EUR, the EUR product's price is copied.
  c = Create();
  c.content.currency = "EUR";
  c.content.lines = std::vector<LineInput>{{"p-eur", "", "3", "", "", "", ""}};
  Offer::State s;
  Apply(&s, c);
  EXPECT_EQ(27'000, s.revisions[0].lines[0].amounts.net);
}

TEST(OfferTest, ADraftChangesInPlaceASentOneByANewRevision) {
  Offer::State s;
  Apply(&s, Create());
  ChangeOffer change;
  change.facts = TheFacts();
  change.content.valid_until = "2026-12-31";
  auto events = Apply(&s, change);
  ASSERT_EQ(1u, events.size());
  EXPECT_TRUE(std::holds_alternative<OfferChangedT>(events[0]));
  EXPECT_EQ(1u, s.revisions.size());
  EXPECT_TRUE(Apply(&s, change).empty()) << "the same content again is nothing to do";

  events = Apply(&s, SendOffer{});
  ASSERT_EQ(1u, events.size());
  EXPECT_EQ(1, std::get<OfferSentT>(events[0]).revision);
  EXPECT_EQ("sent", s.status);
  EXPECT_TRUE(Apply(&s, SendOffer{}).empty());

  change.content.lines = std::vector<LineInput>{{"p-lic", "", "5", "", "", "", ""}};
  events = Apply(&s, change);
  ASSERT_EQ(1u, events.size());
  EXPECT_EQ(2, std::get<OfferRevisedT>(events[0]).revision);
  EXPECT_EQ("draft", s.status);
  ASSERT_EQ(2u, s.revisions.size());
  EXPECT_EQ(2u, s.revisions[0].lines.size()) << "revision 1 stays as it was sent";
  EXPECT_EQ(1u, s.revisions[1].lines.size());

  EXPECT_EQ("offer_not_sent", Rejected(s, AcceptOffer{"2026-12-03"}).code);
  Apply(&s, SendOffer{});
  EXPECT_EQ("offer_expired", Rejected(s, AcceptOffer{"2027-01-01"}).code);
  events = Apply(&s, AcceptOffer{"2026-12-31"});
  EXPECT_EQ(2, std::get<OfferAcceptedT>(events.at(0)).revision);
  EXPECT_EQ("accepted", s.status);
  EXPECT_EQ("offer_closed", Rejected(s, change).code);
  EXPECT_EQ("offer_closed", Rejected(s, RejectOffer{"prea scump"}).code);
  EXPECT_TRUE(Apply(&s, ExpireOffer{"2027-06-01"}).empty()) << "an accepted offer never expires";
}

TEST(OfferTest, ASentOfferExpiresOnceAfterItsValidity) {
  Offer::State s;
  Apply(&s, Create());
  EXPECT_TRUE(Apply(&s, ExpireOffer{"2027-06-01"}).empty()) << "a draft does not expire";
  Apply(&s, SendOffer{});
  EXPECT_TRUE(Apply(&s, ExpireOffer{"2027-01-01"}).empty()) << "valid through its last day";
  auto events = Apply(&s, ExpireOffer{"2027-01-02"});
  ASSERT_EQ(1u, events.size());
  EXPECT_TRUE(std::holds_alternative<OfferExpiredT>(events[0]));
  EXPECT_EQ("expired", s.status);
  EXPECT_TRUE(Apply(&s, ExpireOffer{"2027-01-03"}).empty()) << "once";
  EXPECT_EQ("offer_closed", Rejected(s, AcceptOffer{"2027-01-03"}).code);

  Offer::State other;
  Apply(&other, Create());
  Apply(&other, SendOffer{});
  events = Apply(&other, RejectOffer{"prea scump"});
  EXPECT_EQ("prea scump", std::get<OfferRejectedT>(events.at(0)).reason);
  EXPECT_EQ("rejected", other.status);
  Apply(&other, ArchiveOffer{});
  EXPECT_EQ("offer_archived", Rejected(other, SendOffer{}).code);
  EXPECT_EQ("not_found", Rejected({}, SendOffer{}).code);
}

TEST(OfferTest, AMergeMovesTheOfferOnceAndATemplateMustExist) {
  Offer::State s;
  Apply(&s, Create());
  EXPECT_TRUE(Apply(&s, MoveOffer{"elsewhere", "a2"}).empty()) << "not this account's";
  ASSERT_EQ(1u, Apply(&s, MoveOffer{"a1", "a2"}).size());
  EXPECT_EQ("a2", s.account_id);
  EXPECT_TRUE(Apply(&s, MoveOffer{"a1", "a2"}).empty()) << "moved already";

  CreateOffer with_template = Create();
  with_template.content.template_id = "t-gone";
  auto r = Rejected(Offer::State{}, with_template);
  ASSERT_EQ(1u, r.fields.size());
  EXPECT_EQ("template_id", r.fields[0].field);
  EXPECT_EQ("no_such_template", r.fields[0].code);
  with_template.facts.templates = {"t-gone"};
  Offer::State made;
  Apply(&made, with_template);
  EXPECT_EQ("t-gone", made.revisions.back().template_id);
}

TEST(OfferTemplatesTest, ATemplateIsCheckedWholeChangedAndArchived) {
  using T = OfferTemplates;
  T::State s;
  CreateTemplate bad{"t1", {}};
  bad.input.name = "";
  bad.input.sections["header"] = {"<p>{{acount.name}}</p>", "<a href=\"x\">x</a>"};
  bad.input.sections["footer"] = {"<img src=\"attachment:doc1\">", ""};
  bad.input.images["doc1"] = "application/pdf";
  auto decision = T::Decide(s, bad, {});
  ASSERT_TRUE(std::holds_alternative<domain::Rejection>(decision));
  std::set<std::string> named;
  for (const auto& f : std::get<domain::Rejection>(decision).fields) {
    named.insert(f.field + "/" + f.code);
  }
  EXPECT_EQ((std::set<std::string>{"name/required", "header.ro/unknown_placeholder",
                                   "header.en/unsafe_markup", "footer.ro/no_such_image"}),
            named);

  CreateTemplate good{"t1", {}};
  good.input.name = "Standard";
  good.input.sections["text_1"] = {"<p>Oferta {{offer.number}}</p>", ""};
  good.input.sections["footer"] = {"<img src=\"attachment:logo\">", ""};
  good.input.images["logo"] = "image/png";
  auto made = T::Decide(s, good, {});
  ASSERT_TRUE(std::holds_alternative<std::vector<T::Event>>(made));
  for (const auto& e : std::get<std::vector<T::Event>>(made)) s = T::Evolve(std::move(s), e);
  ASSERT_EQ(1u, s.templates.count("t1"));
  EXPECT_EQ("<p>Oferta {{offer.number}}</p>", s.templates["t1"].sections["text_1"].ro);
  EXPECT_EQ("", s.templates["t1"].sections["header"].ro);

  // A change keeps the sections it does not give; the same again is nothing.
  ChangeTemplate rename{"t1", {}};
  rename.input.name = "Standard 2027";
  auto changed = std::get<std::vector<T::Event>>(T::Decide(s, rename, {}));
  ASSERT_EQ(1u, changed.size());
  s = T::Evolve(std::move(s), changed[0]);
  EXPECT_EQ("Standard 2027", s.templates["t1"].name);
  EXPECT_EQ("<p>Oferta {{offer.number}}</p>", s.templates["t1"].sections["text_1"].ro);
  EXPECT_TRUE(std::get<std::vector<T::Event>>(T::Decide(s, rename, {})).empty());
  auto archived = std::get<std::vector<T::Event>>(T::Decide(s, ArchiveTemplate{"t1"}, {}));
  ASSERT_EQ(1u, archived.size());
  s = T::Evolve(std::move(s), archived[0]);
  EXPECT_TRUE(s.templates["t1"].archived);
  auto refused = T::Decide(s, rename, {});
  ASSERT_TRUE(std::holds_alternative<domain::Rejection>(refused));
  EXPECT_EQ("template_archived", std::get<domain::Rejection>(refused).code);
  auto missing = T::Decide(s, ArchiveTemplate{"t9"}, {});
  ASSERT_TRUE(std::holds_alternative<domain::Rejection>(missing));
  EXPECT_EQ(404, std::get<domain::Rejection>(missing).http_status);
}

}  // namespace
}  // namespace crm::offers
