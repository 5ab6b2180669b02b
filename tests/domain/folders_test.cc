// Given/when/then tests of the folder tree.

#include "domain/accounts/folders.h"

#include <gtest/gtest.h>

#include "support/given_when_then.h"

namespace crm::accounts {
namespace {

using testing::GivenWhenThen;

FolderCreatedT Created(const std::string& id, const std::string& parent, const std::string& name) {
  FolderCreatedT e;
  e.folder_id = id;
  e.parent_id = parent;
  e.name = name;
  return e;
}

// root > a > b > c: four levels.
std::vector<Folders::Event> Chain() {
  return {Created("a", kRootFolder, "Prospecți"), Created("b", "a", "București"),
          Created("c", "b", "Sector 1")};
}

TEST(FoldersTest, TheRootExistsWithoutEvents) {
  const auto state = Folders::Initial();
  EXPECT_EQ(1, state.Depth(kRootFolder));
  EXPECT_EQ("Conturi", state.nodes.at(kRootFolder).name);
}

TEST(FoldersTest, CreatesUpToTheFourthLevel) {
  GivenWhenThen<Folders>()
      .Given({Created("a", kRootFolder, "Prospecți"), Created("b", "a", "București")})
      .When(CreateFolder{"c", "b", "Sector 1"})
      .ThenExpect({Created("c", "b", "Sector 1")});
}

TEST(FoldersTest, AFifthLevelIsRejected) {
  GivenWhenThen<Folders>()
      .Given(Chain())
      .When(CreateFolder{"d", "c", "Prea adânc"})
      .ThenReject("folder_too_deep");
}

TEST(FoldersTest, NamesAreUniqueAmongSiblingsIgnoringCaseAndDiacritics) {
  GivenWhenThen<Folders>()
      .Given(Chain())
      .When(CreateFolder{"x", kRootFolder, "PROSPECTI"})
      .ThenReject("folder_name_taken");
  GivenWhenThen<Folders>()
      .Given(Chain())
      .When(CreateFolder{"x", "b", "Prospecți"})  // another parent: fine
      .ThenExpect({Created("x", "b", "Prospecți")});
  GivenWhenThen<Folders>().When(CreateFolder{"x", kRootFolder, ""}).ThenReject("validation_failed");
  GivenWhenThen<Folders>().When(CreateFolder{"x", "nowhere", "X"}).ThenReject("folder_not_found");
}

TEST(FoldersTest, RenameKeepsNamesUnique) {
  FolderRenamedT renamed;
  renamed.folder_id = "b";
  renamed.name = "Cluj";
  GivenWhenThen<Folders>().Given(Chain()).When(RenameFolder{"b", "Cluj"}).ThenExpect({renamed});
  GivenWhenThen<Folders>().Given(Chain()).When(RenameFolder{"b", "București"}).ThenExpect({});
  GivenWhenThen<Folders>()
      .Given({Created("a", kRootFolder, "A"), Created("b", kRootFolder, "B")})
      .When(RenameFolder{"b", "a"})
      .ThenReject("folder_name_taken");
}

TEST(FoldersTest, AFolderCannotMoveIntoItselfOrItsDescendants) {
  GivenWhenThen<Folders>().Given(Chain()).When(MoveFolder{"a", "c"}).ThenReject("folder_cycle");
  GivenWhenThen<Folders>().Given(Chain()).When(MoveFolder{"b", "b"}).ThenReject("folder_cycle");
  GivenWhenThen<Folders>()
      .Given(Chain())
      .When(MoveFolder{kRootFolder, "a"})
      .ThenReject("root_folder_fixed");
}

TEST(FoldersTest, TheDepthRuleHoldsAfterAMove) {
  // x > y (two levels) cannot go under c (level 4), nor under b (would reach 5).
  std::vector<Folders::Event> given = Chain();
  given.push_back(Created("x", kRootFolder, "X"));
  given.push_back(Created("y", "x", "Y"));
  GivenWhenThen<Folders>().Given(given).When(MoveFolder{"x", "b"}).ThenReject("folder_too_deep");
  FolderMovedT moved;
  moved.folder_id = "x";
  moved.parent_id = "a";
  GivenWhenThen<Folders>().Given(given).When(MoveFolder{"x", "a"}).ThenExpect({moved});
}

TEST(FoldersTest, OnlyEmptyFoldersAreDeleted) {
  GivenWhenThen<Folders>().Given(Chain()).When(DeleteFolder{"b", 0}).ThenReject("folder_not_empty");
  GivenWhenThen<Folders>().Given(Chain()).When(DeleteFolder{"c", 3}).ThenReject("folder_not_empty");
  FolderDeletedT deleted;
  deleted.folder_id = "c";
  GivenWhenThen<Folders>().Given(Chain()).When(DeleteFolder{"c", 0}).ThenExpect({deleted});
  GivenWhenThen<Folders>().When(DeleteFolder{kRootFolder, 0}).ThenReject("root_folder_fixed");
}

TEST(FoldersTest, FoldingTheEventsRebuildsTheTree) {
  auto state = domain::Fold<Folders>(Folders::Initial(), Chain());
  EXPECT_EQ(4, state.Depth("c"));
  EXPECT_EQ(3, state.Height(kRootFolder));
  EXPECT_TRUE(state.IsWithin("c", "a"));
  EXPECT_FALSE(state.IsWithin("a", "c"));
}

}  // namespace
}  // namespace crm::accounts
