#pragma once

// The one way events are encoded: a module's event type is a std::variant of
// the object-API types flatc generates from schemas/<module>.fbs (e.g.
// `std::variant<crm::identity::UserCreatedT, ...>`). The stored type name is
// the table's fully qualified schema name and the payload is the table as a
// FlatBuffer, so the schema alone defines the event, its bytes and its JSON.

#include <flatbuffers/flatbuffers.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

namespace crm::domain {

struct EncodedEvent {
  std::string type;     // e.g. "crm.identity.UserCreated"
  std::string payload;  // FlatBuffer bytes with that table as root
};

template <class T>
std::string_view EventTypeName() {
  return T::TableType::GetFullyQualifiedName();
}

template <class T>
EncodedEvent EncodeEvent(const T& event) {
  flatbuffers::FlatBufferBuilder fbb(128);
  fbb.Finish(T::TableType::Pack(fbb, &event));
  return {std::string(EventTypeName<T>()),
          std::string(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize())};
}

template <class... Ts>
EncodedEvent EncodeEvent(const std::variant<Ts...>& event) {
  return std::visit([](const auto& e) { return EncodeEvent(e); }, event);
}

template <class Variant>
struct EventDecoder;

template <class... Ts>
struct EventDecoder<std::variant<Ts...>> {
  // The event of `type` in `payload`; nullopt when the type is not one of Ts
  // (an event of another module) or the bytes do not verify as that table.
  static std::optional<std::variant<Ts...>> Decode(std::string_view type,
                                                   std::span<const uint8_t> payload) {
    std::optional<std::variant<Ts...>> out;
    (TryDecode<Ts>(type, payload, &out) || ...);
    return out;
  }

 private:
  template <class T>
  static bool TryDecode(std::string_view type, std::span<const uint8_t> payload,
                        std::optional<std::variant<Ts...>>* out) {
    if (type != EventTypeName<T>()) return false;
    flatbuffers::Verifier verifier(payload.data(), payload.size());
    if (!verifier.VerifyBuffer<typename T::TableType>(nullptr)) return true;
    T value;
    flatbuffers::GetRoot<typename T::TableType>(payload.data())->UnPackTo(&value);
    out->emplace(std::move(value));
    return true;
  }
};

}  // namespace crm::domain
