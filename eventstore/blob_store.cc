// Content-addressed attachment files (see attachment_store.h): hashing with
// OpenSSL, durable writes with POSIX calls, and the file-name rules.

#include "eventstore/blob_store.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <system_error>
#include <vector>

namespace crm::eventstore {
namespace {

namespace fs = std::filesystem;

// Temporary files start with this; no stored file does (those are hex).
constexpr std::string_view kTempPrefix = ".tmp-";
constexpr char kHexDigits[] = "0123456789abcdef";

Status IOErrorFor(const std::string& what, const std::string& path, int err) {
  return Status::IOError(what + " " + path + ": " + std::generic_category().message(err));
}

// Owns a file descriptor.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  // Closes now; returns 0 or the errno of close() (which may report a late write error).
  int Close() {
    int fd = fd_;
    fd_ = -1;
    return ::close(fd) == 0 ? 0 : errno;
  }

 private:
  int fd_;
};

// Unlinks a temporary file when it goes out of scope, unless it was renamed.
struct TempFileGuard {
  std::string path;
  bool armed = true;
  ~TempFileGuard() {
    if (armed) ::unlink(path.c_str());
  }
};

Result<std::string> Sha256Hex(std::string_view bytes) {
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (sha256 == nullptr ||
      EVP_Digest(bytes.data(), bytes.size(), digest, &size, sha256, nullptr) != 1 || size != 32) {
    return Status::IOError("SHA-256 is not available from OpenSSL");
  }
  std::string hex;
  hex.reserve(size_t{2} * size);
  for (unsigned int i = 0; i < size; ++i) {
    hex.push_back(kHexDigits[digest[i] >> 4]);
    hex.push_back(kHexDigits[digest[i] & 0xF]);
  }
  return hex;
}

bool IsLowerHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }
int HexValue(char c) { return c <= '9' ? c - '0' : c - 'a' + 10; }

Status SyncDir(const std::string& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return IOErrorFor("cannot open directory", dir, errno);
  if (::fsync(fd.get()) != 0) return IOErrorFor("cannot fsync directory", dir, errno);
  return Status::OK();
}

Status WriteAll(int fd, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), std::min<size_t>(bytes.size(), size_t{1} << 30));
    if (n < 0) {
      if (errno == EINTR) continue;
      return IOErrorFor("cannot write", path, errno);
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return Status::OK();
}

Result<std::string> ReadFile(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return Status::NotFound("no attachment has this hash");
    return IOErrorFor("cannot open", path, errno);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return IOErrorFor("cannot stat", path, errno);
  if (!S_ISREG(st.st_mode)) return Status::IOError("not a regular file: " + path);
  std::string out(static_cast<size_t>(st.st_size), '\0');
  size_t filled = 0;
  while (filled < out.size()) {
    ssize_t n = ::read(fd.get(), out.data() + filled, out.size() - filled);
    if (n < 0) {
      if (errno == EINTR) continue;
      return IOErrorFor("cannot read", path, errno);
    }
    if (n == 0) break;
    filled += static_cast<size_t>(n);
  }
  out.resize(filled);
  return out;
}

enum class Existing { kAbsent, kSame, kDifferent };

// Whether the file at `path` holds exactly `bytes`, read in chunks.
Result<Existing> CompareWith(const std::string& path, std::string_view bytes) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return Existing::kAbsent;
    return IOErrorFor("cannot open", path, errno);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return IOErrorFor("cannot stat", path, errno);
  if (!S_ISREG(st.st_mode) || static_cast<uint64_t>(st.st_size) != bytes.size()) {
    return Existing::kDifferent;
  }
  std::vector<char> buffer(size_t{1} << 16);
  size_t offset = 0;
  for (;;) {
    ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return IOErrorFor("cannot read", path, errno);
    }
    if (n == 0) break;
    if (offset + static_cast<size_t>(n) > bytes.size() ||
        bytes.substr(offset, static_cast<size_t>(n)) !=
            std::string_view(buffer.data(), static_cast<size_t>(n))) {
      return Existing::kDifferent;
    }
    offset += static_cast<size_t>(n);
  }
  return offset == bytes.size() ? Existing::kSame : Existing::kDifferent;
}

// ---- File names ------------------------------------------------------------

