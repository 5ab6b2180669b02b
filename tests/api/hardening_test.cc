// What a hostile client or a bad day must not break, against a real server:
// control characters in text, owners that do not exist, sign-in throttling
// that nobody elsewhere can turn against a user.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>
#include <vector>

#include "domain/accounts/account.h"
#include "domain/event_codec.h"
#include "support/server_fixture.h"

namespace crm::api {
namespace {

constexpr const char* kJson = "application/json";

class HardeningTest : public testing::ServerFixture {
 protected:
  // A client whose connections come from `source` (any 127.x.y.z address
  // reaches the loopback server), as a user at another address would.
  std::unique_ptr<httplib::Client> ClientFrom(const std::string& source) const {
    auto client = NewClient();
    client->set_socket_options([source](int sock) { BindTo(sock, source); });
    return client;
  }
  // Makes `sock`'s connections come from `source`.
  static void BindTo(int sock, const std::string& source) {
    sockaddr_in from{};
    from.sin_family = AF_INET;
    ::inet_pton(AF_INET, source.c_str(), &from.sin_addr);
    ::bind(sock, reinterpret_cast<const sockaddr*>(&from), sizeof from);
  }

  httplib::Result SignIn(httplib::Client& client, const std::string& user,
                         const std::string& password) {
    return client.Post("/api/v1/auth/login",
                       json{{"username", user}, {"password", password}}.dump(), kJson);
  }

  // A connection to the server from `source` (any 127.x.y.z reaches the
  // loopback server) that has sent `bytes`; -1 when it could not connect.
  int Open(const std::string& source, const std::string& bytes) const {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    BindTo(fd, source);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<uint16_t>(server_->port()));
    ::inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) != 0) {
      ::close(fd);
      return -1;
    }
    ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    return fd;
  }

  // Sends `bytes` on a new connection and returns what the server answers
  // within `wait` (its first answer, head and body, or all it sent before
  // closing).
  std::string Raw(const std::string& bytes,
                  std::chrono::milliseconds wait = std::chrono::seconds(5)) const {
    const int fd = Open("127.0.0.1", bytes);
    if (fd < 0) return "";
    timeval tv{static_cast<time_t>(wait.count() / 1000),
               static_cast<suseconds_t>(wait.count() % 1000 * 1000)};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::string answer;
    char buffer[4096];
    // The head, then as much of the body as its Content-Length says.
    auto complete = [&] {
      const size_t end = answer.find("\r\n\r\n");
      if (end == std::string::npos) return false;
      const size_t at = answer.find("Content-Length: ");
      if (at == std::string::npos || at > end) return true;
      return answer.size() >= end + 4 + std::stoul(answer.substr(at + 16));
    };
    while (!complete()) {
      const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      answer.append(buffer, static_cast<size_t>(n));
    }
    ::close(fd);
    return answer;
  }

  // True when `text` holds no byte a strict JSON or JavaScript reader
  // refuses outside an escape: U+0000–U+001F, U+2028, U+2029.
  static bool Clean(const std::string& text) {
    for (unsigned char c : text) {
      if (c < 0x20) return false;
    }
    return text.find("\xE2\x80\xA8") == std::string::npos &&
           text.find("\xE2\x80\xA9") == std::string::npos;
  }
};

TEST_F(HardeningTest, ControlCharactersInTextAreRefusedWith422) {
  for (const std::string& name :
       {std::string("a\x01b"), std::string("a\0b", 3), std::string("tab\x7F")}) {
    auto r = client_->Post("/api/v1/accounts", json{{"name", name}}.dump(), kJson);
    ExpectProblem(r, 422, "validation_failed");
    EXPECT_EQ("control_character", Body(r)["errors"][0]["code"]) << r->body;
    EXPECT_EQ("name", Body(r)["errors"][0]["field"]);
  }
  // Custom values (of any JSON type) are text too.
  auto r =
      client_->Post("/api/v1/accounts",
                    json{{"name", "Beta"}, {"custom", {{"source", "x\u001fy"}}}}.dump(), kJson);
  ExpectProblem(r, 422, "validation_failed");
  EXPECT_EQ("custom.source", Body(r)["errors"][0]["field"]) << r->body;
  // Tabs and line ends are text: an address on two lines is kept.
  r = client_->Post("/api/v1/accounts",
                    json{{"name", "Gama"}, {"address", "Str. A 1\nBl. 2"}}.dump(), kJson);
  EXPECT_EQ(201, r->status) << r->body;
}

