// BlobStore on real files in a temporary directory (round trips,
// deduplication, concurrent puts, hostile hashes, crash leftovers, damaged
// files) and the file-name rules (SanitizeFileName, ContentDisposition).

#include "eventstore/blob_store.h"

#include <gtest/gtest.h>

#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <latch>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/temp_dir.h"

namespace crm::eventstore {
namespace {

namespace fs = std::filesystem;
using namespace std::string_literals;
using namespace std::string_view_literals;

constexpr char kAbc[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
constexpr char kEmpty[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

std::unique_ptr<BlobStore> OpenStore(const std::string& dir) {
  auto store = BlobStore::Open(dir);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

std::string ReadWhole(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Every regular file under `dir`, relative to it.
std::vector<std::string> FilesUnder(const fs::path& dir) {
  std::vector<std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) files.push_back(fs::relative(entry.path(), dir).string());
  }
  return files;
}

std::string RandomBytes(size_t size, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string bytes(size, '\0');
  for (char& c : bytes) c = static_cast<char>(rng());
  return bytes;
}

TEST(AttachmentStoreTest, RoundTripsABinaryFile) {
  testing::TempDir tmp;
  auto store = OpenStore(tmp.Sub("attachments"));
  ASSERT_NE(nullptr, store);
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  bytes += RandomBytes(size_t{3} * 1024 * 1024 + 7, 42);
  bytes += std::string(1000, '\0');

  auto stored = store->Put(bytes);
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  EXPECT_TRUE(BlobStore::IsValidHash(stored->sha256));
  EXPECT_EQ(bytes.size(), stored->size);
  EXPECT_FALSE(stored->existed);
  EXPECT_TRUE(store->Contains(stored->sha256));

  const fs::path file =
      fs::path(tmp.Sub("attachments")) / stored->sha256.substr(0, 2) / stored->sha256;
  EXPECT_TRUE(fs::is_regular_file(file));
  EXPECT_EQ(bytes, ReadWhole(file));

  auto got = store->Get(stored->sha256);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(bytes, *got);
}

TEST(AttachmentStoreTest, NamesFilesByTheirSha256) {
  testing::TempDir tmp;
  auto store = OpenStore(tmp.path());
  ASSERT_NE(nullptr, store);
  auto abc = store->Put("abc");
  ASSERT_TRUE(abc.ok());
  EXPECT_EQ(kAbc, abc->sha256);
  EXPECT_EQ(3u, abc->size);
  EXPECT_TRUE(fs::is_regular_file(fs::path(tmp.path()) / "ba" / kAbc));

  auto empty = store->Put("");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(kEmpty, empty->sha256);
  auto got = store->Get(kEmpty);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ("", *got);
}

TEST(AttachmentStoreTest, KeepsTheSameContentOnce) {
  testing::TempDir tmp;
  auto store = OpenStore(tmp.path());
  ASSERT_NE(nullptr, store);
  const std::string bytes = RandomBytes(100000, 7);
  auto first = store->Put(bytes);
  auto second = store->Put(bytes);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(first->existed);
  EXPECT_TRUE(second->existed);
  EXPECT_EQ(first->sha256, second->sha256);
  EXPECT_EQ(bytes.size(), second->size);
  EXPECT_EQ(std::vector<std::string>{first->sha256.substr(0, 2) + "/" + first->sha256},
            FilesUnder(tmp.path()));
}

TEST(AttachmentStoreTest, ConcurrentPutsOfTheSameContentStoreItOnce) {
  testing::TempDir tmp;
  auto store = OpenStore(tmp.path());
  ASSERT_NE(nullptr, store);
  const std::string bytes = RandomBytes(size_t{256} * 1024, 11);
  constexpr int kThreads = 8;
  std::vector<Result<BlobStore::Stored>> results(kThreads, Status::IOError("not run"));
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      results[t] = store->Put(bytes);
    });
  }
  for (auto& thread : threads) thread.join();

