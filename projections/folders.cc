#include "projections/folders.h"

#include <algorithm>
#include <mutex>

#include "domain/accounts/normalize.h"
#include "domain/event_codec.h"

namespace crm::projections {

void FolderTree::Apply(const eventstore::RecordedEvent& event) {
  const auto& env = *event.envelope;
  if (env.stream()->string_view() != accounts::kFoldersStream) return;
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
