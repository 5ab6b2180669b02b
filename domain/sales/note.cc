#include "domain/sales/note.h"

#include <algorithm>
#include <cctype>

#include "domain/accounts/normalize.h"

namespace crm::sales {

namespace {

domain::FieldError UnknownType() {
  return {"note_type", "unknown_type", {"Tipul de notă nu există.", "No such note type."}};
}

bool ValidText(const std::string& text) {
  return !text.empty() && accounts::Utf8Length(text) <= 10000;
}

domain::FieldError BadText() {
  return {"text",
          "invalid_length",
          {"Textul are între 1 și 10000 de caractere.", "The text has 1 to 10000 characters."}};
}

}  // namespace

std::vector<TypeDef> DefaultNoteTypes() {
  return {{"phone", {"Telefon", "Phone"}},
          {"email", {"Email", "Email"}},
          {"visit", {"Vizită", "Visit"}},
          {"meeting", {"Întâlnire", "Meeting"}}};
}

domain::Decision<Note::Event> Note::Decide(const State& state, const Command& command,
                                           const domain::Context&) {
  if (!std::holds_alternative<CreateNote>(command) && !state.exists) {
    return domain::Reject("note_not_found", "Nota nu există.", "No such note.", 404);
  }
  return std::visit(
      [&](const auto& c) -> domain::Decision<Event> {
        using C = std::decay_t<decltype(c)>;
        auto known = [](const std::vector<std::string>& types, const std::string& key) {
          return std::find(types.begin(), types.end(), key) != types.end();
        };
        if constexpr (std::is_same_v<C, CreateNote>) {
          const auto* create = &c;
          if (state.exists) {
            return domain::Reject("note_exists", "Nota există deja.", "The note exists already.",
                                  409);
          }
          std::vector<domain::FieldError> errors;
          if (!known(create->note_types, create->note_type)) errors.push_back(UnknownType());
          if (!ValidText(create->text)) errors.push_back(BadText());
          if (!errors.empty()) return domain::InvalidFields(std::move(errors));
          NoteCreatedT e;
          e.note_id = create->note_id;
          e.record = create->record;
          e.note_type = create->note_type;
          e.text = create->text;
          e.attachment_id = create->attachment_id;
          e.author_id = create->author_id;
          return std::vector<Event>{std::move(e)};
        } else if constexpr (std::is_same_v<C, MoveNote>) {
          const auto* move = &c;
          if (move->from_record != state.record) return std::vector<Event>{};
          NoteMovedT e;
          e.from_record = state.record;
          e.record = move->record;
          return std::vector<Event>{std::move(e)};
        } else if constexpr (std::is_same_v<C, EditNote>) {
          const auto& edit = c;
          if (edit.editor_id != state.author_id) {
            return domain::Reject("not_author", "Doar autorul își modifică nota.",
                                  "Only its author edits a note.", 403);
          }
          std::vector<domain::FieldError> errors;
          NoteEditedT e;
          e.text = state.text;
          e.note_type = state.note_type;
          if (edit.text && *edit.text != state.text) {
            if (!ValidText(*edit.text)) errors.push_back(BadText());
            e.text = *edit.text;
            e.changed.push_back("text");
          }
          if (edit.note_type && *edit.note_type != state.note_type) {
            if (!known(edit.note_types, *edit.note_type)) errors.push_back(UnknownType());
            e.note_type = *edit.note_type;
            e.changed.push_back("note_type");
          }
          if (!errors.empty()) return domain::InvalidFields(std::move(errors));
          if (e.changed.empty()) return std::vector<Event>{};
          return std::vector<Event>{std::move(e)};
        } else {
          static_assert(domain::kUnhandled<C>, "every command is decided");
        }
      },
      command);
}

Note::State Note::Evolve(State state, const Event& event) {
  std::visit(
      [&](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, NoteCreatedT>) {
          state = State{true, e.record, e.note_type, e.text, e.attachment_id, e.author_id};
        } else if constexpr (std::is_same_v<T, NoteMovedT>) {
          state.record = e.record;
        } else if constexpr (std::is_same_v<T, NoteEditedT>) {
          state.text = e.text;
          state.note_type = e.note_type;
        } else {
          static_assert(domain::kUnhandled<T>, "every event is applied");
        }
      },
      event);
  return state;
}

}  // namespace crm::sales
