#include "domain/accounts/folders.h"

#include "domain/accounts/normalize.h"

namespace crm::accounts {

namespace {

using domain::Reject;

size_t Length(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

domain::Rejection NoSuchFolder(const std::string& field) {
  domain::Rejection r = Reject("folder_not_found", "Dosarul nu există.", "No such folder.", 404);
  r.fields.push_back({field, "not_found", r.message});
  return r;
}

domain::Rejection TooDeep() {
  return Reject("folder_too_deep", "Dosarele pot avea cel mult 4 niveluri.",
                "Folders can be at most 4 levels deep.");
}

// A rejection when `name` is not a valid name for a child of `parent`
// (ignoring `self`, the folder being renamed or moved).
std::optional<domain::Rejection> CheckName(const Folders::State& state, const std::string& parent,
                                           const std::string& name, const std::string& self) {
  if (Length(name) < 1 || Length(name) > 100 || name.find('/') != std::string::npos) {
    return domain::InvalidFields(
        {{"name",
          "invalid_name",
          {"Între 1 și 100 de caractere, fără „/”.", "1 to 100 characters, without '/'."}}});
  }
  const std::string folded = FoldText(name);
  for (const auto& [id, node] : state.nodes) {
    if (id != self && node.parent_id == parent && FoldText(node.name) == folded) {
      domain::Rejection r = Reject("folder_name_taken", "Există deja un dosar cu acest nume aici.",
                                   "A folder with this name exists here already.", 409);
      r.fields.push_back({"name", "taken", r.message});
      return r;
    }
  }
  return std::nullopt;
}

}  // namespace

int Folders::State::Depth(const std::string& id) const {
  int depth = 0;
  for (std::string at = id; !at.empty();) {
    auto it = nodes.find(at);
    if (it == nodes.end() || depth > static_cast<int>(nodes.size())) return 0;
    ++depth;
    at = it->second.parent_id;
  }
  return depth;
}

int Folders::State::Height(const std::string& id) const {
  int height = 0;
  for (const auto& [child, node] : nodes) {
    if (node.parent_id == id) height = std::max(height, 1 + Height(child));
  }
  return height;
}

bool Folders::State::IsWithin(const std::string& id, const std::string& ancestor) const {
  for (std::string at = id; !at.empty();) {
    if (at == ancestor) return true;
    auto it = nodes.find(at);
    if (it == nodes.end()) return false;
    at = it->second.parent_id;
  }
  return false;
}

bool Folders::State::HasChildren(const std::string& id) const {
  for (const auto& [child, node] : nodes) {
    if (node.parent_id == id) return true;
  }
  return false;
}

domain::Decision<Folders::Event> Folders::Decide(const State& state, const Command& command,
                                                 const domain::Context&) {
  return std::visit(
      [&](const auto& c) -> domain::Decision<Event> {
        using C = std::decay_t<decltype(c)>;
        using Events = std::vector<Event>;
        if constexpr (std::is_same_v<C, CreateFolder>) {
          const auto* create = &c;
          if (state.nodes.count(create->folder_id)) {
            return Reject("folder_exists", "Dosarul există deja.", "The folder exists already.",
                          409);
          }
          if (!state.nodes.count(create->parent_id)) return NoSuchFolder("parent_id");
          if (state.Depth(create->parent_id) + 1 > kMaxFolderDepth) return TooDeep();
          if (auto bad = CheckName(state, create->parent_id, create->name, "")) return *bad;
          FolderCreatedT e;
          e.folder_id = create->folder_id;
          e.parent_id = create->parent_id;
          e.name = create->name;
          return Events{std::move(e)};
        } else if constexpr (std::is_same_v<C, RenameFolder>) {
          const auto* rename = &c;
          auto it = state.nodes.find(rename->folder_id);
          if (it == state.nodes.end()) return NoSuchFolder("folder_id");
          if (it->second.name == rename->name) return Events{};
          if (auto bad = CheckName(state, it->second.parent_id, rename->name, rename->folder_id)) {
            return *bad;
          }
          FolderRenamedT e;
          e.folder_id = rename->folder_id;
          e.name = rename->name;
          return Events{std::move(e)};
        } else if constexpr (std::is_same_v<C, MoveFolder>) {
          const auto* move = &c;
          auto it = state.nodes.find(move->folder_id);
          if (it == state.nodes.end()) return NoSuchFolder("folder_id");
          if (move->folder_id == kRootFolder) {
            return Reject("root_folder_fixed", "Dosarul rădăcină nu se mută.",
                          "The root folder cannot be moved.", 409);
          }
          if (!state.nodes.count(move->parent_id)) return NoSuchFolder("parent_id");
          if (it->second.parent_id == move->parent_id) return Events{};
          if (state.IsWithin(move->parent_id, move->folder_id)) {
            return Reject("folder_cycle",
                          "Un dosar nu se poate muta în el însuși sau în subdosarele sale.",
                          "A folder cannot move into itself or its own subfolders.");
          }
          if (state.Depth(move->parent_id) + 1 + state.Height(move->folder_id) > kMaxFolderDepth) {
            return TooDeep();
          }
          if (auto bad = CheckName(state, move->parent_id, it->second.name, move->folder_id))
            return *bad;
          FolderMovedT e;
          e.folder_id = move->folder_id;
          e.parent_id = move->parent_id;
          return Events{std::move(e)};
        } else if constexpr (std::is_same_v<C, DeleteFolder>) {
          const auto& remove = c;
          if (!state.nodes.count(remove.folder_id)) return NoSuchFolder("folder_id");
          if (remove.folder_id == kRootFolder) {
            return Reject("root_folder_fixed", "Dosarul rădăcină nu se șterge.",
                          "The root folder cannot be deleted.", 409);
          }
          if (state.HasChildren(remove.folder_id) || remove.account_count > 0) {
            return Reject("folder_not_empty", "Dosarul nu este gol.", "The folder is not empty.",
                          409);
          }
          FolderDeletedT e;
          e.folder_id = remove.folder_id;
          return Events{std::move(e)};
        } else {
          static_assert(domain::kUnhandled<C>, "every command is decided");
        }
      },
      command);
}

Folders::State Folders::Evolve(State state, const Event& event) {
  std::visit(
      [&](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, FolderCreatedT>) {
          state.nodes[e.folder_id] = {e.parent_id, e.name};
        } else if constexpr (std::is_same_v<T, FolderRenamedT>) {
          state.nodes[e.folder_id].name = e.name;
        } else if constexpr (std::is_same_v<T, FolderMovedT>) {
          state.nodes[e.folder_id].parent_id = e.parent_id;
        } else if constexpr (std::is_same_v<T, FolderDeletedT>) {
          state.nodes.erase(e.folder_id);
        } else {
          static_assert(domain::kUnhandled<T>, "every event of the variant is applied");
        }
      },
      event);
  return state;
}

}  // namespace crm::accounts
