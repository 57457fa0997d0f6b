// FunctionService against the real SQLite state store and the real code store.
#include "control/function_service.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "store/code_store.h"
#include "store/state_store.h"
#include "util/encoding.h"
#include "util/ids.h"

namespace kindling::control {
namespace {

std::string Zip(const std::map<std::string, std::string>& files) {
  archive* a = archive_write_new();
  archive_write_set_format_zip(a);
  std::vector<char> buf(1 << 20);
  size_t used = 0;
  archive_write_open_memory(a, buf.data(), buf.size(), &used);
  for (const auto& [name, data] : files) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_size(e, static_cast<la_int64_t>(data.size()));
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_write_header(a, e);
    archive_write_data(a, data.data(), data.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
  return std::string(buf.data(), used);
}

class FunctionServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("kindling-fs-" + RandomHex(4));
    std::filesystem::create_directories(dir_ / "code");
    Open();
  }
  void TearDown() override {
    svc_.reset();
    state_.reset();
    code_.reset();
    std::error_code ec;
    for (auto& e : std::filesystem::recursive_directory_iterator(dir_, ec)) {
      std::filesystem::permissions(e.path(), std::filesystem::perms::owner_all,
                                   std::filesystem::perm_options::add, ec);
    }
    std::filesystem::remove_all(dir_, ec);
  }
  void Open() {
    svc_.reset();
    state_ = std::move(store::StateStore::Open((dir_ / "kindling.db").string()).value());
    code_ = std::move(store::CodeStore::Open((dir_ / "code").string()).value());
    registry_ = std::make_unique<Published<Registry>>(std::make_shared<const Registry>());
    svc_ = std::make_unique<FunctionService>(Account{}, &catalog_, state_.get(), code_.get(),
                                             registry_.get(), &clock_);
    ASSERT_TRUE(svc_->Load().ok());
  }
  CreateFunctionInput Create(const std::string& name) {
    CreateFunctionInput in;
    in.function_name = name;
    in.config.role = "arn:aws:iam::000000000000:role/r";
    in.config.runtime = "python3.11";
    in.config.handler = "app.handler";
    in.zip_file = Zip({{"app.py", "def handler(e, c):\n    return 1\n"}});
    return in;
  }

  std::filesystem::path dir_;
  RuntimeCatalog catalog_{{{"python3.11", RuntimeFamily::kPython, "/usr/bin/python3.11",
                            "AWS_Lambda_python3.11", "python:3.11"}}};
  ManualClock clock_;
  std::unique_ptr<store::StateStore> state_;
  std::unique_ptr<store::CodeStore> code_;
  std::unique_ptr<Published<Registry>> registry_;
  std::unique_ptr<FunctionService> svc_;
};

TEST_F(FunctionServiceTest, CreateStoresCodeAndReportsLambdaFields) {
  auto in = Create("fn");
  std::string zip = *in.zip_file;
  auto cfg = svc_->CreateFunction(std::move(in));
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ((*cfg)->code.sha256_base64, Base64Encode(Sha256(zip)));
  EXPECT_EQ((*cfg)->code.size, static_cast<int64_t>(zip.size()));
  EXPECT_EQ((*cfg)->timeout_s, 3);
  EXPECT_EQ((*cfg)->memory_mb, 128);
  EXPECT_EQ((*cfg)->log_group, "/aws/lambda/fn");
  EXPECT_TRUE(code_->Has((*cfg)->code.sha256_hex));
  EXPECT_TRUE(registry_->Current()->Find("fn") != nullptr);
}

TEST_F(FunctionServiceTest, DuplicateCreateConflicts) {
  ASSERT_TRUE(svc_->CreateFunction(Create("fn")).ok());
  auto again = svc_->CreateFunction(Create("fn"));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), ErrorCode::kConflict);
  EXPECT_EQ(again.status().message(), "Function already exist: fn");
}

TEST_F(FunctionServiceTest, UnavailableRuntimeIsRefusedClearly) {
  auto in = Create("fn");
  in.config.runtime = "java21";
  auto r = svc_->CreateFunction(std::move(in));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidParameter);
  EXPECT_NE(r.status().message().find("python3.11"), std::string::npos);
  auto in2 = Create("fn");
  in2.config.runtime = "cobol85";
  EXPECT_EQ(svc_->CreateFunction(std::move(in2)).status().code(), ErrorCode::kValidation);
}

TEST_F(FunctionServiceTest, StateSurvivesReopen) {
  ASSERT_TRUE(svc_->CreateFunction(Create("fn")).ok());
  ASSERT_TRUE(svc_->PublishVersion("fn", {}).ok());
  AliasInput alias;
  alias.function_version = "1";
  ASSERT_TRUE(svc_->CreateAlias("fn", "live", alias).ok());
  ASSERT_TRUE(svc_->TagResource("fn", {{"team", "core"}}).ok());
  Open();
  auto rec = registry_->Current()->Find("fn");
  ASSERT_NE(rec, nullptr);
  EXPECT_EQ(rec->versions.size(), 1u);
  EXPECT_EQ(rec->aliases.at("live").function_version, "1");
  EXPECT_EQ(rec->tags.at("team"), "core");
  EXPECT_EQ(rec->last_version, 1);
}

