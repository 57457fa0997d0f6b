// FunctionConfig: the immutable configuration of one function version ($LATEST or a published
// number) — everything an execution environment is built from and everything
// GetFunctionConfiguration reports. A change to $LATEST makes a new FunctionConfig object, so an
// environment keeps the configuration it was created with.
//
// Values are shared as std::shared_ptr<const FunctionConfig> across threads; never mutated after
// publication.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "util/status.h"

namespace kindling::control {

struct CodeInfo {
  std::string sha256_base64;  // CodeSha256 as Lambda reports it
  std::string sha256_hex;     // content address in the code store
  int64_t size = 0;           // CodeSize: bytes of the zip
};

struct FunctionConfig {
  std::string name;
  std::string version = "$LATEST";  // "$LATEST" or "1", "2", ...
  std::string description;
  std::string runtime;
  std::string handler;
  std::string role;
  int timeout_s = 3;
  int memory_mb = 128;
  int ephemeral_mb = 512;
  // Present iff the caller configured Environment (an empty map is reported as {}).
  std::optional<std::map<std::string, std::string>> environment;
  CodeInfo code;
  std::string architecture = "x86_64";
  std::string tracing_mode = "PassThrough";
  std::string log_format = "Text";
  std::string log_group;           // default /aws/lambda/<name>
  std::string application_log_level;  // JSON format only
  std::string system_log_level;       // JSON format only
  std::string last_modified;       // "2020-04-10T19:06:32.563+0000"
  std::string revision_id;
  // For a published version: the $LATEST RevisionId it was published from. PublishVersion is
  // idempotent while $LATEST still has that revision.
  std::string source_revision_id;
  // Optional fields kindling stores and reports but does not act on (yet), as a JSON object
  // text: VpcConfig, DeadLetterConfig, KMSKeyArn, FileSystemConfigs, ImageConfig, SnapStart...
  std::string passthrough_json = "{}";

  bool IsLatest() const { return version == "$LATEST"; }

  // Persistence in the state store (an internal JSON document, not the wire format).
  std::string ToStoredJson() const;
  static Result<FunctionConfig> FromStoredJson(const std::string& json);
};

// Environment variables as Lambda measures them for the 4 KB limit: compact JSON {"K":"V"}.
std::string EnvironmentJson(const std::map<std::string, std::string>& env);

}  // namespace kindling::control