  int created = 0;
  for (const auto& result : results) {
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    EXPECT_EQ(results[0]->sha256, result->sha256);
    if (!result->existed) ++created;
  }
  EXPECT_EQ(1, created);
  EXPECT_EQ(1u, FilesUnder(tmp.path()).size());  // no temporary file left either
  auto got = store->Get(results[0]->sha256);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(bytes, *got);
}

TEST(AttachmentStoreTest, ConcurrentPutsOfDifferentContents) {
  testing::TempDir tmp;
  auto store = OpenStore(tmp.path());
  ASSERT_NE(nullptr, store);
  constexpr int kThreads = 8;
  constexpr int kRounds = 5;
  std::vector<std::string> contents;
  contents.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t)
    contents.push_back(RandomBytes(size_t{64} * 1024 + t, 100 + t));
  std::vector<std::string> hashes(kThreads);
  std::vector<int> created(kThreads, 0);
  std::vector<std::string> errors(kThreads);
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      for (int round = 0; round < kRounds; ++round) {
        auto stored = store->Put(contents[t]);
        if (!stored.ok()) {
          errors[t] = stored.status().ToString();
          return;
        }
        hashes[t] = stored->sha256;
        if (!stored->existed) ++created[t];
      }
    });
  }
  for (auto& thread : threads) thread.join();

  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ("", errors[t]);
    EXPECT_EQ(1, created[t]);
    auto got = store->Get(hashes[t]);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(contents[t], *got);
  }
  EXPECT_EQ(size_t{kThreads}, std::set<std::string>(hashes.begin(), hashes.end()).size());
  EXPECT_EQ(size_t{kThreads}, FilesUnder(tmp.path()).size());
}

TEST(AttachmentStoreTest, GetOfAMissingHashIsNotFound) {
  testing::TempDir tmp;
  auto store = OpenStore(tmp.path());
  ASSERT_NE(nullptr, store);
  auto missing = store->Get(kAbc);
  EXPECT_TRUE(missing.status().IsNotFound()) << missing.status().ToString();
  EXPECT_FALSE(store->Contains(kAbc));

  // Its shard directory exists, the file does not.
  ASSERT_TRUE(store->Put("abc").ok());
  std::string sibling = kAbc;
  sibling[63] = '0';
  EXPECT_TRUE(store->Get(sibling).status().IsNotFound());
  EXPECT_FALSE(store->Contains(sibling));
}

TEST(AttachmentStoreTest, HostileHashesAreInvalidArguments) {
  testing::TempDir tmp;
  auto store = OpenStore(tmp.Sub("attachments"));
  ASSERT_NE(nullptr, store);
  ASSERT_TRUE(store->Put("abc").ok());
  std::ofstream(tmp.Sub("x")) << "outside the store";
  std::string upper = kAbc;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::string with_nul = kAbc;
  with_nul[10] = '\0';
  const std::vector<std::string> hostile = {
      "../x",
      std::string(kAbc).substr(0, 63),
      std::string(kAbc) + "0",
      upper,
      with_nul,
      "../" + std::string(kAbc).substr(0, 61),
      "ba/" + std::string(kAbc).substr(0, 61),
      "",
      std::string(64, 'g'),
  };
  for (const std::string& hash : hostile) {
    auto got = store->Get(hash);
    EXPECT_TRUE(got.status().IsInvalidArgument()) << got.status().ToString();
    EXPECT_FALSE(store->Contains(hash));
  }
}

TEST(AttachmentStoreTest, DamagedFileIsReportedAndRepairedByTheNextPut) {
  testing::TempDir tmp;
  auto store = OpenStore(tmp.path());
  ASSERT_NE(nullptr, store);
  ASSERT_TRUE(store->Put("abc").ok());
  const fs::path file = fs::path(tmp.path()) / "ba" / kAbc;
  for (const char* damage : {"abd", "ab", "", "abcd"}) {
    std::ofstream(file, std::ios::binary | std::ios::trunc) << damage;

    EXPECT_TRUE(store->Get(kAbc).status().IsCorruption()) << damage;
    auto again = store->Put("abc");
    ASSERT_TRUE(again.ok()) << again.status().ToString();
    EXPECT_FALSE(again->existed);
    auto got = store->Get(kAbc);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ("abc", *got);
    EXPECT_EQ(1u, FilesUnder(tmp.path()).size());
  }
}