TEST_F(FunctionServiceTest, PublishIsIdempotentUntilSomethingChanges) {
  ASSERT_TRUE(svc_->CreateFunction(Create("fn")).ok());
  auto v1 = svc_->PublishVersion("fn", {});
  auto again = svc_->PublishVersion("fn", {});
  ASSERT_TRUE(v1.ok() && again.ok());
  EXPECT_EQ((*v1)->version, "1");
  EXPECT_EQ((*again)->version, "1");
  UpdateConfigInput up;
  up.config.timeout = 10;
  ASSERT_TRUE(svc_->UpdateFunctionConfiguration("fn", up).ok());
  auto v2 = svc_->PublishVersion("fn", {});
  EXPECT_EQ((*v2)->version, "2");
  EXPECT_EQ((*v2)->timeout_s, 10);
}

TEST_F(FunctionServiceTest, VersionNumbersAreNeverReused) {
  ASSERT_TRUE(svc_->CreateFunction(Create("fn")).ok());
  ASSERT_TRUE(svc_->PublishVersion("fn", {}).ok());
  ASSERT_TRUE(svc_->DeleteFunction({"fn", std::string("1")}).ok());
  UpdateConfigInput up;
  up.config.description = "changed";
  ASSERT_TRUE(svc_->UpdateFunctionConfiguration("fn", up).ok());
  auto v = svc_->PublishVersion("fn", {});
  EXPECT_EQ((*v)->version, "2");
}

TEST_F(FunctionServiceTest, RevisionIdGuardsUpdates) {
  auto cfg = svc_->CreateFunction(Create("fn"));
  UpdateConfigInput up;
  up.revision_id = "wrong";
  auto r = svc_->UpdateFunctionConfiguration("fn", up);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kPreconditionFailed);
  up.revision_id = (*cfg)->revision_id;
  EXPECT_TRUE(svc_->UpdateFunctionConfiguration("fn", up).ok());
}

TEST_F(FunctionServiceTest, DeleteRules) {
  ASSERT_TRUE(svc_->CreateFunction(Create("fn")).ok());
  auto latest = svc_->DeleteFunction({"fn", std::string("$LATEST")});
  EXPECT_EQ(latest.code(), ErrorCode::kInvalidParameter);
  ASSERT_TRUE(svc_->PublishVersion("fn", {}).ok());
  AliasInput alias;
  alias.function_version = "1";
  ASSERT_TRUE(svc_->CreateAlias("fn", "live", alias).ok());
  EXPECT_EQ(svc_->DeleteFunction({"fn", std::string("1")}).code(), ErrorCode::kConflict);
  EXPECT_EQ(svc_->DeleteFunction({"fn", std::string("9")}).code(), ErrorCode::kNotFound);
  EXPECT_TRUE(svc_->DeleteFunction({"fn", std::nullopt}).ok());
  EXPECT_EQ(svc_->DeleteFunction({"fn", std::nullopt}).code(), ErrorCode::kNotFound);
}

TEST_F(FunctionServiceTest, GarbageCollectionRemovesOnlyUnreferencedPackages) {
  auto kept = svc_->CreateFunction(Create("keep"));
  auto other = Create("gone");
  other.zip_file = Zip({{"other.py", "x = 2\n"}});
  auto gone = svc_->CreateFunction(std::move(other));
  ASSERT_TRUE(kept.ok() && gone.ok());
  ASSERT_TRUE(svc_->PublishVersion("keep", {}).ok());
  ASSERT_TRUE(svc_->DeleteFunction({"gone", std::nullopt}).ok());
  Open();  // as at the next start-up
  auto removed = svc_->CollectGarbage();
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 1);
  EXPECT_TRUE(code_->Has((*kept)->code.sha256_hex));
  EXPECT_FALSE(code_->Has((*gone)->code.sha256_hex));
}

TEST_F(FunctionServiceTest, ListPaginatesWithMarkers) {
  for (int i = 0; i < 7; ++i) ASSERT_TRUE(svc_->CreateFunction(Create("f" + std::to_string(i))).ok());
  ListInput in;
  in.max_items = 3;
  std::vector<std::string> seen;
  while (true) {
    auto page = svc_->ListFunctions(in, false);
    ASSERT_TRUE(page.ok());
    for (auto& c : page->items) seen.push_back(c->name);
    if (!page->next_marker) break;
    in.marker = page->next_marker;
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"f0", "f1", "f2", "f3", "f4", "f5", "f6"}));
  in = {};
  in.max_items = 0;
  EXPECT_EQ(svc_->ListFunctions(in, false).status().code(), ErrorCode::kValidation);
}

TEST_F(FunctionServiceTest, AliasResolutionAndRouting) {
  ASSERT_TRUE(svc_->CreateFunction(Create("fn")).ok());
  ASSERT_TRUE(svc_->PublishVersion("fn", {}).ok());
  AliasInput alias;
  alias.function_version = "1";
  ASSERT_TRUE(svc_->CreateAlias("fn", "live", alias).ok());
  auto r = registry_->Current()->Resolve({"fn", std::string("live")}, Account{});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->config->version, "1");
  EXPECT_EQ(svc_->CreateAlias("fn", "live", alias).status().code(), ErrorCode::kConflict);
  AliasInput bad;
  bad.function_version = "1";
  bad.additional_weights = std::map<std::string, double>{{"2", 0.5}, {"3", 0.1}};
  EXPECT_EQ(svc_->CreateAlias("fn", "two", bad).status().code(), ErrorCode::kInvalidParameter);
  AliasInput missing;
  missing.function_version = "5";
  EXPECT_EQ(svc_->CreateAlias("fn", "x", missing).status().code(), ErrorCode::kNotFound);
}

}  // namespace
}  // namespace kindling::control