constexpr size_t kMaxNameBytes = 255;
// A longer ".xxx" ending is not taken for an extension when cutting a name.
constexpr size_t kMaxExtensionBytes = 32;

struct Decoded {
  char32_t cp = 0;
  size_t len = 0;  // 0: the byte at the position does not start a valid character
};

// Decodes the UTF-8 character starting at s[i]; overlong forms, surrogates and
// code points past U+10FFFF are invalid.
Decoded DecodeUtf8(std::string_view s, size_t i) {
  const auto b = static_cast<unsigned char>(s[i]);
  if (b < 0x80) return {b, 1};
  size_t len = 0;
  char32_t cp = 0;
  char32_t min = 0;
  if ((b & 0xE0) == 0xC0) {
    len = 2;
    cp = b & 0x1F;
    min = 0x80;
  } else if ((b & 0xF0) == 0xE0) {
    len = 3;
    cp = b & 0x0F;
    min = 0x800;
  } else if ((b & 0xF8) == 0xF0) {
    len = 4;
    cp = b & 0x07;
    min = 0x10000;
  } else {
    return {};
  }
  if (i + len > s.size()) return {};
  for (size_t k = 1; k < len; ++k) {
    const auto c = static_cast<unsigned char>(s[i + k]);
    if ((c & 0xC0) != 0x80) return {};
    cp = (cp << 6) | (c & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return {};
  return {cp, len};
}

bool IsDropped(char32_t cp) {
  if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) return true;  // NUL, controls, DEL
  switch (cp) {
    case '/':
    case '\\':
    case ':':
    case '*':
    case '?':
    case '"':
    case '<':
    case '>':
    case '|':
      return true;
    default:
      break;
  }
  // Invisible characters that can disguise a name: zero-width characters,
  // direction marks and overrides (U+202E shows "fdp.exe" as "exe.pdf"), line
  // and paragraph separators, word joiners and isolates, the byte order mark.
  return (cp >= 0x200B && cp <= 0x200F) || (cp >= 0x2028 && cp <= 0x202E) ||
         (cp >= 0x2060 && cp <= 0x2069) || cp == 0xFEFF;
}

// The last non-empty component of a path with / or \ separators.
std::string_view LastComponent(std::string_view name) {
  while (!name.empty() && (name.back() == '/' || name.back() == '\\')) name.remove_suffix(1);
  const size_t cut = name.find_last_of("/\\");
  return cut == std::string_view::npos ? name : name.substr(cut + 1);
}

bool IsTrimmed(char c) { return c == ' ' || c == '.'; }

void TrimEnd(std::string& s) {
  while (!s.empty() && IsTrimmed(s.back())) s.pop_back();
}

// Shortens valid UTF-8 to at most `max` bytes without splitting a character.
void CutUtf8(std::string& s, size_t max) {
  if (s.size() <= max) return;
  size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  s.resize(cut);
}

// The ASCII spelling of a character for the plain filename parameter.
char AsciiFallback(char32_t cp) {
  if (cp >= 0x20 && cp < 0x7F) {
    return cp == '%' || cp == '"' || cp == '\\' ? '_' : static_cast<char>(cp);
  }
  // U+00C0..U+00FF (Latin-1 letters).
  static constexpr char kLatin1[] =
      "AAAAAA_CEEEEIIIIDNOOOOO_OUUUUY__aaaaaa_ceeeeiiiidnooooo_ouuuuy_y";
  static_assert(sizeof(kLatin1) == 0x40 + 1);
  if (cp >= 0xC0 && cp <= 0xFF) return kLatin1[cp - 0xC0];
  switch (cp) {
    case 0x102:  // Ă
      return 'A';
    case 0x103:  // ă
      return 'a';
    case 0x150:  // Ő
      return 'O';
    case 0x151:  // ő
      return 'o';
    case 0x15E:  // Ş
    case 0x218:  // Ș
      return 'S';
    case 0x15F:  // ş
    case 0x219:  // ș
      return 's';
    case 0x162:  // Ţ
    case 0x21A:  // Ț
      return 'T';
    case 0x163:  // ţ
    case 0x21B:  // ț
      return 't';
    case 0x170:  // Ű
      return 'U';
    case 0x171:  // ű
      return 'u';
    default:
      return '_';
  }
}

// RFC 5987 attr-char: sent as is in filename*; everything else is %XX.
bool IsAttrChar(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$&+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

}  // namespace

// ---- BlobStore -------------------------------------------------------

Result<std::unique_ptr<BlobStore>> BlobStore::Open(const std::string& dir) {
  std::string path = dir;
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  if (path.empty()) return Status::InvalidArgument("the attachment directory is empty");
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) return Status::IOError("cannot create " + path + ": " + ec.message());
  if (!fs::is_directory(path, ec)) return Status::IOError("not a directory: " + path);
  if (::access(path.c_str(), W_OK | X_OK) != 0) return IOErrorFor("cannot write", path, errno);
  Status s = SyncDir(path);
  if (!s.ok()) return s;
  // The directory's own entry, in case it was just created (best effort: the
  // parent may not be readable).
  fs::path parent = fs::path(path).parent_path();
  (void)SyncDir(parent.empty() ? "." : parent.string());
  return std::unique_ptr<BlobStore>(new BlobStore(std::move(path)));
}

