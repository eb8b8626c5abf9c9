// End to end: the database file itself. Commands that only read never write and serve a
// read-only file.
#include <catch2/catch.hpp>

#include <sqlite3.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "harness.hpp"

using e2e::sandbox;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string bytes_of(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Makes a file or folder read-only for as long as it lives.
class read_only {
  public:
    explicit read_only(std::string path) : path_(std::move(path)) {
        struct stat st {};
        REQUIRE(::stat(path_.c_str(), &st) == 0);
        mode_ = st.st_mode & 07777;
        REQUIRE(::chmod(path_.c_str(), mode_ & ~(S_IWUSR | S_IWGRP | S_IWOTH)) == 0);
    }
    ~read_only() { ::chmod(path_.c_str(), mode_); }
    read_only(const read_only&) = delete;
    read_only& operator=(const read_only&) = delete;

  private:
    std::string path_;
    mode_t mode_ = 0;
};

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("read-only commands serve a read-only database with the same output") {
    sandbox s;
    auto group = s.create_group("Group One");
    auto pid = s.run({"ps", "--json"}).json()[0]["process_id"].get<std::string>();
    const std::vector<std::vector<std::string>> reads = {
        {"ps", "--json"},
        {"show", pid, "--json"},
        {"subscriptions", "--json"},
        {"subscription", group, "--json"},
        {"workflows", group, "--json"},
        {"products", "--json"},
        {"engine", "status", "--json"},
    };
    std::vector<std::string> before;
    for (const auto& args : reads) before.push_back(s.run(args).out);
    // Readers leave an empty log and its index behind (SQLite's readers cannot remove them);
    // the next writer to close removes them, as it did after the run above.
    REQUIRE(fs::file_size(s.db() + "-wal") == 0);
    fs::remove(s.db() + "-wal");
    fs::remove(s.db() + "-shm");
    const std::string bytes = bytes_of(s.db());

    auto check_reads_and_start = [&] {
        for (std::size_t i = 0; i < reads.size(); ++i) {
            auto r = s.run(reads[i]);
            INFO(reads[i][0] << ": " << r.err);
            CHECK(r.code == 0);
            CHECK(r.out == before[i]);
        }
        auto product = s.product_id("User Group");
        auto r = s.run({"start", "create_user_group", "--input",
                        json::array({{{"product", product}}, {{"group_name", "Two"}}}).dump()});
        CHECK(r.code == 2);
        CHECK(contains(r.err, "'" + s.db() + "'"));
        CHECK(contains(r.err, "read-only"));
        CHECK(bytes_of(s.db()) == bytes);
    };

    SECTION("the file read-only, its folder writable") {
        read_only file(s.db());
        check_reads_and_start();
    }
    SECTION("the file and its folder read-only: no -shm can be created") {
        read_only file(s.db());
        read_only folder(s.dir());
        check_reads_and_start();
        CHECK(!fs::exists(s.db() + "-shm"));
    }
}

TEST_CASE("read-only commands do not wait for the write lock a running step holds") {
    sandbox s;
    s.create_group("Group One");
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(s.db().c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
    auto started = std::chrono::steady_clock::now();
    auto ps = s.run({"ps", "--json"});
    auto subs = s.run({"subscriptions", "--json"});
    auto took = std::chrono::steady_clock::now() - started;
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(db);
    INFO(ps.err << subs.err);
    CHECK(ps.code == 0);
    CHECK(ps.json().size() == 1);
    CHECK(subs.code == 0);
    CHECK(took < std::chrono::seconds(5));  // the busy timeout is 10 s
}
