#pragma once

// Notes on accounts, opportunities and activities (stream "note-<id>"), each
// of a note type from a list users extend (stream "note-types"). A note is
// edited only by its author; every edit stays in its history.

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "domain/decider.h"
#include "domain/sales/type_list.h"
#include "schemas/sales_generated.h"

namespace crm::sales {

inline constexpr const char* kNoteTypesStream = "note-types";

std::vector<TypeDef> DefaultNoteTypes();
inline constexpr char kNoteTypeExists[] = "note_type_exists";
using NoteTypes = TypeList<NoteTypeAddedT, DefaultNoteTypes, kNoteTypeExists>;

struct CreateNote {
  std::string note_id;
  std::string
      record;  // "account/<id>", "opportunity/<id>", "activity/<id>" (checked by the caller)
  std::string note_type;
  std::string text;
  std::string attachment_id;
  std::string author_id;
  std::vector<std::string> note_types;  // the keys that exist
};
struct EditNote {
  std::string editor_id;
  std::optional<std::string> text, note_type;
  std::vector<std::string> note_types;
};

// A merge of accounts moves the account's notes to the surviving account.
struct MoveNote {
  std::string from_record;  // where the caller saw it: elsewhere, nothing moves
  std::string record;
};

struct Note {
  struct State {
    bool exists = false;
    std::string record, note_type, text, attachment_id, author_id;
  };
  using Command = std::variant<CreateNote, EditNote, MoveNote>;
  using Event = std::variant<NoteCreatedT, NoteEditedT, NoteMovedT>;
  static State Initial() { return {}; }
  static domain::Decision<Event> Decide(const State& state, const Command& command,
                                        const domain::Context& ctx);
  static State Evolve(State state, const Event& event);
};

inline std::string NoteStream(const std::string& id) { return "note-" + id; }

}  // namespace crm::sales