TEST(AttachmentStoreTest, RemovesOnlyOldTemporaryFiles) {
  testing::TempDir tmp;
  auto store = OpenStore(tmp.path());
  ASSERT_NE(nullptr, store);
  auto stored = store->Put("abc");
  ASSERT_TRUE(stored.ok());
  const fs::path shard = fs::path(tmp.path()) / "ba";
  fs::create_directories(fs::path(tmp.path()) / "0f");
  const fs::path old_temp = shard / ".tmp-crash1";
  const fs::path other_old_temp = fs::path(tmp.path()) / "0f" / ".tmp-crash2";
  const fs::path new_temp = shard / ".tmp-inflight";
  const fs::path not_a_shard = fs::path(tmp.path()) / ".tmp-notashard";
  for (const auto& path : {old_temp, other_old_temp, new_temp, not_a_shard}) {
    std::ofstream(path) << "partial";
  }
  const auto two_hours_ago = fs::file_time_type::clock::now() - std::chrono::hours(2);
  fs::last_write_time(old_temp, two_hours_ago);
  fs::last_write_time(other_old_temp, two_hours_ago);
  fs::last_write_time(not_a_shard, two_hours_ago);

  EXPECT_EQ(2u, store->RemoveLeftovers(std::chrono::hours(1)));
  EXPECT_FALSE(fs::exists(old_temp));
  EXPECT_FALSE(fs::exists(other_old_temp));
  EXPECT_TRUE(fs::exists(new_temp));
  EXPECT_TRUE(fs::exists(not_a_shard));  // only shard directories hold temporary files

  EXPECT_EQ(1u, store->RemoveLeftovers(std::chrono::seconds(0)));
  EXPECT_FALSE(fs::exists(new_temp));
  EXPECT_EQ(0u, store->RemoveLeftovers(std::chrono::seconds(0)));
  auto got = store->Get(kAbc);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ("abc", *got);
}

TEST(AttachmentStoreTest, OpenCreatesTheDirectoryAndKeepsWhatIsThere) {
  testing::TempDir tmp;
  const std::string dir = tmp.Sub("data/attachments/");
  {
    auto store = OpenStore(dir);
    ASSERT_NE(nullptr, store);
    EXPECT_EQ(tmp.Sub("data/attachments"), store->dir());
    ASSERT_TRUE(store->Put("abc").ok());
  }
  EXPECT_TRUE(fs::is_directory(tmp.Sub("data/attachments")));
  auto store = OpenStore(dir);
  ASSERT_NE(nullptr, store);
  EXPECT_TRUE(store->Contains(kAbc));
  auto again = store->Put("abc");
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->existed);
}

TEST(AttachmentStoreTest, OpenFailsWhereNoDirectoryCanBe) {
  testing::TempDir tmp;
  std::ofstream(tmp.Sub("file")) << "x";
  EXPECT_TRUE(BlobStore::Open(tmp.Sub("file")).status().IsIOError());
  EXPECT_TRUE(BlobStore::Open(tmp.Sub("file/attachments")).status().IsIOError());
  EXPECT_TRUE(BlobStore::Open("").status().IsInvalidArgument());
}

// ---- File names ------------------------------------------------------------

TEST(SanitizeFileNameTest, DropsPathParts) {
  EXPECT_EQ("passwd", SanitizeFileName("../../etc/passwd"));
  EXPECT_EQ("y.doc", SanitizeFileName("C:\\x\\y.doc"));
  EXPECT_EQ("Cy.doc", SanitizeFileName("C:y.doc"));
  EXPECT_EQ("dir", SanitizeFileName("a/dir/"));
  EXPECT_EQ("file", SanitizeFileName("a/.."));
  EXPECT_EQ("file", SanitizeFileName("/"));
}

TEST(SanitizeFileNameTest, RemovesNulControlsAndReservedCharacters) {
  EXPECT_EQ("ab.txt", SanitizeFileName("a\0b.txt"sv));
  EXPECT_EQ("ab.txt", SanitizeFileName("a\r\n\t\x7f\xc2\x85"
                                       "b.txt"));
  EXPECT_EQ("abcdefg.txt", SanitizeFileName("a:b*c?d\"e<f>g|.txt"));
  // A right-to-left override would show "invoice_fdp.exe" as "invoice_exe.pdf".
  EXPECT_EQ("invoice_fdp.exe", SanitizeFileName("invoice_\u202efdp.exe"));
  EXPECT_EQ("ab", SanitizeFileName("a\u200bb\ufeff"));
}

TEST(SanitizeFileNameTest, TrimsDotsAndSpaces) {
  EXPECT_EQ("hidden", SanitizeFileName("  ..hidden"));
  EXPECT_EQ("raport.pdf", SanitizeFileName(" raport.pdf. . "));
  EXPECT_EQ("a b.txt", SanitizeFileName("a b.txt"));
  EXPECT_EQ("file", SanitizeFileName(""));
  EXPECT_EQ("file", SanitizeFileName(" . .. "));
  EXPECT_EQ("file", SanitizeFileName("\0\0"sv));
}

