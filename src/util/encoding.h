// Byte encodings used on the wire: base64 (standard alphabet, padded), hex, SHA-256.
// Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kindling {

std::string Base64Encode(std::string_view bytes);
// Strict decoding of padded standard base64; whitespace is not accepted. Returns nullopt on
// malformed input.
std::optional<std::string> Base64Decode(std::string_view text);

std::string HexEncode(std::string_view bytes);

// Raw 32-byte SHA-256 digest.
std::string Sha256(std::string_view bytes);

// Incremental SHA-256 for large or streamed inputs.
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;
  void Update(std::string_view bytes);
  std::string Finish();  // raw 32 bytes

 private:
  void* ctx_;
};

std::string HmacSha256(std::string_view key, std::string_view data);

}  // namespace kindling