bool BlobStore::IsValidHash(std::string_view sha256) {
  if (sha256.size() != 64) return false;
  return std::all_of(sha256.begin(), sha256.end(), IsLowerHex);
}

std::string BlobStore::ShardDir(std::string_view hex) const {
  return dir_ + "/" + std::string(hex.substr(0, 2));
}

std::string BlobStore::FilePath(std::string_view hex) const {
  return ShardDir(hex) + "/" + std::string(hex);
}

Status BlobStore::EnsureShard(std::string_view hex) {
  std::atomic<bool>& durable = shard_durable_[HexValue(hex[0]) * 16 + HexValue(hex[1])];
  if (durable.load(std::memory_order_acquire)) return Status::OK();
  const std::string shard = ShardDir(hex);
  if (::mkdir(shard.c_str(), 0750) != 0 && errno != EEXIST) {
    return IOErrorFor("cannot create", shard, errno);
  }
  // Whoever created it, its entry is durable once this returns.
  Status s = SyncDir(dir_);
  if (!s.ok()) return s;
  durable.store(true, std::memory_order_release);
  return Status::OK();
}

Result<BlobStore::Stored> BlobStore::Put(std::string_view bytes) {
  auto hex = Sha256Hex(bytes);
  if (!hex.ok()) return hex.status();
  Stored stored{*hex, bytes.size(), false};
  Status s = EnsureShard(*hex);
  if (!s.ok()) return s;
  const std::string shard = ShardDir(*hex);
  const std::string path = FilePath(*hex);

  auto existing = CompareWith(path, bytes);
  if (!existing.ok()) return existing.status();
  if (*existing == Existing::kSame) {
    // It may have been renamed in by a Put that has not synced the directory yet.
    s = SyncDir(shard);
    if (!s.ok()) return s;
    stored.existed = true;
    return stored;
  }

  TempFileGuard temp{shard + "/" + std::string(kTempPrefix) + "XXXXXX"};
  Fd fd(::mkostemp(temp.path.data(), O_CLOEXEC));
  if (fd.get() < 0) {
    temp.armed = false;
    return IOErrorFor("cannot create a temporary file in", shard, errno);
  }
  s = WriteAll(fd.get(), bytes, temp.path);
  if (!s.ok()) return s;
  if (::fsync(fd.get()) != 0) return IOErrorFor("cannot fsync", temp.path, errno);
  if (int err = fd.Close(); err != 0) return IOErrorFor("cannot close", temp.path, err);

  bool replace = *existing == Existing::kDifferent;
  if (!replace) {
    // Never replaces: of two Puts of the same content, one renames, the other
    // finds the file (and drops its own copy).
    int rc = ::renameat2(AT_FDCWD, temp.path.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE);
    if (rc != 0 && (errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)) {
      rc = ::link(temp.path.c_str(), path.c_str());  // no RENAME_NOREPLACE on this file system
    } else if (rc == 0) {
      temp.armed = false;
    }
    if (rc != 0) {
      if (errno != EEXIST) return IOErrorFor("cannot rename into", path, errno);
      existing = CompareWith(path, bytes);
      if (!existing.ok()) return existing.status();
      stored.existed = *existing == Existing::kSame;
      replace = !stored.existed;
    }
  }
  if (replace) {
    // The stored file is damaged: the right bytes take its place.
    if (::rename(temp.path.c_str(), path.c_str()) != 0) {
      return IOErrorFor("cannot rename into", path, errno);
    }
    temp.armed = false;
  }
  s = SyncDir(shard);
  if (!s.ok()) return s;
  return stored;
}

