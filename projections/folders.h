#pragma once

// The folder tree as the API shows it: every folder with its parent, depth,
// children and account count.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "domain/accounts/folders.h"
#include "projections/projection.h"

namespace crm::projections {

template <class Archive>
void Fields(Archive& ar, accounts::Folders::Node& node) {
  auto& [parent_id, name] = node;
  ar(parent_id, name);
}

template <class Archive>
void Fields(Archive& ar, accounts::Folders::State& state) {
  ar(state.nodes);
}

struct FolderView {
  std::string id;
  std::string parent_id;  // empty for the root
  std::string name;
  int depth = 1;
  size_t accounts = 0;            // directly in this folder
  std::vector<std::string> path;  // names from the root down to this folder
};

class FolderTree final : public Snapshotted<FolderTree> {
 public:
  std::string_view Name() const override { return "folders"; }
  void Apply(const eventstore::RecordedEvent& event) override;
  std::unique_ptr<Projection> Fresh() const override { return std::make_unique<FolderTree>(); }

  std::optional<FolderView> Folder(const std::string& id) const;
  // Every folder, parents before children, siblings by name.
  std::vector<FolderView> All() const;
  uint64_t version() const;  // of the "folders" stream

 private:
  FolderView ViewOf(const std::string& id) const;  // REQUIRES: mutex() held
  struct Placement {
    std::string folder_id;
    bool archived = false;
    template <class Archive>
    friend void Fields(Archive& ar, Placement& placement) {
      ar(placement.folder_id, placement.archived);
    }
  };
  friend class Snapshotted<FolderTree>;
  // Every member below; snapshots hold exactly these.
  template <class Archive>
  void Members(Archive& ar) {
    ar(tree_, placements_, accounts_, version_);
  }
  accounts::Folders::State tree_;                // GUARDED_BY(mutex())
  std::map<std::string, Placement> placements_;  // GUARDED_BY(mutex()): account -> folder
  std::map<std::string, size_t> accounts_;       // GUARDED_BY(mutex()): folder -> count
  uint64_t version_ = 0;                         // GUARDED_BY(mutex())
};

}  // namespace crm::projections
