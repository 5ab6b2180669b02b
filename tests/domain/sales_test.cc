// Given/when/then tests of the pipeline, opportunities and money.

#include <gtest/gtest.h>

#include "domain/money.h"
#include "domain/sales/activity.h"
#include "domain/sales/attachment.h"
#include "domain/sales/note.h"
#include "domain/sales/opportunity.h"
#include "domain/sales/pipeline.h"
#include "support/given_when_then.h"

namespace crm::sales {
namespace {

using testing::GivenWhenThen;

const std::vector<std::string> kStages = {"prospecting", "approach", "offer", "order"};

OpenOpportunity Open() {
  OpenOpportunity o;
  o.opportunity_id = "o1";
  o.account_id = "a1";
  o.owner_id = "u1";
  o.input.title = "Licențe 2027";
  o.input.value = "12500.5";
  o.stages = kStages;
  o.account_contacts = {"k1"};
  return o;
}

OpportunityOpenedT Opened() {
  OpportunityOpenedT e;
  e.opportunity_id = "o1";
  e.account_id = "a1";
  e.title = "Licențe 2027";
  e.value_minor = 1250050;
  e.currency = "RON";
  e.stage = "prospecting";
  e.owner_id = "u1";
  return e;
}

TEST(MoneyTest, DecimalStringsBecomeMinorUnitsExactly) {
  EXPECT_EQ(1250050, domain::ParseMoney("12500.5"));
  EXPECT_EQ(7, domain::ParseMoney("0.07"));
  EXPECT_EQ(999999999999999'99, domain::ParseMoney("999999999999999.99"));
  for (const char* bad :
       {"", "1.", ".5", "1.234", "-1", "1e3", "1,5", "1 000", "0x10", "1000000000000000"}) {
    EXPECT_FALSE(domain::ParseMoney(bad).has_value()) << bad;
  }
  EXPECT_EQ("12500.50", domain::FormatMoney(1250050));
  EXPECT_EQ("0.07", domain::FormatMoney(7));
  EXPECT_EQ("-3.00", domain::FormatMoney(-300));
  EXPECT_TRUE(domain::IsCurrency("EUR"));
  EXPECT_FALSE(domain::IsCurrency("eur"));
}

TEST(OpportunityTest, OpensInTheFirstStageWithMoneyInMinorUnits) {
  GivenWhenThen<Opportunity>().When(Open()).ThenExpect({Opened()});
  auto bad = Open();
  bad.input.value = "12,5";
  bad.input.currency = "lei";
  bad.input.title = "";
  bad.input.contact_id = "stranger";
  bad.stage = "dreaming";
  GivenWhenThen<Opportunity>().When(bad).ThenReject("validation_failed");
}

TEST(OpportunityTest, OnlyManagersGiveAnOpportunityToSomeoneElse) {
  domain::Context sales;
  sales.actor = "u1";
  sales.role = "sales";
  domain::Context manager = sales;
  manager.actor = "m1";
  manager.role = "manager";
  auto for_other = Open();
  for_other.owner_id = "u2";
  GivenWhenThen<Opportunity>().WithContext(sales).When(for_other).ThenReject("forbidden");
  GivenWhenThen<Opportunity>().WithContext(sales).When(Open()).ThenExpect({Opened()});
  OpportunityReassignedT given;
  given.owner_id = "u2";
  given.from_owner_id = "u1";
  GivenWhenThen<Opportunity>()
      .WithContext(sales)
      .Given({Opened()})
      .When(ReassignOpportunity{"u2"})
      .ThenReject("forbidden");
  GivenWhenThen<Opportunity>()
      .WithContext(manager)
      .Given({Opened()})
      .When(ReassignOpportunity{"u2"})
      .ThenExpect({given});
}

TEST(OpportunityTest, StageChangesOnlyToPipelineStagesAndOnlyWhileOpen) {
  OpportunityStageChangedT moved;
  moved.stage = "offer";
  moved.from_stage = "prospecting";
  GivenWhenThen<Opportunity>()
      .Given({Opened()})
      .When(ChangeStage{"offer", kStages})
      .ThenExpect({moved});
  GivenWhenThen<Opportunity>()
      .Given({Opened()})
      .When(ChangeStage{"prospecting", kStages})
      .ThenExpect({});
  GivenWhenThen<Opportunity>()
      .Given({Opened()})
      .When(ChangeStage{"heaven", kStages})
      .ThenReject("validation_failed");
  OpportunityClosedT won;
  won.outcome = "won";
  GivenWhenThen<Opportunity>()
      .Given({Opened(), won})
      .When(ChangeStage{"offer", kStages})
      .ThenReject("opportunity_closed");
}

TEST(OpportunityTest, ClosesWonOrLostWithAReasonAndReopens) {
  OpportunityClosedT lost;
  lost.outcome = "lost";
  lost.reason = "Preț prea mare";
  GivenWhenThen<Opportunity>()
      .Given({Opened()})
      .When(CloseOpportunity{"lost", "Preț prea mare"})
      .ThenExpect({lost});
  GivenWhenThen<Opportunity>()
      .Given({Opened()})
      .When(CloseOpportunity{"lost", ""})
      .ThenReject("validation_failed");
  GivenWhenThen<Opportunity>()
      .Given({Opened()})
      .When(CloseOpportunity{"maybe", "x"})
      .ThenReject("validation_failed");
  GivenWhenThen<Opportunity>()
      .Given({Opened(), lost})
      .When(CloseOpportunity{"won", ""})
      .ThenReject("opportunity_closed");
  OpportunityReopenedT reopened;
  reopened.stage = "prospecting";  // where it was
  GivenWhenThen<Opportunity>()
      .Given({Opened(), lost})
      .When(ReopenOpportunity{"", kStages})
      .ThenExpect({reopened});
  GivenWhenThen<Opportunity>()
      .Given({Opened()})
      .When(ReopenOpportunity{"", kStages})
      .ThenExpect({});
  auto state = domain::Fold<Opportunity>(Opportunity::Initial(), {Opened(), lost, reopened});
  EXPECT_EQ("open", state.status);
}

TEST(OpportunityTest, RemindersAreSetMovedAndCleared) {
  OpportunityReminderSetT set;
  set.reminder_at_us = 1'900'000'000'000'000;
  GivenWhenThen<Opportunity>()
      .Given({Opened()})
      .When(SetReminder{1'900'000'000'000'000})
      .ThenExpect({set});
  OpportunityReminderSetT moved;
  moved.reminder_at_us = 1'900'000'060'000'000;
  GivenWhenThen<Opportunity>()
      .Given({Opened(), set})
      .When(SetReminder{1'900'000'060'000'000})
      .ThenExpect({moved});
  GivenWhenThen<Opportunity>()
      .Given({Opened(), set})
      .When(SetReminder{1'900'000'000'000'000})
      .ThenExpect({});
  GivenWhenThen<Opportunity>()
      .Given({Opened(), set})
      .When(SetReminder{std::nullopt})
      .ThenExpect({OpportunityReminderClearedT{}});
  GivenWhenThen<Opportunity>().Given({Opened()}).When(SetReminder{std::nullopt}).ThenExpect({});
}

TEST(OpportunityTest, AReminderIsDeliveredOnceAndOnlyAtTheTimeItIsSetFor) {
  OpportunityReminderSetT set;
  set.reminder_at_us = 1'900'000'000'000'000;
  OpportunityReminderDueT due;
  due.reminder_at_us = set.reminder_at_us;
  due.user_id = "u1";
  GivenWhenThen<Opportunity>()
      .Given({Opened(), set})
      .When(FireReminder{set.reminder_at_us})
      .ThenExpect({due});
  GivenWhenThen<Opportunity>()  // a restart fires it again: nothing happens
      .Given({Opened(), set, due})
      .When(FireReminder{set.reminder_at_us})
      .ThenExpect({});
  OpportunityReminderSetT moved;
  moved.reminder_at_us = set.reminder_at_us + 60'000'000;
  GivenWhenThen<Opportunity>()  // the old time of a moved reminder
      .Given({Opened(), set, moved})
      .When(FireReminder{set.reminder_at_us})
      .ThenExpect({});
  GivenWhenThen<Opportunity>()
      .Given({Opened(), set, OpportunityReminderClearedT{}})
      .When(FireReminder{set.reminder_at_us})
      .ThenExpect({});
  OpportunityClosedT won;
  won.outcome = "won";
  GivenWhenThen<Opportunity>()
      .Given({Opened(), set, won})
      .When(FireReminder{set.reminder_at_us})
      .ThenExpect({});
}

TEST(PipelineTest, StagesAreRenamedAddedReorderedButNotRemovedWhileInUse) {
  auto stages = DefaultStages();
  std::swap(stages[0], stages[1]);
  stages[0].label.ro = "Prima abordare";
  stages.push_back({"contract", {"Contract", "Contract"}, 95});
  auto decision = Pipeline::Decide(Pipeline::Initial(), SetPipeline{stages, {"offer"}}, {});
  ASSERT_TRUE(std::holds_alternative<std::vector<Pipeline::Event>>(decision));
  const auto state = Pipeline::Evolve(Pipeline::Initial(), std::get<0>(decision).at(0));
  EXPECT_EQ(stages, state.stages);
  auto without_offer = stages;
  without_offer.erase(without_offer.begin() + 2);
  GivenWhenThen<Pipeline>().When(SetPipeline{without_offer, {"offer"}}).ThenReject("stage_in_use");
  auto bad = stages;
  bad[1].key = bad[0].key;
  bad[2].probability = 120;
  GivenWhenThen<Pipeline>().When(SetPipeline{bad, {}}).ThenReject("validation_failed");
  GivenWhenThen<Pipeline>().When(SetPipeline{DefaultStages(), {}}).ThenExpect({});
}

TEST(ActivityTest, StatusesTypesLinksAndRemindersFollowTheRules) {
  CreateActivity create;
  create.activity_id = "t1";
  create.account_id = "a1";
  create.owner_id = "u1";
  create.input.subject = "Sună";
  create.input.type = "phone";
  create.account_contacts = {"k1"};
  create.account_opportunities = {"o1"};
  ActivityCreatedT created;
  created.activity_id = "t1";
  created.account_id = "a1";
  created.type = "phone";
  created.subject = "Sună";
  created.status = "planned";
  created.owner_id = "u1";
  GivenWhenThen<Activity>().When(create).ThenExpect({created});
  auto bad = create;
  bad.input.type = "party";
  bad.input.opportunity_id = "o9";
  bad.status = "asleep";
  GivenWhenThen<Activity>().When(bad).ThenReject("validation_failed");
  ActivityStatusChangedT done;
  done.status = "done";
  done.from_status = "planned";
  GivenWhenThen<Activity>().Given({created}).When(ChangeActivityStatus{"done"}).ThenExpect({done});
  GivenWhenThen<Activity>().Given({created}).When(ChangeActivityStatus{"planned"}).ThenExpect({});
  ActivityReminderSetT set;
  set.reminder_at_us = 5;
  ActivityReminderDueT due;
  due.reminder_at_us = 5;
  due.user_id = "u1";
  GivenWhenThen<Activity>().Given({created, set}).When(FireActivityReminder{5}).ThenExpect({due});
  GivenWhenThen<Activity>().Given({created, set, due}).When(FireActivityReminder{5}).ThenExpect({});
  GivenWhenThen<Activity>()
      .Given({created, ActivityArchivedT{}})
      .When(ChangeActivityStatus{"done"})
      .ThenReject("activity_archived");
}

TEST(NoteTest, OnlyTheAuthorEditsANote) {
  NoteCreatedT created;
  created.note_id = "n1";
  created.record = "account/a1";
  created.note_type = "phone";
  created.text = "Sunat";
  created.author_id = "u1";
  const std::vector<std::string> types = {"phone", "email"};
  GivenWhenThen<Note>()
      .When(CreateNote{"n1", "account/a1", "phone", "Sunat", "", "u1", types})
      .ThenExpect({created});
  GivenWhenThen<Note>()
      .Given({created})
      .When(EditNote{"u2", std::string("Altfel"), std::nullopt, types})
      .ThenReject("not_author");
  NoteEditedT edited;
  edited.changed = {"text"};
  edited.text = "Sunat de două ori";
  edited.note_type = "phone";
  GivenWhenThen<Note>()
      .Given({created})
      .When(EditNote{"u1", std::string("Sunat de două ori"), std::nullopt, types})
      .ThenExpect({edited});
  GivenWhenThen<Note>()
      .Given({created})
      .When(EditNote{"u1", std::nullopt, std::string("fax"), types})
      .ThenReject("validation_failed");
}

TEST(AttachmentTest, ARecordIsWrittenOnceWithAValidTypeAndHash) {
  const std::string hash(64, 'a');
  const UploadAttachment upload{"f1", "ofertă.pdf", "application/pdf", 1234, hash, "u1"};
  AttachmentUploadedT uploaded;
  uploaded.attachment_id = "f1";
  uploaded.file_name = "ofertă.pdf";
  uploaded.content_type = "application/pdf";
  uploaded.size = 1234;
  uploaded.sha256 = hash;
  uploaded.uploader_id = "u1";
  GivenWhenThen<Attachment>().When(upload).ThenExpect({uploaded});
  GivenWhenThen<Attachment>().Given({uploaded}).When(upload).ThenReject("attachment_exists");
  for (const char* type : {"", "pdf", "application/", "/pdf", "text/html; charset=utf-8",
                           "text/ html", "application/pdf\r\n"}) {
    SCOPED_TRACE(type);
    UploadAttachment bad = upload;
    bad.content_type = type;
    GivenWhenThen<Attachment>().When(bad).ThenReject("validation_failed");
  }
  for (const std::string& hash_text : {std::string(63, 'a'), std::string(64, 'A'), std::string()}) {
    UploadAttachment bad = upload;
    bad.sha256 = hash_text;
    GivenWhenThen<Attachment>().When(bad).ThenReject("validation_failed");
  }
  UploadAttachment unnamed = upload;
  unnamed.file_name = "";
  GivenWhenThen<Attachment>().When(unnamed).ThenReject("validation_failed");
  EXPECT_TRUE(IsMediaType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"));
}

TEST(MoveTest, AMergeMovesRecordsOfAnyStatusOnceAndOnlyRecordsThatExist) {
  OpportunityArchivedT archived;
  OpportunityMovedT moved;
  moved.from_account_id = "a1";
  moved.account_id = "a2";
  GivenWhenThen<Opportunity>()
      .Given({Opened(), archived})
      .When(MoveOpportunity{"a1", "a2"})
      .ThenExpect({moved});
  GivenWhenThen<Opportunity>()
      .Given({Opened(), moved})
      .When(MoveOpportunity{"a1", "a2"})
      .ThenExpect({});  // moved already: it is no longer on a1
  GivenWhenThen<Opportunity>()
      .When(MoveOpportunity{"a1", "a2"})
      .ThenReject("opportunity_not_found");

  NoteCreatedT created;
  created.note_id = "n1";
  created.record = "account/a1";
  created.note_type = "phone";
  created.text = "Sunat";
  created.author_id = "u1";
  NoteMovedT note_moved;
  note_moved.from_record = "account/a1";
  note_moved.record = "account/a2";
  GivenWhenThen<Note>()
      .Given({created})
      .When(MoveNote{"account/a1", "account/a2"})
      .ThenExpect({note_moved});
  GivenWhenThen<Note>()
      .Given({created})
      .When(MoveNote{"account/a9", "account/a2"})
      .ThenExpect({});  // not where the caller saw it
  GivenWhenThen<Note>().When(MoveNote{"account/a1", "account/a2"}).ThenReject("note_not_found");
  // The author edits a moved note as before.
  GivenWhenThen<Note>()
      .Given({created, note_moved})
      .When(EditNote{"u2", std::string("Altfel"), std::nullopt, {"phone"}})
      .ThenReject("not_author");
}

TEST(ActivityTest, CallsAndSmsAreDoneActivitiesWithANumberAndTheirDetailsChecked) {
  CreateActivity call;
  call.activity_id = "t1";
  call.account_id = "a1";
  call.owner_id = "u1";
  call.status = "done";
  call.input.type = "phone";
  call.input.subject = "Apel efectuat";
  call.input.contact_id = "k1";
  call.account_contacts = {"k1"};
  call.communication = CommunicationRecord{"outbound", "", 60, "answered", 7};
  call.default_phone = "+40722123456";
  ActivityCreatedT created;
  created.activity_id = "t1";
  created.account_id = "a1";
  created.contact_id = "k1";
  created.type = "phone";
  created.subject = "Apel efectuat";
  created.status = "done";
  created.owner_id = "u1";
  created.direction = "outbound";
  created.phone = "+40722123456";
  created.duration_seconds = 60;
  created.call_outcome = "answered";
  created.occurred_at_us = 7;
  GivenWhenThen<Activity>().When(call).ThenExpect({created});
  // A number given is normalized and wins over the default.
  auto given = call;
  given.communication->phone = "021 345 6789";
  created.phone = "+40213456789";
  GivenWhenThen<Activity>().When(given).ThenExpect({created});

  auto bad = call;
  bad.communication = CommunicationRecord{"sideways", "", -5, "maybe", 7};
  bad.default_phone = "";
  auto decision = Activity::Decide(Activity::Initial(), bad, {});
  ASSERT_TRUE(std::holds_alternative<domain::Rejection>(decision));
  EXPECT_EQ(4u, std::get<domain::Rejection>(decision).fields.size());  // direction, phone,
                                                                       // outcome, duration
  CreateActivity sms = call;
  sms.input.type = "sms";
  sms.input.subject = "SMS trimis";
  sms.communication = CommunicationRecord{"outbound", "", 0, "", 7};
  GivenWhenThen<Activity>().When(sms).ThenReject("validation_failed");  // no text
  sms.input.details = "Bună ziua!";
  decision = Activity::Decide(Activity::Initial(), sms, {});
  ASSERT_TRUE(std::holds_alternative<std::vector<Activity::Event>>(decision));
  const ActivityCreatedT sent = std::get<ActivityCreatedT>(std::get<0>(decision)[0]);
  EXPECT_EQ("Bună ziua!", sent.details);
  // A call stays a call; an SMS keeps its text; other fields change freely.
  ChangeActivity retype;
  retype.input.type = "meeting";
  GivenWhenThen<Activity>().Given({created}).When(retype).ThenReject("validation_failed");
  ChangeActivity erase;
  erase.input.details = "";
  GivenWhenThen<Activity>().Given({sent}).When(erase).ThenReject("validation_failed");
  ChangeActivity subject;
  subject.input.subject = "Apel de revenire";
  auto changed = Activity::Decide(Activity::Evolve(Activity::Initial(), created), subject, {});
  EXPECT_TRUE(std::holds_alternative<std::vector<Activity::Event>>(changed));
}

}  // namespace
}  // namespace crm::sales