TEST_F(HardeningTest, EveryJsonTheServerWritesParsesWhateverTheLogHolds) {
  // An event whose text holds control characters and line separators, as an
  // older version or another writer could have logged it.
  accounts::AccountCreatedT created;
  created.account_id = "0000-ctl";
  created.code = "C-CTL";
  created.name = std::string(
      "a\x01"
      "b\x1f"
      "c\xE2\x80\xA8"
      "d\xE2\x80\xA9"
      "e\n",
      13);
  created.folder_id = accounts::kRootFolder;
  created.owner_id = "nobody";
  const auto encoded = domain::EncodeEvent(created);
  eventstore::AppendRequest request;
  auto& part = request.parts.emplace_back();
  part.stream = accounts::AccountStream(created.account_id);
  auto& e = part.events.emplace_back();
  e.type = encoded.type;
  e.payload = encoded.payload;
  e.actor = "admin";
  ASSERT_TRUE(store_->Append(std::move(request)).ok());
  const uint64_t at = store_->Head();

  // A page of the log.
  auto page = client_->Get("/api/v1/events?from=1&limit=1000");
  ASSERT_EQ(200, page->status);
  EXPECT_TRUE(Clean(page->body));
  const json events = json::parse(page->body);  // throws on invalid JSON
  bool found = false;
  for (const auto& event : events["events"]) {
    if (event["position"] == at) {
      found = true;
      EXPECT_EQ(created.name, event["data"]["name"]) << "the text round-trips";
    }
  }
  EXPECT_TRUE(found);

  // The account's history: its data is the event's, not discarded.
  auto history =
      client_->Get("/api/v1/accounts/0000-ctl/history?min_position=" + std::to_string(at));
  ASSERT_EQ(200, history->status) << history->body;
  EXPECT_TRUE(Clean(history->body));
  const json items = json::parse(history->body)["items"];
  ASSERT_EQ(1u, items.size());
  EXPECT_EQ(created.name, items[0]["data"]["name"]);
  EXPECT_EQ("Cont creat: " + created.name + " (C-CTL)", items[0]["summary"]["ro"]);

  // The read model's answer.
  auto account = client_->Get("/api/v1/accounts/0000-ctl");
  ASSERT_EQ(200, account->status) << account->body;
  EXPECT_TRUE(Clean(account->body));
  EXPECT_EQ(created.name, json::parse(account->body)["name"]);

  // The live feed: every data line parses.
  std::vector<std::string> data_lines;
  httplib::Client sse("127.0.0.1", server_->port());
  sse.set_read_timeout(30, 0);
  std::string buffer;
  sse.Get("/api/v1/events",
          {{"Accept", "text/event-stream"},
           {"Authorization", "Bearer " + admin_token_},
           {"Last-Event-ID", std::to_string(at - 1)}},
          [&](const char* data, size_t n) {
            buffer.append(data, n);
            for (size_t end; (end = buffer.find('\n')) != std::string::npos;) {
              const std::string line = buffer.substr(0, end);
              buffer.erase(0, end + 1);
              if (line.starts_with("data: ")) data_lines.push_back(line.substr(6));
            }
            return data_lines.empty();  // one frame is enough
          });
  ASSERT_EQ(1u, data_lines.size());
  EXPECT_TRUE(Clean(data_lines[0]));
  EXPECT_EQ(created.name, json::parse(data_lines[0])["data"]["name"]);
}

