// The backends of the conformance suite: SQLite on a file in a temporary directory, and SQLite's
// `:memory:`.
#include "tests/store/backends.hpp"

#include <filesystem>
#include <random>

#include "interpreter/store/sqlite/sqlite_store.hpp"

namespace wfrun::conformance {

namespace {

namespace fs = std::filesystem;

class sqlite_file final : public test_database {
  public:
    sqlite_file() {
        std::random_device rd;
        dir_ = fs::temp_directory_path() / ("wfrun-conformance-" + std::to_string(rd()));
        fs::create_directories(dir_);
    }
    ~sqlite_file() override {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    std::unique_ptr<store> connect() override {
        // synchronous=NORMAL: durability against power loss is not what the suite tests.
        return std::make_unique<sqlite_store>((dir_ / "wfrun.db").string(),
                                              sqlite_options{.synchronous_full = false});
    }
    bool shared() const override { return true; }

  private:
    fs::path dir_;
};

class sqlite_memory final : public test_database {
  public:
    std::unique_ptr<store> connect() override { return std::make_unique<sqlite_store>(":memory:"); }
    bool shared() const override { return false; }
};

}  // namespace

const std::vector<backend>& backends() {
    static const std::vector<backend> all = {
        {"sqlite-file", [] { return std::make_unique<sqlite_file>(); }},
        {"sqlite-memory", [] { return std::make_unique<sqlite_memory>(); }},
    };
    return all;
}

}  // namespace wfrun::conformance
