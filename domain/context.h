#pragma once

// What a decider knows besides the state and the command: who asks, when, on
// behalf of which request, and ids it may give to new entities. Deciders get
// all of it as arguments: they read no clock and draw no random numbers.

#include <cstdint>
#include <string>
#include <vector>

namespace crm::domain {

struct Context {
  std::string actor;             // user id behind the command ("system" for the server)
  int64_t now_us = 0;            // decision time: microseconds since the Unix epoch, UTC
  std::string correlation_id;    // the request's id (HTTP X-Request-Id)
  std::string causation_id;      // the command or event that caused this one
  std::vector<std::string> ids;  // pre-generated UUIDv7 ids for new entities, in order of use
  // The caller's role ("admin", "manager", "sales", "viewer"); empty for the
  // server itself. Deciders of owned records read it (domain/ownership.h).
  std::string role;
};

}  // namespace crm::domain