TEST_F(HardeningTest, RecordsAreGivenOnlyToActiveUsers) {
  auto r = client_->Post("/api/v1/accounts",
                         json{{"name", "Alfa"}, {"owner_id", "ghost-user"}}.dump(), kJson);
  ExpectProblem(r, 422, "validation_failed");
  EXPECT_EQ("owner_id", Body(r)["errors"][0]["field"]);
  EXPECT_EQ("not_found", Body(r)["errors"][0]["code"]);

  r = client_->Post("/api/v1/accounts", json{{"name", "Alfa"}}.dump(), kJson);
  ASSERT_EQ(201, r->status) << r->body;
  const std::string account = Body(r)["id"];
  ExpectProblem(client_->Patch("/api/v1/accounts/" + account,
                               json{{"owner_id", "no-such-user"}}.dump(), kJson),
                422, "validation_failed");

  // A deactivated user is refused too, on accounts and on opportunities.
  r = client_->Post("/api/v1/users",
                    json{{"username", "plecat"},
                         {"display_name", "Plecat"},
                         {"role", "sales"},
                         {"password", "long-enough-pw"}}
                        .dump(),
                    kJson);
  ASSERT_EQ(201, r->status) << r->body;
  const std::string gone = Body(r)["id"];
  ASSERT_EQ(200, client_->Delete("/api/v1/users/" + gone)->status);
  const std::string wait = "?min_position=" + std::to_string(store_->Head());
  r = client_->Patch("/api/v1/accounts/" + account + wait, json{{"owner_id", gone}}.dump(), kJson);
  ExpectProblem(r, 422, "validation_failed");
  EXPECT_EQ("user_inactive", Body(r)["errors"][0]["code"]) << r->body;
  r = client_->Post("/api/v1/opportunities",
                    json{{"account_id", account}, {"title", "Licențe"}, {"owner_id", gone}}.dump(),
                    kJson);
  ExpectProblem(r, 422, "validation_failed");
  EXPECT_EQ("user_inactive", Body(r)["errors"][0]["code"]) << r->body;
  // Nothing was written by the refusals.
  EXPECT_EQ(1, Body(client_->Get("/api/v1/accounts/" + account))["version"]);
}

TEST_F(HardeningTest, FailedSignInsFromOneAddressDoNotLockTheUserOutElsewhere) {
  auto attacker = ClientFrom("127.0.0.2");
  for (int i = 0; i < 6; ++i) {
    ExpectProblem(SignIn(*attacker, "admin", "wrong-password"), 401, "invalid_credentials");
  }
  ExpectProblem(SignIn(*attacker, "admin", testing::kAdminPassword), 429, "too_many_attempts");
  // The administrator, at another address that has not failed, gets in.
  auto admin = ClientFrom("127.0.0.3");
  auto r = SignIn(*admin, "admin", testing::kAdminPassword);
  ASSERT_TRUE(r);
  EXPECT_EQ(200, r->status) << r->body;
}

TEST_F(HardeningTest, AnAddressGuessingManyNamesMeetsItsOwnCeiling) {
  auto sprayer = ClientFrom("127.0.0.4");
  // 50 free failures per address, each with another name (so no pair is
  // throttled), then the address waits, for every name.
  for (int i = 0; i < 50; ++i) {
    auto r = SignIn(*sprayer, "user" + std::to_string(i), "wrong-password");
    ASSERT_TRUE(r);
    ASSERT_EQ(401, r->status) << i << ": " << r->body;
  }
  ExpectProblem(SignIn(*sprayer, "user50", "wrong-password"), 401, "invalid_credentials");
  ExpectProblem(SignIn(*sprayer, "admin", testing::kAdminPassword), 429, "too_many_attempts");
  // Others are not affected.
  EXPECT_EQ(200, SignIn(*ClientFrom("127.0.0.5"), "admin", testing::kAdminPassword)->status);
}

TEST_F(HardeningTest, ABodyIsRefusedFromItsHeadersBeforeItIsSent) {
  // Expect: 100-continue, no body sent: the server answers from the headers.
  const std::string head =
      "POST /api/v1/accounts HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
      "Expect: 100-continue\r\nContent-Length: 20971520\r\n";
  std::string answer = Raw(head + "\r\n");
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 401")) << answer;
  // A whole answer (its length given) on a connection that then closes.
  EXPECT_NE(std::string::npos, answer.find("Content-Length: ")) << answer;
  EXPECT_NE(std::string::npos, answer.find("Connection: close")) << answer;
  answer = Raw(head + "Authorization: Bearer " + admin_token_ + "\r\n\r\n");
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 413")) << answer;
  // A body within the limit is asked for.
  answer =
      Raw("POST /api/v1/accounts HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
          "Expect: 100-continue\r\nContent-Length: 14\r\nAuthorization: Bearer " +
          admin_token_ + "\r\n\r\n");
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 100")) << answer;
}

