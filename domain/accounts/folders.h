#pragma once

// The folder tree of the accounts module (stream "folders"): a tree of at
// most four levels under the root "Conturi", names unique among siblings
// (compared folded: case and diacritics ignored).

#include <map>
#include <string>
#include <variant>
#include <vector>

#include "domain/decider.h"
#include "schemas/accounts_generated.h"

namespace crm::accounts {

inline constexpr const char* kRootFolder = "root";
inline constexpr const char* kFoldersStream = "folders";
inline constexpr int kMaxFolderDepth = 4;  // the root is level 1

struct CreateFolder {
  std::string folder_id;
  std::string parent_id;
  std::string name;
};
struct RenameFolder {
  std::string folder_id;
  std::string name;
};
struct MoveFolder {
  std::string folder_id;
  std::string parent_id;
};
// `account_count` comes from the accounts read model: a folder with accounts
// is not deleted.
struct DeleteFolder {
  std::string folder_id;
  size_t account_count = 0;
};

struct Folders {
  struct Node {
    std::string parent_id;  // empty for the root
    std::string name;
  };
  struct State {
    std::map<std::string, Node> nodes = {{kRootFolder, {"", "Conturi"}}};
    // Level of `id` (root = 1); 0 when unknown.
    int Depth(const std::string& id) const;
    // Levels below `id` in its subtree (a leaf: 0).
    int Height(const std::string& id) const;
    bool IsWithin(const std::string& id, const std::string& ancestor) const;
    bool HasChildren(const std::string& id) const;
  };
  using Command = std::variant<CreateFolder, RenameFolder, MoveFolder, DeleteFolder>;
  using Event = std::variant<FolderCreatedT, FolderRenamedT, FolderMovedT, FolderDeletedT>;

  static State Initial() { return {}; }
  static domain::Decision<Event> Decide(const State& state, const Command& command,
                                        const domain::Context& ctx);
  static State Evolve(State state, const Event& event);
};

}  // namespace crm::accounts
