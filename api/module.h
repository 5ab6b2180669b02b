#pragma once

// A module of the API: it owns its aggregate stores and read-model handles,
// and declares its routes (each once, as data: api/http/route.h) on the
// server, which validates, documents and serves them. api/modules.cc names
// the modules once; adding one is a folder under api/ and one line there. A
// module that needs another's services (the settings' list columns, the
// accounts' guard) takes that module in its constructor; a module whose
// records belong to another's (an account's opportunities) adds itself to
// that module's extension points (AccountsModule::OnMerge), so no module
// names the modules built on it.

#include <memory>
#include <vector>

namespace crm::projections {
class Projection;
}

namespace crm::api {

class Server;

class Module {
 public:
  virtual ~Module() = default;
  // Declares the module's routes and named schemas. Runs once, while the
  // server is built; `server` outlives the module.
  virtual void Register(Server& server) = 0;
  // The read models the module's routes read (a route may name its own, see
  // RouteSpec::reads). A signed-in request waits until these have applied
  // every event committed when it arrived, and only these: a model busy
  // elsewhere delays nobody else. None named: every model.
  virtual std::vector<const projections::Projection*> Reads() const { return {}; }
  // Stops the module's background work (e.g. a scheduler): nothing of it
  // touches the store once Stop returns. The server calls it first when it
  // stops.
  virtual void Stop() {}
};

// Every module, in the order their routes are registered.
std::vector<std::unique_ptr<Module>> Modules(Server& server);

}  // namespace crm::api