TEST_F(HardeningTest, ARefusedBodyIsDroppedAndTheConnectionGoesOn) {
  // 10 MiB, unauthenticated, without Expect: read and dropped, never held;
  // the next request on the same connection is answered.
  const std::string body(10 << 20, 'x');
  auto client = NewClient();  // one keep-alive connection
  ExpectProblem(client->Post("/api/v1/accounts", body, kJson), 401, "unauthenticated");
  auto health = client->Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(200, health->status);
  // Over the route's own limit (8 MiB for JSON), signed in: 413, then on.
  const std::string big(9 << 20, ' ');
  ExpectProblem(client_->Post("/api/v1/accounts", big, kJson), 413, "payload_too_large");
  EXPECT_EQ(200, client_->Get("/healthz")->status);
}

TEST_F(HardeningTest, LooseFramingIsRefused) {
  const std::string auth = "Authorization: Bearer " + admin_token_ + "\r\n";
  std::string answer =
      Raw("POST /api/v1/accounts HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n" + auth +
          "Content-Length: 14\r\nContent-Length: 20\r\n\r\n{\"name\":\"Alfa\"}");
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 400")) << answer;
  EXPECT_NE(std::string::npos, answer.find("Connection: close")) << answer;
  answer = Raw("POST /api/v1/accounts HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n" +
               auth + "Content-Length: 14\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 400")) << answer;
  // A bad chunk size is answered at once (not after a read timeout), as is
  // a chunk shorter than it says once the client closes.
  for (const std::string& chunk : {std::string("zz\r\n"), std::string("-1\r\n")}) {
    const auto start = std::chrono::steady_clock::now();
    answer = Raw("POST /api/v1/accounts HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n" +
                 auth + "Transfer-Encoding: chunked\r\n\r\n" + chunk);
    EXPECT_TRUE(answer.starts_with("HTTP/1.1 400")) << chunk << ": " << answer;
    EXPECT_NE(std::string::npos, answer.find("unreadable_body")) << answer;
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  }
  // Nothing was written.
  EXPECT_EQ(0, Body(client_->Get("/api/v1/accounts"))["total"]);
}

// A server with small limits, to reach them.
// Lag isolation: a read model that cannot keep up (here the accounts model,
// held by the test as a long merge would hold it) delays only the routes
// that read it. Signing in, the caller's own profile and the catalogue answer
// at once; the accounts list says it is catching up, then shows the account.
class LagTest : public HardeningTest {
 protected:
  api::ServerConfig Config() const override {
    api::ServerConfig config;
    config.min_position_wait = std::chrono::milliseconds(300);
    return config;
  }
};

TEST_F(LagTest, ASlowModelDelaysOnlyTheRoutesThatReadIt) {
  auto r = client_->Post("/api/v1/users",
                         json{{"username", "vanzator"},
                              {"display_name", "Vânzător"},
                              {"role", "sales"},
                              {"password", "long-enough-pw"}}
                             .dump(),
                         kJson);
  ASSERT_EQ(201, r->status) << r->body;
  ASSERT_TRUE(runner_.WaitFor(store_->Head(), std::chrono::seconds(5)));
  std::unique_lock busy(models_.accounts.mutex());  // the accounts lane stops here
  r = client_->Post("/api/v1/accounts", json{{"name", "Alfa SRL"}}.dump(), kJson);
  ASSERT_EQ(201, r->status) << r->body;
  const std::string id = Body(r)["id"];
  ASSERT_LT(runner_.position(models_.accounts), store_->Head());

  // Another user signs in and works with what does not read accounts.
  const std::string token = Login("vanzator", "long-enough-pw");
  ASSERT_FALSE(token.empty()) << "sign-in waited for the accounts model";
  auto other = NewClient(token);
  r = other->Get("/api/v1/me");
  ASSERT_TRUE(r);
  EXPECT_EQ(200, r->status) << r->body;
  r = other->Get("/api/v1/products");
  ASSERT_TRUE(r);
  EXPECT_EQ(200, r->status) << r->body;
  // The accounts list cannot show what it has not seen: it says so.
  ExpectProblem(other->Get("/api/v1/accounts"), 503, "not_yet_visible");

  busy.unlock();
  r = other->Get("/api/v1/accounts/" + id);
  ASSERT_TRUE(r);
  EXPECT_EQ(200, r->status) << r->body;
  EXPECT_EQ("Alfa SRL", Body(r)["name"]);
}

