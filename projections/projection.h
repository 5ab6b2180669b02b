#pragma once

// A read model: folds committed events into query-ready state. The projection
// runner (workers/) feeds every projection every event once, in log order;
// queries read concurrently under the projection's shared lock.
//
// Read models are disposable: built incrementally or by a full replay from the
// log, they must end up identical.

#include <memory>
#include <shared_mutex>
#include <string_view>

#include "eventstore/event_store.h"
#include "projections/snapshot.h"

namespace crm::projections {

class Projection {
 public:
  virtual ~Projection() = default;

  // Stable name, shown in GET /api/v1/projections.
  virtual std::string_view Name() const = 0;

  // Folds one event. Events of other modules are ignored.
  // REQUIRES: the caller holds mutex() exclusively; events arrive in log order,
  // each position once.
  virtual void Apply(const eventstore::RecordedEvent& event) = 0;

  // An empty projection of the same kind, to fold up to a past position for an
  // "as of" query.
  virtual std::unique_ptr<Projection> Fresh() const = 0;

  // Snapshots (workers::ProjectionRunner keeps them): the model's whole state
  // as bytes, and back. A model that is not snapshotted returns false from
  // both and is rebuilt by replay.
  // Save appends the state to *out.
  // REQUIRES: mutex() held, shared or exclusive.
  virtual bool Save(std::string* /*out*/) const { return false; }
  // Reads what Save wrote into this empty model; false, leaving it empty,
  // when the bytes do not read back.
  // REQUIRES: mutex() held exclusively; nothing applied yet.
  virtual bool Load(std::string_view /*bytes*/) { return false; }
  // Empties a snapshotted model, as if nothing had been applied.
  // REQUIRES: mutex() held exclusively.
  virtual void Clear() {}

  // Queries hold it shared; the runner holds it exclusively while applying.
  std::shared_mutex& mutex() const { return mu_; }

 private:
  mutable std::shared_mutex mu_;
};

// A snapshotted model: derive from Snapshotted<Model>, and list the members in
//
//   friend class Snapshotted<Model>;
//   template <class Archive> void Members(Archive& ar) { ar(rows_, index_); }
//
// (see projections/snapshot.h). A model that keeps pointers into its own
// members restores them in `void Restored()`, called after a load.
template <class Model>
class Snapshotted : public Projection {
 public:
  bool Save(std::string* out) const override {
    SnapshotWriter writer(std::move(*out));
    // Members only reads through a writer.
    const_cast<Model&>(static_cast<const Model&>(*this)).Members(writer);  // NOLINT
    *out = writer.Take();
    return true;
  }
  bool Load(std::string_view bytes) override {
    auto& model = static_cast<Model&>(*this);
    SnapshotReader reader(bytes);
    model.Members(reader);
    if (!reader.done()) {
      Clear();
      return false;
    }
    if constexpr (requires { model.Restored(); }) model.Restored();
    return true;
  }
  void Clear() override {
    SnapshotClearer clear;
    static_cast<Model&>(*this).Members(clear);
  }
};

}  // namespace crm::projections
