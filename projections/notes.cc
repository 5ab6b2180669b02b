#include "projections/notes.h"

#include <algorithm>
#include <mutex>

#include "domain/event_codec.h"
#include "domain/sales/note.h"

namespace crm::projections {

void Notes::Apply(const eventstore::RecordedEvent& event) {
  const auto& env = *event.envelope;
  if (!env.stream()->string_view().starts_with("note-") ||
      env.stream()->string_view().starts_with("note-types")) {
    return;
  }
  auto decoded = domain::EventDecoder<sales::Note::Event>::Decode(
      env.type()->string_view(), {env.payload()->data(), env.payload()->size()});
  if (!decoded) return;
  const std::string id = env.stream()->str().substr(5);
  if (const auto* created = std::get_if<sales::NoteCreatedT>(&*decoded)) {
    if (index_.count(id)) return;
    index_[id] = rows_.size();
    by_record_[created->record].push_back(rows_.size());
    rows_.push_back({id, created->record, created->note_type, created->text, created->attachment_id,
                     created->author_id, env.version(), env.recorded_at_us(),
                     env.recorded_at_us()});
    return;
  }
  auto it = index_.find(id);
  if (it == index_.end()) return;
  NoteRow& row = rows_[it->second];
  row.version = env.version();
  row.updated_at_us = env.recorded_at_us();
  if (const auto* moved = std::get_if<sales::NoteMovedT>(&*decoded)) {
    std::erase(by_record_[row.record], it->second);
    // Rows are in the order notes were written: keep each record's list so.
    auto& notes = by_record_[moved->record];
    notes.insert(std::upper_bound(notes.begin(), notes.end(), it->second), it->second);
    row.record = moved->record;
    return;
  }
  const auto& edited = std::get<sales::NoteEditedT>(*decoded);
  row.text = edited.text;
  row.note_type = edited.note_type;
}

std::optional<NoteRow> Notes::Get(const std::string& id) const {
  std::shared_lock lock(mutex());
  auto it = index_.find(id);
  if (it == index_.end()) return std::nullopt;
  return rows_[it->second];
}

std::vector<NoteRow> Notes::Of(const std::string& record) const {
  std::shared_lock lock(mutex());
  std::vector<NoteRow> out;
  auto it = by_record_.find(record);
  if (it == by_record_.end()) return out;
  for (size_t i : it->second) out.push_back(rows_[i]);
  return out;
}

}  // namespace crm::projections
