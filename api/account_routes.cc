// The accounts module's routes: the folder tree (accounts follow).

#include <nlohmann/json.hpp>

#include "api/listing.h"
#include "api/problem.h"
#include "api/request.h"
#include "api/server.h"

namespace crm::api {

namespace {

using identity::Permission;
using nlohmann::json;

json FolderJson(const projections::FolderView& f) {
  return {{"id", f.id},
          {"name", f.name},
          {"parent_id", f.parent_id.empty() ? json(nullptr) : json(f.parent_id)},
          {"depth", f.depth},
          {"path", f.path},
          {"accounts", f.accounts}};
}

// The tree under `id` as nested objects, children by name.
json Subtree(const std::vector<projections::FolderView>& all, const projections::FolderView& at) {
  json node = FolderJson(at);
  json children = json::array();
  for (const auto& f : all) {
    if (f.parent_id == at.id) children.push_back(Subtree(all, f));
  }
  node["children"] = std::move(children);
  return node;
}

}  // namespace

void Server::AccountRoutes() {
  // Decides on the folder tree (one aggregate) and answers like any command.
  auto folder_command = [this](const Call& call, httplib::Response& res, const std::string& id,
                               bool created,
                               std::function<domain::Decision<accounts::Folders::Event>(
                                   const accounts::Folders::State&, const domain::Context&)>
                                   decide) {
    domain::TransactOptions options;
    if (!CommandOptions(call, res, &options)) return;
    const domain::Context ctx = ContextOf(call);
    auto outcome = folders_.Transact(
        accounts::kFoldersStream, ctx,
        [&](const accounts::Folders::State& s) { return decide(s, ctx); }, options);
    Reply(res, outcome, id, created, "/api/v1/folders/" + id);
  };

  Route("GET", "/api/v1/folders", Access::kSignedIn, Permission::kReadCrm,
        [this](const Call& call, httplib::Response& res) {
          Read<projections::FolderTree>(
              call, res, models_.folders, [&](const projections::FolderTree& tree) {
                const auto all = tree.All();
                res.set_header("ETag", "\"" + std::to_string(tree.version()) + "\"");
                SendJson(res, {{"root", Subtree(all, all.front())},
                               {"total", all.size()},
                               {"version", tree.version()}});
              });
        });

  Route("GET", "/api/v1/folders/{id}", Access::kSignedIn, Permission::kReadCrm,
        [this](const Call& call, httplib::Response& res) {
          const std::string id = call.req.matches[1];
          Read<projections::FolderTree>(
              call, res, models_.folders, [&](const projections::FolderTree& tree) {
                auto folder = tree.Folder(id);
                if (!folder) {
                  return Send(res, NotFoundProblem("Dosarul nu există.", "No such folder."));
                }
                res.set_header("ETag", "\"" + std::to_string(tree.version()) + "\"");
                SendJson(res, FolderJson(*folder));
              });
        });

  Route("POST", "/api/v1/folders", Access::kSignedIn, Permission::kChangeAny,
        [this, folder_command](const Call& call, httplib::Response& res) {
          auto body = ReadJsonObject(call.req, res);
          if (!body) return;
          std::vector<domain::FieldError> errors;
          auto f = Strings(*body, {{"name", true}, {"parent_id", false}}, &errors);
          if (!errors.empty()) return Send(res, InvalidBody(std::move(errors)));
          const accounts::CreateFolder create{
              ids_.Next(), f["parent_id"].value_or(accounts::kRootFolder), *f["name"]};
          folder_command(call, res, create.folder_id, true,
                         [&](const accounts::Folders::State& s, const domain::Context& ctx) {
                           return accounts::Folders::Decide(s, create, ctx);
                         });
        });

  Route("PATCH", "/api/v1/folders/{id}", Access::kSignedIn, Permission::kChangeAny,
        [this, folder_command](const Call& call, httplib::Response& res) {
          const std::string id = call.req.matches[1];
          auto body = ReadJsonObject(call.req, res);
          if (!body) return;
          std::vector<domain::FieldError> errors;
          auto f = Strings(*body, {{"name", false}, {"parent_id", false}}, &errors);
          if (!errors.empty()) return Send(res, InvalidBody(std::move(errors)));
          // A rename and a move in one request are one decision: both or neither.
          folder_command(
              call, res, id, false,
              [&](const accounts::Folders::State& s,
                  const domain::Context& ctx) -> domain::Decision<accounts::Folders::Event> {
                std::vector<accounts::Folders::Event> events;
                accounts::Folders::State state = s;
                std::vector<accounts::Folders::Command> commands;
                if (f.count("name")) commands.emplace_back(accounts::RenameFolder{id, *f["name"]});
                if (f.count("parent_id")) {
                  commands.emplace_back(accounts::MoveFolder{id, *f["parent_id"]});
                }
                for (const auto& command : commands) {
                  auto decision = accounts::Folders::Decide(state, command, ctx);
                  if (auto* rejection = std::get_if<domain::Rejection>(&decision)) {
                    return *rejection;
                  }
                  for (auto& e : std::get<std::vector<accounts::Folders::Event>>(decision)) {
                    state = accounts::Folders::Evolve(std::move(state), e);
                    events.push_back(std::move(e));
                  }
                }
                return events;
              });
        });

  Route("DELETE", "/api/v1/folders/{id}", Access::kSignedIn, Permission::kChangeAny,
        [this, folder_command](const Call& call, httplib::Response& res) {
          const std::string id = call.req.matches[1];
          auto folder = models_.folders.Folder(id);
          const size_t accounts = folder ? folder->accounts : 0;
          folder_command(
              call, res, id, false,
              [&](const accounts::Folders::State& s, const domain::Context& ctx) {
                return accounts::Folders::Decide(s, accounts::DeleteFolder{id, accounts}, ctx);
              });
        });
}

}  // namespace crm::api
