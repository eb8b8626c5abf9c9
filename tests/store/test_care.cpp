// Conformance: store_care.hpp. A sound database has no storage problem, a snapshot does not see
// what another connection commits after it began, and a backup is written whole and does not
// replace a file unless asked.
#include <filesystem>
#include <fstream>
#include <random>

#include "tests/store/fixtures.hpp"

using namespace wfrun;
using namespace wfrun::conformance;
namespace fs = std::filesystem;

namespace {

// A folder for backups, removed with it.
struct backup_dir {
    fs::path path;
    backup_dir() {
        std::random_device rd;
        path = fs::temp_directory_path() / ("wfrun-care-" + std::to_string(rd()));
        fs::create_directories(path);
    }
    ~backup_dir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

}  // namespace

TEST_CASE("a sound database has no storage problem", "[store][care]") {
    WFRUN_EACH_BACKEND(db, s);
    s.sync_catalog(tutorial_model());
    make_group(s);
    CHECK(s.check_storage().empty());
}

TEST_CASE("a snapshot reads the database as of one moment", "[store][care]") {
    WFRUN_EACH_BACKEND(db, s);
    WFRUN_NEEDS_SHARED_DATABASE(db);
    s.sync_catalog(tutorial_model());
    auto other = db->connect();
    other->sync_catalog(tutorial_model());
    s.begin_snapshot();
    CHECK(s.processes({}).empty());
    other->begin();  // a writer is not kept out by the snapshot
    other->insert_process(new_process());
    other->commit();
    CHECK(s.processes({}).empty());
    s.end_snapshot();
    CHECK(s.processes({}).size() == 1);
}

TEST_CASE("a backup is written whole, and an existing file only with overwrite", "[store][care]") {
    WFRUN_EACH_BACKEND(db, s);
    s.sync_catalog(tutorial_model());
    make_group(s);
    backup_dir dir;
    const std::string copy = (dir.path / "copy.db").string();
    s.backup(copy, false);
    CHECK(fs::file_size(copy) > 0);
    {
        std::ofstream mark(dir.path / "other.db");
        mark << "keep me";
    }
    const std::string other = (dir.path / "other.db").string();
    CHECK_THROWS_AS(s.backup(other, false), store_error);
    CHECK(fs::file_size(other) == 7);
    s.backup(other, true);
    CHECK(fs::file_size(other) == fs::file_size(copy));
    // Nothing half written is left beside the copies.
    std::size_t files = 0;
    for (const auto& e : fs::directory_iterator(dir.path)) {
        (void)e;
        ++files;
    }
    CHECK(files == 2);
}