class LimitsTest : public HardeningTest {
 protected:
  api::ServerConfig Config() const override {
    api::ServerConfig config;
    config.max_streams = 2;
    config.max_connections_per_address = 16;
    config.max_body_memory = size_t{1} << 20;
    return config;
  }
  // What the server sent on `fd` within `ms`: its bytes, "" for nothing yet,
  // "<closed>" when it closed the connection.
  static std::string Received(int fd, int ms) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, ms) <= 0) return "";
    char buffer[4096];
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    return n <= 0 ? "<closed>" : std::string(buffer, static_cast<size_t>(n));
  }
};

TEST_F(LimitsTest, SlowHeadsAreCutOffAndEveryoneElseIsServed) {
  // 40 connections from one address, each sending a request head slowly.
  std::vector<int> slow;
  for (int i = 0; i < 40; ++i) {
    slow.push_back(Open("127.0.0.6", "GET /healthz HTTP/1.1\r\nHost: t\r\nX-Slow: "));
  }
  // Past 16 the address is refused at once (each answer read as it comes,
  // whichever connection the server took first).
  size_t refused = 0;
  std::vector<pollfd> waiting;
  for (int fd : slow) waiting.push_back({fd, POLLIN, 0});
  for (const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(1);
       refused < 24 && std::chrono::steady_clock::now() < until;) {
    if (::poll(waiting.data(), waiting.size(), 50) <= 0) continue;
    for (auto& w : waiting) {
      if (w.fd < 0 || !(w.revents & POLLIN)) continue;
      refused += Received(w.fd, 0).starts_with("HTTP/1.1 503");
      w.fd = -1;  // answered: poll skips it
    }
  }
  EXPECT_EQ(24u, refused);
  // Someone else is answered at once.
  const auto start = std::chrono::steady_clock::now();
  auto health = ClientFrom("127.0.0.7")->Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(200, health->status);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  // A byte every few seconds keeps each read within its timeout (5 s: the
  // next would end at about 7.5 s), but not the head: it is cut at its
  // deadline, 5 s after it began.
  std::this_thread::sleep_for(std::chrono::seconds(2) - (std::chrono::steady_clock::now() - start));
  for (int fd : slow) ::send(fd, "x", 1, MSG_NOSIGNAL);
  std::this_thread::sleep_for(std::chrono::milliseconds(3800));
  size_t cut = 0;
  for (int fd : slow) {
    const std::string got = Received(fd, 100);
    cut += got == "<closed>" || got.starts_with("HTTP/1.1 4");
    ::close(fd);
  }
  EXPECT_EQ(40u, cut);
  // The address may connect again.
  EXPECT_EQ(200, ClientFrom("127.0.0.6")->Get("/healthz")->status);
}

TEST_F(LimitsTest, AClosedStreamGivesItsSlotBackAtOnce) {
  const std::string stream =
      "GET /api/v1/events HTTP/1.1\r\nHost: t\r\nAccept: text/event-stream\r\n"
      "Authorization: Bearer " +
      admin_token_ + "\r\n\r\n";
  const int first = Open("127.0.0.8", stream);
  const int second = Open("127.0.0.8", stream);
  EXPECT_TRUE(Received(first, 2000).starts_with("HTTP/1.1 200"));
  EXPECT_TRUE(Received(second, 2000).starts_with("HTTP/1.1 200"));
  const int third = Open("127.0.0.8", stream);
  EXPECT_TRUE(Received(third, 2000).starts_with("HTTP/1.1 503")) << "only two streams at once";
  ::close(third);
  // The client of one goes away: its slot is free within a couple of
  // seconds, not at the next keep-alive (10 s).
  ::close(first);
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  const int again = Open("127.0.0.8", stream);
  EXPECT_TRUE(Received(again, 2000).starts_with("HTTP/1.1 200"));
  ::close(again);
  ::close(second);
}

TEST_F(LimitsTest, BodiesHeldAtOnceAreBounded) {
  // 2 MiB is within the route's limit (8 MiB) but over the bodies the server
  // holds at once (1 MiB here): 503 busy, nothing read into memory.
  const std::string body = json{{"name", std::string(2 << 20, 'a')}}.dump();
  auto r = client_->Post("/api/v1/accounts", body, kJson);
  ExpectProblem(r, 503, "busy");
  EXPECT_EQ("1", r->get_header_value("Retry-After"));
  EXPECT_EQ(201, client_->Post("/api/v1/accounts", json{{"name", "Mic"}}.dump(), kJson)->status);
}

}  // namespace
}  // namespace crm::api