Result<std::string> BlobStore::Get(const std::string& sha256) const {
  if (!IsValidHash(sha256)) {
    return Status::InvalidArgument("an attachment hash is 64 lower-case hex characters");
  }
  auto bytes = ReadFile(FilePath(sha256));
  if (!bytes.ok()) return bytes.status();
  auto hex = Sha256Hex(*bytes);
  if (!hex.ok()) return hex.status();
  if (*hex != sha256) {
    return Status::Corruption("attachment " + sha256 + " does not match its hash (now " + *hex +
                              ")");
  }
  return bytes;
}

bool BlobStore::Contains(const std::string& sha256) const {
  if (!IsValidHash(sha256)) return false;
  struct stat st {};
  return ::stat(FilePath(sha256).c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

size_t BlobStore::RemoveLeftovers(std::chrono::seconds age) {
  const auto cutoff = fs::file_time_type::clock::now() - age;
  std::vector<fs::path> leftovers;
  std::error_code ec;
  for (fs::directory_iterator shard(dir_, ec), end; !ec && shard != end; shard.increment(ec)) {
    const std::string name = shard->path().filename().string();
    std::error_code type_ec;
    if (name.size() != 2 || !IsLowerHex(name[0]) || !IsLowerHex(name[1]) ||
        !shard->is_directory(type_ec)) {
      continue;
    }
    std::error_code inner_ec;
    for (fs::directory_iterator it(shard->path(), inner_ec); !inner_ec && it != end;
         it.increment(inner_ec)) {
      if (!it->path().filename().string().starts_with(kTempPrefix)) continue;
      std::error_code file_ec;
      if (it->symlink_status(file_ec).type() != fs::file_type::regular) continue;
      const auto written = it->last_write_time(file_ec);
      if (!file_ec && written <= cutoff) leftovers.push_back(it->path());
    }
  }
  size_t removed = 0;
  for (const fs::path& path : leftovers) {
    std::error_code remove_ec;
    if (fs::remove(path, remove_ec)) ++removed;
  }
  return removed;
}

// ---- File names ------------------------------------------------------------

std::string SanitizeFileName(std::string_view name) {
  const std::string_view last = LastComponent(name);
  std::string out;
  out.reserve(last.size());
  for (size_t i = 0; i < last.size();) {
    const Decoded d = DecodeUtf8(last, i);
    if (d.len == 0) {
      out.push_back('_');  // a byte that is not UTF-8
      ++i;
      continue;
    }
    if (!IsDropped(d.cp)) out.append(last.substr(i, d.len));
    i += d.len;
  }
  size_t start = 0;
  while (start < out.size() && IsTrimmed(out[start])) ++start;
  out.erase(0, start);
  TrimEnd(out);

  if (out.size() > kMaxNameBytes) {
    std::string extension;
    const size_t dot = out.rfind('.');
    if (dot != std::string::npos && dot > 0 && out.size() - dot <= kMaxExtensionBytes) {
      extension = out.substr(dot);
    }
    out.resize(out.size() - extension.size());
    CutUtf8(out, kMaxNameBytes - extension.size());
    TrimEnd(out);
    out += extension;
  }
  return out.empty() ? "file" : out;
}

std::string ContentDisposition(const std::string& name) {
  const std::string clean = SanitizeFileName(name);
  std::string ascii;
  for (size_t i = 0; i < clean.size();) {
    const Decoded d = DecodeUtf8(clean, i);  // valid: SanitizeFileName's output is UTF-8
    ascii.push_back(AsciiFallback(d.cp));
    i += d.len == 0 ? 1 : d.len;
  }
  std::string encoded;
  for (char ch : clean) {
    const auto c = static_cast<unsigned char>(ch);
    if (IsAttrChar(c)) {
      encoded.push_back(ch);
    } else {
      encoded.push_back('%');
      encoded.push_back("0123456789ABCDEF"[c >> 4]);
      encoded.push_back("0123456789ABCDEF"[c & 0xF]);
    }
  }
  return "attachment; filename=\"" + ascii + "\"; filename*=UTF-8''" + encoded;
}

}  // namespace crm::eventstore
