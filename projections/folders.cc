#include "projections/folders.h"

#include <algorithm>
#include <mutex>

#include "domain/accounts/account.h"
#include "domain/accounts/normalize.h"
#include "domain/event_codec.h"

namespace crm::projections {

void FolderTree::Apply(const eventstore::RecordedEvent& event) {
  const auto& env = *event.envelope;
  const std::string_view stream = env.stream()->string_view();
  if (stream.starts_with("account-") && !stream.starts_with("account-code-")) {
    // Account counts, kept here so that "as of" answers count as of then too.
    auto decoded = domain::EventDecoder<accounts::Account::Event>::Decode(
        env.type()->string_view(), {env.payload()->data(), env.payload()->size()});
    if (!decoded) return;
    Placement& p = placements_[std::string(stream.substr(8))];
    const Placement before = p;
    std::visit(
        [&](const auto& e) {
          using T = std::decay_t<decltype(e)>;
          if constexpr (std::is_same_v<T, accounts::AccountCreatedT> ||
                        std::is_same_v<T, accounts::AccountMovedT>) {
            p.folder_id = e.folder_id;
          } else if constexpr (std::is_same_v<T, accounts::AccountArchivedT>) {
            p.archived = true;
          } else if constexpr (std::is_same_v<T, accounts::AccountRestoredT>) {
            p.archived = false;
          }
        },
        *decoded);
    if (!before.folder_id.empty() && !before.archived) --accounts_[before.folder_id];
    if (!p.archived) ++accounts_[p.folder_id];
    return;
  }
  if (stream != accounts::kFoldersStream) return;
  auto decoded = domain::EventDecoder<accounts::Folders::Event>::Decode(
      env.type()->string_view(), {env.payload()->data(), env.payload()->size()});
  if (!decoded) return;
  tree_ = accounts::Folders::Evolve(std::move(tree_), *decoded);
  version_ = env.version();
}

FolderView FolderTree::ViewOf(const std::string& id) const {
  FolderView v;
  v.id = id;
  const auto& node = tree_.nodes.at(id);
  v.parent_id = node.parent_id;
  v.name = node.name;
  v.depth = tree_.Depth(id);
  if (auto it = accounts_.find(id); it != accounts_.end()) v.accounts = it->second;
  for (std::string at = id; !at.empty(); at = tree_.nodes.at(at).parent_id) {
    v.path.insert(v.path.begin(), tree_.nodes.at(at).name);
  }
  return v;
}

std::optional<FolderView> FolderTree::Folder(const std::string& id) const {
  std::shared_lock lock(mutex());
  if (!tree_.nodes.count(id)) return std::nullopt;
  return ViewOf(id);
}

std::vector<FolderView> FolderTree::All() const {
  std::shared_lock lock(mutex());
  std::vector<FolderView> out;
  for (const auto& [id, node] : tree_.nodes) out.push_back(ViewOf(id));
  std::sort(out.begin(), out.end(), [](const FolderView& a, const FolderView& b) {
    if (a.depth != b.depth) return a.depth < b.depth;
    return accounts::FoldText(a.name) < accounts::FoldText(b.name);
  });
  return out;
}

uint64_t FolderTree::version() const {
  std::shared_lock lock(mutex());
  return version_;
}

}  // namespace crm::projections
