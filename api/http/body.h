#pragma once

// A request's body, decided from its head and read within a limit: the
// pieces every route with a body goes through (Server::Route), and the
// multipart fuzzer drives.

#include <httplib.h>

#include <cstddef>
#include <cstdint>
#include <optional>

#include "api/http/problem.h"

namespace crm::api::http {

// The body length a request declares; nullopt for a chunked one.
std::optional<uint64_t> DeclaredLength(const httplib::Request& req);

// The framing mistakes refused before a body is read (400 bad_framing):
// several different Content-Length values, or one beside Transfer-Encoding.
std::optional<Problem> FramingProblem(const httplib::Request& req);

// Reads a refused body and drops it, so the connection stays in step.
void DrainBody(const httplib::Request& req, const httplib::ContentReader& reader);

// Reads the body into the request (a multipart one into its files): the
// problem (413 past `limit`, 400 unreadable_body for broken framing) when
// it cannot.
std::optional<Problem> ReadBody(const httplib::Request& req, const httplib::ContentReader& reader,
                                size_t limit);

}  // namespace crm::api::http