TEST(SanitizeFileNameTest, ReplacesInvalidUtf8) {
  EXPECT_EQ("raport__.pdf", SanitizeFileName("raport\xff\xfe.pdf"));
  EXPECT_EQ("a__b", SanitizeFileName("a\xc0\xaf"
                                     "b"));  // an overlong "/" is no separator
  EXPECT_EQ("a___b", SanitizeFileName("a\xed\xa0\x80"
                                      "b"));                  // a surrogate
  EXPECT_EQ("ab_", SanitizeFileName("ab\xc8"));               // cut short
  EXPECT_EQ("x____", SanitizeFileName("x\xf4\x90\x80\x80"));  // past U+10FFFF
}

TEST(SanitizeFileNameTest, KeepsRomanianDiacritics) {
  EXPECT_EQ("ofertă_ștefan.pdf", SanitizeFileName("ofertă_ștefan.pdf"));
  EXPECT_EQ("ÎNCHEIERE ȚARĂ Â.docx", SanitizeFileName("ÎNCHEIERE ȚARĂ Â.docx"));
  EXPECT_EQ("şcoală ţesut.txt", SanitizeFileName("şcoală ţesut.txt"));  // cedilla forms
}

TEST(SanitizeFileNameTest, CutsLongNamesOnACharacterBoundaryKeepingTheExtension) {
  std::string long_name;
  for (int i = 0; i < 498; ++i) long_name += "ș";
  long_name += ".pdf";
  ASSERT_EQ(1000u, long_name.size());
  std::string expected;
  for (int i = 0; i < 125; ++i) expected += "ș";  // 251 bytes left for the stem: 125 whole ș
  expected += ".pdf";
  EXPECT_EQ(expected, SanitizeFileName(long_name));

  EXPECT_EQ(std::string(255, 'a'), SanitizeFileName(std::string(1000, 'a')));
  const std::string long_tail = std::string(300, 'a') + "." + std::string(100, 'b');
  EXPECT_EQ(long_tail.substr(0, 255), SanitizeFileName(long_tail));
  EXPECT_EQ(std::string(251, 'a') + ".txt",
            SanitizeFileName(std::string(300, 'a') + std::string(10, ' ') + ".txt"));
}

TEST(SanitizeFileNameTest, AnyBytesGiveAShortSafeStableName) {
  std::mt19937 rng(2024);
  for (int i = 0; i < 2000; ++i) {
    std::string input = RandomBytes(rng() % 600, static_cast<uint32_t>(rng()));
    const std::string name = SanitizeFileName(input);
    ASSERT_FALSE(name.empty());
    ASSERT_LE(name.size(), 255u);
    ASSERT_EQ(std::string::npos, name.find_first_of("/\\:*?\"<>|\0"s));
    for (unsigned char c : name) ASSERT_TRUE(c >= 0x20 && c != 0x7f);
    ASSERT_NE('.', name.front());
    ASSERT_NE(' ', name.front());
    ASSERT_EQ(name, SanitizeFileName(name));  // valid UTF-8, nothing left to change
  }
}

TEST(ContentDispositionTest, GivesAnAsciiFallbackAndTheUtf8Name) {
  EXPECT_EQ(
      "attachment; filename=\"oferta stefan.pdf\"; "
      "filename*=UTF-8''ofert%C4%83%20%C8%99tefan.pdf",
      ContentDisposition("ofertă ștefan.pdf"));
  EXPECT_EQ(
      "attachment; filename=\"Tara & 100_.xlsx\"; "
      "filename*=UTF-8''%C8%9Aar%C4%83%20&%20100%25.xlsx",
      ContentDisposition("Țară & 100%.xlsx"));
  EXPECT_EQ(
      "attachment; filename=\"Szollosi _.txt\"; "
      "filename*=UTF-8''Sz%C5%91ll%C5%91si%20%E2%82%AC.txt",
      ContentDisposition("Szőllősi €.txt"));
  EXPECT_EQ("attachment; filename=\"file\"; filename*=UTF-8''file", ContentDisposition(""));
}

TEST(ContentDispositionTest, CannotBreakOutOfTheHeader) {
  const std::string header = ContentDisposition("../\"evil\"\r\nSet-Cookie: a=b;.txt");
  EXPECT_EQ(
      "attachment; filename=\"evilSet-Cookie a=b;.txt\"; "
      "filename*=UTF-8''evilSet-Cookie%20a%3Db%3B.txt",
      header);
  EXPECT_EQ(std::string::npos, header.find_first_of("\r\n"));
}

}  // namespace
}  // namespace crm::eventstore
