#pragma once

// Notes by record ("account/<id>", "opportunity/<id>", "activity/<id>"),
// oldest first, with their current text.

#include <deque>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "projections/projection.h"

namespace crm::projections {

struct NoteRow {
  std::string id, record, note_type, text, attachment_id, author_id;
  uint64_t version = 0;
  int64_t created_at_us = 0;
  int64_t updated_at_us = 0;
};

template <class Archive>
void Fields(Archive& ar, NoteRow& row) {
  auto& [id, record, note_type, text, attachment_id, author_id, version, created_at_us,
         updated_at_us] = row;
  ar(id, record, note_type, text, attachment_id, author_id, version, created_at_us, updated_at_us);
}

class Notes final : public Snapshotted<Notes> {
 public:
  std::string_view Name() const override { return "notes"; }
  void Apply(const eventstore::RecordedEvent& event) override;
  std::unique_ptr<Projection> Fresh() const override { return std::make_unique<Notes>(); }
  std::optional<NoteRow> Get(const std::string& id) const;
  std::vector<NoteRow> Of(const std::string& record) const;

 private:
  friend class Snapshotted<Notes>;
  // Every member below; snapshots hold exactly these.
  template <class Archive>
  void Members(Archive& ar) {
    ar(rows_, index_, by_record_);
  }
  std::deque<NoteRow> rows_;                                        // GUARDED_BY(mutex())
  std::unordered_map<std::string, size_t> index_;                   // GUARDED_BY(mutex())
  std::unordered_map<std::string, std::vector<size_t>> by_record_;  // GUARDED_BY(mutex())
};

}  // namespace crm::projections
