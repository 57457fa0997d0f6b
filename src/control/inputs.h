// Inputs of the control-plane operations, decoded from the wire by api/ and validated by
// control/. Optional fields are absent when the caller did not send them.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kindling::control {

// Fields shared by CreateFunction and UpdateFunctionConfiguration.
struct ConfigInput {
  std::optional<std::string> role;
  std::optional<std::string> runtime;
  std::optional<std::string> handler;
  std::optional<std::string> description;
  std::optional<int64_t> timeout;
  std::optional<int64_t> memory_size;
  std::optional<int64_t> ephemeral_storage;
  std::optional<std::map<std::string, std::string>> environment;
  std::optional<std::string> tracing_mode;
  std::optional<std::string> log_format;
  std::optional<std::string> log_group;
  std::optional<std::string> application_log_level;
  std::optional<std::string> system_log_level;
  std::optional<std::vector<std::string>> layers;
  // Fields stored and echoed but not acted on (VpcConfig, DeadLetterConfig, KMSKeyArn, ...):
  // a JSON object holding only the keys the caller sent.
  std::string passthrough_json = "{}";
};

struct CreateFunctionInput {
  std::string function_name;
  ConfigInput config;
  std::optional<std::string> zip_file;  // decoded Code.ZipFile bytes
  std::vector<std::string> unsupported_code_sources;  // "S3Bucket", "ImageUri", ...
  std::string package_type = "Zip";
  std::optional<std::vector<std::string>> architectures;
  bool publish = false;
  std::map<std::string, std::string> tags;
};

struct UpdateConfigInput {
  ConfigInput config;
  std::optional<std::string> revision_id;
};

struct UpdateCodeInput {
  std::optional<std::string> zip_file;
  std::vector<std::string> unsupported_code_sources;
  std::optional<std::vector<std::string>> architectures;
  bool publish = false;
  bool dry_run = false;
  std::optional<std::string> revision_id;
};

struct PublishInput {
  std::optional<std::string> code_sha256;
  std::optional<std::string> description;
  std::optional<std::string> revision_id;
};

struct AliasInput {
  std::optional<std::string> function_version;
  std::optional<std::string> description;
  std::optional<std::map<std::string, double>> additional_weights;
  std::optional<std::string> revision_id;
};

struct ListInput {
  std::optional<std::string> marker;
  std::optional<int64_t> max_items;
};

}  // namespace kindling::control
